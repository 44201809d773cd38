"""Spreadsheets: one row per unit, one column per week, with totals, quota and percent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

from bot.domain import wording
from bot.domain.model.entities import NO_FIGURE, Campaign, Figure, Unit
from bot.domain.model.messages import Column, Outbound, TableSpec
from bot.domain.model.policy import Policy
from bot.domain.model.progress import whole_percent
from bot.domain.model.tree import UnitTree, scope_units
from bot.domain.model.weeks import Month, Week, local_date
from bot.domain.ports import Store
from bot.domain.reading.parsing import fold
from bot.domain.reading.periods import parse_period
from bot.domain.usecases.turn import Turn

_WHOLE = frozenset({"", "all", "tatca", "tat ca"})

# Extra columns per unit code, appended after the standard ones.
Extra = tuple[tuple[Column, ...], Mapping[str, tuple[str | int | float | None, ...]]]
Totals = Mapping[tuple[str, date], Figure]


def percent_cell(total: int, quota: int) -> float | None:
    """The share as the spreadsheet's `0%` format shows it: the chat's whole percent, rounded
    down, stored as that ratio so Excel cannot round it up (17/200 is 8%, never 9%)."""
    return whole_percent(total, quota) / 100 if quota else None


def export(turn: Turn) -> list[Outbound]:
    """`/xuat`: the whole campaign, or a week or month as people name it («tuantruoc»,
    «tuan 37», «thang 9»)."""
    if not turn.is_any_admin():
        return turn.reply(wording.NOT_ADMIN)
    # A unit admin's spreadsheet holds their unit and everything below it.
    scope = turn.admin_unit()
    units = scope_units(turn.unit_tree(), scope) if scope is not None else None
    choice = fold(" ".join(turn.inbound.args).strip())
    today = local_date(turn.now, turn.policy.tz)
    period = None if choice in _WHOLE else parse_period(choice, today)
    month: Month | None = None
    spec: TableSpec | None = None
    if choice in _WHOLE:
        weeks = campaign_weeks(turn.policy, today)
        spec = whole_campaign_table(turn.store, turn.policy, weeks, units, as_of=turn.now)
    elif isinstance(period, Week):
        weeks = [period] if turn.policy.covers(period) else []
        spec = (
            week_table(turn.store, turn.policy, period, units=units, as_of=turn.now)
            if weeks
            else None
        )
    elif isinstance(period, Month):
        month = period
        weeks = month_weeks(turn.policy, month, today)
        spec = (
            month_table(turn.store, turn.policy, month, weeks, units=units, as_of=turn.now)
            if weeks
            else None
        )
    else:
        return turn.reply(wording.EXPORT_USAGE)
    if spec is None or not weeks:
        return turn.reply(wording.EXPORT_NOTHING_YET)
    return turn.reply(wording.export_ready(weeks, month), attachments=(spec,))


def month_weeks(policy: Policy, month: Month, today: date) -> list[Week]:
    """The weeks of a month that belong to the campaign and have begun by `today`."""
    return [week for week in month.weeks() if week.start <= today and policy.covers(week)]


def campaign_weeks(policy: Policy, today: date) -> list[Week]:
    """Every week of the campaign up to the one containing `today`."""
    return weeks_of(policy.campaign, today)


def weeks_of(campaign: Campaign, today: date) -> list[Week]:
    """A campaign's weeks up to the one containing `today` (all of them once it ended)."""
    last_day = today if campaign.end is None else min(today, campaign.end)
    weeks: list[Week] = []
    week = Week.containing(campaign.start)
    while week.start <= last_day:
        weeks.append(week)
        week = week.next()
    return weeks


def whole_campaign_table(
    store: Store,
    policy: Policy,
    weeks: Sequence[Week],
    units: Sequence[Unit] | None = None,
    as_of: datetime | None = None,
) -> TableSpec:
    return build_table(
        store,
        policy,
        weeks,
        wording.EXPORT_FILE_WHOLE,
        wording.EXPORT_SHEET_WHOLE,
        extra=None,
        units=units,
        as_of=as_of,
    )


