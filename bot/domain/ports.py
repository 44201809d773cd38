"""The ports the use cases need. Storage implements them; tests may pass recording fakes.

Repositories never commit: the caller's unit of work does, once per update or job.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from bot.domain.model.entities import (
    AdminGrant,
    Campaign,
    ChatRef,
    Figure,
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
from bot.domain.model.messages import (
    Attachment,
    ChartSpec,
    Delivery,
    DeliveryLimits,
    RenderedMessage,
    Send,
    TableSpec,
)
from bot.domain.rollout_ports import (
    AnnouncementRepository,
    BoardLinkRepository,
    InvitationRepository,
)

T = TypeVar("T")

if TYPE_CHECKING:
    from bot.domain.model.messages import Capabilities


class UnitRepository(Protocol):
    def get(self, code: str) -> Unit | None: ...

    def chain(self, code: str) -> list[Unit]:
        """The unit and every unit above it, nearest first; empty for an unknown code."""
        ...

    def family(self, code: str) -> tuple[list[Unit], list[Unit]]:
        """The unit's chain and its active children, read together (a report needs both)."""
        ...

    def active(self) -> list[Unit]: ...

    def children(self, parent_code: str | None) -> list[Unit]: ...


class CampaignRepository(Protocol):
    def active(self) -> Campaign | None: ...

    def all(self) -> list[Campaign]:
        """Every campaign, by start date."""
        ...

    def quotas(self, campaign_id: int) -> dict[str, int]:
        """Each unit's weekly quota in that campaign."""
        ...

    def get(self, campaign_id: int) -> Campaign | None: ...


class MembershipRepository(Protocol):
    def approved(self, platform: str, user_id: str) -> Membership | None: ...

    def pending(self, platform: str, user_id: str) -> Membership | None: ...

    def request(self, person: Person, unit_code: str, at: datetime) -> Membership: ...

    def get(self, membership_id: int) -> Membership | None: ...

    def requests_since(self, platform: str, user_id: str, since: datetime) -> int:
        """How many requests the person made from `since` on."""
        ...

    def decide(
        self, membership_id: int, status: MembershipStatus, by: Person, at: datetime
    ) -> None: ...

    def decide_pending(
        self, membership_id: int, status: MembershipStatus, by: Person, at: datetime
    ) -> bool:
        """pending -> status; False if the request was no longer pending (decided already)."""
        ...

    def lock_person(self, platform: str, user_id: str) -> None:
        """Serialise one person's requests, approvals and undos until the unit of work ends."""
        ...

    def secretaries(self, unit_codes: Sequence[str]) -> dict[str, list[Person]]:
        """The approved reporters of each unit, on every platform."""
        ...

    def reporting_unit(self, platform: str, user_id: str) -> Unit | None:
        """The unit of this person's approved membership (one query: asked on every report)."""
        ...


class ChatRepository(Protocol):
    def unit_of(self, chat: ChatRef) -> str | None: ...

    def bind(self, chat: ChatRef, unit_code: str, by: Person, at: datetime) -> None: ...

    def unit_chats(self, unit_codes: Sequence[str] | None) -> dict[str, list[ChatRef]]:
        """Where to reach each unit: its bound groups and its approved secretaries' private
        chats, without the chats that are gone (blocked the bot, deleted). One query."""
        ...

    def unit_groups(self, unit_codes: Sequence[str] | None) -> dict[str, list[ChatRef]]:
        """Only the bound groups of each unit, without those that are gone."""
        ...

    def mark_gone(self, chat: ChatRef, reason: str, at: datetime) -> None: ...

    def mark_reachable(self, chat: ChatRef, at: datetime) -> None: ...

    def migrate(self, old: ChatRef, new: ChatRef, at: datetime) -> None:
        """A group became a supergroup: its binding and subscription follow the new id."""
        ...


