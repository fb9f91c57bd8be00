"""The fake Slack's Web API: the methods paperwire calls, answered the way Slack answers them.

Tokens are checked (bot token for chat methods, app token for `apps.connections.open`),
blocks are validated (`invalid_blocks` with Slack-style errors), `chat.postMessage` is
limited per channel and per workspace (429 with `Retry-After`), and knobs make channels,
tokens or the whole server fail. `tests.fakes.slack.SlackFake` serves it over HTTP.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from paperwire.formatters.slack_limits import MAX_MESSAGE_TEXT, validate_blocks
from tests.fakes.slack_events import APP_ID, TEAM_ID

BOT_USER_ID = "U0PAPERWIRE"
BOT_ID = "B0PAPERWIRE"
CHANNEL_ERRORS = frozenset({"channel_not_found", "not_in_channel", "is_archived"})
TOKEN_ERRORS = frozenset({"token_revoked", "invalid_auth", "account_inactive"})
_SERVER_ERRORS = {500: "fatal_error", 503: "service_unavailable"}
_APP_TOKEN_METHODS = frozenset({"apps.connections.open"})


class SlackWebApi:
    """Web API behaviour and records; knobs make it fail the way Slack does."""

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-fake-bot-token",
        app_token: str = "xapp-1-fake-app-token",
        rate_per_channel: float = 1.0,
        rate_per_workspace: float = 100.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.bot_token = bot_token
        self.app_token = app_token
        # Messages a second; `math.inf` turns a limit off.
        self.rate_per_channel = rate_per_channel
        self.rate_per_workspace = rate_per_workspace
        self.delay = 0.0  # seconds every Web API call waits before answering
        self.admins: set[str] = set()  # user ids users.info reports as workspace admins
        self.retry_after: int | None = None  # force the Retry-After value of 429s
        # Seconds a post's answer waits after the message is posted, per channel.
        self.slow_channels: dict[str, float] = {}
        self.lost_answers = 0  # posts made whose answer was dropped
        self._clock = clock

        self.calls: list[str] = []
        self.posted: list[dict[str, Any]] = []
        self.updated: list[dict[str, Any]] = []
        self.ephemeral: list[dict[str, Any]] = []
        self.rejected: list[dict[str, Any]] = []
        self.rate_limited = 0

        self._origin = ""  # http://host:port, known once the server listens
        self._stopping = asyncio.Event()
        self._messages: dict[tuple[str, str], dict[str, Any]] = {}
        self._ts_counter = 0
        self._channel_errors: dict[str, str] = {}
        self._revoked: dict[str, str] = {}
        self._failures: deque[tuple[int, str | None]] = deque()
        self._last_post: dict[str, float] = {}
        self._workspace_posts: deque[float] = deque()
        self._tickets: set[str] = set()
        # After posting: [what ("lose" or "fail"), HTTP status, times left].
        self._after_post: list[list[Any]] = []

    # knobs

    def fail_channel(self, channel: str, error: str = "channel_not_found") -> None:
        """Make every call about `channel` fail with `error` until `heal_channel`."""
        if error not in CHANNEL_ERRORS:
            raise ValueError(f"{error!r} is not one of {sorted(CHANNEL_ERRORS)}")
        self._channel_errors[channel] = error

    def heal_channel(self, channel: str) -> None:
        self._channel_errors.pop(channel, None)

    def revoke(self, error: str = "token_revoked", *, app_token: bool = False) -> None:
        """Make the bot token (or the app token) fail every call with `error`."""
        if error not in TOKEN_ERRORS:
            raise ValueError(f"{error!r} is not one of {sorted(TOKEN_ERRORS)}")
        self._revoked[self.app_token if app_token else self.bot_token] = error

    def fail_next(self, status: int = 500, times: int = 1, *, method: str | None = None) -> None:
        """The next `times` calls (of `method`, or any) answer HTTP `status`."""
        self._failures.extend([(status, method)] * times)

    def lose_answers(self, times: int = 1) -> None:
        """Post the next `times` messages, then drop the connection instead of answering."""
        self._after_post.append(["lose", 0, times])

    def fail_after_delivery(self, status: int = 500, times: int = 1) -> None:
        """Post the next `times` messages, then answer with a server error anyway."""
        self._after_post.append(["fail", status, times])

    # records

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """The message as it stands now (after updates), or None."""
        return self._messages.get((channel, ts))

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """The replies posted in the thread of message `ts`, oldest first."""
        return [post for post in self.posted if post["channel"] == channel and post["thread_ts"] == ts]

    def posted_to(self, channel: str) -> list[dict[str, Any]]:
        return [post for post in self.posted if post["channel"] == channel]

    def take_ticket(self, ticket: str) -> bool:
        """Whether `ticket` came from `apps.connections.open`; each opens one connection, as with Slack."""
        if ticket in self._tickets:
            self._tickets.discard(ticket)
            return True
        return False

    # the HTTP entry point

    async def handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.calls.append(method)
        if self.delay > 0:
            # A slow answer, cut short when the fake stops so teardown does not wait for it.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.delay)
        failure = self._take_failure(method)
        if failure is not None:
            return web.json_response({"ok": False, "error": _SERVER_ERRORS.get(failure, "fatal_error")}, status=failure)
        handler = _METHODS.get(method)
        if handler is None:
            return web.json_response({"ok": False, "error": "unknown_method"}, status=404)
        args = await _read_args(request)
        if args is None:
            return _error("invalid_json")
        token_error = self._check_token(request, args, app=method in _APP_TOKEN_METHODS)
        if token_error:
            return _error(token_error)
        posted_before = len(self.posted)
        response = await handler(self, args)
        if len(self.posted) > posted_before:  # a message was posted
            slow = self.slow_channels.get(str(args.get("channel") or ""))
            if slow:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), slow)
            if self._after_post:
                knob = self._after_post[0]
                knob[2] -= 1
                if knob[2] <= 0:
                    self._after_post.pop(0)
                if knob[0] == "lose":
                    self.lost_answers += 1
                    if request.transport is not None:
                        request.transport.abort()
                    return response
                return web.json_response({"ok": False, "error": _SERVER_ERRORS.get(knob[1], "fatal_error")},
                                         status=knob[1])
        return response

    # checks shared by the methods

    def _take_failure(self, method: str) -> int | None:
        for index, (status, only) in enumerate(self._failures):
            if only is None or only == method:
                del self._failures[index]
                return status
        return None

    def _check_token(self, request: web.Request, args: dict[str, Any], *, app: bool) -> str | None:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else str(args.get("token", ""))
        if not token:
            return "not_authed"
        if token in self._revoked:
            return self._revoked[token]
        if token == (self.app_token if app else self.bot_token):
            return None
        if token in (self.app_token, self.bot_token):
            return "not_allowed_token_type"
        return "invalid_auth"

    def _message_problem(self, args: dict[str, Any]) -> tuple[str, list[str]] | None:
        """What Slack would say about a message's text and blocks: (error, details), or None."""
        text, blocks = args.get("text"), args.get("blocks")
        if isinstance(blocks, str):  # form-encoded requests carry blocks as a JSON string
            try:
                blocks = args["blocks"] = json.loads(blocks)
            except ValueError:
                return "invalid_blocks_format", []
        if not text and not blocks:
            return "no_text", []
        if isinstance(text, str) and len(text) > MAX_MESSAGE_TEXT:
            return "msg_too_long", []
        if blocks is not None:
            problems = validate_blocks(blocks)
            if problems:
                return "invalid_blocks", problems
        return None

    def _rate_wait(self, channel: str) -> float:
        """Seconds until `channel` may take another message; 0 when it may now."""
        now = self._clock()
        wait = 0.0
        last = self._last_post.get(channel)
        if last is not None:
            wait = max(wait, last + 1.0 / self.rate_per_channel - now)
        while self._workspace_posts and self._workspace_posts[0] <= now - 1.0:
            self._workspace_posts.popleft()
        cap = self.rate_per_workspace
        if math.isfinite(cap) and len(self._workspace_posts) >= max(1, int(cap)):
            wait = max(wait, self._workspace_posts[0] + 1.0 - now)
        return wait

    def _ratelimited(self, wait: float) -> web.Response:
        self.rate_limited += 1
        retry_after = self.retry_after if self.retry_after is not None else max(1, math.ceil(wait))
        return web.json_response(
            {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(retry_after)}
        )

    def _next_ts(self) -> str:
        """Unique, increasing timestamps in Slack's form, e.g. `1700000000.000100`."""
        self._ts_counter += 100
        return f"{1_700_000_000 + self._ts_counter // 1_000_000}.{self._ts_counter % 1_000_000:06d}"

    def _reject(self, method: str, channel: str, error: str, problems: list[str]) -> web.Response:
        self.rejected.append({"method": method, "channel": channel, "error": error, "errors": problems})
        body: dict[str, Any] = {"ok": False, "error": error}
        if problems:
            body["errors"] = problems
            body["response_metadata"] = {"messages": [f"[ERROR] {problem}" for problem in problems]}
        return web.json_response(body)

    # the methods

    async def _users_info(self, args: dict[str, Any]) -> web.Response:
        user = str(args.get("user", ""))
        if not user:
            return web.json_response({"ok": False, "error": "user_not_found"})
        return web.json_response(
            {"ok": True, "user": {"id": user, "team_id": TEAM_ID, "is_admin": user in self.admins, "is_owner": False}}
        )

    async def _auth_test(self, args: dict[str, Any]) -> web.Response:
        return web.json_response(
            {
                "ok": True,
                "url": "https://paperwire-fake.slack.com/",
                "team": "paperwire fake",
                "user": "paperwire",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": BOT_ID,
                "is_enterprise_install": False,
            }
        )

    async def _post_message(self, args: dict[str, Any]) -> web.Response:
        channel = str(args.get("channel") or "")
        if not channel:
            return _error("channel_not_found")
        if channel in self._channel_errors:
            return _error(self._channel_errors[channel])
        wait = self._rate_wait(channel)
        if wait > 0:
            return self._ratelimited(wait)
        problem = self._message_problem(args)
        if problem is not None:
            return self._reject("chat.postMessage", channel, *problem)
        now = self._clock()
        self._last_post[channel] = now
        self._workspace_posts.append(now)
        ts = self._next_ts()
        thread_ts = args.get("thread_ts") or None
        message = _message(args, ts, thread_ts)
        self._messages[(channel, ts)] = message
        self.posted.append(
            {
                "channel": channel,
                "text": args.get("text"),
                "blocks": args.get("blocks"),
                "thread_ts": thread_ts,
                "ts": ts,
                "time": now,
            }
        )
        return web.json_response({"ok": True, "channel": channel, "ts": ts, "message": message})

    async def _update(self, args: dict[str, Any]) -> web.Response:
        channel, ts = str(args.get("channel") or ""), str(args.get("ts") or "")
        if channel in self._channel_errors:
            return _error(self._channel_errors[channel])
        old = self._messages.get((channel, ts))
        if old is None:
            return _error("message_not_found")
        problem = self._message_problem(args)
        if problem is not None:
            return self._reject("chat.update", channel, *problem)
        message = _message(args, ts, old.get("thread_ts")) | {"edited": {"user": BOT_USER_ID, "ts": self._next_ts()}}
        self._messages[(channel, ts)] = message
        self.updated.append(
            {
                "channel": channel,
                "ts": ts,
                "text": args.get("text"),
                "blocks": args.get("blocks"),
                "time": self._clock(),
            }
        )
        return web.json_response(
            {"ok": True, "channel": channel, "ts": ts, "text": message["text"], "message": message}
        )

    async def _post_ephemeral(self, args: dict[str, Any]) -> web.Response:
        channel, user = str(args.get("channel") or ""), str(args.get("user") or "")
        if not channel:
            return _error("channel_not_found")
        if channel in self._channel_errors:
            return _error(self._channel_errors[channel])
        if not user:
            return _error("user_not_in_channel")
        problem = self._message_problem(args)
        if problem is not None:
            return self._reject("chat.postEphemeral", channel, *problem)
        ts = self._next_ts()
        self.ephemeral.append(
            {
                "channel": channel,
                "user": user,
                "text": args.get("text"),
                "blocks": args.get("blocks"),
                "thread_ts": args.get("thread_ts") or None,
                "ts": ts,
                "time": self._clock(),
            }
        )
        return web.json_response({"ok": True, "message_ts": ts})

    async def _conversations_info(self, args: dict[str, Any]) -> web.Response:
        channel = str(args.get("channel") or "")
        error = self._channel_errors.get(channel)
        if not channel or error == "channel_not_found":
            return _error("channel_not_found")
        info = {
            "id": channel,
            "name": channel.lstrip("#").lower(),
            "is_channel": True,
            "is_archived": error == "is_archived",
            "is_member": error != "not_in_channel",
        }
        return web.json_response({"ok": True, "channel": info})

    async def _conversations_history(self, args: dict[str, Any]) -> web.Response:
        """The channel's top-level messages, newest first (what Slack's history returns)."""
        channel = str(args.get("channel") or "")
        if channel in self._channel_errors:
            return _error(self._channel_errors[channel])
        limit = int(args.get("limit") or 100)
        messages = [
            dict(message)
            for (where, _), message in self._messages.items()
            if where == channel and not message.get("thread_ts")
        ]
        messages.sort(key=lambda message: float(message["ts"]), reverse=True)
        return web.json_response({"ok": True, "messages": messages[:limit], "has_more": len(messages) > limit})

    async def _conversations_replies(self, args: dict[str, Any]) -> web.Response:
        """A thread: its parent first, then the replies, oldest first."""
        channel, ts = str(args.get("channel") or ""), str(args.get("ts") or "")
        if channel in self._channel_errors:
            return _error(self._channel_errors[channel])
        parent = self._messages.get((channel, ts))
        if parent is None:
            return _error("thread_not_found")
        replies = [
            dict(message)
            for (where, _), message in self._messages.items()
            if where == channel and message.get("thread_ts") == ts
        ]
        replies.sort(key=lambda message: float(message["ts"]))
        return web.json_response({"ok": True, "messages": [dict(parent), *replies]})

    async def _connections_open(self, args: dict[str, Any]) -> web.Response:
        ticket = uuid.uuid4().hex
        self._tickets.add(ticket)
        origin = self._origin.replace("http://", "ws://", 1)
        return web.json_response({"ok": True, "url": f"{origin}/socket-mode/link?ticket={ticket}&app_id={APP_ID}"})


