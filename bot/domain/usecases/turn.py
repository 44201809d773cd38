"""One inbound message being handled: what it is, where it came from, and what can be reached."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from bot.domain.model.entities import (
    Campaign,
    ChatRef,
    Membership,
    Person,
    ReportEntry,
    SenderFacts,
    Unit,
)
from bot.domain.model.messages import Button, Inbound, Outbound, Rendered
from bot.domain.model.policy import Policy
from bot.domain.model.tree import UnitTree
from bot.domain.ports import Store


@dataclass(frozen=True)
class Turn:
    inbound: Inbound
    store: Store
    policy: Policy
    now: datetime
    # Unit code -> the unit and its ancestors, as read in this turn.
    _chains: dict[str, list[Unit]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    # Unit code -> its active sub-units, read with its chain.
    _children: dict[str, list[Unit]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def sender(self) -> Person:
        return self.inbound.sender

    @property
    def campaign(self) -> Campaign:
        return self.policy.campaign

    @property
    def metric(self) -> str:
        return self.policy.campaign.metric

    @property
    def moment(self) -> datetime:
        """When the message was sent, never later than now (a platform clock may run ahead)."""
        return min(self.inbound.sent_at, self.now)

    @property
    def arrived_at(self) -> datetime:
        """When this change reached the platform: the edit's time for an edit, else the
        sending time; never later than now. Locks are checked at this moment."""
        return min(self.inbound.edited_at or self.inbound.sent_at, self.now)

    def is_admin(self) -> bool:
        """An admin of the whole district (named in the settings or granted in chat)."""
        return self._admin

    @cached_property
    def _admin(self) -> bool:
        # Asked several times per message; the answer cannot change within one turn.
        return self.policy.is_configured_admin(self.sender) or (
            self.facts.granted_admin and self.facts.admin_unit is None
        )

    def admin_unit(self) -> Unit | None:
        """For a unit admin (a ward admin): the unit whose subtree they look after."""
        return self._admin_unit

    @cached_property
    def _admin_unit(self) -> Unit | None:
        if self._admin or self.facts.admin_unit is None:
            return None
        return self.store.units.get(self.facts.admin_unit)

    def is_any_admin(self) -> bool:
        """An admin of the district or of some unit's subtree."""
        return self._admin or self._admin_unit is not None

    def is_admin_for(self, code: str) -> bool:
        """`is_admin_of` by the unit's code (read only for a unit admin)."""
        if self._admin:
            return True
        if self._admin_unit is None:
            return False
        unit = self.store.units.get(code)
        return unit is not None and self.is_admin_of(unit)

    def is_admin_of(self, unit: Unit) -> bool:
        """Whether the sender may act as an admin for this unit: a district admin for every
        unit, a unit admin for their unit and everything below it."""
        if self._admin:
            return True
        scope = self._admin_unit
        if scope is None:
            return False
        return unit.code == scope.code or any(
            above.code == scope.code for above in self.ancestors(unit)
        )

    @cached_property
    def facts(self) -> SenderFacts:
        """The sender's unit, admin grant and private chat, and whether the message is in
        the ledger already, read once per turn."""
        source = self.inbound.source
        return self.store.senders.facts(self.sender.platform, self.sender.user_id, source)

    def entry_for_message(self) -> ReportEntry | None:
        """The ledger entry this message made before (a repeat or an edit), if any: read
        only when the sender's facts say there is one."""
        source = self.inbound.source
        if source is None or not self.facts.message_recorded:
            return None
        return self.store.ledger.entry_for(source)

    def membership(self) -> Membership | None:
        return self.store.members.approved(self.sender.platform, self.sender.user_id)

    def member_unit(self) -> Unit | None:
        # Asked by several steps of one report; a turn never reads it after changing it.
        return self.facts.unit

    def chat_unit(self) -> Unit | None:
        code = self.store.chats.unit_of(self.inbound.chat)
        return self.store.units.get(code) if code else None

    def reply(
        self, text: str, buttons: tuple[Button, ...] = (), attachments: tuple[Rendered, ...] = ()
    ) -> list[Outbound]:
        # In a group the reply quotes the message it answers, so it is clear whose it is.
        reply_to = None if self.inbound.is_private else self.inbound.message_id
        return [
            Outbound(
                self.inbound.chat,
                text,
                buttons=buttons,
                reply_to=reply_to,
                attachments=attachments,
            )
        ]

    def answer_press(self, text: str) -> list[Outbound]:
        """The answer to a button replaces the message that carried it, so it cannot be
        pressed on; to a typed command, an ordinary reply."""
        pressed = self.inbound.button_message_id
        if pressed:
            return [Outbound(self.inbound.chat, text, edit_message_id=pressed)]
        return self.reply(text)

    def to_user(self, user_id: str, text: str, buttons: tuple[Button, ...] = ()) -> Outbound:
        """A message to someone's private chat, as the store knows it from their first
        private message; before that, the user id (which is the chat id on Telegram)."""
        platform = self.sender.platform
        chat = self.store.contacts.private_chat(platform, user_id) or ChatRef(platform, user_id)
        return Outbound(chat, text, buttons=buttons)

    def unit_tree(self) -> UnitTree:
        return UnitTree(self.store.units.active())

    def ancestors(self, unit: Unit) -> list[Unit]:
        """From the unit's parent up to the root (a report needs only these), read once per
        turn with the unit's sub-units: the quota check, the change and the reply all ask."""
        if unit.code not in self._chains:
            chain, children = self.store.units.family(unit.code)
            self._chains[unit.code], self._children[unit.code] = chain, children
        return [above for above in self._chains[unit.code][1:] if above.code != unit.code]

    def children(self, unit: Unit) -> list[Unit]:
        """The unit's active sub-units (read with its chain when that was read)."""
        if unit.code not in self._children:
            self._children[unit.code] = self.store.units.children(unit.code)
        return self._children[unit.code]

    def covering_unit(self, unit: Unit) -> Unit | None:
        """The unit whose quota a report to this one counts toward: itself, else its nearest
        ancestor with a quota (a ward's cells report toward the ward's 200)."""
        return next((u for u in [unit, *self.ancestors(unit)] if u.weekly_quota > 0), None)

    def covering_quota(self, unit: Unit) -> int:
        """That unit's quota; 0 when no unit on the way up has one."""
        covering = self.covering_unit(unit)
        return covering.weekly_quota if covering is not None else 0
