"""Reporting use cases: add, set, late reports, duplicates, edits, undo, confirmations.

The ledger is append-only: a report adds one entry, an edit revises that entry (audited),
an undo voids it. A unit's own week figure is the fold of its live entries in sending
order, re-derived after every change. A message is counted once however often it is
delivered, because its (platform, chat, message id) is the entry's identity. Every change
is checked against the week's lock at the moment it arrives.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from bot.domain import wording
from bot.domain.model.entities import (
    MessageRef,
    PendingReport,
    PendingState,
    Reading,
    ReportEntry,
    ReportMode,
    Unit,
)
from bot.domain.model.messages import Button, Outbound
from bot.domain.model.weeks import Week, local_date
from bot.domain.reading.naming import Named, find_named_unit
from bot.domain.reading.parsing import (
    ParseError,
    ParseProblem,
    Question,
    ReportRequest,
    choice_answer,
    confirmation_answer,
    parse_report,
)
from bot.domain.reading.periods import split_trailing_period
from bot.domain.usecases.changes import Change
from bot.domain.usecases.exports import campaign_weeks
from bot.domain.usecases.roles import Refusal, not_a_reporter, reporting_unit
from bot.domain.usecases.standing import chain_of, figures_of, reply_units, standing_of
from bot.domain.usecases.turn import Turn

# How much of a report's message is kept with its entry (a report is a line or two).
MESSAGE_KEPT = 1000


def report_command(turn: Turn) -> list[Outbound]:
    """`/bc 45`, `/bc KM 45`, and a week named at the end (`/bc HD 5 tuan 36`): an admin
    amends a closed week that way, a secretary reaches the weeks still open."""
    today = local_date(turn.now, turn.policy.tz)
    rest, period = split_trailing_period(" ".join(turn.inbound.args), today)
    if isinstance(period, Week) and rest:
        parsed = parse_report(rest, allow_unit_code=True)
        if isinstance(parsed, ReportRequest) and parsed.week_offset == 0:
            offset = (period.start - turn.policy.week_of(turn.moment).start).days // 7
            return _submit_parsed(turn, replace(parsed, week_offset=offset))
    parsed = parse_report(" ".join(turn.inbound.args), allow_unit_code=True)
    return _submit_parsed(turn, parsed)


def report_free_text(turn: Turn) -> list[Outbound]:
    if not (turn.inbound.is_private or turn.inbound.replies_to_bot):
        return []  # ordinary group chatter is not for the bot
    choice = choice_answer(turn.inbound.text)
    if choice is not None:
        question = turn.store.pending_reports.waiting(turn.sender, turn.inbound.chat)
        if question is not None and question.other is not None:
            return _resolve(turn, question, choice=choice)
    answer = confirmation_answer(turn.inbound.text)
    if answer is not None:
        return _answer_waiting(turn, answer)
    parsed = parse_report(turn.inbound.text)
    # A unit's name may carry words and a number of its own («Chi bộ tổ 3 … 20 lượt»).
    named_problems = (ParseProblem.NOT_UNDERSTOOD, ParseProblem.SEVERAL_NUMBERS)
    if isinstance(parsed, ParseError) and parsed.problem in named_problems:
        # «KM01 báo cáo thêm 25»: a unit's code first, when there is such a unit.
        coded = parse_report(turn.inbound.text, allow_unit_code=True)
        if isinstance(coded, ReportRequest) and coded.unit_code:
            unit = turn.store.units.get(coded.unit_code)
            if unit is not None and unit.active:
                return _named_report(turn, Named((unit,), ""), coded)
        named = find_named_unit(turn.inbound.text, turn.store.units.active())
        if named is not None:
            return _named_report(turn, named)
    return _submit_parsed(turn, parsed)


def _named_report(
    turn: Turn, named: Named, parsed: ReportRequest | ParseError | None = None
) -> list[Outbound]:
    """«Khương Mai báo cáo thêm 70 lượt»: the unit named must be the sender's own (an admin
    names the unit to report for); otherwise ask, and book nothing."""
    if parsed is None:
        parsed = parse_report(named.rest)
    if isinstance(parsed, ParseError):
        return _submit_parsed(turn, parsed)
    own = turn.member_unit()
    # «Chi bộ tổ 3» names a cell in every ward: the sender's own is the one meant.
    mine = [unit for unit in named.units if own is not None and unit.code == own.code]
    if len(named.units) > 1 and not mine:
        return turn.reply(wording.named_several_units(named.units))
    unit = mine[0] if mine else named.units[0]
    if own is not None and own.code != unit.code and not turn.is_admin_of(unit):
        return turn.reply(wording.named_other_unit(unit, own))
    return _submit_parsed(turn, replace(parsed, unit_code=unit.code))


def report_edit(turn: Turn) -> list[Outbound]:
    """An edited message that carried (or now carries) a report."""
    inbound = turn.inbound
    if inbound.command is None and not (inbound.is_private or inbound.replies_to_bot):
        return []
    entry = turn.entry_for_message()
    text = " ".join(inbound.args) if inbound.command else inbound.text
    parsed = parse_report(text, allow_unit_code=inbound.command is not None)
    if entry is not None:
        return _revise(turn, entry, parsed)
    if isinstance(parsed, ParseError):
        return []  # an edit of a message that was never a report and still is not
    # A message that was not a report when sent becomes one only while its week is still
    # open for everyone: an old message edited later never reopens a closed week.
    week = turn.policy.week_of(turn.moment).shifted(parsed.week_offset)
    if turn.policy.is_locked(week, turn.arrived_at):
        return turn.reply(_locked_text(turn, week))
    return _submit_parsed(turn, parsed)


def undo(turn: Turn) -> list[Outbound]:
    source = turn.inbound.source
    if not turn.is_any_admin() and turn.membership() is None:
        return turn.reply(not_a_reporter(turn))
    # One person's undos one at a time: two deliveries of one /huy never void two entries.
    turn.store.members.lock_person(turn.sender.platform, turn.sender.user_id)
    if source is not None and not turn.store.inbox.first_time(source, "undo", turn.now):
        return turn.reply(wording.ALREADY_HANDLED)
    open_weeks = turn.policy.open_weeks(turn.arrived_at)
    entry = turn.store.ledger.last_live_entry(
        turn.campaign.id, turn.sender, [week.start for week in open_weeks]
    )
    if entry is None:
        return turn.reply(wording.NOTHING_TO_UNDO)
    unit = _unit(turn, entry.unit_code)
    week = Week(entry.week_start)
    refusal = _week_refusal(turn, week, unit.code)
    if refusal is not None:
        return turn.reply(refusal.text)
    change = Change(turn, unit, week)
    turn.store.ledger.void(entry, turn.sender, turn.now, source)
    standing = change.done(entry)
    words = wording.entry_words(entry.mode, entry.requested)
    reply = wording.report_undone(
        unit, week, standing, words, turn.policy.tz, entry.sent_at, turn.metric
    )
    return turn.reply(reply) + change.notices(words)


def confirm_held(turn: Turn) -> list[Outbound]:
    """A press on a held report's Confirm button (or a question's first answer)."""
    return _answer_button(turn, choice=1)


def pick_other(turn: Turn) -> list[Outbound]:
    """A press on a question's second answer («🟰 Tổng là 10»)."""
    return _answer_button(turn, choice=2)


