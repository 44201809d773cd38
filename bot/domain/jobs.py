"""The scheduled jobs, platform-free: for a slot (the time a job was due), who is told what.

Each job reads the store at `now` and returns the messages to send; charts and tables are
described, not drawn. A job's *period* names what one run covers (the reminder slot, the
week digested, the day nudged, the month digested): the job ledger runs each period once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.domain import wording
from bot.domain.charts import ChartRow, count_chart, share_chart
from bot.domain.collation import vietnamese_key
from bot.domain.coverage import DueReminder, delivered, reached_units, without_reporter
from bot.domain.exports import campaign_weeks, month_table, week_table
from bot.domain.jobnames import JobName
from bot.domain.messages import ChartSpec, Outbound
from bot.domain.model import NO_FIGURE, ChatRef, Figure, Submission, Unit, UnitKind, UnitWeekTotal
from bot.domain.monthly import report_files
from bot.domain.policy import Policy, ReminderTarget
from bot.domain.ports import AbandonedSend, Store
from bot.domain.progress import Place, Progress, Standing, place_of, ranking_key
from bot.domain.status import sub_unit_report
from bot.domain.tree import UnitTree, scope_units, top_units
from bot.domain.weeks import Month, Week, local_date

# How many weeks back "missed the quota N weeks running" looks.
STREAK_WINDOW = 8
# A weekly digest's text is at most this long: three Telegram messages (files aside).
DIGEST_BUDGET = 3 * 4000
CHART_MAX_BARS = 40

# (store, policy, slot, now, the other jobs due at the same slot) -> the messages.
Collect = Callable[[Store, Policy, datetime, datetime, frozenset[str]], list[Outbound]]
WEEKLY_REMINDER = JobName.WEEKLY_REMINDER
MONTHLY_NUDGE = JobName.MONTHLY_NUDGE
MONTHLY_DIGEST = JobName.MONTHLY_DIGEST


@dataclass(frozen=True)
class JobDefinition:
    name: str
    period: Callable[[datetime, Policy], str]
    # A run missed while the bot was down is still worth running this long after its slot.
    grace: timedelta
    # ... or only on the same local day as its slot (a reminder about "today").
    same_day_only: bool
    collect: Collect

    def still_useful(self, slot: datetime, now: datetime, policy: Policy) -> bool:
        if now < slot:
            return False
        if self.same_day_only:
            return local_date(slot, policy.tz) == local_date(now, policy.tz)
        return now - slot <= self.grace


# ---------------------------------------------------------------- weekly reminder


def weekly_reminders(
    store: Store,
    policy: Policy,
    slot: datetime,
    now: datetime,
    together: frozenset[str] = frozenset(),
) -> list[Outbound]:
    """Units behind their quota are reminded. When the monthly nudge falls due at the same
    slot, each chat gets one message carrying both."""
    dues = _weekly_dues(store, policy, slot, now)
    if MONTHLY_NUDGE in together:
        dues += _monthly_dues(store, policy, slot, now)
    return _delivered(store, policy, dues)


def _delivered(store: Store, policy: Policy, dues: Sequence[DueReminder]) -> list[Outbound]:
    """Each chat's one message for the slot; units nobody reports for passed up the tree."""
    if not dues:
        return []
    tree = UnitTree(store.units.active())
    return delivered(dues, tree, reminder_chats(store, policy, None))


def reminder_chats(
    store: Store, policy: Policy, codes: Sequence[str] | None
) -> dict[str, list[ChatRef]]:
    """Where each unit's reminders go, as the REMINDER_TARGET setting says (every unit's
    for None)."""
    everything = store.chats.unit_chats(codes)
    if policy.reminder_target is ReminderTarget.BOTH:
        return everything
    groups = store.chats.unit_groups(codes)
    chosen = {}
    for code, chats in everything.items():
        bound = groups.get(code, [])
        privates = [chat for chat in chats if chat not in bound]
        if policy.reminder_target is ReminderTarget.GROUP:
            chosen[code] = bound or privates
        else:
            chosen[code] = privates or bound
    return chosen


