"""Slack delivery: a digest as outbox payloads, and the sender that posts them with chat.postMessage.

The overview is message 0 of each channel; the cards follow in its thread (or in the
channel, per `slack.thread_cards`, read when sending). Every slack_sdk failure is turned
into one of the worker's outcomes in `outcome_for_error`, the one place that decides what
a Slack error means.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from paperwire.bot.delivery.ratelimit import account_key
from paperwire.bot.delivery.worker import (
    ChatGone,
    InDoubt,
    PlatformStopped,
    Rejected,
    RetryLater,
    SendOutcome,
    Sent,
)
from paperwire.bot.models import Digest
from paperwire.bot.store.outbox import Delivery
from paperwire.config.settings import SlackSettings
from paperwire.formatters.slack import SlackMessage, render_digest

__all__ = [
    "HEADROOM",
    "IN_THREAD",
    "PLATFORM",
    "PostPacing",
    "SlackSender",
    "make_client",
    "outcome_for_error",
    "preview_payload",
    "render_payloads",
]

log = logging.getLogger(__name__)

PLATFORM = "slack"
# Payload key: True for a card, which belongs in the overview's thread when threading is on.
IN_THREAD = "in_thread"

# The channel cannot be reached: stop delivering there (the subscription is switched off).
CHANNEL_ERRORS = frozenset({"channel_not_found", "not_in_channel", "is_archived", "channel_is_archived"})
# The token no longer works, or cannot post at all: every send of the workspace would fail.
TOKEN_ERRORS = frozenset(
    {
        "invalid_auth",
        "token_revoked",
        "account_inactive",
        "not_authed",
        "token_expired",
        "missing_scope",
        "not_allowed_token_type",
        "team_access_not_granted",
    }
)
# Answered with HTTP 200 but worth another try later.
TEMPORARY_ERRORS = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"})
DEFAULT_RETRY_AFTER = 1.0
# How many recent messages to read when looking for a post whose answer was lost.
LOOKUP_LIMIT = 100
# Slack counts posts when they arrive, we time them when they leave; a few milliseconds of
# network and event-loop jitter between the two turn pacing at exactly the limit into
# occasional 429s (each costing a Retry-After), so posts are paced 5% under the limits.
HEADROOM = 0.95


def render_payloads(digest: Digest) -> list[dict[str, Any]]:
    """The overview, then one card per pick, as outbox payloads (pure; threading is decided when sending)."""
    messages = render_digest(digest, excluded_action_value=digest.list_day.isoformat())
    return [message.to_dict() | {IN_THREAD: index > 0} for index, message in enumerate(messages)]


def preview_payload(payload: dict[str, Any]) -> str:
    """One payload as readable text, for `publish --dry-run`."""
    lines: list[str] = []
    if payload.get(IN_THREAD):
        lines.append("(in the overview's thread)")
    blocks = payload.get("blocks") or []
    if not blocks:
        lines.append(str(payload.get("text", "")))
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(f"# {block['text']['text']}")
        elif kind == "section" and "text" in block:
            lines.append(block["text"]["text"])
        elif kind == "context":
            lines.extend(f"_{element.get('text', '')}_" for element in block.get("elements", []))
        elif kind == "actions":
            buttons = [
                f"[{element['text']['text']}]" + (f"({element['url']})" if element.get("url") else "")
                for element in block.get("elements", [])
                if element.get("type") == "button"
            ]
            lines.append(" ".join(buttons))
    return "\n".join(lines)


def make_client(settings: SlackSettings, session: aiohttp.ClientSession | None) -> AsyncWebClient:
    """A Web API client on `settings.base_url` that never retries by itself: the outbox worker does."""
    token = settings.bot_token.get_secret_value() if settings.bot_token is not None else None
    return AsyncWebClient(
        token=token,
        base_url=settings.base_url,
        session=session,
        retry_handlers=[],
        timeout=int(max(settings.answer_timeout_seconds, 1)),
    )


class PostPacing:
    """Slack's limits checked at the moment a post leaves: a gap per channel, a sliding second per workspace.

    The worker's pacers plan evenly spaced slots, but a slot that comes up while the event
    loop is busy (a claim, a commit) leaves late, and the posts queued behind it then leave
    together; and a channel's next slot is counted from when its previous post was planned,
    not from when it left after waiting for a workspace slot. Counting real departures keeps
    both within what Slack accepts.
    """

    def __init__(
        self, per_channel: float, per_workspace: float, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._clock = clock
        self._channel_gap = 1.0 / per_channel if math.isfinite(per_channel) else 0.0
        self._window_limit = max(1, math.floor(per_workspace)) if math.isfinite(per_workspace) else None
        self._recent: deque[float] = deque()
        self._last_post: dict[str, float] = {}
        self._lock = asyncio.Lock()

    async def wait_turn(self, channel: str) -> None:
        """Return when a post to `channel` may leave now, and count it as gone."""
        last = self._last_post.get(channel)
        if last is not None:
            wait = last + self._channel_gap - self._clock()
            if wait > 0:
                await asyncio.sleep(wait)
        if self._window_limit is not None:
            async with self._lock:  # one waiter at a time, first come first served
                while True:
                    now = self._clock()
                    while self._recent and self._recent[0] <= now - 1.0:
                        self._recent.popleft()
                    if len(self._recent) < self._window_limit:
                        self._recent.append(now)
                        break
                    await asyncio.sleep(self._recent[0] + 1.0 - now)
        now = self._clock()
        self._last_post[channel] = now
        if len(self._last_post) > 10_000:  # forget channels that could post again anyway
            self._last_post = {key: at for key, at in self._last_post.items() if at > now - self._channel_gap}


class SlackSender:
    """Posts one outbox row with chat.postMessage and says what happened, as a worker outcome."""

    platform = PLATFORM

    def __init__(self, client: AsyncWebClient, settings: SlackSettings) -> None:
        self.client = client
        self.settings = settings
        self.pacing = PostPacing(self.chat_rate(""), self.platform_rate)
        token = settings.bot_token.get_secret_value() if settings.bot_token is not None else ""
        self.account = account_key(PLATFORM, token)
        self._bot_id: str | None = None

    @property
    def platform_rate(self) -> float:
        return self.settings.rate_per_workspace * HEADROOM

    def chat_rate(self, chat_id: str) -> float:
        return self.settings.rate_per_channel * HEADROOM

    async def send(self, delivery: Delivery) -> SendOutcome:
        try:
            message = SlackMessage.from_dict(delivery.payload)
        except ValueError as error:
            return Rejected(f"malformed payload: {error}")
        thread_ts = self._thread_of(delivery)
        if delivery.in_doubt:
            # An earlier post got no answer: it may be in the channel. Look before posting again,
            # so an overview is never posted twice and its cards go under the one that is there.
            found = await self.find_posted(delivery.chat_id, message.text, thread_ts)
            if found is not None:
                log.info("slack: message %d to %s was posted after all (ts %s); not posting it again",
                         delivery.id, delivery.chat_id, found)
                return Sent(found)
        await self.pacing.wait_turn(delivery.chat_id)
        try:
            response = await self.client.chat_postMessage(
                channel=delivery.chat_id,
                text=message.text,
                blocks=message.blocks or None,
                thread_ts=thread_ts,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as error:
            return outcome_for_error(error)
        except (aiohttp.ClientConnectorError, ConnectionRefusedError) as error:
            return RetryLater(0.0, f"network: {type(error).__name__}: {error}")
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            # The request went out and no answer came: the message may be in the channel.
            return InDoubt(f"no answer after posting ({type(error).__name__})")
        return Sent(str(response.get("ts")) if response.get("ts") else None)

    async def find_posted(self, channel: str, text: str, thread_ts: str | None) -> str | None:
        """The ts of this bot's recent message with `text` in the channel (or the thread), if any."""
        try:
            if self._bot_id is None:
                identity = await self.client.auth_test()
                self._bot_id = str(identity.get("bot_id") or "")
            if thread_ts is not None:
                response = await self.client.conversations_replies(channel=channel, ts=thread_ts, limit=LOOKUP_LIMIT)
            else:
                response = await self.client.conversations_history(channel=channel, limit=LOOKUP_LIMIT)
        except (SlackApiError, aiohttp.ClientError, TimeoutError, OSError) as error:
            log.warning("slack: could not look for an earlier post in %s (%s); posting again",
                        channel, type(error).__name__)
            return None
        for item in response.get("messages") or []:
            if not isinstance(item, dict) or item.get("text") != text:
                continue
            if self._bot_id and item.get("bot_id") not in (None, self._bot_id):
                continue
            if thread_ts is not None and item.get("ts") == thread_ts:
                continue  # the parent itself
            return str(item.get("ts"))
        return None

    def _thread_of(self, delivery: Delivery) -> str | None:
        if not (self.settings.thread_cards and delivery.message_index > 0 and delivery.payload.get(IN_THREAD, True)):
            return None
        if delivery.parent_remote_id is None:
            # The overview was refused for good; the card still goes out, to the channel.
            log.warning(
                "slack: message %d to %s has no overview to thread under; posting it to the channel",
                delivery.id,
                delivery.chat_id,
            )
        return delivery.parent_remote_id


