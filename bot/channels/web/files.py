"""Rendered charts and spreadsheets behind signed, expiring links.

Zalo takes a photo only as a URL its servers fetch, and has no way to send a document at all:
the bot publishes the file in its database and sends a link to its own web server. A link
carries its expiry and an HMAC of (file, expiry), so it cannot be guessed, altered or
extended; the file id itself is random as well.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol, TypeVar
from urllib.parse import quote

from bot.clock import Clock, SystemClock
from bot.domain.model.messages import Attachment, PublishedFile

T = TypeVar("T")

LINK_LIFETIME = timedelta(days=7)
CONTENT_TYPES = {
    ".png": "image/png",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def link_secret(seed: str) -> bytes:
    """The signing key, derived from a secret the operator already keeps (the Zalo token or
    the webhook secret), so links stay valid across restarts without one more setting."""
    return hmac.new(seed.encode(), b"quizbot file links", hashlib.sha256).digest()


class PublishedFiles(Protocol):
    def publish(self, file: PublishedFile, at: datetime) -> None: ...

    def get(self, file_id: str) -> PublishedFile | None: ...


class FilesStore(Protocol):
    @property
    def published(self) -> PublishedFiles: ...


class FilesDatabase(Protocol):
    """Where the files behind links are kept (the bot's database)."""

    async def run_async(self, work: Callable[[FilesStore], T]) -> T: ...


class FileLinks:
    def __init__(
        self,
        database: FilesDatabase,
        public_base_url: str,
        secret: bytes,
        *,
        lifetime: timedelta = LINK_LIFETIME,
        clock: Clock | None = None,
    ) -> None:
        self.database = database
        self.base = public_base_url.rstrip("/")
        self.secret = secret
        self.lifetime = lifetime
        self.clock = clock or SystemClock()

    async def publish(self, attachment: Attachment) -> tuple[str, datetime]:
        """Store the file and return its link and when the link expires."""
        now = self.clock.now()
        expires = now + self.lifetime
        file = PublishedFile(
            secrets.token_hex(16), attachment.filename, attachment.kind, attachment.content, expires
        )
        await self.database.run_async(lambda store: store.published.publish(file, now))
        return self.url(file.id, file.filename, expires), expires

    def url(self, file_id: str, filename: str, expires: datetime) -> str:
        stamp = str(int(expires.timestamp()))
        signature = self.signature(file_id, stamp)
        return f"{self.base}/files/{file_id}/{quote(filename)}?exp={stamp}&sig={signature}"

    def signature(self, file_id: str, stamp: str) -> str:
        message = f"{file_id}:{stamp}".encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()

    async def open(self, file_id: str, stamp: str, signature: str) -> PublishedFile | None:
        """The file behind a link, if the link is genuine and not expired."""
        expected = self.signature(file_id, stamp)
        if not hmac.compare_digest(expected, signature) or not stamp.isdigit():
            return None
        if int(stamp) < self.clock.now().timestamp():
            return None
        file = await self.database.run_async(lambda store: store.published.get(file_id))
        if file is None or file.expires_at < self.clock.now():
            return None
        return file


def content_type(filename: str) -> str:
    suffix = filename[filename.rfind(".") :].lower() if "." in filename else ""
    return CONTENT_TYPES.get(suffix, "application/octet-stream")
