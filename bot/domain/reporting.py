"""Reporting use cases: add, set, late reports, duplicates, edits and undo.

The ledger is append-only: a report adds one entry, an edit revises that entry (audited),
an undo voids it. A message is counted once however often it is delivered, because its
(platform, chat, message id) is the entry's identity.
"""

from __future__ import annotations

from bot.domain import texts
from bot.domain.messages import Outbound
from bot.domain.model import ReportEntry, ReportMode, Unit
from bot.domain.parsing import ParseError, ReportRequest, parse_report
from bot.domain.progress import Progress
from bot.domain.roles import Refusal, not_a_reporter, reporting_unit
from bot.domain.turn import Turn
from bot.domain.weeks import Week


def report_command(turn: Turn) -> list[Outbound]:
    parsed = parse_report(" ".join(turn.inbound.args), allow_unit_code=True)
    return _submit_parsed(turn, parsed)


def report_free_text(turn: Turn) -> list[Outbound]:
    if not (turn.inbound.is_private or turn.inbound.replies_to_bot):
        return []  # ordinary group chatter is not for the bot
    return _submit_parsed(turn, parse_report(turn.inbound.text))


def report_edit(turn: Turn) -> list[Outbound]:
    """An edited message that carried (or now carries) a report."""
    inbound = turn.inbound
    if inbound.command is None and not (inbound.is_private or inbound.replies_to_bot):
        return []
    source = inbound.source
    entry = turn.store.ledger.entry_for(source) if source else None
    text = " ".join(inbound.args) if inbound.command else inbound.text
    parsed = parse_report(text, allow_unit_code=inbound.command is not None)
    if entry is None:
        # An edit that turns an ordinary message into a report counts as a new report;
        # an edit of a message that was never a report and still is not says nothing.
        return [] if isinstance(parsed, ParseError) else _submit_parsed(turn, parsed)
    return _revise(turn, entry, parsed)


def undo(turn: Turn) -> list[Outbound]:
    source = turn.inbound.source
    if source is not None and not turn.store.inbox.first_time(source, "undo", turn.now):
        return turn.reply(texts.ALREADY_HANDLED)
    if not turn.is_admin() and turn.membership() is None:
        return turn.reply(not_a_reporter(turn))
    open_weeks = turn.policy.open_weeks(turn.moment)
    entry = turn.store.ledger.last_live_entry(
        turn.campaign.id, turn.sender, [week.start for week in open_weeks]
    )
    if entry is None:
        return turn.reply(texts.NOTHING_TO_UNDO)
    unit = _unit(turn, entry.unit_code)
    week = Week(entry.week_start)
    turn.store.ledger.lock_unit(unit.code)
    total = turn.store.ledger.week_total(turn.campaign.id, unit.code, week.start)
    if total - entry.delta < 0:
        return turn.reply(texts.UNDO_WOULD_GO_NEGATIVE)
    turn.store.ledger.void(entry, turn.sender, turn.now, source)
    progress = _progress(turn, unit, week, total - entry.delta)
    return turn.reply(texts.report_undone(unit, week, progress, entry, turn.policy.tz, turn.metric))


# ---------------------------------------------------------------- internals


def _submit_parsed(turn: Turn, parsed: ReportRequest | ParseError) -> list[Outbound]:
    source = turn.inbound.source
    existing = turn.store.ledger.entry_for(source) if source else None
    if existing is not None:
        return _already_recorded(turn, existing)
    if isinstance(parsed, ParseError):
        return turn.reply(_problem(turn, parsed))
    outcome = reporting_unit(turn, parsed.unit_code)
    if isinstance(outcome, Refusal):
        return turn.reply(outcome.text)
    return _record(turn, outcome, parsed)


def _record(turn: Turn, unit: Unit, request: ReportRequest) -> list[Outbound]:
    week = turn.policy.week_of(turn.moment).shifted(request.week_offset)
    refusal = _week_refusal(turn, week)
    if refusal is not None:
        return turn.reply(refusal.text)
    ledger = turn.store.ledger
    ledger.lock_unit(unit.code)
    total = ledger.week_total(turn.campaign.id, unit.code, week.start)
    delta = _delta(turn, request.mode, request.amount, total)
    if isinstance(delta, Refusal):
        return turn.reply(delta.text)
    source = turn.inbound.source
    if source is None:
        raise ValueError("a report needs the message it came from")
    entry = ledger.append(
        campaign_id=turn.campaign.id,
        unit_code=unit.code,
        week_start=week.start,
        delta=delta,
        mode=request.mode,
        requested=request.amount,
        reporter=turn.sender,
        source=source,
        sent_at=turn.moment,
        recorded_at=turn.now,
    )
    progress = _progress(turn, unit, week, total + delta)
    late = request.week_offset < 0
    return turn.reply(
        texts.report_accepted(unit, week, progress, entry, late=late, metric=turn.metric)
    )