def _weekly_dues(store: Store, policy: Policy, slot: datetime, now: datetime) -> list[DueReminder]:
    week = policy.week_of(slot)
    if not policy.campaign.is_running_on(local_date(slot, policy.tz)):
        return []
    rows = {
        row.unit.code: row for row in store.ledger.week_totals(policy.campaign.id, week.start, None)
    }
    tree = UnitTree(row.unit for row in rows.values())
    behind = [r for r in rows.values() if r.unit.weekly_quota > 0 and r.total < r.unit.weekly_quota]
    dues = []
    # Furthest behind first: where a platform's message budget runs short, they are told.
    for row in sorted(behind, key=lambda r: (r.total / r.unit.weekly_quota, r.unit.code)):
        unit = row.unit
        standing = Standing(
            unit,
            row.figure,
            Progress(row.total, unit.weekly_quota, week.days_left(now, policy.tz)),
            tree.has_sub_units(unit.code),
            tree.sub_unit_noun(unit.code),
        )
        below = sub_unit_report(tree, rows, unit)
        text = wording.weekly_reminder(
            standing, week, below, policy.campaign.metric, _rank(tree, rows, unit)
        )
        gist = wording.weekly_gist(row.total, unit.weekly_quota)
        dues.append(DueReminder(unit, text, gist))
    return dues


def _rank(tree: UnitTree, rows: Mapping[str, UnitWeekTotal], unit: Unit) -> Place:
    """Where the unit stands among its siblings of the same kind (wards among wards)."""
    siblings = [
        rows[sibling.code]
        for sibling in tree.children(unit.parent)
        if sibling.kind is unit.kind and sibling.code in rows
    ]
    return place_of(siblings, unit.code, wording.KIND_PLURALS[unit.kind])


def uncertain_sends_notice(
    policy: Policy, platform: str, job: str, period: str, count: int
) -> list[Outbound]:
    """Sends that may or may not have arrived are never repeated: the admins hear of them."""
    text = wording.uncertain_sends_for_admins(job, period, count)
    return [
        Outbound(ChatRef(platform, user), text) for user in policy.configured_admin_ids(platform)
    ]


def abandoned_sends_notice(
    policy: Policy, platform: str, abandoned: Sequence[AbandonedSend]
) -> list[Outbound]:
    """Sends caught in flight are never repeated: the admins hear which ones, once."""
    if not abandoned:
        return []
    text = wording.abandoned_sends_for_admins([(s.chat.chat_id, s.first_line) for s in abandoned])
    return [
        Outbound(ChatRef(platform, user), text) for user in policy.configured_admin_ids(platform)
    ]


# ---------------------------------------------------------------- monthly nudge


def monthly_nudges(
    store: Store,
    policy: Policy,
    slot: datetime,
    now: datetime,
    together: frozenset[str] = frozenset(),
) -> list[Outbound]:
    if WEEKLY_REMINDER in together:
        return []  # carried by the weekly reminder of the same slot, one message per chat
    return _delivered(store, policy, _monthly_dues(store, policy, slot, now))


def _monthly_dues(store: Store, policy: Policy, slot: datetime, now: datetime) -> list[DueReminder]:
    month = Month.of(slot, policy.tz)
    due = policy.monthly_due(month)
    if now >= due or not policy.campaign.is_running_on(local_date(slot, policy.tz)):
        return []
    sent = {s.unit_code for s in store.submissions.for_month(policy.campaign.id, month.iso)}
    missing = [u for u in reporting_units(store.units.active()) if u.code not in sent]
    days_left = (due.date() - local_date(now, policy.tz)).days
    dues = [
        DueReminder(
            unit,
            wording.monthly_nudge(unit, month, due, days_left, policy.tz),
            wording.monthly_gist(month),
        )
        for unit in sorted(missing, key=lambda u: u.code)
    ]
    return dues


def reporting_units(units: Sequence[Unit]) -> list[Unit]:
    """Units that owe a monthly report: all but the district itself."""
    return [unit for unit in units if unit.kind is not UnitKind.DISTRICT]


# ---------------------------------------------------------------- weekly digest


