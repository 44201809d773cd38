"""Keeping secrets out of logs: every log record is scrubbed as it is created.

Scrubbing at record creation (not in one handler's filter) covers every handler, including
ones that libraries or test harnesses attach, and the formatted traceback of any exception.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from bot import logfloods

REDACTED = "***"

_secrets: set[str] = set()
_installed = False


def redact(text: str) -> str:
    # Longest first: the whole token goes before its secret part.
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def secret_forms(secret: str) -> set[str]:
    """The ways a token shows up in text: whole, its secret part (after the bot id), and
    URL-encoded (a request URL, an exception that quotes one)."""
    forms = {secret}
    _, _, secret_part = secret.partition(":")
    if secret_part:
        forms.add(secret_part)
    forms |= {quote(form, safe="") for form in list(forms)}
    forms |= {quote(form) for form in list(forms)}
    return {form for form in forms if len(form) >= 8}


def register_secrets(secrets: Iterable[str]) -> None:
    """Scrub these values (in every form they take) from every log record from now on."""
    global _installed
    for secret in secrets:
        _secrets.update(secret_forms(secret))
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def scrubbing_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        if _secrets:
            _scrub(record)
        return record

    logging.setLogRecordFactory(scrubbing_factory)
    _installed = True


def _scrub(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a malformed log call must not take the caller down
        message = str(record.msg)
    record.msg, record.args = redact(message), None
    if record.exc_info and record.exc_info[1] is not None:
        record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip())
    if record.stack_info:
        record.stack_info = redact(record.stack_info)


def configure_logging(level: str, secrets: Iterable[str] = ()) -> None:
    register_secrets(secrets)
    logging.basicConfig(
        level=getattr(logging, level, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request URL at INFO, and the Bot API URL contains the token; the
    # scrubbing above would catch it, but a request log line per message is noise anyway,
    # as are alembic's per-migration lines.
    for noisy in ("httpx", "httpcore", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logfloods.install()
