"""Messages that are not text: a photo, a file, a sticker, a voice message. Each gets an answer.

Figures are read from text only (a photo of a tally sheet is not counted), so a captioned
number is explained rather than booked; a file captioned as a monthly report is one.
"""

from __future__ import annotations

from dataclasses import replace

from bot.domain import wording
from bot.domain.model.commands import split_command
from bot.domain.model.messages import Outbound
from bot.domain.reading.parsing import ParseError, fold, parse_report
from bot.domain.usecases import monthly
from bot.domain.usecases.turn import Turn

_MONTHLY_WORDS = ("bao cao thang", "baocaothang")


def answer(turn: Turn) -> list[Outbound]:
    inbound = turn.inbound
    if not (inbound.is_private or inbound.replies_to_bot):
        return []  # pictures and stickers shared in a group are not for the bot
    caption = inbound.text.strip()
    if inbound.document is not None and any(word in fold(caption) for word in _MONTHLY_WORDS):
        as_monthly = replace(inbound, command="monthly", args=tuple(caption.split()))
        return monthly.submit(replace(turn, inbound=as_monthly))
    if caption:
        command, _ = split_command(caption)
        if command == "report" or not isinstance(parse_report(caption), ParseError):
            return turn.reply(wording.MEDIA_CAPTION_NOT_COUNTED)
    if inbound.document is not None:
        return turn.reply(wording.file_without_caption(turn.policy.monthly_due_day))
    return turn.reply(wording.MEDIA_HINT)