@dataclass(frozen=True)
class DigestLine(UnitWeekTotal):
    # Weeks in a row below quota, ending with the digested week (0 when met or no quota).
    missed_weeks: int

    @property
    def standing(self) -> str:
        quota = self.unit.weekly_quota
        if quota > 0 and self.total >= quota:
            return "met"
        if not self.reported:
            return "silent"
        return "behind"

    @property
    def level_group(self) -> int:
        """Order within a level of the tree: behind, then not reported, then met (or, with
        no quota, reported)."""
        if self.unit.weekly_quota == 0:
            return 1 if not self.reported else 3
        return {"behind": 0, "silent": 1, "met": 2}[self.standing]


def level_key(line: DigestLine) -> tuple[int, float, bytes]:
    """Furthest behind first among the behind, best first among those that met."""
    quota = line.unit.weekly_quota
    share = line.total / quota if quota else 0.0
    group = line.level_group
    return (group, share if group == 0 else -share, vietnamese_key(line.unit.name))


@dataclass(frozen=True)
class DigestBranch:
    """A top-level unit of the scope (a ward, a district organisation) with its sub-units."""

    line: DigestLine
    sub_units: tuple[DigestLine, ...]
    # What the sub-units are called together ("chi bộ").
    noun: str


@dataclass(frozen=True)
class WeeklyDigest:
    scope: Unit | None
    week: Week
    # Every unit worth listing, ranked (for the chart and the counts).
    lines: tuple[DigestLine, ...]
    # The scope's own figure: every entry in it counted once, against what it must reach.
    total: int
    quota: int
    # The scope's top-level units in level order, each with its sub-units in level order.
    branches: tuple[DigestBranch, ...] = ()


def weekly_digests(
    store: Store,
    policy: Policy,
    slot: datetime,
    now: datetime,
    together: frozenset[str] = frozenset(),
) -> list[Outbound]:
    week = policy.week_of(slot).previous()
    subscriptions = store.subscriptions.active()
    if not subscriptions or not policy.covers(week):
        return []
    tree = UnitTree(store.units.active())
    window = [w for w in (week.shifted(-k) for k in range(STREAK_WINDOW)) if policy.covers(w)]
    totals = streak_totals(store, policy, tree, week, window)
    reached = reached_units(store)
    messages = []
    for subscription in subscriptions:
        scope = store.units.get(subscription.scope) if subscription.scope else None
        scoped = scope_units(tree, scope)
        digest = build_weekly_digest(tree, scope, scoped, week, window, totals)
        extra = (
            wording.DIGEST_EXTRA_COLUMNS,
            {line.unit.code: wording.digest_extra_values(line) for line in digest.lines},
        )
        table = week_table(
            store, policy, week, extra, units=scoped, totals=totals, tree=tree, as_of=now
        )
        # The digest ends with the scope's units nobody reports for.
        missing = without_reporter(tree, reached, scope)
        section = wording.no_reporter_section(missing, tree.by_code) if missing else ""
        text = wording.weekly_digest(digest, policy.campaign.metric, DIGEST_BUDGET - len(section))
        messages.append(
            Outbound(
                subscription.chat,
                f"{text}\n\n{section}" if section else text,
                attachments=(digest_chart(digest, policy.campaign.name), table),
            )
        )
    return messages


def streak_totals(
    store: Store, policy: Policy, tree: UnitTree, week: Week, window: Sequence[Week]
) -> dict[tuple[str, date], Figure]:
    """Figures of every unit for the digested week, and of the earlier weeks of the window
    only for the units below quota in it: a unit that met its quota has no streak to count."""
    totals = store.ledger.totals_by_week(policy.campaign.id, [week.start], None)
    behind = [
        unit.code
        for unit in tree.by_code.values()
        if unit.weekly_quota > 0
        and totals.get((unit.code, week.start), NO_FIGURE).total < unit.weekly_quota
    ]
    earlier = [w.start for w in window if w != week]
    if behind and earlier:
        totals.update(store.ledger.totals_by_week(policy.campaign.id, earlier, behind))
    return totals


