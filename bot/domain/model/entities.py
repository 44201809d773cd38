"""Plain data of the campaign: units, people, chats, ledger entries.

Ids coming from chat platforms are kept as strings: Telegram's are integers, Zalo's are
opaque strings, and one representation keeps the storage and the domain platform-free.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import NamedTuple

from bot.domain.model.weeks import Month


class UnitKind(StrEnum):
    DISTRICT = "district"
    WARD = "ward"
    YOUTH_UNION = "youth_union"
    PARTY_CELL = "party_cell"
    PARTY_COMMITTEE = "party_committee"
    MASS_ORG = "mass_org"
    AGENCY = "agency"


# How unit kinds are listed: the units with the big quotas first.
KIND_ORDER = (
    UnitKind.DISTRICT,
    UnitKind.WARD,
    UnitKind.YOUTH_UNION,
    UnitKind.PARTY_COMMITTEE,
    UnitKind.PARTY_CELL,
    UnitKind.MASS_ORG,
    UnitKind.AGENCY,
)


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    kind: UnitKind
    parent: str | None
    weekly_quota: int
    active: bool = True


@dataclass(frozen=True)
class Campaign:
    id: int
    name: str
    start: date
    end: date | None
    metric: str

    def is_running_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    @property
    def exists(self) -> bool:
        """False for NO_CAMPAIGN: none was ever created."""
        return self.id > 0

    def state(self, day: date) -> str:
        """ "planned", "running" or "ended" on `day`."""
        if day < self.start:
            return "planned"
        return "running" if self.end is None or day <= self.end else "ended"


# What the bot works with before any campaign was created: it never runs, covers no week and
# books nothing (every report is answered that no campaign is running).
NO_CAMPAIGN = Campaign(0, "", date.max, None, "lượt dự thi")


@dataclass(frozen=True)
class Person:
    platform: str
    user_id: str
    display_name: str = ""

    @property
    def key(self) -> tuple[str, str]:
        """Who the person is; the display name may change between messages."""
        return (self.platform, self.user_id)


@dataclass(frozen=True)
class ChatRef:
    platform: str
    chat_id: str


@dataclass(frozen=True)
class MessageRef:
    """Where a message came from; (platform, chat, message id) identifies it for good."""

    platform: str
    chat_id: str
    message_id: str


class MembershipStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    # A pending request replaced by a newer one, or an approval replaced by another unit's.
    SUPERSEDED = "superseded"


@dataclass(frozen=True)
class SenderFacts:
    """What the bot knows of a message's sender, read in one query: the unit they report
    for, whether an admin granted the rights in chat, their private chat if known, and
    whether the message itself is in the ledger already (a repeat, or an edit of a report)."""

    unit: Unit | None
    granted_admin: bool
    private_chat: str | None
    message_recorded: bool = False
    # With a grant: the unit whose subtree it covers (None: the whole district).
    admin_unit: str | None = None


@dataclass(frozen=True)
class AdminGrant:
    """Admin rights given in chat or on the command line: over the whole district
    (`unit_code` None) or over one unit and everything below it (a ward admin)."""

    platform: str
    user_id: str
    unit_code: str | None


@dataclass(frozen=True)
class Announcement:
    """A text (and a file kept by the platform it was sent on) for every chat of a scope
    (None: the whole district)."""

    id: int
    scope: str | None
    text: str
    by: Person
    created_at: datetime
    # The file sent with it: its id on `by.platform`, its name, "photo" or "document".
    file_id: str | None = None
    file_name: str | None = None
    file_kind: str | None = None


@dataclass(frozen=True)
class Invitation:
    """A code that makes whoever uses it a secretary of the unit (in a group: binds the
    group to it) without approval, up to `max_uses` people, until `expires_at`."""

    code: str
    unit_code: str
    max_uses: int
    used: int
    expires_at: datetime
    created_by: Person
    created_at: datetime
    revoked_at: datetime | None = None

    def refusal(self, now: datetime) -> str | None:
        """Why it can no longer be used at `now` ("revoked", "expired", "used_up"), if so."""
        if self.revoked_at is not None:
            return "revoked"
        if now >= self.expires_at:
            return "expired"
        if self.used >= self.max_uses:
            return "used_up"
        return None


@dataclass(frozen=True)
class Membership:
    id: int
    person: Person
    unit_code: str
    status: MembershipStatus
    requested_at: datetime
    # Who decided it (their user id on the same platform), once decided.
    decided_by: str | None = None


class ReportMode(StrEnum):
    ADD = "add"
    SET = "set"


@dataclass(frozen=True)
class ReportEntry:
    """One row of the append-only ledger: what a secretary said (`mode`, `requested`).

    A unit's own week figure is the fold of its live entries in the order they were sent:
    `set N` makes it N, `add N` adds N. `effect` is this entry's contribution to that fold,
    kept by the ledger so that sums in SQL give the fold; it is re-derived after every
    change, so a later `tổng N` stays a total whatever happens to entries before it.
    """

    id: int
    campaign_id: int
    unit_code: str
    week_start: date
    effect: int
    mode: ReportMode
    requested: int
    reporter: Person
    source: MessageRef
    sent_at: datetime
    void: bool
    # Platform timestamp of the latest edit applied; an older or repeated edit is ignored.
    edited_at: datetime | None = None


class Figure(NamedTuple):
    """A unit's figure for a week (or a period): its own entries plus every unit below it.

    A named tuple rather than a dataclass: a district-wide digest builds ~10^5 of them.
    """

    own: int = 0
    own_entries: int = 0
    # Rolled up: own plus every descendant's own figure, each counted once.
    total: int = 0
    entries: int = 0
    # Units below this one with at least one live entry.
    reporting_sub_units: int = 0

    @property
    def reported(self) -> bool:
        return self.entries > 0

    @property
    def from_sub_units(self) -> int:
        return self.total - self.own


def combined(figures: Iterable[Figure]) -> Figure:
    """Figures of units none of which is below another, taken together."""
    found = list(figures)
    return Figure(
        sum(f.own for f in found),
        sum(f.own_entries for f in found),
        sum(f.total for f in found),
        sum(f.entries for f in found),
        sum(f.reporting_sub_units for f in found),
    )


NO_FIGURE = Figure()


@dataclass(frozen=True)
class UnitWeekTotal:
    """A unit with its rolled-up figure for one week."""

    unit: Unit
    figure: Figure

    @property
    def total(self) -> int:
        return self.figure.total

    @property
    def reported(self) -> bool:
        return self.figure.reported


@dataclass(frozen=True)
class Submission:
    """A unit's monthly report (text and/or a file), the latest one for its month."""

    id: int
    unit_code: str
    month: str  # "2024-09"
    text: str
    file_id: str | None
    file_name: str | None
    submitter: Person
    submitted_at: datetime


@dataclass(frozen=True)
class BudgetUsage:
    """A platform's messages sent in a month against its monthly budget."""

    platform: str
    month: Month
    sent: int
    budget: int

    @property
    def left(self) -> int:
        return max(0, self.budget - self.sent)


@dataclass(frozen=True)
class Subscription:
    """A chat that receives digests for a unit and everything below it (None: everything)."""

    chat: ChatRef
    scope: str | None


class PendingState(StrEnum):
    WAITING = "waiting"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class Reading:
    """One way to book what a message says: add N, or make the week's total N."""

    mode: ReportMode
    amount: int


@dataclass(frozen=True)
class PendingReport:
    """A report held for confirmation: nothing is booked until its sender says yes."""

    id: int
    source: MessageRef
    reporter: Person
    unit_code: str
    week_start: date
    mode: ReportMode
    amount: int
    sent_at: datetime
    # Set when the held figure came from an edit of an existing report.
    edited_at: datetime | None
    state: PendingState
    # A question rather than a plausibility check: the other reading the sender may pick
    # («được 10»: +10 or a total of 10); None for «is this figure right?».
    other: Reading | None = None

    @property
    def reading(self) -> Reading:
        return Reading(self.mode, self.amount)
