"""An in-memory implementation of the domain ports, for fast domain tests.

The storage contract tests run against it as well as against SQLite and PostgreSQL, so it
cannot drift from the real repositories unnoticed.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from bot.domain.model.entities import (
    AdminGrant,
    Announcement,
    Campaign,
    ChatRef,
    Figure,
    Invitation,
    Membership,
    MembershipStatus,
    MessageRef,
    PendingReport,
    PendingState,
    Person,
    Reading,
    ReportEntry,
    ReportMode,
    SenderFacts,
    Submission,
    Subscription,
    Unit,
    UnitWeekTotal,
)
from bot.domain.model.messages import Outbound
from bot.domain.model.views import BoardLink
from bot.domain.ports import AbandonedSend, JobRun, OutboxItem

T = TypeVar("T")


class DuplicateSource(Exception):
    """What the unique constraint on a ledger entry's source raises in a real database."""


@dataclass
class AuditRecord:
    entry_id: int
    action: str
    old_requested: int | None
    new_requested: int
    actor: Person


class MemoryUnits:
    def __init__(self) -> None:
        self.rows: dict[str, Unit] = {}

    def get(self, code: str) -> Unit | None:
        return self.rows.get(code)

    def chain(self, code: str) -> list[Unit]:
        units: list[Unit] = []
        unit = self.rows.get(code)
        while unit is not None and unit not in units:
            units.append(unit)
            unit = self.rows.get(unit.parent) if unit.parent else None
        return units

    def family(self, code: str) -> tuple[list[Unit], list[Unit]]:
        return self.chain(code), self.children(code)

    def active(self) -> list[Unit]:
        return sorted((u for u in self.rows.values() if u.active), key=lambda u: u.code)

    def everything(self) -> list[Unit]:
        return list(self.rows.values())

    def children(self, parent_code: str | None) -> list[Unit]:
        return [u for u in self.rows.values() if u.parent == parent_code and u.active]

    def upsert(self, unit: Unit) -> str:
        existing = self.rows.get(unit.code)
        self.rows[unit.code] = unit
        if existing is None:
            return "added"
        return "unchanged" if existing == unit else "updated"


class MemoryCampaigns:
    def __init__(self) -> None:
        self.rows: list[tuple[Campaign, bool]] = []

    def active(self) -> Campaign | None:
        return next((c for c, active in self.rows if active), None)

    def all(self) -> list[Campaign]:
        return sorted((c for c, _ in self.rows), key=lambda c: c.start)

    def activate(self, name: str, start: date, end: date | None, metric: str) -> Campaign:
        existing = next((c for c, _ in self.rows if c.name == name), None)
        campaign = Campaign(
            existing.id if existing else len(self.rows) + 1, name, start, end, metric
        )
        self.rows = [(c, False) for c, _ in self.rows if c.name != name] + [(campaign, True)]
        return campaign

    def quotas(self, campaign_id: int) -> dict[str, int]:
        # One campaign's quotas in the domain tests: the units' own.
        return {}

    def get(self, campaign_id: int) -> Campaign | None:
        return next((c for c, _ in self.rows if c.id == campaign_id), None)


