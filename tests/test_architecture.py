"""The domain is plain Python: it imports no platform, database or scheduler library."""

import ast
from pathlib import Path

import bot.domain

FORBIDDEN = (
    "telegram",
    "sqlmodel",
    "sqlalchemy",
    "apscheduler",
    "bot.storage",
    "bot.channels",
    "jobs",
    "alembic",
    "httpx",
    "openpyxl",
    "matplotlib",
    "dotenv",
)
DOMAIN = Path(bot.domain.__file__).parent


def imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def test_domain_imports_nothing_from_outside():
    files = sorted(DOMAIN.rglob("*.py"))
    assert len(files) > 10
    offenders = {
        f"{path.name}: {module}"
        for path in files
        for module in imported_modules(path)
        if any(module == bad or module.startswith(bad + ".") for bad in FORBIDDEN)
    }
    assert offenders == set()


def test_domain_never_reads_the_clock():
    offenders = [
        path.name
        for path in DOMAIN.rglob("*.py")
        if any(
            call in path.read_text(encoding="utf-8")
            for call in ("datetime.now(", "date.today(", "time.time(", "datetime.utcnow(")
        )
    ]
    assert offenders == []


def test_the_check_would_catch_an_offender(tmp_path):
    offender = tmp_path / "bad.py"
    offender.write_text("from sqlalchemy import select\nimport telegram.ext\n")
    assert imported_modules(offender) == {"sqlalchemy", "telegram.ext"}


def test_jobs_reach_the_database_and_the_application_only_through_ports():
    jobs = Path(bot.domain.__file__).parents[2] / "jobs"
    offenders = {
        f"{path.name}: {module}"
        for path in sorted(jobs.rglob("*.py"))
        for module in imported_modules(path)
        if module in ("bot.app", "bot.storage")
        or module.startswith("bot.storage.")
        or module.startswith("bot.channels")
    }
    assert offenders == set()
