"""The board (read-only web pages for officials): who may open it for which scope, its links,
and what its pages show, computed by the same code as /tiendo and the weekly digest.

A link (`/bangtin`) carries a random secret; the store keeps only its hash, with the person
and the scope, so a link can expire and be revoked (`/huybangtin`) and a page is always
limited to its scope on the server.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.domain import wording
from bot.domain.model.entities import NO_FIGURE, Person, Submission, Unit, UnitWeekTotal
from bot.domain.model.messages import Outbound
from bot.domain.model.policy import Policy
from bot.domain.model.progress import Progress, whole_percent
from bot.domain.model.tree import UnitTree, scope_units
from bot.domain.model.views import BoardLink, WeeklyDigest
from bot.domain.model.weeks import Month, Week, local_date
from bot.domain.ports import Store
from bot.domain.scheduled.digests import STREAK_WINDOW, build_weekly_digest, streak_totals
from bot.domain.usecases.coverage import reached_units, without_reporter
from bot.domain.usecases.exports import campaign_weeks
from bot.domain.usecases.turn import Turn

UNIT_WEEKS = 8


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def board_scope(turn: Turn) -> Unit | str | None:
    """The scope this sender may see on the board: an admin's (the district: None), a unit
    admin's unit, a chat subscribed to digests (its scope), a secretary's own unit; or why
    not (a str)."""
    if turn.is_admin():
        return None
    if turn.admin_unit() is not None:
        return turn.admin_unit()
    subscription = turn.store.subscriptions.of(turn.inbound.chat)
    if subscription is not None:
        return turn.store.units.get(subscription.scope) if subscription.scope else None
    unit = turn.member_unit()
    if unit is not None:
        return unit
    return wording.BOARD_NOT_ALLOWED


def open_board(turn: Turn) -> list[Outbound]:
    """`/bangtin`: a link that opens the board for the sender's scope, for BOARD_LINK_DAYS."""
    base = turn.policy.public_base_url
    if not base:
        return turn.reply(wording.BOARD_NEEDS_ADDRESS)
    scope = board_scope(turn)
    if isinstance(scope, str):
        return turn.reply(scope)
    token = secrets.token_urlsafe(24)
    expires = turn.now + timedelta(days=turn.policy.board_link_days)
    link = BoardLink(
        token_hash(token), turn.sender, scope.code if scope else None, turn.now, expires
    )
    turn.store.board_links.create(link)
    url = f"{base.rstrip('/')}/board/open/{token}"
    return [
        # The link is a secret: it goes to the person, never into a group.
        turn.to_user(turn.sender.user_id, wording.board_link(url, scope, expires, turn.policy.tz)),
        *([] if turn.inbound.is_private else turn.reply(wording.BOARD_LINK_SENT_PRIVATELY)),
    ]


def close_board(turn: Turn) -> list[Outbound]:
    """`/huybangtin`: every link this person asked for stops working."""
    count = turn.store.board_links.revoke_all(turn.sender, turn.now)
    return turn.reply(wording.board_links_revoked(count))


# ---------------------------------------------------------------- the pages


@dataclass(frozen=True)
class Overview:
    scope: Unit | None
    week: Week
    digest: WeeklyDigest
    # Units that owe something or said something, and those of them that reported.
    expected: int
    reported: int
    # Of those, reported within the week itself (not only late, after Sunday).
    on_time: int
    missing: tuple[Unit, ...]
    weeks: tuple[Week, ...]
    # Days left in the shown week, today included (0 for a past week).
    days_left: int = 0

    @property
    def missing_codes(self) -> frozenset[str]:
        return frozenset(unit.code for unit in self.missing)

    def percent(self, line: UnitWeekTotal) -> int | None:
        quota = line.unit.weekly_quota
        return whole_percent(line.total, quota) if quota else None

    def per_day(self, line: UnitWeekTotal) -> int:
        """The pace still needed: per day for the days left (0 when met or past)."""
        return Progress(line.total, line.unit.weekly_quota, self.days_left).per_day_needed