class MemoryMembers:
    def __init__(self, units: MemoryUnits) -> None:
        self.units = units
        self.rows: list[Membership] = []
        self._ids = itertools.count(1)

    def reporting_unit(self, platform: str, user_id: str) -> Unit | None:
        membership = self.approved(platform, user_id)
        return self.units.get(membership.unit_code) if membership else None

    def _latest(self, platform: str, user_id: str, status: MembershipStatus) -> Membership | None:
        matches = [
            m
            for m in self.rows
            if m.person.platform == platform and m.person.user_id == user_id and m.status is status
        ]
        return max(matches, key=lambda m: m.id) if matches else None

    def approved(self, platform: str, user_id: str) -> Membership | None:
        return self._latest(platform, user_id, MembershipStatus.APPROVED)

    def secretaries(self, unit_codes: Sequence[str]) -> dict[str, list[Person]]:
        wanted = set(unit_codes)
        found: dict[str, list[Person]] = {}
        for m in self.rows:
            if m.status is MembershipStatus.APPROVED and m.unit_code in wanted:
                found.setdefault(m.unit_code, []).append(m.person)
        return found

    def pending(self, platform: str, user_id: str) -> Membership | None:
        return self._latest(platform, user_id, MembershipStatus.PENDING)

    def request(self, person: Person, unit_code: str, at: datetime) -> Membership:
        membership = Membership(next(self._ids), person, unit_code, MembershipStatus.PENDING, at)
        self.rows.append(membership)
        return membership

    def decide(
        self, membership_id: int, status: MembershipStatus, by: Person, at: datetime
    ) -> None:
        self.rows = [
            replace(m, status=status, decided_by=by.user_id) if m.id == membership_id else m
            for m in self.rows
        ]

    def get(self, membership_id: int) -> Membership | None:
        return next((m for m in self.rows if m.id == membership_id), None)

    def requests_since(self, platform: str, user_id: str, since: datetime) -> int:
        return sum(
            1 for m in self.rows if m.person.key == (platform, user_id) and m.requested_at >= since
        )

    def decide_pending(
        self, membership_id: int, status: MembershipStatus, by: Person, at: datetime
    ) -> bool:
        found = next((m for m in self.rows if m.id == membership_id), None)
        if found is None or found.status is not MembershipStatus.PENDING:
            return False
        self.decide(membership_id, status, by, at)
        return True

    def lock_person(self, platform: str, user_id: str) -> None:
        """Nothing runs concurrently in memory."""


class MemoryChats:
    def __init__(self, members: MemoryMembers) -> None:
        self.members = members
        self.rows: dict[ChatRef, str] = {}
        self.gone: set[ChatRef] = set()
        self.subscriptions: MemorySubscriptions | None = None

    def unit_of(self, chat: ChatRef) -> str | None:
        return self.rows.get(chat)

    def bind(self, chat: ChatRef, unit_code: str, by: Person, at: datetime) -> None:
        self.rows[chat] = unit_code

    def unit_chats(self, unit_codes: Sequence[str] | None) -> dict[str, list[ChatRef]]:
        return self._reachable(unit_codes, with_secretaries=True)

    def unit_groups(self, unit_codes: Sequence[str] | None) -> dict[str, list[ChatRef]]:
        return self._reachable(unit_codes, with_secretaries=False)

    def _reachable(
        self, unit_codes: Sequence[str] | None, *, with_secretaries: bool
    ) -> dict[str, list[ChatRef]]:
        pairs = {(code, chat) for chat, code in self.rows.items()}
        if with_secretaries:
            pairs |= {
                (m.unit_code, ChatRef(m.person.platform, m.person.user_id))
                for m in self.members.rows
                if m.status is MembershipStatus.APPROVED
            }
        found: dict[str, list[ChatRef]] = {}
        for code, chat in sorted(pairs, key=lambda p: (p[0], p[1].platform, p[1].chat_id)):
            if chat not in self.gone and (unit_codes is None or code in unit_codes):
                found.setdefault(code, []).append(chat)
        return found

    def mark_gone(self, chat: ChatRef, reason: str, at: datetime) -> None:
        self.gone.add(chat)

    def mark_reachable(self, chat: ChatRef, at: datetime) -> None:
        self.gone.discard(chat)

    def migrate(self, old: ChatRef, new: ChatRef, at: datetime) -> None:
        if old in self.rows:
            self.rows.setdefault(new, self.rows.pop(old))
        if old in self.gone:
            self.gone.discard(old)
            self.gone.add(new)
        if self.subscriptions is not None and old in self.subscriptions.rows:
            self.subscriptions.rows.setdefault(new, self.subscriptions.rows.pop(old))