def cancel_held(turn: Turn) -> list[Outbound]:
    return _answer_button(turn, choice=None)


# ---------------------------------------------------------------- internals


def _submit_parsed(turn: Turn, parsed: ReportRequest | ParseError) -> list[Outbound]:
    source = turn.inbound.source
    existing = turn.entry_for_message()
    if existing is not None:
        return _already_recorded(turn, existing)
    if isinstance(parsed, ParseError):
        return turn.reply(_problem(turn, parsed))
    outcome = reporting_unit(turn, parsed.unit_code)
    if isinstance(outcome, Refusal):
        return turn.reply(outcome.text)
    week = turn.policy.week_of(turn.moment).shifted(parsed.week_offset)
    refusal = _week_refusal(turn, week, outcome.code) or _bounds_refusal(turn, parsed)
    if refusal is not None:
        return turn.reply(refusal.text)
    if source is None:
        raise ValueError("a report needs the message it came from")
    if parsed.question is not None or parsed.amount > _plausible_bound(turn, outcome):
        # Delivered again while held (or after its answer): the first question stands.
        held = turn.store.pending_reports.for_source(source)
        if held is not None:
            return turn.reply(wording.held_already(held.state, question=held.other is not None))
        if parsed.question is not None:
            return _ask(turn, outcome, week, parsed, source, None)
        return _hold(turn, outcome, week, parsed, source, None)
    return _book(turn, outcome, week, parsed, source, turn.moment, late=parsed.week_offset < 0)


