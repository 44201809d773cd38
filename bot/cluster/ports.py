"""The ports of running several workers (implemented in bot.storage.coordination)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, TypeVar

from bot.domain.model.messages import DeliveryLimits
from bot.domain.ports import UnitOfWork
from bot.inbox.ports import ReceivedUpdate

T = TypeVar("T")


@dataclass(frozen=True)
class LeaseHolder:
    holder: str
    token: int
    expires_at: datetime
    acquired_at: datetime


@dataclass(frozen=True)
class LeaseFence:
    """A leader's right to write, as its writes carry it: the lease, the token it holds, and
    the moment (wall clock) the unit of work started."""

    name: str
    token: int
    at: datetime


class LeaseRepository(Protocol):
    def acquire(self, name: str, holder: str, ttl: timedelta, now: datetime) -> int | None: ...

    def renew(self, name: str, holder: str, token: int, ttl: timedelta, now: datetime) -> bool: ...

    def release(self, name: str, holder: str, token: int, now: datetime) -> None: ...

    def fence(self, name: str, token: int, now: datetime) -> None:
        """Raise LeaseLost unless `token` is still the lease's (for a leader's write)."""
        ...

    def current(self, name: str) -> LeaseHolder | None: ...


class SendSlotRepository(Protocol):
    def reserve(
        self, platform: str, chat_id: str, limits: DeliveryLimits, now: datetime
    ) -> datetime:
        """When this chat's next message may go out, that moment booked for it."""
        ...


class ChatTurnRepository(Protocol):
    def store_and_take(
        self, platform: str, update: ReceivedUpdate, holder: str, ttl: timedelta, now: datetime
    ) -> tuple[bool, ReceivedUpdate | None]: ...

    def renew(
        self, platform: str, chat_id: str, holder: str, ttl: timedelta, now: datetime
    ) -> bool: ...

    def take_and_next(
        self, platform: str, chat_id: str, holder: str, ttl: timedelta, now: datetime
    ) -> ReceivedUpdate | None: ...

    def handled_and_next(
        self,
        platform: str,
        chat_id: str,
        key: str,
        holder: str,
        ttl: timedelta,
        now: datetime,
        reply: str | None = None,
    ) -> ReceivedUpdate | None: ...

    def give_back(self, platform: str, chat_id: str, holder: str) -> None: ...

    def live_holders(self, platform: str, now: datetime) -> list[str]: ...

    def free_holders(self, platform: str, holders: Sequence[str]) -> None: ...

    def waiting_chats(
        self, platform: str, received_before: datetime, now: datetime
    ) -> list[str]: ...


class ClusterStore(Protocol):
    """What one unit of work reaches of the workers' shared state."""

    @property
    def leases(self) -> LeaseRepository: ...

    @property
    def chat_turns(self) -> ChatTurnRepository: ...

    @property
    def send_slots(self) -> SendSlotRepository: ...


class ClusterDatabase(Protocol):
    def run(self, work: Callable[[ClusterStore], T]) -> T: ...

    async def run_async(self, work: Callable[[ClusterStore], T]) -> T: ...

    def fenced(self, fence: Callable[[], LeaseFence]) -> UnitOfWork:
        """The same database for a leader's writes: every unit of work asks `fence` for the
        lease it writes under (raising LeaseLost when there is none) and each of its writes
        is refused once that lease is no longer current."""
        ...