def _revise(turn: Turn, entry: ReportEntry, parsed: ReportRequest | ParseError) -> list[Outbound]:
    edited_at = turn.inbound.edited_at or turn.now
    if entry.void:
        return turn.reply(texts.EDIT_OF_VOIDED)
    if entry.edited_at is not None and edited_at <= entry.edited_at:
        return _already_recorded(turn, entry)
    if isinstance(parsed, ParseError):
        return turn.reply(_problem(turn, parsed))
    week = Week(entry.week_start)
    intended_week = turn.policy.week_of(entry.sent_at).shifted(parsed.week_offset)
    if intended_week != week or parsed.unit_code not in (None, entry.unit_code):
        return turn.reply(texts.EDIT_CANNOT_MOVE)
    if turn.policy.is_locked(week, min(edited_at, turn.now)) and not turn.is_admin():
        return turn.reply(_locked_text(turn, week))
    unit = _unit(turn, entry.unit_code)
    ledger = turn.store.ledger
    ledger.lock_unit(unit.code)
    total = ledger.week_total(turn.campaign.id, unit.code, week.start)
    others = total - entry.delta
    delta = _delta(turn, parsed.mode, parsed.amount, others)
    if isinstance(delta, Refusal):
        return turn.reply(delta.text)
    revised = ledger.revise(
        entry,
        delta=delta,
        requested=parsed.amount,
        by=turn.sender,
        at=turn.now,
        edited_at=edited_at,
    )
    progress = _progress(turn, unit, week, others + delta)
    return turn.reply(texts.report_revised(unit, week, progress, entry, revised, turn.metric))


def _problem(turn: Turn, error: ParseError) -> str:
    return texts.parse_problem(error.problem, turn.policy.max_report, turn.policy.late_grace)


def _delta(turn: Turn, mode: ReportMode, amount: int, base_total: int) -> int | Refusal:
    """The ledger delta for a request on top of `base_total`, or why it cannot be accepted."""
    max_report = turn.policy.max_report
    if mode is ReportMode.ADD:
        if not 1 <= amount <= max_report:
            return Refusal(texts.add_out_of_bounds(max_report))
        delta = amount
    else:
        delta = amount - base_total
        if abs(delta) > max_report:
            return Refusal(texts.set_out_of_bounds(max_report, base_total))
    if base_total + delta < 0:
        # Possible only when an edit shrinks an early entry after a later "tổng N".
        return Refusal(texts.TOTAL_WOULD_BE_NEGATIVE)
    return delta


def _already_recorded(turn: Turn, entry: ReportEntry) -> list[Outbound]:
    unit = _unit(turn, entry.unit_code)
    week = Week(entry.week_start)
    total = turn.store.ledger.week_total(turn.campaign.id, unit.code, week.start)
    return turn.reply(
        texts.already_recorded(unit, week, _progress(turn, unit, week, total), turn.metric)
    )


def _week_refusal(turn: Turn, week: Week) -> Refusal | None:
    campaign = turn.campaign
    today = turn.moment.astimezone(turn.policy.tz).date()
    if today < campaign.start or week.end < campaign.start:
        return Refusal(texts.campaign_not_started(campaign))
    if campaign.end is not None and week.start > campaign.end:
        return Refusal(texts.campaign_ended(campaign))
    if turn.policy.is_locked(week, turn.moment) and not turn.is_admin():
        return Refusal(_locked_text(turn, week))
    return None


def _locked_text(turn: Turn, week: Week) -> str:
    locked_at = week.ends_at(turn.policy.tz) + turn.policy.late_grace
    return texts.week_locked(week, locked_at, turn.policy.tz)


def _unit(turn: Turn, code: str) -> Unit:
    unit = turn.store.units.get(code)
    if unit is None:
        raise LookupError(f"ledger names unit {code!r}, which is not in the unit table")
    return unit


def _progress(turn: Turn, unit: Unit, week: Week, total: int) -> Progress:
    return Progress(
        total=total,
        quota=unit.weekly_quota,
        days_left=week.days_left(turn.now, turn.policy.tz),
    )