def _revise(turn: Turn, entry: ReportEntry, parsed: ReportRequest | ParseError) -> list[Outbound]:
    edited_at = turn.inbound.edited_at or turn.now
    if entry.void:
        return turn.reply(wording.EDIT_OF_VOIDED)
    if entry.edited_at is not None and edited_at <= entry.edited_at:
        return _already_recorded(turn, entry)
    if isinstance(parsed, ParseError):
        return turn.reply(_problem(turn, parsed))
    week = Week(entry.week_start)
    intended_week = turn.policy.week_of(entry.sent_at).shifted(parsed.week_offset)
    if intended_week != week or parsed.unit_code not in (None, entry.unit_code):
        return turn.reply(wording.EDIT_CANNOT_MOVE)
    refusal = _week_refusal(turn, week, entry.unit_code) or _bounds_refusal(turn, parsed)
    if refusal is not None:
        return turn.reply(refusal.text)
    unit = _unit(turn, entry.unit_code)
    if parsed.question is not None:
        return _ask(turn, unit, week, parsed, entry.source, edited_at)
    if parsed.amount > _plausible_bound(turn, unit):
        return _hold(turn, unit, week, parsed, entry.source, edited_at)
    return _amend(turn, unit, week, entry, parsed, edited_at)


def _book(
    turn: Turn,
    unit: Unit,
    week: Week,
    request: ReportRequest,
    source: MessageRef,
    sent_at: datetime,
    *,
    late: bool,
) -> list[Outbound]:
    stated = _own_share(turn, unit, week, request)
    if isinstance(stated, Refusal):
        return turn.reply(stated.text)
    change = Change(turn, unit, week)
    effect = change.effect_at_end(sent_at, request.mode, stated.amount)
    entry = turn.store.ledger.append(
        campaign_id=turn.campaign.id,
        unit_code=unit.code,
        week_start=week.start,
        mode=request.mode,
        requested=stated.amount,
        reporter=turn.sender,
        source=source,
        sent_at=sent_at,
        recorded_at=turn.now,
        effect=effect or 0,
        text=turn.inbound.text[:MESSAGE_KEPT],
    )
    standing = change.done(entry, folded=effect is not None)
    words = wording.entry_words(request.mode, request.amount)
    reply = wording.report_accepted(unit, week, standing, words, late=late, metric=turn.metric)
    return turn.reply(reply) + change.notices(words)


def _amend(
    turn: Turn,
    unit: Unit,
    week: Week,
    entry: ReportEntry,
    request: ReportRequest,
    edited_at: datetime,
) -> list[Outbound]:
    stated = _own_share(turn, unit, week, request)
    if isinstance(stated, Refusal):
        return turn.reply(stated.text)
    change = Change(turn, unit, week)
    revised = turn.store.ledger.revise(
        entry,
        mode=request.mode,
        requested=stated.amount,
        by=turn.sender,
        at=turn.now,
        edited_at=edited_at,
    )
    standing = change.done(revised)
    # The total the unit stated then, as it sees it: its own share plus its sub-units'.
    stated_before = entry.requested + (request.amount - stated.amount)
    before = wording.entry_words(
        entry.mode, stated_before if entry.mode is ReportMode.SET else entry.requested
    )
    after = wording.entry_words(request.mode, request.amount)
    reply = wording.report_revised(unit, week, standing, before, after, turn.metric)
    return turn.reply(reply) + change.notices(f"{before} → {after}")


def _own_share(
    turn: Turn, unit: Unit, week: Week, request: ReportRequest
) -> ReportRequest | Refusal:
    """A total a unit states (`tổng N`) is the figure it sees, its rolled-up one: its own
    entries become N less what its sub-units reported (refused when N is below that). The
    ledger keeps the unit's own share, so its sub-units are never counted twice."""
    if request.mode is not ReportMode.SET:
        return request
    figure = figures_of(turn, week, [unit])[unit.code].figure
    from_sub_units = figure.from_sub_units
    if from_sub_units == 0:
        return request
    if request.amount < from_sub_units:
        noun = turn.unit_tree().sub_unit_noun(unit.code)
        return Refusal(
            wording.total_below_sub_units(unit, request.amount, from_sub_units, noun, figure)
        )
    return replace(request, amount=request.amount - from_sub_units)


# ---------------------------------------------------------------- held reports


def _plausible_bound(turn: Turn, unit: Unit) -> int:
    """Above this a figure is confirmed before booking: a multiple of the quota the report
    counts toward; without any quota only MAX_REPORT bounds it."""
    quota = turn.covering_quota(unit)
    if quota == 0:
        return turn.policy.max_report
    return min(quota * turn.policy.plausibility_factor, turn.policy.max_report)


