"""Replies kept in the inbox as JSON: what the bot answered an update, stored in the
transaction that handled it, so that a crash before the send is made good at restart.

The messages are the domain's frozen dataclasses (text, buttons, charts and tables still
as descriptions, rendered when sent). The standard library's json cannot rebuild them, and
the shapes are few and fixed, so each is tagged with its class name and rebuilt from it.
"""

from __future__ import annotations

import base64
import json
from dataclasses import fields, is_dataclass
from typing import Any

from bot.domain.model.entities import ChatRef
from bot.domain.model.messages import (
    Attachment,
    Bar,
    Button,
    ChartSpec,
    Column,
    Outbound,
    StoredFile,
    TableSpec,
)

_TYPE = "$type"
_BYTES = "$bytes"
_KINDS: dict[str, type[Any]] = {
    kind.__name__: kind
    for kind in (
        Outbound,
        ChatRef,
        Button,
        Attachment,
        Bar,
        ChartSpec,
        Column,
        TableSpec,
        StoredFile,
    )
}


def encode(replies: list[Outbound]) -> str:
    return json.dumps([_plain(reply) for reply in replies], ensure_ascii=False)


def decode(text: str) -> list[Outbound]:
    replies = [_rebuilt(item) for item in json.loads(text)]
    if not all(isinstance(reply, Outbound) for reply in replies):
        raise ValueError("a stored reply is not a message")
    return replies


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        kind = type(value)
        # A reply is kept as the message it was (a subclass adds no field).
        name = next(base.__name__ for base in kind.__mro__ if base.__name__ in _KINDS)
        return {_TYPE: name} | {
            item.name: _plain(getattr(value, item.name)) for item in fields(value)
        }
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, bytes):
        return {_BYTES: base64.b64encode(value).decode("ascii")}
    return value


def _rebuilt(value: Any) -> Any:
    if isinstance(value, dict):
        if _BYTES in value:
            return base64.b64decode(value[_BYTES])
        kind = _KINDS[value[_TYPE]]
        return kind(**{name: _rebuilt(item) for name, item in value.items() if name != _TYPE})
    if isinstance(value, list):
        # Every sequence in a message is a tuple (frozen dataclasses).
        return tuple(_rebuilt(item) for item in value)
    return value
