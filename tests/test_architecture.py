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


ROOT = Path(bot.domain.__file__).parents[2]
# Known to be over the limit, left for the [core] redesign to split (one module per aggregate).
TOO_LONG_FOR_NOW: set[str] = set()
MAX_LINES = 600


def project_modules() -> dict[str, Path]:
    modules = {}
    for path in [*ROOT.glob("bot/**/*.py"), *ROOT.glob("jobs/**/*.py")]:
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        modules[name.removesuffix(".__init__")] = path
    return modules


def runtime_imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """Project modules a file imports when it runs (imports under TYPE_CHECKING left out)."""
    found: set[str] = set()

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            if isinstance(node, ast.Import):
                found.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                found.add(node.module)
                found.update(f"{node.module}.{alias.name}" for alias in node.names)
            for field in ("body", "orelse", "handlers", "finalbody"):
                inner = getattr(node, field, None)
                if isinstance(inner, list):
                    visit(inner)

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    return {name for name in found if name in modules}


def import_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph[module]:
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                circles.append(sorted(group))

    for module in graph:
        if module not in index:
            visit(module)
    return circles


def test_no_import_circle():
    modules = project_modules()
    graph = {name: runtime_imports(path, modules) - {name} for name, path in modules.items()}
    assert len(graph) > 50
    assert import_circles(graph) == []


def test_the_circle_check_would_catch_one():
    assert import_circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_source_file_over_600_lines():
    too_long = {
        str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
        for path in project_modules().values()
        if len(path.read_text(encoding="utf-8").splitlines()) > MAX_LINES
    }
    assert set(too_long) <= TOO_LONG_FOR_NOW, too_long


def test_each_audiences_wording_leans_only_on_the_shared_part():
    wording = DOMAIN / "wording"
    modules = project_modules()
    for path in wording.glob("*.py"):
        if path.name in ("__init__.py", "common.py"):
            continue
        imported = {m for m in runtime_imports(path, modules) if m.startswith("bot.domain.wording")}
        assert imported <= {"bot.domain.wording.common"}, (path.name, imported)