class AdminRepository(Protocol):
    def is_admin(self, platform: str, user_id: str) -> bool: ...

    def granted(self, platform: str) -> list[str]:
        """Users granted rights over the whole district on a platform."""
        ...

    def grants(self) -> list[AdminGrant]:
        """Every grant, district-wide and by unit, in a stable order."""
        ...

    def grant(
        self, platform: str, user_id: str, at: datetime, unit_code: str | None = None
    ) -> bool:
        """Give (or move) a person's rights; False when they already had exactly these."""
        ...

    def revoke(self, platform: str, user_id: str) -> bool: ...


class InboxRepository(Protocol):
    def first_time(self, source: MessageRef, kind: str, at: datetime) -> bool:
        """Record that `source` was handled; False if it already was (a repeated delivery)."""
        ...


class LedgerRepository(Protocol):
    def lock_unit(self, unit_code: str) -> None:
        """Serialise changes to one unit's entries until the unit of work ends."""
        ...

    def entry_for(self, source: MessageRef) -> ReportEntry | None: ...

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
        """A new live entry with the effect given (0, then the caller re-folds the week,
        unless it computed the effect from `append_point`)."""
        ...

    def append_point(
        self, campaign_id: int, unit_code: str, week_start: date, sent_at: datetime
    ) -> tuple[int, bool]:
        """For an entry about to be appended, sent at `sent_at`: the sum of the effects of
        the live entries sent until then, and whether any live entry was sent later (then
        the new one lands before it and the week must be re-folded)."""
        ...

    def reported_before(self, campaign_id: int, week_start: date, before: datetime) -> set[str]:
        """Units with a live entry of that week sent before `before` (on time: within the
        week, not a late «tuantruoc»)."""
        ...

    def week_records(
        self, campaign_id: int, unit_code: str, week_start: date
    ) -> list[tuple[datetime, Person, str, str, int, int, bool, tuple[Any, ...]]]:
        """A unit's own entries of a week, void ones too, in sending order, each with the
        text its sender wrote and its changes (action, when, who, old, new)."""
        ...

    def live_entries(
        self,
        campaign_id: int,
        unit_code: str,
        week_start: date,
        since: tuple[datetime, int] | None = None,
    ) -> list[ReportEntry]:
        """The unit's live entries of the week in sending order, (sent_at, id); with
        `since`, only those at or after that place."""
        ...

    def own_total_before(
        self, campaign_id: int, unit_code: str, week_start: date, place: tuple[datetime, int]
    ) -> int:
        """The sum of the effects of the live entries sent before `place`."""
        ...

    def set_effects(self, effects: Mapping[int, int]) -> None:
        """Store re-derived effects (entry id -> effect) after a re-fold."""
        ...

    def own_total(self, campaign_id: int, unit_code: str, week_start: date) -> int:
        """The unit's own figure (its entries only, not its sub-units')."""
        ...

    def last_live_entry(
        self, campaign_id: int, reporter: Person, week_starts: Sequence[date]
    ) -> ReportEntry | None:
        """The reporter's live entry sent last in these weeks."""
        ...

    def void(
        self, entry: ReportEntry, by: Person, at: datetime, source: MessageRef | None
    ) -> None: ...

    def revise(
        self,
        entry: ReportEntry,
        *,
        mode: ReportMode,
        requested: int,
        by: Person,
        at: datetime,
        edited_at: datetime,
    ) -> ReportEntry: ...

    def week_totals(
        self, campaign_id: int, week_start: date, unit_codes: Sequence[str] | None
    ) -> list[UnitWeekTotal]:
        """Rolled-up figures of the given active units (all active units for None): each
        unit's own entries plus those of every unit below it. One aggregate query."""
        ...

    def totals_by_week(
        self, campaign_id: int, week_starts: Sequence[date], unit_codes: Sequence[str] | None
    ) -> dict[tuple[str, date], Figure]:
        """(unit, week) -> rolled-up figure, for the weeks where the unit or a unit below it
        has a live entry. One aggregate query."""
        ...


