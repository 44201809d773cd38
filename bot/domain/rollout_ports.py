"""The ports of rolling out: invitations, announcements and the board's links (beside
bot.domain.ports, which names them in its Store)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from bot.domain.model.entities import Announcement, ChatRef, Invitation, Person

if TYPE_CHECKING:
    from bot.domain.model.views import BoardLink


class AnnouncementRepository(Protocol):
    def create(self, announcement: Announcement) -> int:
        """Store it (its `id` is ignored) and return its id."""
        ...

    def get(self, announcement_id: int) -> Announcement | None: ...

    def pending(self) -> list[int]:
        """Announcements whose sends were never queued, oldest first."""
        ...

    def mark_planned(self, announcement_id: int, at: datetime) -> None: ...


class BoardLinkRepository(Protocol):
    def create(self, link: BoardLink) -> None: ...

    def get(self, token_hash: str) -> BoardLink | None: ...

    def revoke_all(self, person: Person, at: datetime) -> int:
        """Revoke every live link of the person; how many."""
        ...


class InvitationRepository(Protocol):
    def create(self, invitation: Invitation) -> None: ...

    def get(self, code: str) -> Invitation | None: ...

    def take(self, code: str, at: datetime) -> bool:
        """Count one use if the invitation is still usable at `at` (one conditional update,
        so two people taking the last use cannot both get it)."""
        ...

    def record_use(self, code: str, person: Person, chat: ChatRef, at: datetime) -> None: ...

    def revoke(self, code: str, at: datetime) -> bool:
        """False when it was revoked already or does not exist."""
        ...