def overview(
    store: Store, policy: Policy, scope: Unit | None, week: Week, now: datetime
) -> Overview:
    """The scope's week as the digest sees it: total against quota, the top-level units in
    the digest's groups with their sub-units, the reporting rate, who has no reporter."""
    today = local_date(now, policy.tz)
    tree = UnitTree(store.units.active())
    window = [w for w in (week.shifted(-k) for k in range(STREAK_WINDOW)) if policy.covers(w)]
    totals = streak_totals(store, policy, tree, week, window)
    units = scope_units(tree, scope)
    digest = build_weekly_digest(tree, scope, units, week, window, totals)
    counted = [line for line in digest.lines if line.unit.weekly_quota > 0]
    reported = sum(1 for line in counted if line.reported)
    # On time: an entry of the unit or of a unit below it sent before the week ended.
    timely = store.ledger.reported_before(policy.campaign.id, week.start, week.ends_at(policy.tz))
    covered = set(timely)
    for code in timely:
        covered.update(above.code for above in tree.ancestors(code))
    on_time = sum(1 for line in counted if line.unit.code in covered)
    missing = without_reporter(tree, reached_units(store), scope)
    weeks = tuple(reversed(campaign_weeks(policy, today)))
    days_left = week.days_left(now, policy.tz) if week.start <= today <= week.end else 0
    return Overview(
        scope, week, digest, len(counted), reported, on_time, tuple(missing), weeks, days_left
    )


@dataclass(frozen=True)
class EntryView:
    sent_at: datetime
    reporter: Person
    text: str
    mode: str
    requested: int
    effect: int
    void: bool
    # (action, when, who, old requested, new requested): edits and undos as such.
    changes: tuple[tuple[str, datetime, str, int | None, int], ...]


@dataclass(frozen=True)
class UnitPage:
    unit: Unit
    week: Week
    quota: int
    history: tuple[tuple[Week, int, bool], ...]
    entries: tuple[EntryView, ...]
    sub_units: tuple[tuple[Unit, int, bool], ...]
    month: Month
    submission: Submission | None


def unit_page(store: Store, policy: Policy, unit: Unit, week: Week, today: date) -> UnitPage:
    tree = UnitTree(store.units.active())
    weeks = [w for w in (week.shifted(-k) for k in range(UNIT_WEEKS)) if policy.covers(w)]
    children = tree.children(unit.code)
    codes = [unit.code, *(child.code for child in children)]
    totals = store.ledger.totals_by_week(policy.campaign.id, [w.start for w in weeks], codes)

    def figure(code: str, w: Week) -> tuple[int, bool]:
        found = totals.get((code, w.start), NO_FIGURE)
        return found.total, found.reported

    history = tuple((w, *figure(unit.code, w)) for w in reversed(weeks))
    sub_units = tuple((child, *figure(child.code, week)) for child in children)
    entries = tuple(
        EntryView(*record)
        for record in store.ledger.week_records(policy.campaign.id, unit.code, week.start)
    )
    month = Month.of(datetime.combine(week.end, datetime.min.time(), policy.tz), policy.tz)
    submission = store.submissions.current(policy.campaign.id, unit.code, month.iso)
    quota = tree.effective_quota(unit.code) if unit.code in tree else unit.weekly_quota
    return UnitPage(unit, week, quota, history, entries, sub_units, month, submission)


def in_scope(store: Store, scope: str | None, unit: Unit) -> bool:
    """Whether the unit is the scope or below it (always, for the district)."""
    if scope is None:
        return True
    return any(above.code == scope for above in store.units.chain(unit.code))


def person_scope(store: Store, policy: Policy, person: Person) -> Unit | str | None:
    """The board scope of a person known only by id (opening the Telegram Mini App): an
    admin's, a unit admin's unit, a secretary's unit; or why not (a str)."""
    if policy.is_configured_admin(person):
        return None
    facts = store.senders.facts(person.platform, person.user_id)
    if facts.granted_admin:
        if facts.admin_unit is None:
            return None
        unit = store.units.get(facts.admin_unit)
        if unit is not None:
            return unit
    if facts.unit is not None:
        return facts.unit
    return wording.BOARD_NOT_ALLOWED


def open_session(store: Store, person: Person, scope: Unit | None, now: datetime) -> str:
    """A board session for a person whose scope was checked (the Mini App): a link of its own,
    kept like /bangtin's; returns its secret."""
    token = secrets.token_urlsafe(24)
    expires = now + timedelta(days=1)
    store.board_links.create(
        BoardLink(token_hash(token), person, scope.code if scope else None, now, expires)
    )
    return token