def week_table(
    store: Store,
    policy: Policy,
    week: Week,
    extra: Extra | None = None,
    units: Sequence[Unit] | None = None,
    totals: Totals | None = None,
    tree: UnitTree | None = None,
    as_of: datetime | None = None,
) -> TableSpec:
    filename, title = wording.export_file_week(week), wording.export_sheet_week(week)
    span = wording.week_label(week, mid_sentence=True)
    return build_table(
        store, policy, [week], filename, title, extra, units, totals, tree, as_of=as_of, span=span
    )


def month_table(
    store: Store,
    policy: Policy,
    month: Month,
    weeks: Sequence[Week],
    extra: Extra | None = None,
    units: Sequence[Unit] | None = None,
    totals: Totals | None = None,
    as_of: datetime | None = None,
) -> TableSpec:
    filename, title = wording.export_file_month(month), wording.export_sheet_month(month)
    span = wording.month_span(month, weeks)
    return build_table(
        store, policy, weeks, filename, title, extra, units, totals, as_of=as_of, span=span
    )


def build_table(
    store: Store,
    policy: Policy,
    weeks: Sequence[Week],
    filename: str,
    sheet_title: str,
    extra: Extra | None,
    units: Sequence[Unit] | None = None,
    totals: Totals | None = None,
    tree: UnitTree | None = None,
    *,
    as_of: datetime | None = None,
    span: str | None = None,
) -> TableSpec:
    """The table for `units` (default: every active unit), in tree order, over `weeks`;
    `span` names the period above the table (default: the sheet's title).

    Each unit's figures are rolled up (its own entries and its sub-units'); the total row
    sums only the topmost listed units, so every entry is counted once.
    """
    tree = tree or UnitTree(store.units.active())
    listed = units if units is not None else [unit for _, unit in tree.ordered()]
    ordered = UnitTree(listed).ordered()
    if totals is None:
        codes = None if units is None else [unit.code for unit in units]
        totals = store.ledger.totals_by_week(policy.campaign.id, [w.start for w in weeks], codes)
    extra_columns, extra_values = extra if extra else ((), {})
    # With one week, its column is the total and the weekly quota is the period's quota.
    several = len(weeks) > 1

    def week_figures(code: str) -> list[int]:
        return [totals.get((code, week.start), NO_FIGURE).total for week in weeks]

    def reported(code: str) -> bool:
        return any(totals.get((code, week.start), NO_FIGURE).reported for week in weeks)

    columns = (*wording.export_columns(weeks, with_totals=several), *extra_columns)
    rows: list[tuple[str | int | float | None, ...]] = []
    for depth, unit in ordered:
        figures = week_figures(unit.code)
        # What the unit owes: without a quota of its own, its sub-units' (as the chat says).
        weekly_quota = tree.effective_quota(unit.code)
        period_quota = weekly_quota * len(weeks)
        total = sum(figures)
        rows.append(
            (
                unit.code,
                "  " * depth + unit.name,
                unit.parent or "",
                weekly_quota,
                *figures,
                *((total, period_quota) if several else ()),
                percent_cell(total, period_quota),
                wording.export_status(period_quota, total, reported(unit.code)),
                *extra_values.get(unit.code, (None,) * len(extra_columns)),
            )
        )
    tops = tree.tops(unit.code for unit in listed)
    week_sums = [sum(totals.get((u.code, w.start), NO_FIGURE).total for u in tops) for w in weeks]
    quota_sum = sum(tree.effective_quota(unit.code) for unit in tops)
    grand_total = sum(week_sums)
    grand_quota = quota_sum * len(weeks)
    rows.append(
        (
            "",
            wording.EXPORT_TOTAL_ROW,
            "",
            quota_sum,
            *week_sums,
            *((grand_total, grand_quota) if several else ()),
            percent_cell(grand_total, grand_quota),
            None,
            *((None,) * len(extra_columns)),
        )
    )
    scope = tops[0] if len(tops) == 1 and units is not None else None
    title_lines = wording.table_title_lines(
        policy.campaign, scope, span or sheet_title, as_of, policy.tz
    )
    return TableSpec(
        filename,
        sheet_title,
        tuple(columns),
        tuple(rows),
        title_lines=title_lines,
        total_row=True,
    )
