"""How the fake Slack delivers slash commands and button clicks to the app, in either mode.

Socket Mode: the app opens a WebSocket (URL from `apps.connections.open`), gets `hello`,
then envelopes `{"envelope_id", "type", "payload"}` that it must ack with
`{"envelope_id": ...}` within 3 seconds. HTTP mode: a signed form POST to the app's
`/slack/events`, acked by the HTTP response. Either way the ack is recorded with its
delay, so tests read the same `Ack` whichever mode the app runs in.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

log = logging.getLogger(__name__)

ACK_DEADLINE_SECONDS = 3.0
TEAM_ID = "T0PAPERWIRE"
APP_ID = "A0PAPERWIRE"


@dataclass(frozen=True, slots=True)
class Ack:
    """The app's answer to one envelope: when it came and what it carried."""

    envelope_id: str
    type: str
    mode: Literal["socket", "http"]
    sent_at: float
    acked_at: float
    payload: Any = None  # the response payload sent with the ack, or the HTTP response body
    status: int | None = None  # HTTP status in HTTP mode

    @property
    def seconds(self) -> float:
        return self.acked_at - self.sent_at

    @property
    def in_time(self) -> bool:
        """Whether Slack would have accepted it (3 s), rather than showing the user a timeout."""
        return self.seconds <= ACK_DEADLINE_SECONDS and (self.status is None or self.status == 200)


def slash_command_payload(
    command: str, text: str, *, user_id: str, channel_id: str, response_url: str, user_name: str, channel_name: str
) -> dict[str, str]:
    """The fields Slack sends for a slash command, in both modes."""
    return {
        "token": "fake-verification-token",
        "team_id": TEAM_ID,
        "team_domain": "paperwire-fake",
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": f"trigger-{uuid.uuid4().hex[:12]}",
    }


def block_action_payload(
    action_id: str,
    value: str,
    *,
    user_id: str,
    channel_id: str,
    message_ts: str,
    response_url: str,
    block_id: str = "actions",
) -> dict[str, Any]:
    """A `block_actions` payload for a click on a button in a message."""
    return {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "paperwire-fake"},
        "user": {"id": user_id, "username": "tester", "name": "tester", "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": "fake-verification-token",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel_id, "is_ephemeral": False},
        "trigger_id": f"trigger-{uuid.uuid4().hex[:12]}",
        "channel": {"id": channel_id, "name": "papers"},
        "message": {"type": "message", "ts": message_ts, "text": ""},
        "response_url": response_url,
        "actions": [
            {
                "type": "button",
                "action_id": action_id,
                "block_id": block_id,
                "value": value,
                "text": {"type": "plain_text", "text": value, "emoji": True},
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def sign(signing_secret: str, timestamp: str, body: bytes) -> str:
    """Slack's request signature: `v0=` + HMAC-SHA256 of `v0:<timestamp>:<body>`."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


class EventDelivery:
    """Sends envelopes to the app over Socket Mode or HTTP and records the acks."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.connections: list[web.WebSocketResponse] = []
        self.connection_count = 0
        self.envelopes: list[dict[str, Any]] = []
        self.acks: list[Ack] = []
        self._pending: dict[str, tuple[str, float, asyncio.Future[Ack]]] = {}
        self._connected = asyncio.Event()
        self._http_target: tuple[str, str] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def use_http(self, url: str, signing_secret: str) -> None:
        """Deliver by signed POSTs to `url` (the app's `/slack/events`) instead of Socket Mode."""
        self._http_target = (url, signing_secret)

    @property
    def unacked(self) -> list[str]:
        return list(self._pending)

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """One Socket Mode connection: `hello`, then envelopes out and acks in until it closes."""
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.connections.append(ws)
        self.connection_count += 1
        self._connected.set()
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len(self.connections),
                "debug_info": {"host": "paperwire-fake", "approximate_connection_time": 3600},
                "connection_info": {"app_id": APP_ID},
            }
        )
        try:
            async for message in ws:
                if message.type == aiohttp.WSMsgType.TEXT:
                    self._record_socket_ack(message.data)
        finally:
            self.connections.remove(ws)
            if not self.connections:
                self._connected.clear()
        return ws

    async def deliver(self, kind: str, payload: dict[str, Any], *, timeout: float) -> str:
        """Send one envelope and return its id; its ack arrives later (see `wait_for_ack`)."""
        envelope_id = str(uuid.uuid4())
        future: asyncio.Future[Ack] = asyncio.get_running_loop().create_future()
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind == "slash_commands",
        }
        self.envelopes.append(envelope)
        if self._http_target is not None:
            self._pending[envelope_id] = (kind, self._clock(), future)
            task = asyncio.create_task(self._post(envelope_id, kind, payload, *self._http_target))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return envelope_id
        try:
            await asyncio.wait_for(self._connected.wait(), timeout)
        except TimeoutError:
            raise RuntimeError("no app is connected over Socket Mode and no HTTP target is set") from None
        self._pending[envelope_id] = (kind, self._clock(), future)
        await self.connections[-1].send_json(envelope)
        return envelope_id

    async def wait_for_ack(self, envelope_id: str, timeout: float = 5.0) -> Ack:
        """The ack of `envelope_id`, waiting up to `timeout` seconds for it."""
        for ack in self.acks:
            if ack.envelope_id == envelope_id:
                return ack
        if envelope_id not in self._pending:
            raise KeyError(f"no envelope {envelope_id} was sent")
        return await asyncio.wait_for(asyncio.shield(self._pending[envelope_id][2]), timeout)

    async def request_reconnect(self, reason: str = "refresh_requested") -> None:
        """Ask every connected app to reconnect, as Slack does every few hours."""
        for ws in list(self.connections):
            await ws.send_json({"type": "disconnect", "reason": reason, "debug_info": {"host": "paperwire-fake"}})

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        for ws in list(self.connections):
            await ws.close(code=aiohttp.WSCloseCode.GOING_AWAY, message=b"server shutdown")
        if self._session is not None:
            await self._session.close()
        for _, _, future in self._pending.values():
            future.cancel()

    def _record_socket_ack(self, data: str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            log.warning("fake Slack got a non-JSON Socket Mode frame: %.80s", data)
            return
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        if envelope_id not in self._pending:
            log.warning("fake Slack got an ack for an unknown envelope: %s", envelope_id)
            return
        self._finish(envelope_id, mode="socket", payload=message.get("payload"), status=None)

    async def _post(self, envelope_id: str, kind: str, payload: dict[str, Any], url: str, secret: str) -> None:
        if kind == "slash_commands":
            body = urlencode(payload).encode()
        else:
            body = urlencode({"payload": json.dumps(payload)}).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": sign(secret, timestamp, body),
        }
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        try:
            async with self._session.post(url, data=body, headers=headers) as response:
                text = await response.text()
                status = response.status
        except aiohttp.ClientError as error:
            log.warning("fake Slack could not reach the app at %s: %s", url, error)
            self._finish(envelope_id, mode="http", payload=str(error), status=0)
            return
        try:
            answer: Any = json.loads(text) if text else None
        except ValueError:
            answer = text
        self._finish(envelope_id, mode="http", payload=answer, status=status)

    def _finish(self, envelope_id: str, *, mode: Literal["socket", "http"], payload: Any, status: int | None) -> None:
        kind, sent_at, future = self._pending.pop(envelope_id)
        ack = Ack(envelope_id, kind, mode, sent_at, self._clock(), payload, status)
        self.acks.append(ack)
        if not future.done():
            future.set_result(ack)
