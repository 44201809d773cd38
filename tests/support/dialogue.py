"""Talking to the domain directly: builds inbound messages the way a channel would."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from bot.domain.model.commands import split_command
from bot.domain.model.entities import ChatRef, Person
from bot.domain.model.messages import ChatKind, Inbound, Outbound
from bot.domain.model.policy import Policy
from bot.domain.ports import Store
from bot.domain.usecases import conversation

PLATFORM = "telegram"
T = TypeVar("T")


def person(user_id: int | str, name: str = "") -> Person:
    return Person(PLATFORM, str(user_id), name or f"Người dùng {user_id}")


class UnitOfWork(Protocol):
    def run(self, work: Callable[[Any], T]) -> T: ...


@dataclass
class Dialogue:
    store: Store | None
    policy: Policy
    now: datetime
    sent: dict[str, Inbound] = field(default_factory=dict)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    # When set, each message is handled in its own unit of work on this database.
    database: UnitOfWork | None = None

    def handle(self, inbound: Inbound, now: datetime) -> list[Outbound]:
        if self.database is not None:
            return self.database.run(
                lambda store: conversation.handle(inbound, store, self.policy, now)
            )
        assert self.store is not None
        return conversation.handle(inbound, self.store, self.policy, now)

    def query(self, work: Callable[[Any], T]) -> T:
        """Read the store (in a unit of work of its own on a database)."""
        if self.database is not None:
            return self.database.run(work)
        return work(self.store)

    def send(
        self,
        sender: Person,
        text: str,
        *,
        group: int | None = None,
        at: datetime | None = None,
        processed_at: datetime | None = None,
        replies_to_bot: bool = False,
    ) -> list[Outbound]:
        """Deliver a new message sent `at`, handled at `processed_at`; returns the answers."""
        chat = ChatRef(PLATFORM, str(group) if group is not None else sender.user_id)
        inbound = self._inbound(
            sender,
            chat,
            ChatKind.GROUP if group is not None else ChatKind.PRIVATE,
            text,
            message_id=str(next(self._ids)),
            sent_at=at or self.now,
            replies_to_bot=replies_to_bot,
        )
        self.sent[inbound.message_id or ""] = inbound
        return self.handle(inbound, processed_at or at or self.now)

    def last_message_id(self) -> str:
        return list(self.sent)[-1]

    def again(self, message_id: str, *, at: datetime | None = None) -> list[Outbound]:
        """The same message delivered once more."""
        return self.handle(self.sent[message_id], at or self.now)

    def edit(self, message_id: str, text: str, *, at: datetime) -> list[Outbound]:
        original = self.sent[message_id]
        inbound = self._inbound(
            original.sender,
            original.chat,
            original.chat_kind,
            text,
            message_id=message_id,
            sent_at=original.sent_at,
            edited_at=at,
            replies_to_bot=original.replies_to_bot,
        )
        return self.handle(inbound, at)

    def press(
        self,
        sender: Person,
        command: str,
        argument: str,
        *,
        button_message_id: str,
        group: int | None = None,
    ) -> list[Outbound]:
        inbound = Inbound(
            sender=sender,
            chat=ChatRef(PLATFORM, str(group) if group is not None else sender.user_id),
            chat_kind=ChatKind.PRIVATE if group is None else ChatKind.GROUP,
            sent_at=self.now,
            command=command,
            args=(argument,),
            button_message_id=button_message_id,
        )
        return self.handle(inbound, self.now)

    @staticmethod
    def _inbound(
        sender: Person,
        chat: ChatRef,
        kind: ChatKind,
        text: str,
        *,
        message_id: str,
        sent_at: datetime,
        edited_at: datetime | None = None,
        replies_to_bot: bool = False,
    ) -> Inbound:
        command, args = split_command(text)
        return Inbound(
            sender=sender,
            chat=chat,
            chat_kind=kind,
            sent_at=sent_at,
            text=text,
            command=command,
            args=args,
            message_id=message_id,
            edited_at=edited_at,
            replies_to_bot=replies_to_bot,
        )


def only_text(replies: list[Outbound]) -> str:
    assert len(replies) == 1, [r.text for r in replies]
    return replies[0].text