def _hold(
    turn: Turn,
    unit: Unit,
    week: Week,
    request: ReportRequest,
    source: MessageRef,
    edited_at: datetime | None,
) -> list[Outbound]:
    held = _held(turn, unit, week, Reading(request.mode, request.amount), source, edited_at)
    covering = turn.covering_unit(unit)
    quota = covering.weekly_quota if covering else 0
    buttons = (
        Button(wording.BUTTON_CONFIRM, "confirm_held", str(held.id), typed=wording.TYPED_YES),
        Button(wording.BUTTON_CANCEL, "cancel_held", str(held.id), typed=wording.TYPED_NO),
    )
    words = wording.entry_words(request.mode, request.amount)
    text = wording.held_for_confirmation(unit, week, words, quota, covering)
    return turn.reply(text, buttons=buttons)


def _ask(
    turn: Turn,
    unit: Unit,
    week: Week,
    request: ReportRequest,
    source: MessageRef,
    edited_at: datetime | None,
) -> list[Outbound]:
    """The words allow two readings: hold the report and ask which one, once; the answer
    books it (like the plausibility question), a repeat changes nothing."""
    amount = request.amount
    if request.question is Question.WEEK_OR_CAMPAIGN:
        before = _campaign_before(turn, unit, week)
        if before == 0 or amount < before:
            # Only one reading is possible: the week's figure.
            settled = replace(request, question=None)
            if edited_at is None:
                return _book(
                    turn, unit, week, settled, source, turn.moment, late=week_is_late(turn, week)
                )
            entry = turn.store.ledger.entry_for(source)
            if entry is None:
                return turn.reply(wording.NOTHING_TO_CONFIRM)
            return _amend(turn, unit, week, entry, settled, edited_at)
        first, other = Reading(ReportMode.SET, amount), Reading(ReportMode.SET, amount - before)
        text = wording.ask_week_or_campaign(unit, week, amount, before)
        labels = (wording.button_this_week(amount), wording.button_whole_campaign(amount - before))
    else:
        first, other = Reading(ReportMode.ADD, amount), Reading(ReportMode.SET, amount)
        week_total = figures_of(turn, week, [unit])[unit.code].total
        text = wording.ask_add_or_total(unit, week, amount, week_total)
        labels = (wording.button_add(amount), wording.button_total(amount))
    held = _held(turn, unit, week, first, source, edited_at, other)
    buttons = (
        Button(labels[0], "confirm_held", str(held.id), typed="1"),
        Button(labels[1], "pick_other", str(held.id), typed="2"),
    )
    return turn.reply(text, buttons=buttons)


def _held(
    turn: Turn,
    unit: Unit,
    week: Week,
    reading: Reading,
    source: MessageRef,
    edited_at: datetime | None,
    other: Reading | None = None,
) -> PendingReport:
    """Nothing booked: the report waits, under the unit's lock, for its sender's answer."""
    turn.store.ledger.lock_unit(unit.code)
    return turn.store.pending_reports.hold(
        source=source,
        reporter=turn.sender,
        unit_code=unit.code,
        week_start=week.start,
        mode=reading.mode,
        amount=reading.amount,
        sent_at=turn.moment,
        edited_at=edited_at,
        at=turn.now,
        other=other,
    )


def week_is_late(turn: Turn, week: Week) -> bool:
    return week < turn.policy.week_of(turn.moment)


def _campaign_before(turn: Turn, unit: Unit, week: Week) -> int:
    """The unit's rolled-up figure over the campaign's weeks before `week`."""
    weeks = [earlier.start for earlier in campaign_weeks(turn.policy, week.start) if earlier < week]
    if not weeks:
        return 0
    totals = turn.store.ledger.totals_by_week(turn.campaign.id, weeks, [unit.code])
    return sum(figure.total for (code, _), figure in totals.items() if code == unit.code)


def _answer_button(turn: Turn, *, choice: int | None) -> list[Outbound]:
    args = turn.inbound.args
    held = (
        turn.store.pending_reports.get(int(args[0]))
        if len(args) == 1 and args[0].isdigit()
        else None
    )
    if held is None or held.reporter.key != turn.sender.key:
        return turn.reply(wording.NOTHING_TO_CONFIRM)
    return _resolve(turn, held, choice=choice)


