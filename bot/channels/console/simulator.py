"""The console simulator: type as any user in any chat, move the clock, see what the bot says.

It goes through the same core as Telegram, on the same database, so what works here works
there. Lines starting with ':' control the simulator; everything else is a chat message.
"""

from __future__ import annotations

import asyncio
import html
import re
import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

from bot.channels.web.files import FileLinks
from bot.channels.zalo.notifier import ZALO_CAPABILITIES, zalo_parts
from bot.clock import MovableClock
from bot.config import CONSOLE, CONSOLE_ADMIN_ID, ZALO
from bot.core import Core
from bot.domain import wording
from bot.domain.delivery import Channels
from bot.domain.model.commands import split_command
from bot.domain.model.entities import ChatRef, Person
from bot.domain.model.messages import (
    Attachment,
    Capabilities,
    ChatKind,
    Delivery,
    DeliveryLimits,
    DeliveryStatus,
    FileRef,
    Inbound,
    RenderedMessage,
    Send,
    StoredFile,
    single_sends,
)

_TAG = re.compile(r"</?[a-z]+>")
_SHIFT = re.compile(r"([+-])(\d+)([dhm])")
_SHIFT_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def plain(text: str) -> str:
    """HTML-lite to what a person reads on a terminal."""
    return html.unescape(_TAG.sub("", text))


@dataclass
class SentMessage:
    chat: ChatRef
    kind: ChatKind
    sender: Person
    text: str
    message_id: str


@dataclass
class ConsoleState:
    user: Person = field(default_factory=lambda: Person(CONSOLE, CONSOLE_ADMIN_ID, "Quản trị viên"))
    # Whose chats are typed in: the console's own, or Zalo's (its plain-text rendering).
    platform: str = CONSOLE
    group: ChatRef | None = None
    group_title: str = ""
    next_message_id: int = 1
    history: dict[str, SentMessage] = field(default_factory=dict)
    # Files the bot sent, saved where they can be opened (charts, spreadsheets).
    files: list[Path] = field(default_factory=list)

    @property
    def chat(self) -> ChatRef:
        return self.group or ChatRef(self.platform, self.user.user_id)

    @property
    def chat_kind(self) -> ChatKind:
        return ChatKind.GROUP if self.group else ChatKind.PRIVATE

    def new_message_id(self) -> str:
        message_id = str(self.next_message_id)
        self.next_message_id += 1
        return message_id


# The terminal shows buttons as what to type beside their label, and any length of text.
CONSOLE_CAPABILITIES = Capabilities(
    buttons=True,
    edits=True,
    max_text=1_000_000,
    markup="html",
    documents=True,
    photos_by_url=False,
)


_PHOTO_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp", ".heic"})


class ConsoleNotifier:
    """Prints outbound messages; those for another chat say whose chat they land in. As the
    Zalo channel (`platform="zalo"`) it prints what Zalo would show: plain text in parts of
    2 000 characters, buttons written out."""

    limits = DeliveryLimits()

    def __init__(
        self,
        out: TextIO,
        state: ConsoleState,
        files_dir: Path | None = None,
        platform: str = CONSOLE,
        links: FileLinks | None = None,
    ) -> None:
        self.out = out
        self.state = state
        self.files_dir = files_dir
        self.platform = platform
        # Zalo has no documents: with a public address, files go as signed links.
        self.links = links

    @property
    def capabilities(self) -> Capabilities:
        return ZALO_CAPABILITIES if self.platform == ZALO else CONSOLE_CAPABILITIES

    def parts(self, message: RenderedMessage) -> list[Send]:
        if self.platform == ZALO:
            return zalo_parts(message)
        return single_sends(message, lambda text: [text])

    async def send(self, message: RenderedMessage) -> Delivery:
        message_id = self.state.new_message_id()
        where = (
            ""
            if message.chat == self.state.chat
            else f" → {wording.console_chat_label(message.chat.chat_id)}"
        )
        edited = (
            f" {wording.console_edited(message.edit_message_id)}" if message.edit_message_id else ""
        )
        self.out.write(f"🤖 [#{message_id}]{where}{edited}\n")
        if message.text:
            self.out.write(f"{plain(message.text)}\n")
        if message.buttons:
            buttons = "  ".join(
                wording.console_button(button.label, button.as_text) for button in message.buttons
            )
            self.out.write(f"{buttons}\n")
        for attachment in message.attachments:
            if self.platform == ZALO:
                await self._as_zalo_gets_it(attachment)
                continue
            if isinstance(attachment, StoredFile):
                line = wording.console_stored_file(attachment.file_name, plain(attachment.caption))
                self.out.write(f"{line}\n")
            if isinstance(attachment, Attachment):  # the outbox hands over rendered files
                saved = self._save(attachment)
                size = len(attachment.content)
                self.out.write(f"{wording.console_attachment(attachment.filename, size, saved)}\n")
        self.out.write("\n")
        self.out.flush()
        return Delivery(DeliveryStatus.DELIVERED)

    async def _as_zalo_gets_it(self, attachment: object) -> None:
        """What the Zalo notifier would send for a file: a link, or the notice that there is
        none (no PUBLIC_BASE_URL), or that a Telegram file stays on Telegram."""
        if isinstance(attachment, StoredFile):
            line = wording.zalo_file_elsewhere(attachment.file_name)
        elif not isinstance(attachment, Attachment):
            raise TypeError("render charts and tables before sending them")
        elif self.links is None:
            line = wording.zalo_file_unavailable(attachment.filename)
        else:
            url, expires = await self.links.publish(attachment)
            line = wording.zalo_file_link(attachment.filename, url, expires)
        self.out.write(f"{plain(line)}\n")

    def _save(self, attachment: Attachment) -> Path | None:
        """Write the file where it can be opened; numbered, so a second digest keeps the first."""
        if self.files_dir is None:
            return None
        self.files_dir.mkdir(parents=True, exist_ok=True)
        path = self.files_dir / f"{len(self.state.files) + 1:03d}-{attachment.filename}"
        path.write_bytes(attachment.content)
        self.state.files.append(path)
        return path


