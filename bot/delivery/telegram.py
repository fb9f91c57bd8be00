"""Telegram delivery: a digest as outbox payloads, the bot client, and the sender that posts them.

Every python-telegram-bot failure is turned into one of the worker's outcomes in
`outcome_for_error`, the one place that decides what a Telegram error means. The bot token
is part of every Bot API URL, so nothing here logs a URL, and error text is scrubbed of it.

In flight (`telegram.in_flight`): Telegram has no idempotent send, so a message whose fate
is unknown is either sent again once ("resend", the default: it may arrive twice, never
three times) or given up ("skip": it may be missing). That covers a sender that died
between claiming a row and recording the answer (a rerun takes the row over from the dead
worker) and a send that got no answer after the request went out (a read timeout, a
dropped connection): `InDoubt`, which the worker records in doubt, paces the chat down
and pauses a chat that keeps timing out. A send that never left (no connection, pool or
connect timeout) is retried with backoff; so is a 5xx answer, counted as in doubt.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import quote_plus

import httpx
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest

from paperwire.bot.delivery.worker import (
    ChatGone,
    ChatMoved,
    InDoubt,
    PlatformStopped,
    Rejected,
    RetryLater,
    SendOutcome,
    Sent,
)
from paperwire.bot.models import Digest
from paperwire.bot.store.outbox import Delivery
from paperwire.config.settings import TelegramSettings
from paperwire.formatters.telegram import TelegramMessage, render_digest
from paperwire.formatters.telegram_views import excluded_callback

PLATFORM = "telegram"
# Connections for the fan-out: the per-bot rate times a slow round trip (30/s x 0.25 s).
# Not more: httpcore checks every idle connection on each request, which at 64 connections
# cost more CPU than the send itself.
FANOUT_CONNECTIONS = 8
CONNECT_TIMEOUT = 5.0
# A send that gets no answer in this long may still have gone out (see the in-flight policy).
READ_TIMEOUT = 15.0
WRITE_TIMEOUT = 15.0
# Waiting for a free connection; nothing has been sent while waiting, so a timeout is safe to retry.
POOL_TIMEOUT = 30.0
# Bad requests that are about the chat, not the message: every later message would fail too.
CHAT_GONE_ERRORS = (
    "chat not found",
    "group chat was deactivated",
    "have no rights to send a message",
    "not enough rights to send text messages",
    "need administrator rights in the channel chat",
    "chat_write_forbidden",
)
# Telegram counts messages over a sliding window as they arrive; sends paced exactly at the
# limit get bunched over it by scheduling jitter (a busy event loop wakes several at once).
# Pacing this share of the configured rates leaves room for that. (0.95 capped a fan-out at
# 95% of the limit by construction; the pacer releases late waiters one interval apart, and
# 2% measured the same handful of 429s as 5% did: bench/telegram_fanout.py.)
PACING_HEADROOM = 0.98
# Failures after the request was written: Telegram may have delivered the message.
_MAYBE_DELIVERED = (httpx.ReadTimeout, httpx.WriteTimeout, httpx.ReadError, httpx.RemoteProtocolError)
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)

log = logging.getLogger(__name__)


def render_payloads(digest: Digest) -> list[dict[str, Any]]:
    """The overview (with its "excluded papers" button), then every card, as outbox payloads."""
    messages = render_digest(digest, excluded_callback=excluded_callback(digest.list_day))
    return [message.to_dict() for message in messages]


def preview_payload(payload: dict[str, Any]) -> str:
    """One payload as `publish --dry-run` prints it: the HTML as sent, then its buttons."""
    message = TelegramMessage.from_dict(payload)
    lines = [message.text]
    for row in message.buttons:
        cells = [
            f"[{button.text}]({button.url})" if button.url else f"[{button.text}] -> {button.callback_data}"
            for button in row
        ]
        lines.append("  ".join(cells))
    return "\n".join(lines)


# Loggers that write Bot API URLs, which carry the token: httpx at INFO for every request,
# PTB's bots at DEBUG when they are created; held at the level given here, or above.
TOKEN_LEAKING_LOGGERS = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "telegram.Bot": logging.INFO,
    "telegram.ext.ExtBot": logging.INFO,
}


def quiet_http_logs() -> None:
    """Keep the loggers that would print the bot token above the level at which they do."""
    for name, level in TOKEN_LEAKING_LOGGERS.items():
        logger = logging.getLogger(name)
        if logger.level < level:
            logger.setLevel(level)


def bot_token(settings: TelegramSettings) -> str:
    if settings.token is None or not settings.token.get_secret_value().strip():
        raise ValueError("telegram.token is not set; set the environment variable PAPERWIRE_TELEGRAM__TOKEN")
    return settings.token.get_secret_value().strip()


# Parameter values at least this long are quoted once and remembered (the texts, markup and
# previews a fan-out sends to every chat); shorter ones (chat ids) are quoted each time.
_REMEMBERED_VALUE_CHARS = 64


@lru_cache(maxsize=512)
def _quoted(value: str) -> str:
    return quote_plus(value)


class _FormClient(httpx.AsyncClient):
    """An httpx client that form-encodes a Bot API call's parameters with each long value quoted
    once: the same card goes to thousands of chats, and quoting it byte by byte was the
    largest CPU cost of a send after the loopback itself. The body is what httpx would send."""

    def build_request(self, method: str, url: Any, *, data: Any = None, files: Any = None, **kwargs: Any) -> httpx.Request:
        plain = isinstance(data, dict) and all(isinstance(value, str) for value in data.values())
        if files or kwargs.get("content") is not None or not plain:
            return super().build_request(method, url, data=data, files=files, **kwargs)
        kwargs.pop("content", None)
        body = "&".join(
            f"{quote_plus(name)}={_quoted(value) if len(value) >= _REMEMBERED_VALUE_CHARS else quote_plus(value)}"
            for name, value in data.items()
        )
        headers = {**(kwargs.pop("headers", None) or {}), "Content-Type": "application/x-www-form-urlencoded"}
        return super().build_request(method, url, content=body.encode("ascii"), headers=headers, **kwargs)


class FanoutRequest(HTTPXRequest):
    """PTB's HTTPX request on a `_FormClient`."""

    def _build_client(self) -> httpx.AsyncClient:
        return _FormClient(**self._client_kwargs)


