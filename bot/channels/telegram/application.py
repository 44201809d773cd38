"""The Telegram channel: a python-telegram-bot Application whose handlers are translators.

Each handler turns the update into a neutral inbound message, lets the core handle it in one
unit of work, and sends what comes back through the notifier.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import replace
from functools import partial
from typing import Any

from telegram import BotCommand, MenuButtonWebApp, Update, WebAppInfo
from telegram.error import BadRequest
from telegram.ext import (
    AIORateLimiter,
    ApplicationBuilder,
    BaseRateLimiter,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.channels.telegram import inbound as to_inbound
from bot.channels.telegram.context import CONTEXT_TYPES, Context, TelegramApp
from bot.channels.telegram.notifier import TelegramNotifier, telegram_limits
from bot.channels.telegram.ratelimit import SharedRateLimiter
from bot.config import Settings
from bot.core import Core
from bot.domain import wording
from bot.domain.model.commands import COMMANDS
from bot.domain.model.messages import Inbound, RenderedMessage
from bot.inbox.handling import current
from bot.metrics import REPLY_SECONDS
from jobs.ports import Pacer

log = logging.getLogger(__name__)

Callback = Callable[[Update, Context], Coroutine[Any, Any, None]]
# Replies are answers to people, one per message they send, so they are not throttled
# ahead of time; a 429 from Telegram is still honoured (waited out, then retried).
REPLY_MAX_RETRIES = 3
# Chats handled at the same time (each chat's own updates stay in order, bot.inbox), and as
# many connections to the Bot API: httpcore checks every pooled connection on each request.
CONCURRENT_CHATS = 8


def build_application(settings: Settings, core: Core, pacer: Pacer | None = None) -> TelegramApp:
    """`pacer`: replies wait for their turn with every other worker's sends (several
    workers on one database); without it they are not throttled ahead of time."""
    base = settings.telegram_api_base_url
    limiter: BaseRateLimiter[int] = (
        SharedRateLimiter(pacer, telegram_limits(settings), REPLY_MAX_RETRIES)
        if pacer is not None
        else AIORateLimiter(overall_max_rate=0, group_max_rate=0, max_retries=REPLY_MAX_RETRIES)
    )
    application = (
        ApplicationBuilder()
        .token(settings.telegram_token.reveal())
        .base_url(f"{base}/bot")
        .base_file_url(f"{base}/file/bot")
        .rate_limiter(limiter)
        .connection_pool_size(CONCURRENT_CHATS)
        .context_types(CONTEXT_TYPES)
        .job_queue(None)
        .post_init(_post_init)
        .post_shutdown(_post_shutdown)
        .build()
    )
    application.bot_data.bind(core, TelegramNotifier(application.bot))
    for name, aliases in COMMANDS.items():
        application.add_handler(CommandHandler(list(aliases), _command(name)))
    messages = filters.UpdateType.MESSAGES
    application.add_handler(
        MessageHandler(messages & filters.TEXT & (filters.ChatType.PRIVATE | filters.REPLY), _text)
    )
    monthly_caption = filters.CaptionRegex(rf"^/({'|'.join(COMMANDS['monthly'])})(@\w+)?(\s|$)")
    application.add_handler(
        MessageHandler(messages & filters.Document.ALL & monthly_caption, _command("monthly"))
    )
    # An announcement may carry a photo or a document, its caption being the command.
    announce_caption = filters.CaptionRegex(rf"^/({'|'.join(COMMANDS['announce'])})(@\w+)?(\s|$)")
    application.add_handler(
        MessageHandler(
            messages & (filters.PHOTO | filters.Document.ALL) & announce_caption,
            _command("announce"),
        )
    )
    media = (
        filters.PHOTO
        | filters.Document.ALL
        | filters.Sticker.ALL
        | filters.VOICE
        | filters.AUDIO
        | filters.VIDEO
        | filters.VIDEO_NOTE
        | filters.ANIMATION
        | filters.LOCATION
        | filters.CONTACT
    )
    private_or_reply = filters.ChatType.PRIVATE | filters.REPLY
    application.add_handler(MessageHandler(messages & media & private_or_reply, _text))
    application.add_handler(
        CallbackQueryHandler(
            _button, pattern=r"^(approve|reject|confirm_held|pick_other|cancel_held):"
        )
    )
    application.add_error_handler(_on_error)
    return application


def _command(name: str) -> Callback:
    async def on_command(update: Update, context: Context) -> None:
        message = update.effective_message
        if message is None:
            return
        # A document's caption is not a command to PTB: its words are the arguments.
        args = context.args if context.args is not None else (message.caption or "").split()[1:]
        inbound = to_inbound.from_message(
            message,
            bot_id=context.bot.id,
            edited=update.edited_message is not None,
            command=name,
            args=tuple(args),
        )
        await _handle(context, inbound)

    on_command.__name__ = f"on_{name}"
    return on_command


async def _text(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None:
        return
    inbound = to_inbound.from_message(
        message, bot_id=context.bot.id, edited=update.edited_message is not None
    )
    await _handle(context, inbound)


async def _button(update: Update, context: Context) -> None:
    query = update.callback_query
    if query is None:
        return
    try:
        await query.answer()
    except BadRequest as error:
        # A press made while the bot was down is too old to acknowledge, but still counts.
        log.info("could not acknowledge a button press: %s", error.message)
    await _handle(context, to_inbound.from_button(query))


async def _handle(context: Context, inbound: Inbound | None) -> None:
    if inbound is None:
        return
    core = context.bot_data.core
    started = time.monotonic()
    replies = await core.handle_async(inbound)
    notifier = context.bot_data.notifier
    handling = current().get()
    if handling is not None and handling.booked:
        # Paced with the other workers' sends: the inbox sends them in order while the
        # chat's next update is handled.
        handling.deferred = partial(_send, notifier, replies, started)
        return
    await _send(notifier, replies, started)


async def _send(notifier: TelegramNotifier, replies: list[RenderedMessage], started: float) -> None:
    await notifier.send_replies(replies)
    REPLY_SECONDS.labels("telegram").observe(time.monotonic() - started)


async def _on_error(update: object, context: Context) -> None:
    log.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await context.bot.send_message(update.effective_chat.id, wording.INTERNAL_ERROR)
        except Exception:
            log.exception("could not tell the chat about the error")


async def _post_init(application: TelegramApp) -> None:
    core = application.bot_data.core
    # Invitations (/moi) give the deep link t.me/<username>?start=<code>.
    core.policy = replace(core.policy, telegram_username=application.bot.username)
    menu = wording.command_menu(core.policy.monthly_due_day)
    await application.bot.set_my_commands(
        [BotCommand(command, description) for command, description in menu]
    )
    base = core.policy.public_base_url
    if base:
        # The menu button opens the board as a Mini App (it signs the person in).
        button = MenuButtonWebApp(wording.BOARD_MENU_BUTTON, WebAppInfo(f"{base}/board/app"))
        try:
            await application.bot.set_chat_menu_button(menu_button=button)
        except BadRequest as error:  # Telegram wants https: the board is still on /bangtin
            log.warning("the board's menu button was refused: %s", error.message)
    for start in application.bot_data.on_start:
        await start(application)
    log.info("Telegram bot @%s is running", application.bot.username)


async def _post_shutdown(application: TelegramApp) -> None:
    # The core is closed by whoever opened it: other channels may share it.
    for stop in reversed(application.bot_data.on_stop):
        await stop(application)