class MemorySubmissions:
    def __init__(self) -> None:
        self.rows: list[tuple[int, int, Submission, bool]] = []  # campaign, id, row, replaced
        self._ids = itertools.count(1)

    def current(self, campaign_id: int, unit_code: str, month: str) -> Submission | None:
        return next(
            (
                s
                for c, _, s, replaced in self.rows
                if c == campaign_id
                and s.unit_code == unit_code
                and s.month == month
                and not replaced
            ),
            None,
        )

    def save(
        self,
        *,
        campaign_id: int,
        unit_code: str,
        month: str,
        text: str,
        file_id: str | None,
        file_name: str | None,
        submitter: Person,
        source: MessageRef,
        at: datetime,
    ) -> Submission:
        self.rows = [
            (
                c,
                i,
                s,
                replaced or (c == campaign_id and s.unit_code == unit_code and s.month == month),
            )
            for c, i, s, replaced in self.rows
        ]
        submission = Submission(
            next(self._ids), unit_code, month, text, file_id, file_name, submitter, at
        )
        self.rows.append((campaign_id, submission.id, submission, False))
        return submission

    def for_month(self, campaign_id: int, month: str) -> list[Submission]:
        return [
            s
            for c, _, s, replaced in self.rows
            if c == campaign_id and s.month == month and not replaced
        ]


class MemorySubscriptions:
    def __init__(self, chats: MemoryChats) -> None:
        self.chats = chats
        self.rows: dict[ChatRef, str | None] = {}

    def subscribe(self, chat: ChatRef, scope: str | None, by: Person, at: datetime) -> None:
        self.rows[chat] = scope

    def unsubscribe(self, chat: ChatRef) -> bool:
        return self.rows.pop(chat, "absent") != "absent"

    def of(self, chat: ChatRef) -> Subscription | None:
        return Subscription(chat, self.rows[chat]) if chat in self.rows else None

    def active(self) -> list[Subscription]:
        return [
            Subscription(chat, scope)
            for chat, scope in sorted(
                self.rows.items(), key=lambda i: (i[0].platform, i[0].chat_id)
            )
            if chat not in self.chats.gone
        ]


class MemoryAdmins:
    def __init__(self) -> None:
        # (platform, user id) -> the unit their rights cover (None: the whole district).
        self.rows: dict[tuple[str, str], str | None] = {}

    def is_admin(self, platform: str, user_id: str) -> bool:
        return (platform, user_id) in self.rows

    def granted(self, platform: str) -> list[str]:
        return [user for (p, user), unit in self.rows.items() if p == platform and unit is None]

    def grants(self) -> list[AdminGrant]:
        return [AdminGrant(p, user, unit) for (p, user), unit in sorted(self.rows.items())]

    def grant(
        self, platform: str, user_id: str, at: datetime, unit_code: str | None = None
    ) -> bool:
        key = (platform, user_id)
        if key in self.rows and self.rows[key] == unit_code:
            return False
        self.rows[key] = unit_code
        return True

    def revoke(self, platform: str, user_id: str) -> bool:
        return self.rows.pop((platform, user_id), "absent") != "absent"


class MemoryBoardLinks:
    def __init__(self) -> None:
        self.rows: dict[str, BoardLink] = {}

    def create(self, link: BoardLink) -> None:
        self.rows[link.token_hash] = link

    def get(self, token_hash: str) -> BoardLink | None:
        return self.rows.get(token_hash)

    def revoke_all(self, person: Person, at: datetime) -> int:
        mine = [
            key
            for key, link in self.rows.items()
            if link.person.key == person.key and link.revoked_at is None
        ]
        for key in mine:
            self.rows[key] = replace(self.rows[key], revoked_at=at)
        return len(mine)


class MemoryAnnouncements:
    def __init__(self) -> None:
        self.rows: dict[int, Announcement] = {}
        self.planned: set[int] = set()
        self.created = False

    def create(self, announcement: Announcement) -> int:
        new = len(self.rows) + 1
        self.rows[new] = replace(announcement, id=new)
        self.created = True
        return new

    def get(self, announcement_id: int) -> Announcement | None:
        return self.rows.get(announcement_id)

    def pending(self) -> list[int]:
        return [key for key in sorted(self.rows) if key not in self.planned]

    def mark_planned(self, announcement_id: int, at: datetime) -> None:
        self.planned.add(announcement_id)