def outcome_for_error(error: SlackApiError) -> SendOutcome:
    """What a Slack API error means for the outbox: retry, drop the channel, stop, or refuse the message."""
    response = error.response
    status = response.status_code
    code = str(response.get("error") or "") if isinstance(response.data, dict) else ""
    if status == 429:
        # Our pacing keeps each channel under its limit, so the workspace's was hit: all wait.
        return RetryLater(_retry_after(response.headers), f"429 rate limited ({code or 'ratelimited'})", "platform")
    if status >= 500:
        return RetryLater(0.0, f"{status} {code or 'server error'}", maybe_delivered=True)
    if code in TEMPORARY_ERRORS:
        return RetryLater(0.0, f"{status} {code or 'server error'}")
    if code in CHANNEL_ERRORS:
        return ChatGone(code)
    if code in TOKEN_ERRORS:
        return PlatformStopped(
            f"Slack refuses to post with the bot token ({code}); "
            "check PAPERWIRE_SLACK__BOT_TOKEN and the app's chat:write scope"
        )
    details = response.get("errors") if isinstance(response.data, dict) else None
    detail = f": {'; '.join(str(item) for item in details[:5])}" if isinstance(details, list) and details else ""
    return Rejected(f"{code or f'HTTP {status}'}{detail}")


def _retry_after(headers: Any) -> float:
    """Seconds from a `Retry-After` header (case as Slack sends it or not); 1 s when absent or odd."""
    value = None
    if headers is not None:
        for name in ("Retry-After", "retry-after"):
            value = headers.get(name)
            if value is not None:
                break
    if isinstance(value, list):
        value = value[0] if value else None
    try:
        seconds = float(value) if value is not None else DEFAULT_RETRY_AFTER
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER
    return seconds if seconds > 0 else DEFAULT_RETRY_AFTER
