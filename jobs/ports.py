"""What the scheduled side needs of a running bot, as a port: jobs/ never imports the storage
or the application; `bot.app.Core` satisfies this, and so does a core over the in-memory
store in tests."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from bot.clock import Clock
from bot.domain.policy import Policy
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