class MemoryInvitations:
    def __init__(self) -> None:
        self.rows: dict[str, Invitation] = {}
        self.uses: list[tuple[str, Person, ChatRef, datetime]] = []

    def create(self, invitation: Invitation) -> None:
        assert invitation.code not in self.rows
        self.rows[invitation.code] = invitation

    def get(self, code: str) -> Invitation | None:
        return self.rows.get(code)

    def take(self, code: str, at: datetime) -> bool:
        invitation = self.rows.get(code)
        if invitation is None or invitation.refusal(at) is not None:
            return False
        self.rows[code] = replace(invitation, used=invitation.used + 1)
        return True

    def record_use(self, code: str, person: Person, chat: ChatRef, at: datetime) -> None:
        self.uses.append((code, person, chat, at))

    def revoke(self, code: str, at: datetime) -> bool:
        invitation = self.rows.get(code)
        if invitation is None or invitation.revoked_at is not None:
            return False
        self.rows[code] = replace(invitation, revoked_at=at)
        return True


class MemoryInbox:
    def __init__(self) -> None:
        self.rows: set[MessageRef] = set()

    def first_time(self, source: MessageRef, kind: str, at: datetime) -> bool:
        if source in self.rows:
            return False
        self.rows.add(source)
        return True


class MemoryLedger:
    def __init__(self, units: MemoryUnits) -> None:
        self.units = units
        self.entries: dict[int, ReportEntry] = {}
        self.audit: list[AuditRecord] = []
        self.locked: list[str] = []
        self._ids = itertools.count(1)

    def lock_unit(self, unit_code: str) -> None:
        self.locked.append(unit_code)

    def entry_for(self, source: MessageRef) -> ReportEntry | None:
        return next((e for e in self.entries.values() if e.source == source), None)

    def append(
        self,
        *,
        campaign_id: int,
        unit_code: str,
        week_start: date,
        mode: ReportMode,
        requested: int,
        reporter: Person,
        source: MessageRef,
        sent_at: datetime,
        recorded_at: datetime,
        effect: int = 0,
        text: str = "",
    ) -> ReportEntry:
        if self.entry_for(source) is not None:
            raise DuplicateSource(source)
        entry = ReportEntry(
            next(self._ids),
            campaign_id,
            unit_code,
            week_start,
            effect,
            mode,
            requested,
            reporter,
            source,
            sent_at,
            False,
        )
        self.entries[entry.id] = entry
        self.audit.append(AuditRecord(entry.id, "create", None, requested, reporter))
        return entry

    def reported_before(self, campaign_id: int, week_start: date, before: datetime) -> set[str]:
        return {
            e.unit_code
            for e in self.entries.values()
            if (e.campaign_id, e.week_start) == (campaign_id, week_start)
            and not e.void
            and e.sent_at < before
        }

    def week_records(
        self, campaign_id: int, unit_code: str, week_start: date
    ) -> list[tuple[datetime, Person, str, str, int, int, bool, tuple[Any, ...]]]:
        found = sorted(
            (
                e
                for e in self.entries.values()
                if (e.campaign_id, e.unit_code, e.week_start)
                == (campaign_id, unit_code, week_start)
            ),
            key=lambda e: (e.sent_at, e.id),
        )
        return [
            (e.sent_at, e.reporter, "", e.mode.value, e.requested, e.effect, e.void, ())
            for e in found
        ]

    def live_entries(
        self,
        campaign_id: int,
        unit_code: str,
        week_start: date,
        since: tuple[datetime, int] | None = None,
    ) -> list[ReportEntry]:
        return sorted(
            (
                e
                for e in self.entries.values()
                if e.campaign_id == campaign_id
                and e.unit_code == unit_code
                and e.week_start == week_start
                and not e.void
                and (since is None or (e.sent_at, e.id) >= since)
            ),
            key=lambda e: (e.sent_at, e.id),
        )

    def append_point(
        self, campaign_id: int, unit_code: str, week_start: date, sent_at: datetime
    ) -> tuple[int, bool]:
        live = self.live_entries(campaign_id, unit_code, week_start)
        total = sum(e.effect for e in live if e.sent_at <= sent_at)
        return total, any(e.sent_at > sent_at for e in live)

    def own_total_before(
        self, campaign_id: int, unit_code: str, week_start: date, place: tuple[datetime, int]
    ) -> int:
        return sum(
            e.effect
            for e in self.live_entries(campaign_id, unit_code, week_start)
            if (e.sent_at, e.id) < place
        )

    def set_effects(self, effects: Mapping[int, int]) -> None:
        for entry_id, effect in effects.items():
            self.entries[entry_id] = replace(self.entries[entry_id], effect=effect)

    def own_total(self, campaign_id: int, unit_code: str, week_start: date) -> int:
        return sum(e.effect for e in self.live_entries(campaign_id, unit_code, week_start))

    def last_live_entry(
        self, campaign_id: int, reporter: Person, week_starts: Sequence[date]
    ) -> ReportEntry | None:
        live = [
            e
            for e in self.entries.values()
            if e.campaign_id == campaign_id
            and not e.void
            and e.week_start in week_starts
            and (e.reporter.platform, e.reporter.user_id) == (reporter.platform, reporter.user_id)
        ]
        return max(live, key=lambda e: (e.sent_at, e.id)) if live else None

    def void(self, entry: ReportEntry, by: Person, at: datetime, source: MessageRef | None) -> None:
        current = self.entries[entry.id]
        self.entries[entry.id] = replace(current, void=True)
        self.audit.append(AuditRecord(entry.id, "void", current.requested, 0, by))

    def revise(
        self,
        entry: ReportEntry,
        *,
        mode: ReportMode,
        requested: int,
        by: Person,
        at: datetime,
        edited_at: datetime,
    ) -> ReportEntry:
        current = self.entries[entry.id]
        revised = replace(current, mode=mode, requested=requested, edited_at=edited_at)
        self.entries[entry.id] = revised
        self.audit.append(AuditRecord(entry.id, "edit", current.requested, requested, by))
        return revised

    def _subtree(self, code: str) -> list[str]:
        """The unit and every unit below it, active or not (their entries count)."""
        found, stack = [], [code]
        while stack:
            current = stack.pop()
            found.append(current)
            stack.extend(u.code for u in self.units.rows.values() if u.parent == current)
        return found

    def _rolled(self, campaign_id: int, week_start: date, code: str) -> Figure:
        own: dict[str, tuple[int, int]] = {}
        for e in self.entries.values():
            if e.void or e.campaign_id != campaign_id or e.week_start != week_start:
                continue
            total, count = own.get(e.unit_code, (0, 0))
            own[e.unit_code] = (total + e.effect, count + 1)
        below = self._subtree(code)
        self_total, self_count = own.get(code, (0, 0))
        return Figure(
            own=self_total,
            own_entries=self_count,
            total=sum(own.get(c, (0, 0))[0] for c in below),
            entries=sum(own.get(c, (0, 0))[1] for c in below),
            reporting_sub_units=sum(1 for c in below if c != code and own.get(c, (0, 0))[1]),
        )

    def totals_by_week(
        self, campaign_id: int, week_starts: Sequence[date], unit_codes: Sequence[str] | None
    ) -> dict[tuple[str, date], Figure]:
        codes = list(self.units.rows) if unit_codes is None else list(unit_codes)
        found: dict[tuple[str, date], Figure] = {}
        for week_start in week_starts:
            for code in codes:
                if code not in self.units.rows:
                    continue
                figure = self._rolled(campaign_id, week_start, code)
                if figure.entries:
                    found[(code, week_start)] = figure
        return found

    def week_totals(
        self, campaign_id: int, week_start: date, unit_codes: Sequence[str] | None
    ) -> list[UnitWeekTotal]:
        return [
            UnitWeekTotal(unit, self._rolled(campaign_id, week_start, unit.code))
            for unit in self.units.active()
            if unit_codes is None or unit.code in unit_codes
        ]