_METHODS: dict[str, Callable[[SlackWebApi, dict[str, Any]], Awaitable[web.Response]]] = {
    "auth.test": SlackWebApi._auth_test,
    "chat.postMessage": SlackWebApi._post_message,
    "chat.update": SlackWebApi._update,
    "chat.postEphemeral": SlackWebApi._post_ephemeral,
    "conversations.info": SlackWebApi._conversations_info,
    "conversations.history": SlackWebApi._conversations_history,
    "conversations.replies": SlackWebApi._conversations_replies,
    "apps.connections.open": SlackWebApi._connections_open,
    "users.info": SlackWebApi._users_info,
}


async def _read_args(request: web.Request) -> dict[str, Any] | None:
    """Arguments from the query string and a form or JSON body, as Slack accepts all three."""
    args: dict[str, Any] = dict(request.query)
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                return None
            if not isinstance(body, dict):
                return None
            args.update(body)
        else:
            args.update(await request.post())
    return args


def _message(args: dict[str, Any], ts: str, thread_ts: str | None) -> dict[str, Any]:
    message: dict[str, Any] = {
        "type": "message",
        "user": BOT_USER_ID,
        "bot_id": BOT_ID,
        "text": args.get("text") or "",
        "ts": ts,
    }
    if args.get("blocks"):
        message["blocks"] = args["blocks"]
    if thread_ts:
        message["thread_ts"] = thread_ts
    return message


def _error(error: str) -> web.Response:
    """Slack answers most failures with HTTP 200 and `ok: false`."""
    return web.json_response({"ok": False, "error": error})