def fanout_request(connections: int = FANOUT_CONNECTIONS, read_timeout: float = READ_TIMEOUT) -> HTTPXRequest:
    """An HTTP client sized for sending at the per-bot rate, with timeouts that say what failed."""
    return FanoutRequest(
        connection_pool_size=connections,
        connect_timeout=CONNECT_TIMEOUT,
        read_timeout=read_timeout,
        write_timeout=WRITE_TIMEOUT,
        pool_timeout=POOL_TIMEOUT,
    )


class TokenRefused(InvalidToken):
    """Telegram refused the token at start; unlike PTB's own message, this one does not quote it."""

    def __init__(self) -> None:
        super().__init__("Telegram refused the bot token; set a working PAPERWIRE_TELEGRAM__TOKEN")


class SendingBot(Bot):
    """A Bot whose start-up failure names the setting to fix instead of printing the token."""

    __slots__ = ()

    async def initialize(self) -> None:
        try:
            await super().initialize()
        except InvalidToken:
            raise TokenRefused() from None


def make_bot(settings: TelegramSettings, *, connections: int = FANOUT_CONNECTIONS) -> Bot:
    """A Bot on `settings.base_url` (any Bot API server); open it with `async with`.

    Raises TokenRefused on entry when Telegram does not accept the token.
    """
    quiet_http_logs()
    request = fanout_request(connections, settings.answer_timeout_seconds)
    return SendingBot(bot_token(settings), base_url=settings.base_url, request=request)


def inline_keyboard(message: TelegramMessage) -> InlineKeyboardMarkup | None:
    if not message.buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(button.text, url=button.url, callback_data=button.callback_data) for button in row]
            for row in message.buttons
        ]
    )