class MemoryPendingReports:
    def __init__(self) -> None:
        self.rows: dict[int, PendingReport] = {}
        self._ids = itertools.count(1)

    def hold(
        self,
        *,
        source: MessageRef,
        reporter: Person,
        unit_code: str,
        week_start: date,
        mode: ReportMode,
        amount: int,
        sent_at: datetime,
        edited_at: datetime | None,
        at: datetime,
        other: Reading | None = None,
    ) -> PendingReport:
        held = PendingReport(
            next(self._ids),
            source,
            reporter,
            unit_code,
            week_start,
            mode,
            amount,
            sent_at,
            edited_at,
            PendingState.WAITING,
            other,
        )
        self.rows[held.id] = held
        return held

    def get(self, pending_id: int) -> PendingReport | None:
        return self.rows.get(pending_id)

    def for_source(self, source: MessageRef) -> PendingReport | None:
        found = [p for p in self.rows.values() if p.source == source]
        return max(found, key=lambda p: p.id) if found else None

    def waiting(self, reporter: Person, chat: ChatRef) -> PendingReport | None:
        found = [
            p
            for p in self.rows.values()
            if p.reporter.key == reporter.key
            and p.state is PendingState.WAITING
            and (p.source.platform, p.source.chat_id) == (chat.platform, chat.chat_id)
        ]
        return max(found, key=lambda p: p.id) if found else None

    def resolve(self, pending_id: int, state: PendingState, at: datetime) -> bool:
        held = self.rows.get(pending_id)
        if held is None or held.state is not PendingState.WAITING:
            return False
        self.rows[pending_id] = replace(held, state=state)
        return True


