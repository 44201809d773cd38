"""Chats: a unit's bound groups, their state, and the digests' subscriptions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.domain.model.entities import (
    ChatRef,
    MembershipStatus,
    Person,
    Subscription,
)
from bot.storage.schema import CONTACT, MAX_CODES_IN_QUERY, MEMBERSHIP, _param, table_of
from bot.storage.tables import (
    ChatBindingRow,
    ChatStateRow,
    DigestSubscriptionRow,
)

CHAT = table_of(ChatBindingRow)
SUBSCRIPTION = table_of(DigestSubscriptionRow)
CHAT_STATE = table_of(ChatStateRow)
CHAT_UNIT = sa.select(CHAT.c.unit_code).where(
    CHAT.c.platform == _param("platform"),
    CHAT.c.chat_id == _param("chat_id"),
    CHAT.c.active.is_(True),
)


class SqlChats:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def _key(self, chat: ChatRef) -> sa.ColumnElement[bool]:
        return sa.and_(CHAT.c.platform == chat.platform, CHAT.c.chat_id == chat.chat_id)

    def unit_of(self, chat: ChatRef) -> str | None:
        row = self.connection.execute(
            CHAT_UNIT, {"platform": chat.platform, "chat_id": chat.chat_id}
        ).first()
        return row.unit_code if row else None

    def bind(self, chat: ChatRef, unit_code: str, by: Person, at: datetime) -> None:
        values = {"unit_code": unit_code, "bound_by": by.user_id, "bound_at": at, "active": True}
        updated = self.connection.execute(sa.update(CHAT).where(self._key(chat)).values(**values))
        if updated.rowcount == 0:
            self.connection.execute(
                sa.insert(CHAT).values(platform=chat.platform, chat_id=chat.chat_id, **values)
            )

    def unit_chats(self, unit_codes: Sequence[str] | None) -> dict[str, list[ChatRef]]:
        return self._reachable(unit_codes, with_secretaries=True)

    def unit_groups(self, unit_codes: Sequence[str] | None) -> dict[str, list[ChatRef]]:
        return self._reachable(unit_codes, with_secretaries=False)

    def _reachable(
        self, unit_codes: Sequence[str] | None, *, with_secretaries: bool
    ) -> dict[str, list[ChatRef]]:
        wanted = None if unit_codes is None else set(unit_codes)
        by_query = wanted is not None and len(wanted) <= MAX_CODES_IN_QUERY
        groups = sa.select(CHAT.c.unit_code, CHAT.c.platform, CHAT.c.chat_id).where(
            CHAT.c.active.is_(True)
        )
        # A secretary's private chat as the platform gave it; before any private message
        # was seen (or on Telegram, where they are equal), the user id.
        privates = (
            sa.select(
                MEMBERSHIP.c.unit_code,
                MEMBERSHIP.c.platform,
                sa.func.coalesce(CONTACT.c.chat_id, MEMBERSHIP.c.user_id).label("chat_id"),
            )
            .select_from(
                MEMBERSHIP.outerjoin(
                    CONTACT,
                    sa.and_(
                        CONTACT.c.platform == MEMBERSHIP.c.platform,
                        CONTACT.c.user_id == MEMBERSHIP.c.user_id,
                    ),
                )
            )
            .where(MEMBERSHIP.c.status == MembershipStatus.APPROVED.value)
        )
        if by_query and wanted is not None:
            groups = groups.where(CHAT.c.unit_code.in_(sorted(wanted)))
            privates = privates.where(MEMBERSHIP.c.unit_code.in_(sorted(wanted)))
        reachable = (sa.union(groups, privates) if with_secretaries else groups).subquery()
        query = (
            sa.select(reachable.c.unit_code, reachable.c.platform, reachable.c.chat_id)
            .select_from(
                reachable.outerjoin(
                    CHAT_STATE,
                    sa.and_(
                        CHAT_STATE.c.platform == reachable.c.platform,
                        CHAT_STATE.c.chat_id == reachable.c.chat_id,
                    ),
                )
            )
            .where(sa.or_(CHAT_STATE.c.gone.is_(None), CHAT_STATE.c.gone.is_(False)))
            .order_by(reachable.c.unit_code, reachable.c.platform, reachable.c.chat_id)
        )
        found: dict[str, list[ChatRef]] = {}
        for row in self.connection.execute(query):
            if wanted is None or row.unit_code in wanted:
                found.setdefault(row.unit_code, []).append(ChatRef(row.platform, row.chat_id))
        return found

    def _state_key(self, chat: ChatRef) -> sa.ColumnElement[bool]:
        return sa.and_(CHAT_STATE.c.platform == chat.platform, CHAT_STATE.c.chat_id == chat.chat_id)

    def mark_gone(self, chat: ChatRef, reason: str, at: datetime) -> None:
        values = {"gone": True, "reason": reason[:200], "updated_at": at}
        updated = self.connection.execute(
            sa.update(CHAT_STATE).where(self._state_key(chat)).values(**values)
        )
        if updated.rowcount == 0:
            self.connection.execute(
                sa.insert(CHAT_STATE).values(platform=chat.platform, chat_id=chat.chat_id, **values)
            )

    def mark_reachable(self, chat: ChatRef, at: datetime) -> None:
        self.connection.execute(
            sa.update(CHAT_STATE)
            .where(self._state_key(chat), CHAT_STATE.c.gone.is_(True))
            .values(gone=False, reason="", updated_at=at)
        )

    def migrate(self, old: ChatRef, new: ChatRef, at: datetime) -> None:
        for table in (CHAT, SUBSCRIPTION, CHAT_STATE):
            key_old = sa.and_(table.c.platform == old.platform, table.c.chat_id == old.chat_id)
            key_new = sa.and_(table.c.platform == new.platform, table.c.chat_id == new.chat_id)
            if self.connection.execute(sa.select(table.c.chat_id).where(key_new)).first():
                self.connection.execute(sa.delete(table).where(key_old))
            else:
                self.connection.execute(sa.update(table).where(key_old).values(chat_id=new.chat_id))


class SqlSubscriptions:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def _key(self, chat: ChatRef) -> sa.ColumnElement[bool]:
        return sa.and_(
            SUBSCRIPTION.c.platform == chat.platform, SUBSCRIPTION.c.chat_id == chat.chat_id
        )

    def subscribe(self, chat: ChatRef, scope: str | None, by: Person, at: datetime) -> None:
        values = {
            "scope_unit_code": scope,
            "active": True,
            "created_by": by.user_id,
            "created_at": at,
        }
        updated = self.connection.execute(
            sa.update(SUBSCRIPTION).where(self._key(chat)).values(**values)
        )
        if updated.rowcount == 0:
            self.connection.execute(
                sa.insert(SUBSCRIPTION).values(
                    platform=chat.platform, chat_id=chat.chat_id, **values
                )
            )

    def unsubscribe(self, chat: ChatRef) -> bool:
        result = self.connection.execute(
            sa.update(SUBSCRIPTION)
            .where(self._key(chat), SUBSCRIPTION.c.active.is_(True))
            .values(active=False)
        )
        return result.rowcount > 0

    def of(self, chat: ChatRef) -> Subscription | None:
        row = self.connection.execute(
            sa.select(SUBSCRIPTION).where(self._key(chat), SUBSCRIPTION.c.active.is_(True))
        ).first()
        return Subscription(chat, row.scope_unit_code) if row else None

    def active(self) -> list[Subscription]:
        query = (
            sa.select(SUBSCRIPTION)
            .select_from(
                SUBSCRIPTION.outerjoin(
                    CHAT_STATE,
                    sa.and_(
                        CHAT_STATE.c.platform == SUBSCRIPTION.c.platform,
                        CHAT_STATE.c.chat_id == SUBSCRIPTION.c.chat_id,
                    ),
                )
            )
            .where(
                SUBSCRIPTION.c.active.is_(True),
                sa.or_(CHAT_STATE.c.gone.is_(None), CHAT_STATE.c.gone.is_(False)),
            )
            .order_by(SUBSCRIPTION.c.platform, SUBSCRIPTION.c.chat_id)
        )
        return [
            Subscription(ChatRef(row.platform, row.chat_id), row.scope_unit_code)
            for row in self.connection.execute(query)
        ]
