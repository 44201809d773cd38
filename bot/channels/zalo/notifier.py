"""Sending on Zalo: plain text in parts of at most 2 000 characters, buttons written out as
what to type, charts as photos by URL and spreadsheets as links (Zalo has no documents).
Every message sent is counted against the month's budget."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from zoneinfo import ZoneInfo

from bot.channels.web.files import FileLinks
from bot.channels.zalo.client import (
    ZaloClient,
    ZaloQuotaExceeded,
    ZaloUncertain,
)
from bot.domain import wording
from bot.domain.delivery import sends_for
from bot.domain.model.messages import (
    Attachment,
    Capabilities,
    Delivery,
    DeliveryLimits,
    DeliveryStatus,
    DeliveryUncertain,
    RateLimited,
    RenderedMessage,
    Send,
    StoredFile,
)

log = logging.getLogger(__name__)

PLATFORM = "zalo"
ZALO_TEXT_LIMIT = 2000
# Zalo documents no rate limit; these keep a fan-out polite and a chat readable.
ZALO_LIMITS = DeliveryLimits(per_second=8.0, per_chat_per_second=1.0, concurrency=4)
# No retry_after comes with a 429: wait this long before the outbox tries again.
QUOTA_PAUSE_SECONDS = 60.0

Counter = Callable[[int], Awaitable[None]]


# No buttons, no edits, no markup, no documents; photos only by URL.
ZALO_CAPABILITIES = Capabilities(
    buttons=False,
    edits=False,
    max_text=ZALO_TEXT_LIMIT,
    markup="plain",
    documents=False,
    photos_by_url=True,
)


def zalo_parts(message: RenderedMessage) -> list[Send]:
    return sends_for(message, ZALO_CAPABILITIES)


class ZaloNotifier:
    platform = PLATFORM
    limits = ZALO_LIMITS

    @property
    def capabilities(self) -> Capabilities:
        # Files go as signed links only where the bot has a public address.
        return replace(ZALO_CAPABILITIES, links=self.links is not None)

    def __init__(
        self,
        client: ZaloClient,
        links: FileLinks | None = None,
        count_sent: Counter | None = None,
        tz: ZoneInfo | None = None,
    ) -> None:
        self.client = client
        self.links = links
        self.count_sent = count_sent
        self.tz = tz or ZoneInfo("Asia/Ho_Chi_Minh")

    def parts(self, message: RenderedMessage) -> list[Send]:
        return zalo_parts(message)

    async def send(self, message: RenderedMessage) -> Delivery:
        for part in self.parts(message):
            await self._send_part(part)
        return Delivery(DeliveryStatus.DELIVERED)

    async def send_replies(self, messages: Iterable[RenderedMessage]) -> None:
        """Answers to an update: a failure for one recipient is logged, the rest still go."""
        for message in messages:
            try:
                await self.send(message)
            except Exception:
                log.exception("could not send a reply to Zalo chat %s", message.chat.chat_id)

    async def _send_part(self, part: Send) -> None:
        chat_id = part.chat.chat_id
        try:
            if part.text:
                await self.client.send_message(chat_id, part.text)
            for attachment in part.attachments:
                await self._send_file(chat_id, attachment)
        except ZaloQuotaExceeded as error:
            raise RateLimited(QUOTA_PAUSE_SECONDS) from error
        except ZaloUncertain as error:
            raise DeliveryUncertain(str(error)) from error
        if self.count_sent is not None:
            await self.count_sent(1)

    async def _send_file(self, chat_id: str, attachment: object) -> None:
        if isinstance(attachment, StoredFile):
            # Only Telegram file ids exist so far; they mean nothing here.
            await self.client.send_message(
                chat_id, wording.zalo_file_elsewhere(attachment.file_name)
            )
            return
        if not isinstance(attachment, Attachment):
            raise TypeError("render charts and tables before sending them")
        if self.links is None:
            await self.client.send_message(
                chat_id, wording.zalo_file_unavailable(attachment.filename)
            )
            return
        url, expires = await self.links.publish(attachment)
        if attachment.kind == "photo":
            await self.client.send_photo(chat_id, url)
        else:
            await self.client.send_message(
                chat_id,
                wording.zalo_file_link(attachment.filename, url, expires.astimezone(self.tz)),
            )