class MemoryJobRuns:
    """The job ledger in memory, with the same claim rules as the SQL one."""

    def __init__(self) -> None:
        # (job, period) whose run happened, set directly by tests that need only that.
        self.done: set[tuple[str, str]] = set()
        self.runs: dict[tuple[str, str], JobRun] = {}
        self.claimed_at: dict[int, datetime] = {}
        self.outbox: MemoryOutbox | None = None

    def has_run(self, job: str, period: str) -> bool:
        run = self.runs.get((job, period))
        return (job, period) in self.done or (run is not None and run.state != "planning")

    def claim(
        self, job: str, period: str, slot: datetime, at: datetime, stale_after: timedelta
    ) -> tuple[JobRun, bool]:
        run = self.runs.get((job, period))
        if run is None:
            run = JobRun(len(self.runs) + 1, job, period, slot, "planning", 0, None)
            self.runs[(job, period)] = run
            self.claimed_at[run.id] = at
            return run, True
        if run.state == "planning" and self.claimed_at[run.id] <= at - stale_after:
            self.claimed_at[run.id] = at
            return run, True
        return run, False

    def _by_id(self, run_id: int) -> JobRun:
        return next(run for run in self.runs.values() if run.id == run_id)

    def planned(
        self, run_id: int, messages: int, at: datetime, claimed_at: datetime | None = None
    ) -> bool:
        run = self._by_id(run_id)
        if claimed_at is not None and (
            run.state != "planning" or self.claimed_at[run_id] != claimed_at
        ):
            return False
        self.runs[(run.job, run.period)] = replace(run, state="planned", messages=messages)
        return True

    def finish_completed(self, at: datetime) -> int:
        finished = 0
        for key, run in list(self.runs.items()):
            pending = self.outbox is not None and self.outbox.has_pending(run.id)
            if run.state == "planned" and not pending:
                self.runs[key] = replace(run, state="done", finished_at=at)
                finished += 1
        return finished

    def stale_planning(self, claimed_before: datetime) -> list[JobRun]:
        return [
            run
            for run in self.runs.values()
            if run.state == "planning" and self.claimed_at[run.id] <= claimed_before
        ]

    def latest(self) -> dict[str, JobRun]:
        found: dict[str, JobRun] = {}
        for run in sorted(self.runs.values(), key=lambda run: run.slot):
            found[run.job] = run
        return found

    def previous(self, job: str, before: datetime) -> JobRun | None:
        earlier = [run for run in self.runs.values() if run.job == job and run.slot < before]
        return max(earlier, key=lambda run: run.slot, default=None)