async def send_message(
    bot: Bot, chat_id: int | str, message: TelegramMessage, *, reply_to: int | None = None
) -> Message:
    """Send one rendered message in HTML parse mode with its buttons. A card with a picture
    goes as a photo with the card as caption, or as text under a large preview of the picture;
    a picture Telegram cannot fetch leaves the card as text (a 400 means nothing was sent)."""
    reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to is not None else None
    if message.photo:
        try:
            return await bot.send_photo(
                chat_id=chat_id,
                photo=message.photo,
                caption=message.text,
                parse_mode=ParseMode.HTML,
                reply_markup=inline_keyboard(message),
                reply_parameters=reply,
            )
        except BadRequest as error:
            if not _picture_refused(error):
                raise
            log.warning("telegram: the picture %s was refused (%s); sending the card as text", message.photo, error.message)
    if message.preview_url:
        preview = LinkPreviewOptions(url=message.preview_url, prefer_large_media=True, show_above_text=True)
    else:
        preview = _NO_PREVIEW if message.disable_preview or message.photo else None
    return await bot.send_message(
        chat_id=chat_id,
        text=message.text,
        parse_mode=ParseMode.HTML,
        link_preview_options=preview,
        reply_markup=inline_keyboard(message),
        reply_parameters=reply,
    )


@dataclass(frozen=True, slots=True)
class PreparedMessage:
    """A rendered message as Bot API parameters, made once and sent to any number of chats:
    (method, parameters) to try in order; a later one only when the picture was refused."""

    attempts: tuple[tuple[str, dict[str, Any]], ...]


def prepare_message(message: TelegramMessage) -> PreparedMessage:
    """The same requests `send_message` makes, with the markup serialised once."""
    markup = inline_keyboard(message)
    common: dict[str, Any] = {"parse_mode": ParseMode.HTML.value}
    if markup is not None:
        common["reply_markup"] = json.dumps(markup.to_dict(), separators=(",", ":"))
    attempts = []
    if message.photo:
        attempts.append(("sendPhoto", {**common, "photo": message.photo, "caption": message.text}))
    if message.preview_url:
        preview = LinkPreviewOptions(url=message.preview_url, prefer_large_media=True, show_above_text=True)
    else:
        preview = _NO_PREVIEW if message.disable_preview or message.photo else None
    text = {**common, "text": message.text}
    if preview is not None:
        text["link_preview_options"] = json.dumps(preview.to_dict(), separators=(",", ":"))
    attempts.append(("sendMessage", text))
    return PreparedMessage(tuple(attempts))


async def send_prepared(bot: Bot, chat_id: str, prepared: PreparedMessage) -> str:
    """Send a prepared message to one chat; the new message's id. Errors are PTB's, as from
    `send_message`; the answer is read for its id only (no `Message` object is built)."""
    for number, (method, parameters) in enumerate(prepared.attempts):
        try:
            # Bot._post is PTB's own request path (timeouts, error mapping), without
            # building a Message from the answer: most of a send's CPU in a fan-out.
            result = await bot._post(method, {**parameters, "chat_id": chat_id})  # noqa: SLF001
        except BadRequest as error:
            if number + 1 == len(prepared.attempts) or not _picture_refused(error):
                raise
            log.warning("telegram: the picture %s was refused (%s); sending the card as text",
                        parameters.get("photo"), error.message)
            continue
        return str(result["message_id"])
    raise AssertionError("a prepared message has at least one request")


def _picture_refused(error: BadRequest) -> bool:
    """Telegram could not use the photo URL (fetch failed, not an image, bad size)."""
    text = error.message.lower()
    return any(
        marker in text
        for marker in ("http url", "url content", "remote file", "file identifier", "web page content", "image_process", "photo_invalid")
    )


def seconds(value: timedelta | float | int) -> float:
    """`RetryAfter.retry_after` as seconds, whether PTB hands it out as a timedelta or a number."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def is_private_chat(chat_id: str) -> bool:
    """Private chats have positive ids; groups, supergroups and channels negative ones or `@name`."""
    return chat_id.strip().isdigit()


def chat_rate(settings: TelegramSettings, chat_id: str) -> float:
    """Messages per second to send to one chat: private chats per second, the rest per minute."""
    if is_private_chat(chat_id):
        return settings.rate_per_private_chat * PACING_HEADROOM
    return settings.rate_per_group_per_minute / 60.0 * PACING_HEADROOM


def account(settings: TelegramSettings) -> str:
    """The bot's send budget name: its numeric id, which is not secret (the rest of the token is)."""
    return f"telegram:{bot_token(settings).split(':', 1)[0]}"


def bot_rate(settings: TelegramSettings) -> float:
    """Messages per second to send through one bot, all chats together."""
    return settings.rate_per_bot * PACING_HEADROOM


