"""What the scheduled side needs of a running bot, as a port: jobs/ never imports the storage
or the application; `bot.core.Core` satisfies this, and so does a core over the in-memory
store in tests."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.clock import Clock
from bot.domain.model.entities import ChatRef
from bot.domain.model.messages import DeliveryLimits
from bot.domain.model.policy import Policy
from bot.domain.ports import Renderer, UnitOfWork


class JobCore(Protocol):
    @property
    def database(self) -> UnitOfWork: ...

    @property
    def policy(self) -> Policy: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def renderer(self) -> Renderer: ...

    def now(self) -> datetime: ...

    def refresh_campaign(self, now: datetime) -> None:
        """Work with the campaign current at `now` (a planned one may have started)."""
        ...


class Fence(Protocol):
    """The leader's right to run jobs and send the outbox, when several workers share one
    database (bot.cluster.leadership)."""

    def fenced_database(self) -> UnitOfWork:
        """The database for the leader's work: each write refused once the lease is lost."""
        ...

    def held(self) -> bool:
        """Whether the lease can still be this worker's, without asking the database."""
        ...


class Pacer(Protocol):
    """A platform's limits kept together with other workers' sends (replies included)."""

    async def book(self, chat: ChatRef, limits: DeliveryLimits) -> float:
        """Book the next moment a message to `chat` may go out: seconds from now."""
        ...
