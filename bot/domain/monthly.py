"""Monthly reports: a unit sends this month's report (text and/or a file) before the due day."""

from __future__ import annotations

from bot.domain import texts
from bot.domain.messages import Outbound
from bot.domain.roles import Refusal, reporting_unit
from bot.domain.turn import Turn
from bot.domain.weeks import Month, local_date

# Telegram allows 4096 characters in a message; a report longer than this is a file's job.
MAX_MONTHLY_TEXT = 3500


def submit(turn: Turn) -> list[Outbound]:
    inbound = turn.inbound
    text = " ".join(inbound.args).strip()
    document = inbound.document
    if not text and document is None:
        return turn.reply(texts.MONTHLY_USAGE)
    if len(text) > MAX_MONTHLY_TEXT:
        return turn.reply(texts.monthly_too_long(MAX_MONTHLY_TEXT))
    source = inbound.source
    if source is None:
        raise ValueError("a monthly report needs the message it came from")
    if not turn.store.inbox.first_time(source, "monthly", turn.now):
        return turn.reply(texts.ALREADY_HANDLED)
    unit = reporting_unit(turn, None)
    if isinstance(unit, Refusal):
        return turn.reply(unit.text)
    campaign = turn.campaign
    if not campaign.is_running_on(local_date(turn.moment, turn.policy.tz)):
        return turn.reply(texts.monthly_outside_campaign(campaign))
    month = Month.of(turn.moment, turn.policy.tz)
    replaced = turn.store.submissions.current(campaign.id, unit.code, month.iso) is not None
    turn.store.submissions.save(
        campaign_id=campaign.id,
        unit_code=unit.code,
        month=month.iso,
        text=text,
        file_id=document.file_id if document else None,
        file_name=document.file_name if document else None,
        submitter=turn.sender,
        source=source,
        at=turn.moment,
    )
    due = turn.policy.monthly_due(month)
    return turn.reply(
        texts.monthly_received(
            unit,
            month,
            due,
            turn.policy.tz,
            on_time=turn.moment < due,
            replaced=replaced,
            file_name=document.file_name if document else None,
        )
    )
