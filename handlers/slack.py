"""The Slack adapter: `/papers <subcommand>` and the digest's buttons, on Bolt's AsyncApp.

Thin, in Bolt's order: `ack()` first (Slack shows the user an error after 3 s), then the
command core answers in a background task and the reply goes to the command's
`response_url` (good for 5 replies in 30 minutes, so slow lookups are fine). Lookups answer
only the person who asked; digests and topics go to the channel when
`slack.public_replies` is on. Subscriptions made here are the core's, stored like Telegram's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable, Coroutine
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from paperwire.bot.views import MessageView, View
from paperwire.config.settings import SlackSettings
from paperwire.formatters.slack import EXCLUDED_ACTION_ID, OPEN_ACTION_PREFIX, VOTE_ACTION_PREFIX, SlackMessage
from paperwire.formatters.slack_views import COMMAND, render_view
from paperwire.handlers.commands import parse_command, spec_of
from paperwire.handlers.parse import ParseError
from paperwire.handlers.core import ChatKind, CommandContext, CommandCore
from paperwire.handlers.messages import message

log = logging.getLogger(__name__)

PLATFORM = "slack"
RESPONSE_URL_USES = 5  # Slack takes at most 5 replies on one response_url

SlackRenderer = Callable[[View], list[SlackMessage]]


class SlackCommands:
    """The listeners `register` wires into Bolt, and the replies they still have in flight."""

    def __init__(self, core: CommandCore, settings: SlackSettings, render: SlackRenderer) -> None:
        self.core = core
        self.settings = settings
        self.render = render
        self._tasks: set[asyncio.Task[None]] = set()

    # ---------------------------------------------------------------- listeners

    async def on_command(
        self, ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        await ack()
        line = (command.get("text") or "").strip() or "help"  # a bare `/papers` shows what it can do
        channel, user = str(command.get("channel_id", "")), str(command.get("user_id", ""))
        self._in_background(self._answer(line, channel, user, respond, client), f"{COMMAND} {line[:40]}", respond)

    async def on_excluded(
        self, ack: AsyncAck, action: dict[str, Any], body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        """The overview's "excluded papers" button: its value is the list day."""
        await ack()
        day = str(action.get("value") or "").strip()
        channel = str((body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or "")
        user = str((body.get("user") or {}).get("id") or "")
        line = f"excluded {day}".strip()
        self._in_background(self._answer(line, channel, user, respond, client), "excluded button", respond)

    async def on_vote(
        self, ack: AsyncAck, action: dict[str, Any], body: dict[str, Any], respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        """👍 or 👎 under a card: this member's vote for the channel, confirmed to them alone."""
        await ack()
        kind = "like" if str(action.get("action_id", "")).startswith(f"{VOTE_ACTION_PREFIX}like_") else "dislike"
        arxiv_id = str(action.get("value") or "").strip()
        channel = str((body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") or "")
        user = str((body.get("user") or {}).get("id") or "")
        self._in_background(self._answer(f"{kind} {arxiv_id}", channel, user, respond, client), "vote button", respond)

    async def on_link(self, ack: AsyncAck) -> None:
        """Link buttons open their URL in Slack; the click still arrives and must be acked."""
        await ack()

    async def on_error(self, error: Exception, body: dict[str, Any]) -> None:
        """Bolt's global error handler: the traceback goes to the log, never to the user."""
        log.error("Slack %s failed", _describe(body), exc_info=error)

    # ---------------------------------------------------------------- replies

    async def _answer(
        self, line: str, channel: str, user: str, respond: AsyncRespond, client: AsyncWebClient
    ) -> None:
        command = parse_command(line, max_argument_length=self.core.settings.max_argument_length)
        ctx = CommandContext(
            platform=PLATFORM,
            chat_id=channel,
            user_id=user,
            chat_kind=_chat_kind(channel),
            is_admin=await self._may_change_subscription(command, user, client),
        )
        view = await self.core.handle(line, ctx)
        if isinstance(view, MessageView) and view.quiet:
            return  # a repeat of a rate-limit notice the user already has
        # Refusals and usage notes answer the asker only, whatever the command.
        # Replies the channel may see when `public_replies` is on (the command table says which).
        public = self.settings.public_replies and not isinstance(command, ParseError) and spec_of(command).public
        public = public and not isinstance(view, MessageView)
        await self._reply(respond, view, "in_channel" if public else "ephemeral")

    async def _reply(self, respond: AsyncRespond, view: View, response_type: str) -> None:
        parts = self.render(view)
        if len(parts) > RESPONSE_URL_USES:
            log.warning("slack: a reply of %d messages was cut to %d", len(parts), RESPONSE_URL_USES)
        for part in parts[:RESPONSE_URL_USES]:
            answer = await respond(
                text=part.text, blocks=part.blocks, response_type=response_type, replace_original=False
            )
            if answer.status_code != 200:
                log.warning("slack: response_url refused a reply (%s): %.200s", answer.status_code, answer.body)
                return

    async def _may_change_subscription(self, command: object, user: str, client: AsyncWebClient) -> bool:
        """Anyone who may post in the channel, unless `slack.admins_only` asks for a workspace admin."""
        changes = not isinstance(command, ParseError) and spec_of(command).needs_admin(command)
        if not self.settings.admins_only:
            return True
        if not changes:
            return False
        try:
            answer = await client.users_info(user=user)
        except SlackApiError as error:
            reason = error.response.get("error")
            log.warning("slack: cannot tell whether %s is an admin (%s); treating as not", user, reason)
            return False
        profile = answer.get("user") or {}
        return bool(profile.get("is_admin") or profile.get("is_owner") or profile.get("is_primary_owner"))

    # ---------------------------------------------------------------- background work

    def _in_background(self, work: Coroutine[Any, Any, None], name: str, respond: AsyncRespond) -> None:
        task = asyncio.create_task(self._guarded(work, name, respond), name=f"slack {name}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guarded(self, work: Coroutine[Any, Any, None], name: str, respond: AsyncRespond) -> None:
        """Run `work`; a failure is logged with its traceback and the user gets an apology, not silence."""
        try:
            await work
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("slack: answering %s failed", name)
            apology = message(self.core.default_language, "internal_error")
            with contextlib.suppress(Exception):
                await respond(text=apology, response_type="ephemeral", replace_original=False)

    async def close(self, timeout: float = 5.0) -> None:
        """Let replies in flight finish (up to `timeout`), then cancel the rest."""
        if not self._tasks:
            return
        _, pending = await asyncio.wait(set(self._tasks), timeout=timeout)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


def register(
    app: AsyncApp, core: CommandCore, *, settings: SlackSettings, render: SlackRenderer = render_view
) -> SlackCommands:
    """Wire `/papers`, the excluded-papers button, the link buttons and the error handler into `app`."""
    commands = SlackCommands(core, settings, render)
    app.command(COMMAND)(commands.on_command)
    app.action(EXCLUDED_ACTION_ID)(commands.on_excluded)
    app.action(re.compile(f"^{re.escape(OPEN_ACTION_PREFIX)}"))(commands.on_link)
    app.action(re.compile(f"^{re.escape(VOTE_ACTION_PREFIX)}"))(commands.on_vote)
    app.error(commands.on_error)
    return commands


def _chat_kind(channel: str) -> ChatKind:
    """A direct message with the bot is private; any channel is a group."""
    return "private" if channel.startswith("D") else "group"


def _describe(body: dict[str, Any]) -> str:
    """What a request was, without its tokens or response URL."""
    if not isinstance(body, dict):
        return "request"
    if body.get("command"):
        return f"command {body.get('command')} from {body.get('user_id')} in {body.get('channel_id')}"
    kind = body.get("type") or "request"
    user = (body.get("user") or {}).get("id") if isinstance(body.get("user"), dict) else None
    return f"{kind} from {user}" if user else str(kind)
