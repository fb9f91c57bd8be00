"""Telegram commands: thin python-telegram-bot handlers around the platform-neutral command core.

A handler reads the update, works out who may change the chat's subscription (only
Telegram knows who is an admin), asks the core, renders the view with
formatters/telegram_views.py and replies within the bot's rate limits. `register()` wires
everything into an `Application`; `set_command_menu()` publishes the command list.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import re

from telegram import Bot, BotCommand, Chat, Message, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import Forbidden, RetryAfter, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, filters

from paperwire.bot.delivery.ratelimit import KeyedPacers, Pacer, SendBudget
from paperwire.bot.delivery.telegram import bot_rate, chat_rate, seconds, send_message
from paperwire.bot.models import LANGUAGES
from paperwire.bot.views import MessageView, View
from paperwire.config.settings import TelegramSettings
from paperwire.formatters.telegram import TelegramMessage
from paperwire.formatters.telegram_views import CARD_PREFIX, EXCLUDED_PREFIX, callback_command, render_view
from paperwire.formatters.text import shorten
from paperwire.handlers import commands
from paperwire.handlers.core import ChatKind, CommandContext, CommandCore
from paperwire.handlers.messages import message as reply_text

log = logging.getLogger(__name__)

PLATFORM = "telegram"
COMMANDS: tuple[str, ...] = (*commands.COMMANDS, "start")
ADMIN_STATUSES = frozenset({ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER})
# New messages and channel posts; an edited old command is not answered again.
NEW_MESSAGES = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST
ALLOWED_UPDATES = [Update.MESSAGE, Update.CHANNEL_POST, Update.CALLBACK_QUERY]
# A reply that Telegram rate-limits for longer than this is dropped rather than held.
MAX_REPLY_WAIT = 10.0
_DESCRIPTION_CHARS = 256  # Telegram's limit for a command's description
_MAX_TOAST = 200  # answerCallbackQuery shows at most 200 characters
# Deep-link start parameters: at most 64 characters of A-Z, a-z, 0-9, _ and -.
_START_PARAMETER = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def command_menu(language: str = "en") -> list[BotCommand]:
    """The commands shown in Telegram's menu, described in `language` (`start` stays hidden)."""
    return [
        BotCommand(spec.name, shorten(spec.about(language), _DESCRIPTION_CHARS))
        for spec in commands.SPECS
    ]


COMMAND_MENU: list[BotCommand] = command_menu("en")


async def set_command_menu(bot: Bot) -> None:
    """Publish the menu: English by default, and each other language for clients set to it."""
    await bot.set_my_commands(COMMAND_MENU)
    for language in LANGUAGES:
        if language != "en":
            await bot.set_my_commands(command_menu(language), language_code=language)


# ---------------------------------------------------------------- deep links for channels


def start_parameter(callback_data: str) -> str | None:
    """A button's callback data as a `/start` parameter, for buttons pressed in a channel.

    A press in a channel cannot be answered in the channel without posting to every
    subscriber, so it opens a private chat with the bot instead: `x_<day>` or `p_<id>`
    (the arXiv id in URL-safe base64, since ids hold `.` and `/`).
    """
    if callback_data.startswith(EXCLUDED_PREFIX):
        day = callback_data[len(EXCLUDED_PREFIX) :]
        parameter = f"x_{day}" if _DAY.match(day) else None
    elif callback_data.startswith(CARD_PREFIX):
        encoded = base64.urlsafe_b64encode(callback_data[len(CARD_PREFIX) :].encode("utf-8")).decode("ascii")
        parameter = f"p_{encoded.rstrip('=')}"
    else:
        parameter = None
    return parameter if parameter and _START_PARAMETER.match(parameter) else None


def command_for_start(parameter: str) -> str | None:
    """The command line a `/start` parameter stands for, or None for a plain start."""
    kind, _, value = parameter.partition("_")
    if kind == "x" and _DAY.match(value):
        return f"excluded {value}"
    if kind == "p" and value:
        try:
            arxiv_id = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return None
        return f"paper {arxiv_id}" if arxiv_id.strip() else None
    return None


