"""Campaigns as data: one runs at a time; a planned one starts on its day; units, people,
groups, subscriptions and admins carry over, quotas and figures belong to a campaign.

Which campaign the bot works with on a day: the one running; between campaigns, the next
planned one (so a report is told when it starts), else the last one ended (told it ended);
before any was created, NO_CAMPAIGN.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime

from bot.domain import wording
from bot.domain.model.entities import NO_CAMPAIGN, NO_FIGURE, Campaign, Unit
from bot.domain.model.jobnames import CAMPAIGN_SUMMARY_RUN
from bot.domain.model.messages import Outbound, TableSpec
from bot.domain.model.policy import Policy
from bot.domain.model.tree import UnitTree, scope_units, top_units
from bot.domain.model.weeks import Week, local_date
from bot.domain.ports import Store
from bot.domain.usecases.exports import build_table, weeks_of
from bot.domain.usecases.turn import Turn


def current_campaign(campaigns: Sequence[Campaign], day: date) -> Campaign:
    running = [c for c in campaigns if c.is_running_on(day)]
    if running:
        return max(running, key=lambda c: c.start)
    planned = [c for c in campaigns if c.start > day]
    if planned:
        return min(planned, key=lambda c: c.start)
    if campaigns:
        return max(campaigns, key=lambda c: (c.end or date.max, c.start))
    return NO_CAMPAIGN


def overlapping(campaigns: Sequence[Campaign], start: date, end: date) -> Campaign | None:
    """A campaign whose days meet [start, end] (one runs at a time)."""
    for campaign in campaigns:
        if campaign.start <= end and (campaign.end is None or start <= campaign.end):
            return campaign
    return None


def show(turn: Turn) -> list[Outbound]:
    """`/cuocthi` (admins): the campaign the bot works with, and the next one planned."""
    if not turn.is_any_admin():
        return turn.reply(wording.NOT_ADMIN)
    today = local_date(turn.now, turn.policy.tz)
    campaigns = turn.store.campaigns.all()
    current = current_campaign(campaigns, today)
    upcoming = [c for c in campaigns if c.start > today and c.id != current.id]
    following = min(upcoming, key=lambda c: c.start) if upcoming else None
    return turn.reply(wording.campaign_card(current, following, today))


# ---------------------------------------------------------------- a campaign's own figures

SUMMARY_JOB = CAMPAIGN_SUMMARY_RUN


def campaign_tree(store: Store, campaign: Campaign) -> UnitTree:
    """The active units with that campaign's quotas (the unit table holds the current one's)."""
    quotas = store.campaigns.quotas(campaign.id)
    return UnitTree(
        replace(unit, weekly_quota=quotas.get(unit.code, unit.weekly_quota))
        for unit in store.units.active()
    )


def campaign_table(
    store: Store,
    policy: Policy,
    campaign: Campaign,
    today: date,
    scope: Unit | None = None,
    as_of: datetime | None = None,
) -> TableSpec:
    """The whole campaign's spreadsheet (its weeks, its quotas), for its scope."""
    tree = campaign_tree(store, campaign)
    weeks = weeks_of(campaign, today)
    return build_table(
        store,
        replace(policy, campaign=campaign),
        weeks,
        wording.EXPORT_FILE_WHOLE,
        wording.EXPORT_SHEET_WHOLE,
        extra=None,
        units=scope_units(tree, scope),
        tree=tree,
        as_of=as_of,
    )


def summary_due(campaign: Campaign, policy: Policy) -> datetime | None:
    """When the final summary goes: once its last week is closed for everyone (the late
    cut-off, Monday 12:00 by default); None while it has no end."""
    if campaign.end is None or not campaign.exists:
        return None
    return Week.containing(campaign.end).ends_at(policy.tz) + policy.late_grace


@dataclass(frozen=True)
class CampaignToDate:
    """A scope over a campaign's weeks: its total against what it owed, each top-level unit's
    (unit, total, quota over the weeks, weeks met, weeks owed), and the units that met their
    own quota every week."""

    scope: Unit | None
    weeks: tuple[Week, ...]
    total: int
    quota: int
    lines: tuple[tuple[Unit, int, int, int, int], ...]
    every_week: tuple[Unit, ...]


def campaign_to_date(
    store: Store, campaign: Campaign, today: date, scopes: Sequence[str | None]
) -> list[CampaignToDate]:
    """The campaign so far (all of it once ended) for each scope, from one read of the
    figures: the board's campaign page and the final summary."""
    tree = campaign_tree(store, campaign)
    weeks = weeks_of(campaign, today)
    starts = [week.start for week in weeks]
    totals = store.ledger.totals_by_week(campaign.id, starts, None)

    def week_totals(code: str) -> list[int]:
        return [totals.get((code, start), NO_FIGURE).total for start in starts]

    def weeks_met(code: str) -> int:
        quota = tree.effective_quota(code)
        return sum(1 for total in week_totals(code) if quota and total >= quota)

    found = []
    for code in scopes:
        scope = tree.by_code.get(code) if code else None
        scoped = scope_units(tree, scope)
        tops = tree.tops(unit.code for unit in scoped)
        lines = tuple(
            (
                unit,
                sum(week_totals(unit.code)),
                tree.effective_quota(unit.code) * len(weeks),
                weeks_met(unit.code),
                len(weeks) if tree.effective_quota(unit.code) else 0,
            )
            for unit in top_units(tree, scope)
        )
        found.append(
            CampaignToDate(
                scope,
                tuple(weeks),
                sum(sum(week_totals(unit.code)) for unit in tops),
                sum(tree.effective_quota(unit.code) for unit in tops) * len(weeks),
                lines,
                tuple(
                    unit
                    for unit in scoped
                    if unit.weekly_quota > 0 and weeks_met(unit.code) == len(weeks)
                ),
            )
        )
    return found


def final_summaries(
    store: Store, policy: Policy, campaign_id: int, now: datetime
) -> list[Outbound]:
    """The summary of an ended campaign, to every subscribed chat for its scope."""
    campaign = store.campaigns.get(campaign_id)
    if campaign is None or campaign.end is None:
        return []
    today = local_date(now, policy.tz)
    subscriptions = store.subscriptions.active()
    views = campaign_to_date(store, campaign, today, [s.scope for s in subscriptions])
    messages = []
    for subscription, view in zip(subscriptions, views, strict=True):
        text = wording.final_summary(
            campaign,
            view.scope,
            view.total,
            view.quota,
            view.lines,
            view.every_week,
            len(view.weeks),
        )
        table = campaign_table(store, policy, campaign, today, view.scope, as_of=now)
        messages.append(Outbound(subscription.chat, text, attachments=(table,)))
    return messages