@dataclass
class _OutboxRow:
    id: int
    run_id: int | None
    message: Outbound
    state: str = "pending"
    attempts: int = 0
    not_before: datetime | None = None
    updated_at: datetime | None = None
    error: str | None = None


class MemoryOutbox:
    """The outbox in memory: the dispatcher's whole protocol, for fast tests."""

    def __init__(self) -> None:
        self.rows: list[_OutboxRow] = []

    def enqueue(self, run_id: int | None, parts: Sequence[Outbound], at: datetime) -> int:
        for part in parts:
            if len(part.attachments) > 1 or (part.attachments and part.text):
                raise ValueError("an outbox row is one send: a text or one rendered file")
            self.rows.append(_OutboxRow(len(self.rows) + 1, run_id, part, updated_at=at))
        return len(parts)

    def has_pending(self, run_id: int) -> bool:
        return any(row.run_id == run_id and row.state == "pending" for row in self.rows)

    def _pending(self, chat: ChatRef) -> list[_OutboxRow]:
        return [row for row in self.rows if row.state == "pending" and row.message.chat == chat]

    def ready_chats(self, at: datetime) -> list[ChatRef]:
        heads: dict[ChatRef, _OutboxRow] = {}
        for row in self.rows:
            if row.state == "pending":
                heads.setdefault(row.message.chat, row)
        return [
            chat
            for chat, head in sorted(heads.items(), key=lambda item: item[1].id)
            if head.not_before is None or head.not_before <= at
        ]

    def claim_next(self, chat: ChatRef, at: datetime) -> OutboxItem | None:
        pending = self._pending(chat)
        if not pending or (pending[0].not_before is not None and pending[0].not_before > at):
            return None
        head = pending[0]
        attempts = head.attempts
        head.state, head.attempts, head.updated_at = "sending", attempts + 1, at
        return OutboxItem(head.id, head.run_id, chat, head.message, attempts, len(pending) > 1)

    def _row(self, item_id: int) -> _OutboxRow:
        return self.rows[item_id - 1]

    def finish(self, item_id: int, state: str, at: datetime, error: str | None = None) -> None:
        row = self._row(item_id)
        row.state, row.updated_at, row.error = state, at, error

    def postpone(self, item_id: int, not_before: datetime, at: datetime, error: str) -> None:
        row = self._row(item_id)
        row.state, row.not_before, row.updated_at, row.error = "pending", not_before, at, error

    def drop_chat(self, chat: ChatRef, state: str, at: datetime) -> int:
        pending = self._pending(chat)
        for row in pending:
            row.state, row.updated_at = state, at
        return len(pending)

    def reroute(self, old: ChatRef, new: ChatRef, at: datetime) -> None:
        for row in self._pending(old):
            row.message = replace(row.message, chat=new)

    def next_wakeup(self) -> datetime | None:
        times = [r.not_before for r in self.rows if r.state == "pending" and r.not_before]
        return min(times) if times else None

    def abandon_in_flight(self, older_than: datetime, at: datetime) -> list[AbandonedSend]:
        stuck = [
            row
            for row in self.rows
            if row.state == "sending" and row.updated_at is not None and row.updated_at < older_than
        ]
        for row in stuck:
            row.state, row.updated_at = "unknown", at
        return [
            AbandonedSend(row.message.chat, (row.message.text.strip().splitlines() or [""])[0])
            for row in stuck
        ]

    def waiting(self, platform: str) -> int:
        return sum(
            1
            for row in self.rows
            if row.message.chat.platform == platform and row.state in ("pending", "sending")
        )

    def counts(self, run_id: int | None = None) -> dict[str, int]:
        found: dict[str, int] = {}
        for row in self.rows:
            if run_id is None or row.run_id == run_id:
                found[row.state] = found.get(row.state, 0) + 1
        return found