def build_weekly_digest(
    tree: UnitTree,
    scope: Unit | None,
    units: Sequence[Unit],
    week: Week,
    window: Sequence[Week],
    totals: Mapping[tuple[str, date], Figure],
) -> WeeklyDigest:
    lines = []
    for unit in units:
        figure = totals.get((unit.code, week.start), NO_FIGURE)
        missed = 0
        if unit.weekly_quota > 0:
            for earlier in window:  # newest first
                if totals.get((unit.code, earlier.start), NO_FIGURE).total >= unit.weekly_quota:
                    break
                missed += 1
        lines.append(DigestLine(unit, figure, missed))
    ranked = sorted(
        lines, key=lambda line: ranking_key(line.total, line.unit.weekly_quota, line.unit.name)
    )
    tops = tree.tops(unit.code for unit in units)
    total = sum(totals.get((unit.code, week.start), NO_FIGURE).total for unit in tops)
    quota = sum(tree.effective_quota(unit.code) for unit in tops)
    listed = tuple(line for line in ranked if _worth_listing(line))
    by_code = {line.unit.code: line for line in lines}
    branches = []
    for top in top_units(tree, scope):
        if top.code not in by_code or not _owes_or_said(tree, by_code[top.code]):
            continue
        below = [
            by_code[child.code]
            for child in tree.children(top.code)
            if child.code in by_code and _owes_or_said(tree, by_code[child.code])
        ]
        below.sort(key=level_key)
        branches.append(DigestBranch(by_code[top.code], tuple(below), tree.sub_unit_noun(top.code)))
    branches.sort(key=lambda branch: level_key(branch.line))
    return WeeklyDigest(scope, week, listed, total, quota, tuple(branches))


def _worth_listing(line: DigestLine) -> bool:
    return line.unit.weekly_quota > 0 or line.reported


def _owes_or_said(tree: UnitTree, line: DigestLine) -> bool:
    """Listed in the tree: a unit that reported, or one whose entries count toward a quota
    (its own, its sub-units', or its ward's: a silent cell of a ward is news)."""
    code = line.unit.code
    return (
        line.reported
        or tree.effective_quota(code) > 0
        or any(above.weekly_quota > 0 for above in tree.ancestors(code))
    )


def digest_chart(digest: WeeklyDigest, campaign: str) -> ChartSpec:
    """The scope's top-level units against their quotas (the district's wards and
    organisations, a ward's cells when they carry quotas); a ward whose cells owe nothing of
    their own gets their entries counted instead. Beyond CHART_MAX_BARS, the lowest shares."""
    tops = [branch.line for branch in digest.branches]
    with_quota = [line for line in tops if line.unit.weekly_quota > 0]
    filename = wording.chart_file(digest.week)
    if not with_quota and tops:
        shown = sorted(tops, key=lambda line: (-line.total, vietnamese_key(line.unit.name)))
        rows = [
            ChartRow(line.unit, line.total, 0, "reported" if line.reported else "silent")
            for line in shown[:CHART_MAX_BARS]
        ]
        title = wording.chart_title(campaign, digest.scope, digest.week, counts=True)
        return count_chart(filename, title, rows)
    chosen = sorted(
        with_quota,
        key=lambda line: ranking_key(line.total, line.unit.weekly_quota, line.unit.name),
    )
    lowest_only = 0
    if len(chosen) > CHART_MAX_BARS:
        chosen = sorted(chosen, key=lambda line: line.total / line.unit.weekly_quota)
        chosen = chosen[:CHART_MAX_BARS]
        lowest_only = len(chosen)
    rows = [
        ChartRow(line.unit, line.total, line.unit.weekly_quota, line.standing) for line in chosen
    ]
    title = wording.chart_title(
        campaign, digest.scope, digest.week, counts=False, lowest_only=lowest_only
    )
    return share_chart(filename, title, rows)


# ---------------------------------------------------------------- monthly digest


@dataclass(frozen=True)
class MonthlyLine:
    unit: Unit
    submission: Submission | None
    on_time: bool
    month_total: int


@dataclass(frozen=True)
class MonthlyDigest:
    scope: Unit | None
    month: Month
    due: datetime
    weeks: tuple[Week, ...]
    lines: tuple[MonthlyLine, ...]
    # Every entry in the scope over those weeks, counted once.
    month_total: int