def _answer_waiting(turn: Turn, yes: bool) -> list[Outbound]:
    held = turn.store.pending_reports.waiting(turn.sender, turn.inbound.chat)
    if held is None:
        return turn.reply(wording.NOTHING_TO_CONFIRM)
    if held.other is not None and yes:
        # «có» answers nothing when the question has two readings.
        return turn.reply(wording.held_already(held.state, question=True))
    return _resolve(turn, held, choice=1 if yes else None)


def _resolve(turn: Turn, held: PendingReport, *, choice: int | None) -> list[Outbound]:
    """Book the held report as the answer says: 1 its first reading (or «yes»), 2 the
    other reading, None nothing. A report is answered once (a conditional update)."""
    unit = _unit(turn, held.unit_code)
    turn.store.ledger.lock_unit(unit.code)
    state = PendingState.CANCELLED if choice is None else PendingState.CONFIRMED
    if not turn.store.pending_reports.resolve(held.id, state, turn.now):
        return turn.answer_press(wording.held_already(held.state, question=held.other is not None))
    reading = held.other if choice == 2 and held.other is not None else held.reading
    words = wording.entry_words(reading.mode, reading.amount)
    if choice is None:
        return turn.answer_press(wording.held_cancelled(unit, words))
    week = Week(held.week_start)
    # Confirming is the moment the change arrives: the week must still be open now.
    refusal = _week_refusal(turn, week, unit.code, at=turn.now)
    if refusal is not None:
        return turn.answer_press(refusal.text)
    request = ReportRequest(reading.mode, reading.amount)
    entry = turn.store.ledger.entry_for(held.source)
    if entry is None:
        late = week < turn.policy.week_of(held.sent_at)
        done = _book(turn, unit, week, request, held.source, held.sent_at, late=late)
    elif held.edited_at is None or entry.void:
        done = _already_recorded(turn, entry)
    else:
        done = _amend(turn, unit, week, entry, request, held.edited_at)
    answer, *others = done
    return turn.answer_press(answer.text) + others


# ---------------------------------------------------------------- checks


def _problem(turn: Turn, error: ParseError) -> str:
    return wording.parse_problem(error.problem, turn.policy.max_report, turn.policy.late_grace)


def _bounds_refusal(turn: Turn, request: ReportRequest) -> Refusal | None:
    max_report = turn.policy.max_report
    if request.mode is ReportMode.ADD and not 1 <= request.amount <= max_report:
        return Refusal(wording.add_out_of_bounds(max_report))
    if request.mode is ReportMode.SET and request.amount > max_report:
        return Refusal(wording.set_out_of_bounds(max_report))
    return None


def _week_refusal(
    turn: Turn, week: Week, unit_code: str, at: datetime | None = None
) -> Refusal | None:
    """Why a change to the unit's `week` arriving at `at` (default: when the message
    reached the platform) cannot be made; its admins may amend a locked week of the
    campaign."""
    moment = at or turn.arrived_at
    campaign = turn.campaign
    today = moment.astimezone(turn.policy.tz).date()
    if not campaign.exists or today < campaign.start:
        # No campaign runs: when the next starts; admins also hear how to start one.
        return Refusal(wording.no_campaign_running(campaign, today, admin=turn.is_any_admin()))
    if week.end < campaign.start:
        return Refusal(wording.campaign_not_started(campaign))
    if campaign.end is not None and week.start > campaign.end:
        return Refusal(wording.no_campaign_running(campaign, today, admin=turn.is_any_admin()))
    if turn.is_admin_for(unit_code):
        return None
    if turn.policy.has_ended(moment):
        return Refusal(wording.campaign_ended(campaign))
    if turn.policy.is_locked(week, moment):
        return Refusal(_locked_text(turn, week))
    return None


def _locked_text(turn: Turn, week: Week) -> str:
    locked_at = week.ends_at(turn.policy.tz) + turn.policy.late_grace
    return wording.week_locked(week, locked_at, turn.policy.tz)


def _already_recorded(turn: Turn, entry: ReportEntry) -> list[Outbound]:
    unit = _unit(turn, entry.unit_code)
    week = Week(entry.week_start)
    chain = chain_of(turn, unit)
    standing = standing_of(turn, unit, week, figures_of(turn, week, reply_units(chain)), chain)
    return turn.reply(wording.already_recorded(unit, week, standing, turn.metric))


def _unit(turn: Turn, code: str) -> Unit:
    unit = turn.store.units.get(code)
    if unit is None:
        raise LookupError(f"ledger names unit {code!r}, which is not in the unit table")
    return unit
