"""Neutral rich text (HTML-lite: <b>, <i>, escaped user text) rendered for channels that
have less: plain text, and buttons written out as what to type."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from typing import TypeVar

from bot.domain import wording
from bot.domain.model.messages import Outbound

_TAG = re.compile(r"</?[a-z]+>")


def plain_text(rich: str) -> str:
    """What a person reads where there is no markup: tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", rich))


M = TypeVar("M", bound=Outbound)


def buttons_as_text(message: M) -> M:
    """Where a chat has no buttons, the message says what to type instead."""
    if not message.buttons:
        return message
    choices = [(button.label, button.as_text) for button in message.buttons]
    if all(_already_said(typed, message.text) for _, typed in choices):
        return replace(message, buttons=())
    return replace(message, text=f"{message.text}\n{wording.typed_choices(choices)}", buttons=())


def _already_said(typed: str, text: str) -> bool:
    """The text itself says what to answer: «có», or a command such as /duyet 123."""
    return f"«{typed}»" in text or (typed.startswith("/") and typed in text)