class ConsoleSimulator:
    def __init__(
        self,
        core: Core,
        clock: MovableClock,
        stdin: TextIO,
        out: TextIO,
        extra_controls: dict[str, Callable[[list[str]], Awaitable[None]]] | None = None,
        files_dir: Path | None = None,
        zalo_links: FileLinks | None = None,
    ) -> None:
        self.core = core
        self.clock = clock
        self.stdin = stdin
        self.out = out
        self.state = ConsoleState()
        self.notifier = ConsoleNotifier(out, self.state, files_dir)
        self.zalo_notifier = ConsoleNotifier(
            out, self.state, files_dir, platform=ZALO, links=zalo_links
        )
        self.channels = Channels([self.notifier, self.zalo_notifier])
        self.extra_controls = extra_controls or {}
        # Called after the clock moves, so that jobs due in between run (the scheduler's tick).
        self.after_time_change: Callable[[], Awaitable[object]] | None = None

    async def run(self) -> None:
        self.say(wording.CONSOLE_WELCOME)
        campaign = self.core.policy.campaign
        today = self.clock.now().astimezone(self.core.policy.tz).date()
        if not campaign.is_running_on(today):
            self.say(wording.console_outside_campaign(campaign, today))
        self.say(wording.console_whoami(self.state.user, self.state.group_title or None))
        while True:
            self.out.write(wording.console_prompt(self.state.user, self.state.group_title or None))
            self.out.flush()
            line = await asyncio.to_thread(self.stdin.readline)
            if not line:
                break
            if not await self.handle_line(line.rstrip("\n")):
                break

    async def handle_line(self, line: str) -> bool:
        """Handle one typed line; False when the person asked to quit."""
        line = line.strip()
        if not line:
            return True
        if line.startswith(":"):
            return await self._control(line[1:])
        await self.send_text(line)
        return True

    async def send_text(
        self,
        text: str,
        *,
        replies_to_bot: bool = False,
        message_id: str | None = None,
        edited: bool = False,
        document: FileRef | None = None,
        media: str | None = None,
    ) -> None:
        message_id = message_id or self.state.new_message_id()
        command, args = split_command(text)
        now = self.clock.now()
        previous = self.state.history.get(message_id)
        inbound = Inbound(
            sender=previous.sender if previous else self.state.user,
            chat=previous.chat if previous else self.state.chat,
            chat_kind=previous.kind if previous else self.state.chat_kind,
            sent_at=now,
            text=text,
            command=command,
            args=args,
            message_id=message_id,
            edited_at=now if edited else None,
            replies_to_bot=replies_to_bot,
            document=document,
            media=media,
        )
        if previous is None:
            self.state.history[message_id] = SentMessage(
                inbound.chat, inbound.chat_kind, inbound.sender, text, message_id
            )
            self.say(wording.console_sent(message_id))
        await self.deliver(await self.core.handle_async(inbound))

    async def deliver(self, messages: list[RenderedMessage]) -> None:
        for message in messages:
            for part in self.channels.parts(message):
                notifier = self.channels.get(part.chat.platform) or self.notifier
                await notifier.send(part)

    def say(self, text: str) -> None:
        self.out.write(f"{text}\n")
        self.out.flush()

    async def _control(self, line: str) -> bool:
        try:
            words = shlex.split(line)
        except ValueError:
            words = line.split()
        if not words:
            self.say(wording.CONSOLE_HELP)
            return True
        name, args = words[0].lower(), words[1:]
        if name in ("quit", "q", "exit"):
            return False
        handlers: dict[str, Callable[[list[str]], Awaitable[None]]] = {
            "help": self._help,
            "user": self._user,
            "group": self._group,
            "private": self._private,
            "reply": self._reply,
            "edit": self._edit,
            "again": self._again,
            "time": self._time,
            "file": self._file,
            "files": self._files,
            "platform": self._platform,
            **self.extra_controls,
        }
        handler = handlers.get(name)
        if handler is None:
            self.say(wording.console_unknown_control(name))
            return True
        await handler(args)
        return True

    async def _help(self, _args: list[str]) -> None:
        self.say(wording.CONSOLE_HELP)

    async def _platform(self, args: list[str]) -> None:
        """Type as a user of another platform (same ids, that platform's chats)."""
        if not args or args[0].lower() not in (CONSOLE, ZALO):
            self.say(wording.CONSOLE_PLATFORM_USAGE)
            return
        platform = args[0].lower()
        self.state.platform = platform
        user = self.state.user
        self.state.user = Person(platform, user.user_id, user.display_name)
        self.state.group, self.state.group_title = None, ""
        self.say(wording.console_platform(platform))
        self.say(wording.console_whoami(self.state.user, None))

    async def _files(self, _args: list[str]) -> None:
        self.say(wording.console_files([str(path) for path in self.state.files]))

    async def _user(self, args: list[str]) -> None:
        if not args or not args[0].isdigit():
            self.say(wording.CONSOLE_USER_USAGE)
            return
        name = " ".join(args[1:]) or wording.console_default_name(args[0])
        self.state.user = Person(self.state.platform, args[0], name)
        self.say(wording.console_whoami(self.state.user, self.state.group_title or None))

    async def _group(self, args: list[str]) -> None:
        if not args or not args[0].lstrip("-").isdigit():
            self.say(wording.CONSOLE_GROUP_USAGE)
            return
        group_id = "-" + args[0].lstrip("-")
        self.state.group = ChatRef(self.state.platform, group_id)
        self.state.group_title = " ".join(args[1:]) or wording.console_chat_label(group_id)
        self.say(wording.console_whoami(self.state.user, self.state.group_title))

    async def _private(self, _args: list[str]) -> None:
        self.state.group, self.state.group_title = None, ""
        self.say(wording.console_whoami(self.state.user, None))

    async def _reply(self, args: list[str]) -> None:
        if not args:
            self.say(wording.CONSOLE_REPLY_USAGE)
            return
        await self.send_text(" ".join(args), replies_to_bot=True)

    async def _edit(self, args: list[str]) -> None:
        if len(args) < 2 or args[0].lstrip("#") not in self.state.history:
            self.say(wording.CONSOLE_EDIT_USAGE)
            return
        message_id = args[0].lstrip("#")
        await self.send_text(" ".join(args[1:]), message_id=message_id, edited=True)

    async def _again(self, args: list[str]) -> None:
        if not args or args[0].lstrip("#") not in self.state.history:
            self.say(wording.CONSOLE_AGAIN_USAGE)
            return
        original = self.state.history[args[0].lstrip("#")]
        await self.send_text(original.text, message_id=original.message_id)

    async def _file(self, args: list[str]) -> None:
        """Send a document with a caption, as Telegram does (the file itself is not read)."""
        if len(args) < 2:
            self.say(wording.CONSOLE_FILE_USAGE)
            return
        file_name, caption = args[0], " ".join(args[1:])
        # As Telegram hands them over: a picture is a photo, anything else a document.
        if Path(file_name).suffix.lower() in _PHOTO_SUFFIXES:
            await self.send_text(caption, media="photo")
        else:
            document = FileRef(f"console-{file_name}", file_name)
            await self.send_text(caption, document=document, media="document")

    async def _time(self, args: list[str]) -> None:
        tz = self.core.policy.tz
        if args:
            joined = " ".join(args)
            shift = _SHIFT.fullmatch(joined.replace(" ", ""))
            try:
                if shift:
                    sign, amount, unit = shift.groups()
                    delta = timedelta(**{_SHIFT_UNITS[unit]: int(amount)})
                    self.clock.advance(delta if sign == "+" else -delta)
                else:
                    self.clock.set(
                        datetime.fromisoformat(joined.replace(" ", "T")).replace(tzinfo=tz)
                    )
            except ValueError:
                self.say(wording.CONSOLE_TIME_USAGE)
                return
        self.say(wording.console_time(self.clock.now(), tz))
        if args and self.after_time_change is not None:
            await self.after_time_change()