# ---------------------------------------------------------------- the handlers


def _admin_only(name: str) -> bool:
    """In groups and channels only chat admins may run these (the core enforces it from `is_admin`)."""
    spec = commands.BY_NAME.get(name)
    return spec is not None and spec.admin_only


def _chat_kind(chat: Chat) -> ChatKind:
    if chat.type == ChatType.PRIVATE:
        return "private"
    return "channel" if chat.type == ChatType.CHANNEL else "group"


def _command_word(text: str) -> tuple[str, str | None]:
    """(`cmd`, `BotName` or None) from `/cmd@BotName args`."""
    word = text.split(maxsplit=1)[0] if text.strip() else ""
    name, _, addressee = word.lstrip("/").partition("@")
    return name.lower(), addressee or None


class TelegramCommands:
    """The callbacks `register()` wires in; holds the core and the reply pacing."""

    def __init__(self, core: CommandCore, settings: TelegramSettings, budget: SendBudget | None = None) -> None:
        self.core = core
        self.settings = settings
        # Replies draw from the bot's one budget, shared with the digest fan-out (and, on
        # PostgreSQL, with every replica).
        self._bot_pacer: SendBudget = budget if budget is not None else Pacer(bot_rate(settings))
        self._chat_pacers = KeyedPacers(lambda chat_id: chat_rate(settings, chat_id))

    async def on_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Any of the core's commands, in a private chat, a group or a channel."""
        message, chat = update.effective_message, update.effective_chat
        if message is None or chat is None or not message.text:
            return
        line = message.text
        name, _ = _command_word(line)
        if name == "start":  # `/start PARAMETER` comes from a deep link (see start_parameter)
            words = line.split(maxsplit=1)
            line = command_for_start(words[1].strip() if len(words) > 1 else "") or "help"
        is_admin = await self._is_admin(context.bot, message, chat) if _admin_only(name) else False
        ctx = CommandContext(PLATFORM, str(chat.id), _sender_id(message), _chat_kind(chat), is_admin)
        view = await self.core.handle(line, ctx)
        await self._reply(context.bot, chat.id, view, reply_to=message.message_id)

    async def on_unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A `/command` the core does not know: a usage reply.

        In groups and channels only when the command names this bot (`/x@ThisBot`), since a
        bare `/x` there may be meant for another bot.
        """
        message, chat = update.effective_message, update.effective_chat
        if message is None or chat is None or not message.text:
            return
        _, addressee = _command_word(message.text)
        if addressee is not None and addressee.lower() != (context.bot.username or "").lower():
            return
        if addressee is None and chat.type != ChatType.PRIVATE:
            return
        ctx = CommandContext(PLATFORM, str(chat.id), _sender_id(message), _chat_kind(chat))
        view = await self.core.handle(message.text, ctx)
        await self._reply(context.bot, chat.id, view, reply_to=message.message_id)

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A press on a button of ours: the excluded list (`x:<day>`) or a card (`p:<id>`)."""
        query = update.callback_query
        if query is None:
            return
        line = callback_command(query.data or "")
        if line is None:
            await query.answer()  # a stale or foreign button: just stop the client's spinner
            return
        origin = query.message
        chat = origin.chat if origin is not None else None
        if chat is not None and line.startswith(("like ", "dislike ")):
            # A vote is counted for the chat the card is in (a channel too), per member, and
            # answered as a toast: nobody else's chat fills with confirmations.
            ctx = CommandContext(PLATFORM, str(chat.id), str(query.from_user.id), _chat_kind(chat))
            view = await self.core.handle(line, ctx)
            toast = view.lines[0] if isinstance(view, MessageView) and view.lines else None
            await query.answer(text=shorten(toast, _MAX_TOAST) if toast else None)
            return
        if chat is None or chat.type == ChatType.CHANNEL:
            parameter = start_parameter(query.data or "")
            username = context.bot.username
            await query.answer(url=f"https://t.me/{username}?start={parameter}" if parameter and username else None)
            return
        await query.answer()
        ctx = CommandContext(PLATFORM, str(chat.id), str(query.from_user.id), _chat_kind(chat))
        view = await self.core.handle(line, ctx)
        await self._reply(context.bot, chat.id, view, reply_to=origin.message_id if origin is not None else None)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The one place an unexpected error ends up: logged with its traceback, never shown in chat."""
        error = context.error
        chat = update.effective_chat if isinstance(update, Update) else None
        chat_id = chat.id if chat is not None else None
        if isinstance(error, Forbidden):
            log.warning("telegram: cannot reply in chat %s: %s", chat_id, error.message)
            return
        log.error("telegram: error while handling an update from chat %s", chat_id, exc_info=error)
        if chat is None:
            return
        apology = TelegramMessage(reply_text(self.core.default_language, "internal_error"))
        try:
            await self._send(context.bot, chat.id, apology)
        except TelegramError as failure:
            log.warning("telegram: could not tell chat %s about the error: %s", chat_id, failure.message)

    # ------------------------------------------------------------ helpers

    async def _is_admin(self, bot: Bot, message: Message, chat: Chat) -> bool:
        """Whoever sent `message` may change the chat's subscription."""
        if chat.type in (ChatType.PRIVATE, ChatType.CHANNEL):
            return True  # a private chat is the user's own; only admins can post in a channel
        if message.sender_chat is not None:
            # An anonymous admin posts as the group itself; a linked channel is not an admin.
            return message.sender_chat.id == chat.id
        if message.from_user is None:
            return False
        try:
            member = await bot.get_chat_member(chat.id, message.from_user.id)
        except TelegramError as error:
            log.warning("telegram: could not check whether user %s is an admin of %s: %s",
                        message.from_user.id, chat.id, error.message)
            return False
        return member.status in ADMIN_STATUSES

    async def _reply(self, bot: Bot, chat_id: int, view: View, *, reply_to: int | None) -> None:
        if isinstance(view, MessageView) and view.quiet:
            return  # the user was already told (a repeated rate-limit notice)
        for number, rendered in enumerate(render_view(view)):
            if not await self._send(bot, chat_id, rendered, reply_to=reply_to if number == 0 else None):
                return

    async def _send(self, bot: Bot, chat_id: int, rendered: TelegramMessage, *, reply_to: int | None = None) -> bool:
        """Send one message within the limits; False when Telegram held us back too long to wait."""
        chat_pacer = self._chat_pacers.get(str(chat_id))
        await chat_pacer.acquire()
        await self._bot_pacer.acquire()
        self._chat_pacers.forget_idle()
        try:
            await send_message(bot, chat_id, rendered, reply_to=reply_to)
        except RetryAfter as error:
            wait = seconds(error.retry_after)
            if wait > MAX_REPLY_WAIT:
                log.warning("telegram: reply to chat %s dropped: rate limited for %.0f s", chat_id, wait)
                return False
            chat_pacer.block_until(wait)
            await self._bot_pacer.pause(wait)
            await asyncio.sleep(wait)
            await send_message(bot, chat_id, rendered, reply_to=reply_to)
        return True


def _sender_id(message: Message) -> str:
    """Who sent a message: the user, or the chat it was posted as (a channel post, an anonymous admin)."""
    if message.from_user is not None and message.sender_chat is None:
        return str(message.from_user.id)
    if message.sender_chat is not None:
        return str(message.sender_chat.id)
    return "unknown"


def register(
    application: Application, core: CommandCore, *, settings: TelegramSettings, budget: SendBudget | None = None
) -> TelegramCommands:
    """Wire the commands, the unknown-command reply, the buttons and the error handler."""
    commands = TelegramCommands(core, settings, budget)
    for name in COMMANDS:
        application.add_handler(CommandHandler(name, commands.on_command, filters=NEW_MESSAGES))
    # Same group, added last: only a command no CommandHandler took reaches it.
    application.add_handler(MessageHandler(filters.COMMAND & NEW_MESSAGES, commands.on_unknown_command))
    application.add_handler(CallbackQueryHandler(commands.on_callback))
    application.add_error_handler(commands.on_error)
    return commands
