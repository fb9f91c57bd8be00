"""A fake Telegram Bot API server: a real HTTP server that python-telegram-bot talks to.

Point `telegram.Bot(token, base_url=fake.base_url)` at it. It checks what Telegram checks
(HTML entities, length after parsing, inline keyboards), answers with Telegram's status
codes and descriptions, enforces the rate limits with 429 and `retry_after`, serves long
polling (409 to a poller pushed aside by a newer one) and webhooks, and lets a test make a
chat blocked, kicked, missing or migrated, or the server fail or slow down.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import re
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes.server import start_local
from tests.fakes.telegram_html import EntityParseError, ParsedText, parse_html, utf16_length

logger = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456789:FAKE-paperwire-test-token"
MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_ENTITIES = 100
MAX_CALLBACK_BYTES = 64
CONFLICT_OTHER_POLLER = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
)

# Form-encoded requests (python-telegram-bot's default) carry every value as a string;
# these say how to read them back.
_JSON_PARAMETERS = frozenset(
    {"reply_markup", "link_preview_options", "commands", "scope", "allowed_updates", "entities", "reply_parameters"}
)
_INT_PARAMETERS = frozenset(
    {"message_id", "user_id", "offset", "limit", "cache_time", "message_thread_id", "max_connections"}
)
_BOOL_PARAMETERS = frozenset(
    {"show_alert", "drop_pending_updates", "disable_notification", "protect_content", "disable_web_page_preview"}
)
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_STATUS_TEXT = {400: "Bad Request", 403: "Forbidden", 409: "Conflict", 500: "Internal Server Error", 502: "Bad Gateway"}


class ApiError(Exception):
    """An error answer: HTTP status, Telegram's description, optional `parameters`."""

    def __init__(self, status: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def bad_request(what: str) -> ApiError:
    return ApiError(400, f"Bad Request: {what}")


@dataclass(slots=True)
class RateLimits:
    """Telegram's documented send limits; None switches one off."""

    per_bot_per_second: int | None = 30
    per_private_chat_per_second: int | None = 1
    per_group_per_minute: int | None = 20

    @classmethod
    def off(cls) -> RateLimits:
        return cls(None, None, None)


class ManualClock:
    """A clock a test moves by hand, so rate-limit windows pass without waiting."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass(slots=True)
class FakeChat:
    id: int
    type: str  # "private", "group", "supergroup" or "channel"
    title: str | None = None
    username: str | None = None
    members: dict[int, str] = field(default_factory=dict)  # user id -> status
    next_message_id: int = 1

    def to_dict(self) -> dict[str, Any]:
        chat: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private":
            chat["first_name"] = self.title or f"User {self.id}"
        else:
            chat["title"] = self.title or f"Chat {self.id}"
        if self.username:
            chat["username"] = self.username
        return chat


@dataclass(slots=True)
class _Failure:
    status: int
    description: str
    parameters: dict[str, Any] | None
    method: str | None
    times: int


class _Window:
    """Timestamps of recent sends; says how long until one more fits."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit, self.seconds, self.stamps = limit, seconds, deque[float]()

    def wait(self, now: float) -> float:
        while self.stamps and self.stamps[0] <= now - self.seconds:
            self.stamps.popleft()
        return 0.0 if len(self.stamps) < self.limit else self.stamps[0] + self.seconds - now


class FakeTelegram:
    """The fake Bot API for one bot token. Use `async with FakeTelegram() as fake:`."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        limits: RateLimits | None = None,
        clock: Callable[[], float] = time.monotonic,
        bot_username: str = "paperwire_test_bot",
        auto_create_chats: bool = True,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 1
        self.bot_username = bot_username
        self.limits = limits if limits is not None else RateLimits()
        self.clock = clock
        self.auto_create_chats = auto_create_chats
        self.delay = 0.0  # seconds every answer waits after the work is done
        # Seconds the answers to sends into one chat wait after the message is delivered.
        self.slow_chats: dict[int | str, float] = {}
        self.lost_answers = 0  # sends delivered whose answer was dropped
        self.allow_http_webhook = True  # Telegram wants HTTPS; local tests serve plain HTTP

        self.requests: list[tuple[str, dict[str, Any]]] = []
        self.sent: list[dict[str, Any]] = []
        self.edited: list[dict[str, Any]] = []
        self.callback_answers: list[dict[str, Any]] = []
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.webhook: dict[str, Any] = {}
        self.webhook_deliveries: list[tuple[int, int]] = []  # (update_id, HTTP status)
        self.too_many_requests = 0
        self.rate_limited_at: list[float] = []  # the clock at each 429
        self.limited_by: Counter[str] = Counter()  # which limit each 429 of a send was about
        self.conflicts = 0
        # Photo URLs Telegram cannot fetch (it then answers 400 "failed to get HTTP URL content").
        self.unreachable_photos: set[str] = set()

        self._chats: dict[int, FakeChat] = {}
        self._usernames: dict[str, int] = {}
        self._blocked: dict[int, str] = {}  # chat id -> 403 description
        self._not_found: set[int | str] = set()
        self._migrated: dict[int, int] = {}
        self._failures: list[_Failure] = []
        # After delivering: (what to do, HTTP status, method, times left); "lose" drops the connection.
        self._after_delivery: list[list[Any]] = []
        self._messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._windows: dict[tuple[str, int], _Window] = {}
        self._updates: list[dict[str, Any]] = []
        self._next_update_id = 1
        self._open_callbacks: set[str] = set()
        self._update_event = asyncio.Event()
        self._poller: asyncio.Event | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._methods: dict[str, Callable[[dict[str, Any]], Awaitable[Any]]] = {
            name.lower(): handler
            for name, handler in {
                "getMe": self._get_me,
                "sendMessage": self._send_message,
                "sendPhoto": self._send_photo,
                "editMessageText": self._edit_message_text,
                "answerCallbackQuery": self._answer_callback_query,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "getUpdates": self._get_updates,
                "getChat": self._get_chat,
                "getChatMember": self._get_chat_member,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
            }.items()
        }

    # -- lifecycle -------------------------------------------------------------------------

    async def start(self) -> FakeTelegram:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        # Cancel a handler whose client went away, as a long poll's client often does.
        self._runner, origin = await start_local(app, handler_cancellation=True, access_log=None)
        self.port = int(origin.rsplit(":", 1)[1])
        return self

    async def stop(self) -> None:
        if self._poller is not None:
            self._poller.set()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            await asyncio.gather(self._webhook_task, return_exceptions=True)
            self._webhook_task = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        """What python-telegram-bot takes as `base_url`; it appends the token."""
        return f"http://127.0.0.1:{self.port}/bot"

    # -- knobs for tests -------------------------------------------------------------------

    def add_chat(self, chat_id: int | str, type: str | None = None, *, title: str | None = None) -> FakeChat:
        """Make a chat known; `@name` becomes a channel with a fresh id."""
        if isinstance(chat_id, str) and chat_id.startswith("@"):
            username = chat_id[1:]
            if username.lower() in self._usernames:
                return self._chats[self._usernames[username.lower()]]
            numeric = -1_000_000_000_000 - 1 - len(self._usernames)
            chat = FakeChat(numeric, type or "channel", title=title, username=username)
            self._usernames[username.lower()] = numeric
        else:
            numeric = int(chat_id)
            if numeric in self._chats:
                return self._chats[numeric]
            chat = FakeChat(numeric, type or _type_of(numeric), title=title)
        self._chats[chat.id] = chat
        return chat

    def set_member(self, chat_id: int | str, user_id: int, status: str) -> None:
        """Say what getChatMember answers: "creator", "administrator", "member" or "left"."""
        if status not in ("creator", "administrator", "member", "left"):
            raise ValueError(f"unsupported member status {status!r}")
        self.add_chat(chat_id).members[user_id] = status

    def block(self, chat_id: int) -> None:
        self._blocked[self.add_chat(chat_id).id] = "Forbidden: bot was blocked by the user"

    def deactivate(self, chat_id: int) -> None:
        self._blocked[self.add_chat(chat_id).id] = "Forbidden: user is deactivated"

    def kick(self, chat_id: int | str) -> None:
        chat = self.add_chat(chat_id)
        self._blocked[chat.id] = f"Forbidden: bot was kicked from the {chat.type} chat"

    def not_found(self, chat_id: int | str) -> None:
        self._not_found.add(_normalise_chat_id(chat_id))

    def migrate(self, chat_id: int, new_chat_id: int) -> None:
        """A group upgraded to a supergroup: the old id now answers with `migrate_to_chat_id`."""
        self._migrated[int(chat_id)] = int(new_chat_id)
        self.add_chat(new_chat_id, "supergroup")

    def unblock(self, chat_id: int | str) -> None:
        self._blocked.pop(self.add_chat(chat_id).id, None)

    def fail_next(
        self,
        status: int = 500,
        *,
        times: int = 1,
        method: str | None = None,
        description: str | None = None,
        retry_after: int | None = None,
    ) -> None:
        """Answer the next `times` requests (of `method`, or any) with this error."""
        parameters = {"retry_after": retry_after} if retry_after is not None else None
        if status == 429 and description is None:
            retry_after = retry_after or 1
            parameters = {"retry_after": retry_after}
            description = f"Too Many Requests: retry after {retry_after}"
        text = description or _STATUS_TEXT.get(status, "Error")
        self._failures.append(_Failure(status, text, parameters, method.lower() if method else None, times))

    def lose_answers(self, times: int = 1, *, method: str = "sendMessage") -> None:
        """Deliver the next `times` sends, then drop the connection instead of answering."""
        self._after_delivery.append(["lose", 0, method.lower(), times])

    def fail_after_delivery(self, status: int = 500, *, times: int = 1, method: str = "sendMessage") -> None:
        """Deliver the next `times` sends, then answer with a server error anyway."""
        self._after_delivery.append(["fail", status, method.lower(), times])

    def _take_after_delivery(self, method: str) -> list[Any] | None:
        for knob in self._after_delivery:
            if knob[2] == method:
                knob[3] -= 1
                if knob[3] <= 0:
                    self._after_delivery.remove(knob)
                return knob
        return None

    def inject_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates (or the webhook); assigns `update_id` if missing."""
        update = dict(update)
        update.setdefault("update_id", self._next_update_id)
        self._next_update_id = max(self._next_update_id, update["update_id"]) + 1
        if "callback_query" in update:
            self._open_callbacks.add(str(update["callback_query"]["id"]))
        self._updates.append(update)
        event, self._update_event = self._update_event, asyncio.Event()
        event.set()
        if self.webhook.get("url"):
            self._ensure_webhook_task()
        return update

    def message_update(
        self, chat_id: int | str, text: str, *, user_id: int = 1001, message_id: int | None = None
    ) -> dict[str, Any]:
        """A user's message (a `channel_post` in a channel); `/commands` get their entity."""
        chat = self.add_chat(chat_id)
        if message_id is None:
            message_id = chat.next_message_id
            chat.next_message_id += 1
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat.to_dict(),
            "text": text,
        }
        if chat.type == "channel":
            message["sender_chat"] = chat.to_dict()
        else:
            message["from"] = {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"}
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_length(text.split()[0])}]
        return self.inject_update({"channel_post" if chat.type == "channel" else "message": message})

    def callback_update(
        self, chat_id: int | str, message_id: int, data: str, *, user_id: int = 1001
    ) -> dict[str, Any]:
        """A press on an inline button of a message the bot sent."""
        chat = self.add_chat(chat_id)
        stored = self._messages.get((chat.id, message_id))
        message = stored or {"message_id": message_id, "date": int(time.time()), "chat": chat.to_dict(), "text": ""}
        query_id = f"cb{self._next_update_id}"
        query = {
            "id": query_id,
            "from": {"id": user_id, "is_bot": False, "first_name": f"User {user_id}"},
            "chat_instance": f"ci{chat.id}",
            "message": message,
            "data": data,
        }
        return self.inject_update({"callback_query": query})

    def sent_to(self, chat_id: int | str) -> list[dict[str, Any]]:
        """The messages sent to one chat, in order."""
        key = _normalise_chat_id(chat_id)
        return [message for message in self.sent if key in (message["chat_id"], message["chat"])]

    @property
    def pending_updates(self) -> int:
        return len(self._updates)

    # -- HTTP ------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error_response(ApiError(401, "Unauthorized"))
        method = request.match_info["method"].lower()
        handler = self._methods.get(method)
        if handler is None:
            return _error_response(ApiError(404, "Not Found"))
        try:
            params = await _read_parameters(request)
        except ValueError as exc:
            return _error_response(bad_request(str(exc)))
        self.requests.append((request.match_info["method"], params))
        try:
            self._raise_injected_failure(method)
            result = await handler(params)
        except ApiError as error:
            if error.status == 429:
                self.too_many_requests += 1
                self.rate_limited_at.append(self.clock())
            if error.status == 409:
                self.conflicts += 1
            response = _error_response(error)
        else:
            response = web.json_response({"ok": True, "result": result})
            knob = self._take_after_delivery(method)
            if knob is not None and knob[0] == "lose":
                self.lost_answers += 1
                if request.transport is not None:
                    request.transport.abort()  # the message is there; its answer never comes
                return response
            if knob is not None:
                response = _error_response(ApiError(knob[1], _STATUS_TEXT.get(knob[1], "Error")))
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.slow_chats and params.get("chat_id"):
            with contextlib.suppress(ApiError):
                slow = self.slow_chats.get(_normalise_chat_id(params["chat_id"]))
                if slow:
                    await asyncio.sleep(slow)
        return response

    def _raise_injected_failure(self, method: str) -> None:
        for failure in self._failures:
            if failure.method in (None, method):
                failure.times -= 1
                if failure.times <= 0:
                    self._failures.remove(failure)
                raise ApiError(failure.status, failure.description, failure.parameters)

    # -- chats, limits, validation ---------------------------------------------------------

    def _resolve_chat(self, raw: Any, *, sending: bool = False) -> FakeChat:
        if raw in (None, ""):
            raise bad_request("chat_id is empty")
        key = _normalise_chat_id(raw)
        if key in self._not_found:
            raise bad_request("chat not found")
        if isinstance(key, int) and key in self._migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self._migrated[key]},
            )
        known = self._usernames.get(key[1:].lower()) if isinstance(key, str) else key
        if known not in self._chats and not self.auto_create_chats:
            raise bad_request("chat not found")
        chat = self.add_chat(key)
        if sending and chat.id in self._blocked:
            raise ApiError(403, self._blocked[chat.id])
        return chat

    def _check_rate(self, chat: FakeChat) -> None:
        """Count one send against the bot's and the chat's windows; 429 when one is full."""
        now = self.clock()
        windows: list[_Window] = []
        if self.limits.per_bot_per_second:
            windows.append(self._window(("bot", 0), self.limits.per_bot_per_second, 1.0))
        if chat.type == "private" and self.limits.per_private_chat_per_second:
            windows.append(self._window(("chat", chat.id), self.limits.per_private_chat_per_second, 1.0))
        if chat.type != "private" and self.limits.per_group_per_minute:
            windows.append(self._window(("chat", chat.id), self.limits.per_group_per_minute, 60.0))
        wait = max((window.wait(now) for window in windows), default=0.0)
        if wait > 0:
            # Which limit it was, for benchmarks (Telegram itself does not say).
            self.limited_by["bot" if windows and windows[0].wait(now) > 0 and self.limits.per_bot_per_second else "chat"] += 1
            retry_after = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after})
        for window in windows:
            window.stamps.append(now)

    def _window(self, key: tuple[str, int], limit: int, seconds: float) -> _Window:
        window = self._windows.get(key)
        if window is None or (window.limit, window.seconds) != (limit, seconds):
            window = self._windows[key] = _Window(limit, seconds)
        return window

    def _parse_text(self, params: dict[str, Any], field: str = "text", limit: int = MAX_TEXT_LENGTH) -> ParsedText:
        text = params.get(field)
        if field == "caption" and not text:
            return ParsedText("", [])
        if not isinstance(text, str) or not text.strip():
            raise bad_request("message text is empty")
        parse_mode = str(params.get("parse_mode") or "")
        if parse_mode.lower() == "html":
            try:
                parsed = parse_html(text)
            except EntityParseError as error:
                raise bad_request(f"can't parse entities: {error}") from None
        elif parse_mode:
            raise bad_request("unsupported parse_mode")  # the fake speaks HTML only
        else:
            parsed = ParsedText(text.strip(), list(params.get("entities") or []))
        if not parsed.text:
            raise bad_request("message text is empty")
        if utf16_length(parsed.text) > limit:
            raise bad_request("message caption is too long" if field == "caption" else "message is too long")
        return parsed

    def _message(self, chat: FakeChat, message_id: int, parsed: ParsedText, params: dict[str, Any]) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": chat.to_dict(),
            "text": parsed.text,
        }
        # Telegram keeps the first 100 entities and silently drops the rest.
        if parsed.entities:
            message["entities"] = parsed.entities[:MAX_ENTITIES]
        if chat.type == "channel":
            message["sender_chat"] = chat.to_dict()
        else:
            message["from"] = self._bot_user()
        markup = params.get("reply_markup")
        if markup:
            message["reply_markup"] = markup
        return message

    def _record(
        self, chat: FakeChat, message: dict[str, Any], parsed: ParsedText, params: dict[str, Any]
    ) -> dict[str, Any]:
        dropped = max(0, len(parsed.entities) - MAX_ENTITIES)
        if dropped:
            logger.warning("fake Telegram dropped %d entities beyond %d", dropped, MAX_ENTITIES)
        return {
            "chat_id": _normalise_chat_id(params["chat_id"]),
            "chat": chat.id,
            "message_id": message["message_id"],
            "text": params.get("text", params.get("caption")),
            "photo": params.get("photo"),
            "parse_mode": params.get("parse_mode"),
            "plain_text": parsed.text,
            "entities": parsed.entities,
            "dropped_entities": dropped,
            "at": time.time(),  # when it was accepted: benchmarks measure first-to-last
            "reply_markup": params.get("reply_markup"),
            "link_preview_disabled": _preview_disabled(params),
            "link_preview": params.get("link_preview_options") or None,
            "time": self.clock(),
        }

    def _bot_user(self) -> dict[str, Any]:
        return {"id": self.bot_id, "is_bot": True, "first_name": "paperwire test", "username": self.bot_username}

    # -- methods ---------------------------------------------------------------------------

    async def _get_me(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._bot_user() | {
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _send_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._resolve_chat(params.get("chat_id"), sending=True)
        parsed = self._parse_text(params)
        _validate_reply_markup(params.get("reply_markup"))
        self._check_rate(chat)
        message = self._message(chat, chat.next_message_id, parsed, params)
        chat.next_message_id += 1
        self._messages[(chat.id, message["message_id"])] = message
        self.sent.append(self._record(chat, message, parsed, params))
        return message

    async def _send_photo(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._resolve_chat(params.get("chat_id"), sending=True)
        photo = params.get("photo")
        if not isinstance(photo, str) or not photo:
            raise bad_request("there is no photo in the request")
        if not photo.startswith(("https://", "http://")) or any(char.isspace() for char in photo):
            raise bad_request("wrong remote file identifier specified: Wrong character in the string")
        if photo in self.unreachable_photos:
            raise bad_request("failed to get HTTP URL content")
        parsed = self._parse_text(params, "caption", MAX_CAPTION_LENGTH)
        _validate_reply_markup(params.get("reply_markup"))
        self._check_rate(chat)
        message = self._message(chat, chat.next_message_id, parsed, params)
        del message["text"]
        message["caption"] = parsed.text
        message["photo"] = [{"file_id": f"photo{chat.next_message_id}", "file_unique_id": "u", "width": 1200, "height": 630}]
        chat.next_message_id += 1
        self._messages[(chat.id, message["message_id"])] = message
        self.sent.append(self._record(chat, message, parsed, params))
        return message

    async def _edit_message_text(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("inline_message_id"):
            raise bad_request("message to edit not found")  # inline messages are not modelled
        chat = self._resolve_chat(params.get("chat_id"), sending=True)
        key = (chat.id, int(params.get("message_id") or 0))
        if key not in self._messages:
            raise bad_request("message to edit not found")
        parsed = self._parse_text(params)
        _validate_reply_markup(params.get("reply_markup"))
        old = self._messages[key]
        new = self._message(chat, key[1], parsed, params)
        same_text = (old["text"], old.get("entities")) == (new["text"], new.get("entities"))
        if same_text and old.get("reply_markup") == new.get("reply_markup"):
            raise bad_request(
                "message is not modified: specified new message content and reply markup are exactly "
                "the same as a current content and reply markup of the message"
            )
        self._check_rate(chat)
        new["date"] = old["date"]
        new["edit_date"] = int(time.time())
        self._messages[key] = new
        self.edited.append(self._record(chat, new, parsed, params))
        return new

    async def _answer_callback_query(self, params: dict[str, Any]) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._open_callbacks:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        if len(str(params.get("text") or "")) > 200:  # the toast's limit
            raise bad_request("MESSAGE_TOO_LONG")
        self._open_callbacks.discard(query_id)
        self.callback_answers.append(params)
        return True

    async def _set_my_commands(self, params: dict[str, Any]) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        for command in commands:
            if not isinstance(command, dict) or not _COMMAND.match(str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[_commands_key(params)] = [
            {"command": command["command"], "description": command["description"]} for command in commands
        ]
        return True

    async def _get_my_commands(self, params: dict[str, Any]) -> list[dict[str, str]]:
        return self.commands.get(_commands_key(params), [])

    async def _delete_my_commands(self, params: dict[str, Any]) -> bool:
        self.commands.pop(_commands_key(params), None)
        return True

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        if self.webhook.get("url"):
            raise ApiError(409, CONFLICT_WEBHOOK)
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        allowed = params.get("allowed_updates")
        if offset > 0:  # confirms (and forgets) every update before `offset`
            self._updates = [update for update in self._updates if update["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]
        if self._poller is not None:
            self._poller.set()  # the older long poll is the one Telegram terminates
        terminated = self._poller = asyncio.Event()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while True:
                changed = self._update_event
                ready = [update for update in self._updates if _allowed(update, allowed)][:limit]
                remaining = deadline - loop.time()
                if ready or remaining <= 0:
                    return ready
                waiters = {asyncio.ensure_future(changed.wait()), asyncio.ensure_future(terminated.wait())}
                _, pending = await asyncio.wait(waiters, timeout=remaining, return_when=asyncio.FIRST_COMPLETED)
                for waiter in pending:
                    waiter.cancel()
                await asyncio.gather(*pending, return_exceptions=True)
                if terminated.is_set():
                    raise ApiError(409, CONFLICT_OTHER_POLLER)
        finally:
            if self._poller is terminated:
                self._poller = None

    async def _get_chat(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._resolve_chat(params.get("chat_id"))
        return chat.to_dict() | {
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    async def _get_chat_member(self, params: dict[str, Any]) -> dict[str, Any]:
        chat = self._resolve_chat(params.get("chat_id"))
        user_id = int(params.get("user_id") or 0)
        if not user_id:
            raise bad_request("user_id is empty")
        default = "administrator" if user_id == self.bot_id and chat.type != "private" else "member"
        status = chat.members.get(user_id, default)
        user = {"id": user_id, "is_bot": user_id == self.bot_id, "first_name": f"User {user_id}"}
        member: dict[str, Any] = {"status": status, "user": user}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            member |= {
                name: name in ("can_manage_chat", "can_post_messages", "can_edit_messages")
                for name in (
                    "can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages",
                    "can_manage_video_chats", "can_restrict_members", "can_promote_members",
                    "can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories",
                    "can_delete_stories", "can_post_messages", "can_edit_messages",
                )
            }  # fmt: skip
        return member

    async def _set_webhook(self, params: dict[str, Any]) -> bool:
        url = str(params.get("url") or "")
        if not url:
            return await self._delete_webhook(params)
        if not url.startswith("https://") and not (self.allow_http_webhook and url.startswith("http://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_TOKEN.match(str(secret)):
            raise bad_request("secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._updates.clear()
        self.webhook = {"url": url, "secret_token": secret, "allowed_updates": params.get("allowed_updates")}
        if self._poller is not None:
            self._poller.set()
        if self._updates:
            self._ensure_webhook_task()
        return True

    async def _delete_webhook(self, params: dict[str, Any]) -> bool:
        self.webhook = {}
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            self._webhook_task = None
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, params: dict[str, Any]) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook.get("allowed_updates"):
            info["allowed_updates"] = self.webhook["allowed_updates"]
        return info

    # -- webhook delivery ------------------------------------------------------------------

    def _ensure_webhook_task(self) -> None:
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.get_running_loop().create_task(self._deliver_webhook_updates())

    async def _deliver_webhook_updates(self) -> None:
        """POST queued updates to the webhook one at a time, retrying until one is accepted."""
        if self._session is None:
            self._session = aiohttp.ClientSession()
        while self._updates and self.webhook.get("url"):
            update = self._updates[0]
            headers = {}
            if self.webhook.get("secret_token"):
                headers["X-Telegram-Bot-Api-Secret-Token"] = self.webhook["secret_token"]
            try:
                async with self._session.post(self.webhook["url"], json=update, headers=headers) as response:
                    status = response.status
            except aiohttp.ClientError:
                status = 0
            self.webhook_deliveries.append((update["update_id"], status))
            if 200 <= status < 300:
                self._updates.remove(update)
            else:
                await asyncio.sleep(0.1)

    async def wait_webhook_idle(self, timeout: float = 5.0) -> None:
        """Wait until every queued update has been delivered to the webhook."""
        async with asyncio.timeout(timeout):
            while self._updates:
                await asyncio.sleep(0.01)


def _type_of(chat_id: int) -> str:
    if chat_id > 0:
        return "private"
    return "supergroup" if chat_id <= -1_000_000_000_000 else "group"


def _normalise_chat_id(raw: Any) -> int | str:
    """An int for a numeric id (as Telegram reads "-100123"), else the `@username`."""
    if isinstance(raw, int):
        return raw
    text = str(raw).strip()
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if text.startswith("@"):
        return text
    raise bad_request("chat not found")


def _preview_disabled(params: dict[str, Any]) -> bool:
    options = params.get("link_preview_options") or {}
    return bool(options.get("is_disabled") or params.get("disable_web_page_preview"))


def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")


def _allowed(update: dict[str, Any], allowed: list[str] | None) -> bool:
    return not allowed or any(kind in update for kind in allowed)


def _validate_reply_markup(markup: Any) -> None:
    """Inline keyboards as Telegram checks them: URL or callback buttons with text."""
    if markup is None:
        return
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    keyboard = markup.get("inline_keyboard")
    if keyboard is None:
        return  # a reply keyboard or a removal: not used by paperwire, not checked
    if not isinstance(keyboard, list) or not all(isinstance(row, list) for row in keyboard):
        raise bad_request('field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays')
    for row in keyboard:
        for button in row:
            if not isinstance(button, dict) or not str(button.get("text", "")).strip():
                raise bad_request("BUTTON_TEXT_INVALID")
            actions = [name for name in ("url", "callback_data") if name in button]
            if not actions:
                raise bad_request("text buttons are unallowed in the inline keyboard")
            if len(actions) > 1:
                raise bad_request("can't parse inline keyboard button: exactly one action field must be used")
            if "url" in button and not str(button["url"]).startswith(("http://", "https://", "tg://")):
                raise bad_request("BUTTON_URL_INVALID")
            if "callback_data" in button:
                size = len(str(button["callback_data"]).encode("utf-8"))
                if not 1 <= size <= MAX_CALLBACK_BYTES:
                    raise bad_request("BUTTON_DATA_INVALID")


async def _read_parameters(request: web.Request) -> dict[str, Any]:
    """Parameters from the query string and a JSON, form or multipart body, typed back."""
    params: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        body = await request.json()
        if not isinstance(body, dict):
            raise ValueError("request body must be a JSON object")
        params.update(body)
        return params
    if request.can_read_body:
        form = await request.post()
        params.update({name: value for name, value in form.items() if isinstance(value, str)})
    for name, value in list(params.items()):
        if not isinstance(value, str):
            continue
        try:
            if name in _JSON_PARAMETERS:
                params[name] = json.loads(value)
            elif name in _INT_PARAMETERS:
                params[name] = int(value)
            elif name in _BOOL_PARAMETERS:
                params[name] = value.lower() in ("true", "1")
        except ValueError:
            raise ValueError(f"can't parse {name}") from None
    return params


def _error_response(error: ApiError) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": error.status, "description": error.description}
    if error.parameters:
        body["parameters"] = error.parameters
    return web.json_response(body, status=error.status)
