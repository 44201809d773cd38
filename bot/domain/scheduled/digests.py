"""The digests officials subscribe to: weekly (figures, chart, spreadsheet) and monthly."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from bot.domain import wording
from bot.domain.model.collation import vietnamese_key
from bot.domain.model.entities import (
    NO_FIGURE,
    Figure,
    Unit,
)
from bot.domain.model.jobnames import JobName
from bot.domain.model.messages import ChartSpec, Outbound
from bot.domain.model.policy import Policy
from bot.domain.model.progress import ranking_key
from bot.domain.model.tree import UnitTree, scope_units, top_units
from bot.domain.model.views import (
    DigestBranch,
    DigestLine,
    MonthlyDigest,
    MonthlyLine,
    WeeklyDigest,
    level_key,
)
from bot.domain.model.weeks import Month, Week, local_date
from bot.domain.ports import Store
from bot.domain.scheduled.charts import ChartRow, count_chart, share_chart
from bot.domain.scheduled.reminders import reporting_units
from bot.domain.usecases.coverage import reached_units, without_reporter
from bot.domain.usecases.exports import campaign_weeks, month_table, week_table
from bot.domain.usecases.monthly import report_files

# How many weeks back "missed the quota N weeks running" looks.
STREAK_WINDOW = 8


# A weekly digest's text is at most this long: three Telegram messages (files aside).
DIGEST_BUDGET = 3 * 4000


CHART_MAX_BARS = 40


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
    previous = store.job_runs.previous(JobName.MONTHLY_DIGEST, slot)
    covered_until = previous.slot if previous is not None else None
    # A week still running would read as a shortfall: closed weeks only.
    return tuple(
        week
        for week in campaign_weeks(policy, local_date(slot, policy.tz))
        if week.ends_at(policy.tz) <= slot
        and (covered_until is None or week.ends_at(policy.tz) > covered_until)
    )