def monthly_digests(
    store: Store,
    policy: Policy,
    slot: datetime,
    now: datetime,
    together: frozenset[str] = frozenset(),
) -> list[Outbound]:
    month = Month.of(slot, policy.tz)
    subscriptions = store.subscriptions.active()
    weeks = undigested_weeks(store, policy, slot)
    running = policy.campaign.is_running_on(local_date(slot, policy.tz))
    # After the campaign's end one more digest still brings its last weeks in.
    if not subscriptions or not (running or weeks):
        return []
    due = policy.monthly_due(month)
    submissions = {
        s.unit_code: s for s in store.submissions.for_month(policy.campaign.id, month.iso)
    }
    tree = UnitTree(store.units.active())
    totals = store.ledger.totals_by_week(policy.campaign.id, [w.start for w in weeks], None)

    def month_total(code: str) -> int:
        return sum(totals.get((code, w.start), NO_FIGURE).total for w in weeks)

    messages = []
    for subscription in subscriptions:
        scope = store.units.get(subscription.scope) if subscription.scope else None
        everything = scope_units(tree, scope)
        scoped = reporting_units(everything)
        lines = []
        for unit in scoped:
            submission = submissions.get(unit.code)
            on_time = submission is not None and submission.submitted_at < due
            lines.append(MonthlyLine(unit, submission, on_time, month_total(unit.code)))
        lines.sort(key=lambda line: vietnamese_key(line.unit.name))
        scope_total = sum(month_total(u.code) for u in tree.tops(u.code for u in everything))
        digest = MonthlyDigest(scope, month, due, weeks, tuple(lines), scope_total)
        extra = (
            wording.MONTHLY_EXTRA_COLUMNS,
            {line.unit.code: wording.monthly_extra_values(line, policy.tz) for line in lines},
        )
        # The sheet lists the scope's own row too, as the weekly one does.
        table = month_table(
            store, policy, month, weeks, extra, units=everything, totals=totals, as_of=now
        )
        files = [
            file
            for line in lines
            if line.submission is not None
            for file in report_files(line.submission, line.unit, subscription.chat.platform, month)
        ]
        messages.append(
            Outbound(
                subscription.chat,
                wording.monthly_digest(digest, policy.tz, policy.campaign.metric, DIGEST_BUDGET),
                attachments=(table, *files),
            )
        )
    return messages


def undigested_weeks(store: Store, policy: Policy, slot: datetime) -> tuple[Week, ...]:
    """The closed weeks of the campaign that no earlier monthly digest covered: each digest
    takes the weeks that ended after the previous one's slot (the first, every week since the
    campaign began), so every closed week is in exactly one, whichever slots were missed."""
    previous = store.job_runs.previous(MONTHLY_DIGEST, slot)
    covered_until = previous.slot if previous is not None else None
    # A week still running would read as a shortfall: closed weeks only.
    return tuple(
        week
        for week in campaign_weeks(policy, local_date(slot, policy.tz))
        if week.ends_at(policy.tz) <= slot
        and (covered_until is None or week.ends_at(policy.tz) > covered_until)
    )


# ---------------------------------------------------------------- the job table


def _slot_period(slot: datetime, policy: Policy) -> str:
    return slot.astimezone(policy.tz).strftime("%Y-%m-%dT%H:%M")


def _digested_week(slot: datetime, policy: Policy) -> str:
    return policy.week_of(slot).previous().iso


def _day(slot: datetime, policy: Policy) -> str:
    return local_date(slot, policy.tz).isoformat()


def _month(slot: datetime, policy: Policy) -> str:
    return Month.of(slot, policy.tz).iso


JOBS: dict[str, JobDefinition] = {
    job.name: job
    for job in (
        JobDefinition(WEEKLY_REMINDER, _slot_period, timedelta(0), True, weekly_reminders),
        JobDefinition(
            JobName.WEEKLY_DIGEST, _digested_week, timedelta(days=2), False, weekly_digests
        ),
        JobDefinition(MONTHLY_NUDGE, _day, timedelta(0), True, monthly_nudges),
        JobDefinition(MONTHLY_DIGEST, _month, timedelta(days=2), False, monthly_digests),
    )
}