class TelegramSender:
    """Sends one outbox row with sendMessage and says what happened, as a worker outcome."""

    platform = PLATFORM

    def __init__(self, bot: Bot, settings: TelegramSettings) -> None:
        self.bot = bot
        self.settings = settings
        # Shared payloads prepared once (a fan-out sends the same few to every chat).
        self._prepared: dict[int, PreparedMessage] = {}

    @property
    def account(self) -> str:
        return account(self.settings)

    @property
    def platform_rate(self) -> float:
        return bot_rate(self.settings)

    def chat_rate(self, chat_id: str) -> float:
        return chat_rate(self.settings, chat_id)

    async def send(self, delivery: Delivery) -> SendOutcome:
        prepared = self._prepared.get(delivery.payload_id) if delivery.payload_id is not None else None
        if prepared is None:
            try:
                prepared = prepare_message(TelegramMessage.from_dict(delivery.payload))
            except (KeyError, TypeError, ValueError) as error:
                return Rejected(f"malformed payload: {error}")
            if delivery.payload_id is not None:
                if len(self._prepared) > 4096:
                    self._prepared.clear()
                self._prepared[delivery.payload_id] = prepared
        try:
            message_id = await send_prepared(self.bot, delivery.chat_id, prepared)
        except TelegramError as error:
            return outcome_for_error(error, in_flight=self.settings.in_flight, token=self.bot.token)
        return Sent(message_id)


def outcome_for_error(
    error: TelegramError, *, in_flight: Literal["resend", "skip"] = "resend", token: str | None = None
) -> SendOutcome:
    """What a Telegram error means for the outbox: wait, retry, drop or move the chat, stop, or refuse."""
    text = _scrub(error.message, token)
    # Order matters: BadRequest and TimedOut are NetworkErrors in python-telegram-bot.
    if isinstance(error, RetryAfter):
        # Telegram does not say which limit was hit; the worker keeps every chat under its own,
        # so the bot-wide one was (replies, another replica): the whole account waits.
        wait = max(seconds(error.retry_after), 0.0)
        return RetryLater(wait, f"429 Too Many Requests: retry after {wait:g}s", "platform")
    if isinstance(error, ChatMigrated):
        return ChatMoved(str(error.new_chat_id))
    if isinstance(error, Forbidden):
        return ChatGone(text)
    if isinstance(error, InvalidToken):
        return PlatformStopped(
            f"Telegram refused the bot token ({text}); set a working PAPERWIRE_TELEGRAM__TOKEN"
        )
    if isinstance(error, BadRequest):
        if any(fragment in text.lower() for fragment in CHAT_GONE_ERRORS):
            return ChatGone(text)
        return Rejected(text)
    if isinstance(error, NetworkError):
        if isinstance(error.__cause__, _MAYBE_DELIVERED):
            # No answer after the request went out: the message may have been delivered. The
            # worker resends it at most once, per the in-flight policy.
            return InDoubt(f"no answer after sending ({_kind(error)})")
        if isinstance(error, TimedOut):
            return RetryLater(0.0, f"timed out before sending: {text}")
        # A server error answered: most often nothing was delivered, but it may have been.
        return RetryLater(0.0, f"network or server error: {text}", maybe_delivered=_server_error(text))
    return RetryLater(0.0, f"unexpected answer: {type(error).__name__}: {text}")


def _server_error(text: str) -> bool:
    """PTB's NetworkError for a 5xx answer: "Bad Gateway" or "<description> (5xx)"."""
    return text.startswith("Bad Gateway") or text.rstrip().endswith(tuple(f"({code})" for code in range(500, 600)))


def _kind(error: TelegramError) -> str:
    cause = error.__cause__
    return f"httpx.{type(cause).__name__}" if cause is not None else type(error).__name__


def _scrub(text: str, token: str | None) -> str:
    """Error text as it may be logged and stored: never with the bot token in it."""
    return text.replace(token, "<token>") if token else text


__all__ = [
    "PLATFORM",
    "SendingBot",
    "TelegramSender",
    "TokenRefused",
    "bot_rate",
    "chat_rate",
    "inline_keyboard",
    "make_bot",
    "outcome_for_error",
    "prepare_message",
    "send_prepared",
    "preview_payload",
    "quiet_http_logs",
    "render_payloads",
    "send_message",
]