class PendingReportRepository(Protocol):
    """Reports held until their sender confirms them (an implausibly large figure)."""

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
    ) -> PendingReport: ...

    def get(self, pending_id: int) -> PendingReport | None: ...

    def for_source(self, source: MessageRef) -> PendingReport | None:
        """The latest held report of this message, whatever became of it."""
        ...

    def waiting(self, reporter: Person, chat: ChatRef) -> PendingReport | None:
        """The reporter's latest report in this chat that still waits for an answer."""
        ...

    def resolve(self, pending_id: int, state: PendingState, at: datetime) -> bool:
        """waiting -> state; False if it was already answered."""
        ...


@dataclass(frozen=True)
class JobRun:
    id: int
    job: str
    period: str
    slot: datetime
    state: str  # planning -> planned -> done
    messages: int
    finished_at: datetime | None


class JobRunRepository(Protocol):
    """The job ledger. A period is claimed once; a claim that never got planned (a crash
    between claiming and queueing) can be taken over once it is stale."""

    def has_run(self, job: str, period: str) -> bool:
        """Whether the job's messages for this period were queued (planned or done)."""
        ...

    def claim(
        self, job: str, period: str, slot: datetime, at: datetime, stale_after: timedelta
    ) -> tuple[JobRun, bool]:
        """The run of (job, period) and whether the caller must plan it now."""
        ...

    def planned(
        self, run_id: int, messages: int, at: datetime, claimed_at: datetime | None = None
    ) -> bool:
        """planning -> planned; with `claimed_at`, only if that claim is still the current
        one (False: another process took the claim over)."""
        ...

    def finish_completed(self, at: datetime) -> int:
        """Planned runs with nothing left pending in the outbox become done."""
        ...

    def stale_planning(self, claimed_before: datetime) -> list[JobRun]: ...

    def latest(self) -> dict[str, JobRun]: ...

    def previous(self, job: str, before: datetime) -> JobRun | None:
        """The job's last run whose slot came before `before` (any state)."""
        ...


@dataclass(frozen=True)
class AbandonedSend:
    """A send caught in flight (a crash, a lost lead): it may or may not have arrived."""

    chat: ChatRef
    # The first line of its text (empty for a file).
    first_line: str


@dataclass(frozen=True)
class OutboxItem:
    """One send waiting in the outbox: a text or a single file, for one chat."""

    id: int
    run_id: int | None
    chat: ChatRef
    message: Send
    # Attempts made before this one.
    attempts: int
    # Whether more of the chat's sends wait behind this one.
    more: bool = False


class OutboxRepository(Protocol):
    """Sends waiting to go out, one row per send; states: pending -> sending -> sent, gone,
    unknown (in flight at a crash: never resent) or failed."""

    def enqueue(self, run_id: int | None, parts: Sequence[Send], at: datetime) -> int: ...

    def ready_chats(self, at: datetime) -> list[ChatRef]:
        """Chats whose oldest pending send is due, oldest first."""
        ...

    def claim_next(self, chat: ChatRef, at: datetime) -> OutboxItem | None:
        """The chat's oldest pending send, claimed (pending -> sending) if it is ready at
        `at`; None when the chat has none ready (a chat's sends keep their order)."""
        ...

    def finish(self, item_id: int, state: str, at: datetime, error: str | None = None) -> None: ...

    def postpone(self, item_id: int, not_before: datetime, at: datetime, error: str) -> None: ...

    def drop_chat(self, chat: ChatRef, state: str, at: datetime) -> int: ...

    def reroute(self, old: ChatRef, new: ChatRef, at: datetime) -> None: ...

    def next_wakeup(self) -> datetime | None: ...

    def abandon_in_flight(self, older_than: datetime, at: datetime) -> list[AbandonedSend]:
        """Sends left "sending" since before `older_than` become "unknown" (never resent);
        which they were, so that the admins can be told."""
        ...

    def waiting(self, platform: str) -> int:
        """Sends of a platform queued and not yet out."""
        ...

    def counts(self, run_id: int | None = None) -> dict[str, int]: ...