class MemoryDatabase:
    """The unit of work over a MemoryStore: work runs at once, in this process."""

    in_process = True

    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    def run(self, work: Callable[[Any], T]) -> T:
        return work(self.store)

    async def run_async(self, work: Callable[[Any], T]) -> T:
        return work(self.store)


class MemorySenders:
    def __init__(
        self,
        members: MemoryMembers,
        admins: MemoryAdmins,
        contacts: MemoryContacts,
        ledger: MemoryLedger,
    ):
        self.members, self.admins, self.contacts = members, admins, contacts
        self.ledger = ledger

    def facts(self, platform: str, user_id: str, message: MessageRef | None = None) -> SenderFacts:
        return SenderFacts(
            self.members.reporting_unit(platform, user_id),
            self.admins.is_admin(platform, user_id),
            self.contacts.chats.get((platform, user_id)),
            message is not None and self.ledger.entry_for(message) is not None,
            self.admins.rows.get((platform, user_id)),
        )


class MemoryContacts:
    def __init__(self) -> None:
        self.chats: dict[tuple[str, str], str] = {}

    def remember(self, platform: str, user_id: str, chat_id: str, at: datetime) -> bool:
        if (platform, user_id) in self.chats:
            return False
        self.chats[(platform, user_id)] = chat_id
        return True

    def private_chat(self, platform: str, user_id: str) -> ChatRef | None:
        chat_id = self.chats.get((platform, user_id))
        return ChatRef(platform, chat_id) if chat_id is not None else None


class MemoryMessageCounts:
    def __init__(self) -> None:
        self.counts: dict[tuple[str, str], int] = {}

    def add(self, platform: str, month: str, count: int) -> None:
        self.counts[(platform, month)] = self.counts.get((platform, month), 0) + count

    def sent(self, platform: str, month: str) -> int:
        return self.counts.get((platform, month), 0)


@dataclass
class MemoryStore:
    units: MemoryUnits = field(default_factory=MemoryUnits)
    campaigns: MemoryCampaigns = field(default_factory=MemoryCampaigns)
    members: MemoryMembers = field(init=False)
    chats: MemoryChats = field(init=False)
    submissions: MemorySubmissions = field(default_factory=MemorySubmissions)
    subscriptions: MemorySubscriptions = field(init=False)
    admins: MemoryAdmins = field(default_factory=MemoryAdmins)
    invitations: MemoryInvitations = field(default_factory=MemoryInvitations)
    announcements: MemoryAnnouncements = field(default_factory=MemoryAnnouncements)
    board_links: MemoryBoardLinks = field(default_factory=MemoryBoardLinks)
    inbox: MemoryInbox = field(default_factory=MemoryInbox)
    ledger: MemoryLedger = field(init=False)
    pending_reports: MemoryPendingReports = field(default_factory=MemoryPendingReports)
    job_runs: MemoryJobRuns = field(default_factory=MemoryJobRuns)
    contacts: MemoryContacts = field(default_factory=MemoryContacts)
    message_counts: MemoryMessageCounts = field(default_factory=MemoryMessageCounts)
    outbox: MemoryOutbox = field(default_factory=MemoryOutbox)
    senders: MemorySenders = field(init=False)

    def __post_init__(self) -> None:
        self.members = MemoryMembers(self.units)
        self.chats = MemoryChats(self.members)
        self.subscriptions = MemorySubscriptions(self.chats)
        self.chats.subscriptions = self.subscriptions
        self.ledger = MemoryLedger(self.units)
        self.job_runs.outbox = self.outbox
        self.senders = MemorySenders(self.members, self.admins, self.contacts, self.ledger)
