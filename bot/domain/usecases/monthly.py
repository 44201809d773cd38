"""Monthly reports: a unit sends this month's report (text and/or a file) before the due day."""

from __future__ import annotations

from bot.domain import wording
from bot.domain.model.entities import Submission, Unit
from bot.domain.model.messages import Outbound, StoredFile
from bot.domain.model.weeks import Month, Week, local_date
from bot.domain.reading.parsing import fold
from bot.domain.reading.periods import parse_period
from bot.domain.usecases.roles import Refusal, reporting_unit
from bot.domain.usecases.turn import Turn

# Telegram allows 4096 characters in a message; a report longer than this is a file's job.
MAX_MONTHLY_TEXT = 3500


def submit(turn: Turn) -> list[Outbound]:
    inbound = turn.inbound
    text = " ".join(inbound.args).strip()
    document = inbound.document
    if not text and document is None:
        return turn.reply(wording.MONTHLY_USAGE)
    if len(text) > MAX_MONTHLY_TEXT:
        return turn.reply(wording.monthly_too_long(MAX_MONTHLY_TEXT))
    source = inbound.source
    if source is None:
        raise ValueError("a monthly report needs the message it came from")
    if not turn.store.inbox.first_time(source, "monthly", turn.now):
        return turn.reply(wording.ALREADY_HANDLED)
    unit = reporting_unit(turn, None)
    if isinstance(unit, Refusal):
        return turn.reply(unit.text)
    campaign = turn.campaign
    if not campaign.is_running_on(local_date(turn.moment, turn.policy.tz)):
        return turn.reply(wording.monthly_outside_campaign(campaign))
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
        wording.monthly_received(
            unit,
            month,
            due,
            turn.policy.tz,
            on_time=turn.moment < due,
            replaced=replaced,
            file_name=document.file_name if document else None,
        )
    )


def read(turn: Turn) -> list[Outbound]:
    """`/xembaocao MÃ [thang N]`: a unit's monthly report in full, its file sent on. For
    admins, the unit's own people and those above it, and chats subscribed to digests that
    cover it."""
    args = turn.inbound.args
    if not args:
        return turn.reply(wording.READ_REPORT_USAGE)
    code = args[0].upper()
    unit = turn.store.units.get(code)
    if unit is None or not unit.active:
        return turn.reply(wording.unknown_unit(args[0]))
    today = local_date(turn.now, turn.policy.tz)
    month: Month | Week | None = Month(today.year, today.month)
    if len(args) > 1:
        month = parse_period(fold(" ".join(args[1:])), today)
    if not isinstance(month, Month):
        return turn.reply(wording.READ_REPORT_USAGE)
    if not _may_read(turn, unit):
        return turn.reply(wording.READ_REPORT_NOT_ALLOWED)
    submission = turn.store.submissions.current(turn.campaign.id, unit.code, month.iso)
    if submission is None:
        return turn.reply(wording.no_monthly_report(unit, month))
    due = turn.policy.monthly_due(month)
    text = wording.monthly_report_in_full(unit, month, submission, due, turn.policy.tz)
    files = report_files(submission, unit, turn.inbound.chat.platform, month)
    return turn.reply(text, attachments=files)


def report_files(
    submission: Submission, unit: Unit, platform: str, month: Month
) -> tuple[StoredFile, ...]:
    """The report's file, for a chat of the platform that keeps it (a file id means nothing
    to another platform)."""
    if submission.file_id is None or submission.submitter.platform != platform:
        return ()
    name = submission.file_name or "bao-cao"
    return (StoredFile(submission.file_id, name, wording.report_file_caption(unit, month)),)


def _may_read(turn: Turn, unit: Unit) -> bool:
    if turn.is_admin_of(unit):
        return True
    covering = {unit.code, *(above.code for above in turn.ancestors(unit))}
    own = [turn.chat_unit(), turn.member_unit()]
    if any(mine is not None and mine.code in covering for mine in own):
        return True
    subscription = turn.store.subscriptions.of(turn.inbound.chat)
    return subscription is not None and (
        subscription.scope is None or subscription.scope in covering
    )