class SubmissionRepository(Protocol):
    def current(self, campaign_id: int, unit_code: str, month: str) -> Submission | None: ...

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
        """Store a unit's report for the month; an earlier one is kept, marked replaced."""
        ...

    def for_month(self, campaign_id: int, month: str) -> list[Submission]: ...


class SubscriptionRepository(Protocol):
    def subscribe(self, chat: ChatRef, scope: str | None, by: Person, at: datetime) -> None: ...

    def unsubscribe(self, chat: ChatRef) -> bool: ...

    def of(self, chat: ChatRef) -> Subscription | None: ...

    def active(self) -> list[Subscription]:
        """Subscriptions of chats that are not gone."""
        ...


class ContactRepository(Protocol):
    def remember(self, platform: str, user_id: str, chat_id: str, at: datetime) -> bool:
        """Keep where the person is reached in private; True the first time they write."""
        ...

    def private_chat(self, platform: str, user_id: str) -> ChatRef | None: ...


class SenderRepository(Protocol):
    def facts(self, platform: str, user_id: str, message: MessageRef | None = None) -> SenderFacts:
        """The sender's reporting unit, admin grant and private chat, and whether `message`
        has a ledger entry, in one read: every message needs them, and a report needs
        nothing else of the person."""
        ...


class MessageCountRepository(Protocol):
    """Messages sent per platform and local month ("2024-09"), for platforms with a budget."""

    def add(self, platform: str, month: str, count: int) -> None: ...

    def sent(self, platform: str, month: str) -> int: ...


class Store(Protocol):
    """Everything one unit of work can reach."""

    @property
    def units(self) -> UnitRepository: ...

    @property
    def campaigns(self) -> CampaignRepository: ...

    @property
    def members(self) -> MembershipRepository: ...

    @property
    def chats(self) -> ChatRepository: ...

    @property
    def admins(self) -> AdminRepository: ...

    @property
    def invitations(self) -> InvitationRepository: ...

    @property
    def announcements(self) -> AnnouncementRepository: ...

    @property
    def board_links(self) -> BoardLinkRepository: ...

    @property
    def inbox(self) -> InboxRepository: ...

    @property
    def ledger(self) -> LedgerRepository: ...

    @property
    def submissions(self) -> SubmissionRepository: ...

    @property
    def subscriptions(self) -> SubscriptionRepository: ...

    @property
    def pending_reports(self) -> PendingReportRepository: ...

    @property
    def job_runs(self) -> JobRunRepository: ...

    @property
    def contacts(self) -> ContactRepository: ...

    @property
    def senders(self) -> SenderRepository: ...

    @property
    def message_counts(self) -> MessageCountRepository: ...

    @property
    def outbox(self) -> OutboxRepository: ...


class LeaseLost(Exception):
    """A worker that no longer holds the leader's lease tried to write as the leader (the
    outbox, the job ledger): another worker leads now, and this write must not happen."""


class UnitOfWork(Protocol):
    """Runs a piece of work against a Store in one transaction (the database boundary)."""

    @property
    def in_process(self) -> bool:
        """Whether the work runs in this process (SQLite, memory): no thread needed."""
        ...

    def run(self, work: Callable[[Store], T]) -> T: ...

    async def run_async(self, work: Callable[[Store], T]) -> T: ...


class Renderer(Protocol):
    """Turns chart and table descriptions into files."""

    def render(self, spec: ChartSpec | TableSpec) -> Attachment: ...


class Notifier(Protocol):
    """Delivers outbound messages on one platform."""

    @property
    def platform(self) -> str:
        """The platform whose chats it reaches ("telegram", "console")."""
        ...

    @property
    def limits(self) -> DeliveryLimits: ...

    @property
    def capabilities(self) -> Capabilities:
        """What the platform can show (buttons, edits, text length, markup, files)."""
        ...

    def parts(self, message: RenderedMessage) -> list[Send]:
        """The message as the separate sends the platform needs (long text split, each file
        on its own), so that a delivery can be tracked one send at a time."""
        ...

    async def send(self, message: RenderedMessage) -> Delivery:
        """Deliver one message; transient failures (network, rate limit) raise."""
        ...
