"""The chat command core: a command line and who sent it, in; a platform-neutral view, out.

Telegram, Slack and `paperwire ask` all call `CommandCore.handle`, which never raises: bad
input gets a usage reply, expected failures a polite one, anything else is logged with its
traceback and answered with an apology.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

from paperwire.bot.curation.taxonomy import Taxonomy
from paperwire.bot.models import Language
from paperwire.bot.pipeline import Pipeline
from paperwire.bot.sources.arxiv import ArxivClient
from paperwire.bot.sources.hf import HFClient
from paperwire.bot.sources.lookup import SingleFlight
from paperwire.bot.store.database import Database
from paperwire.bot.store.subscriptions import Subscription
from paperwire.bot.views import MessageView, View
from paperwire.config.settings import CommandSettings, Settings
from paperwire.handlers import parse
from paperwire.handlers.commands import COMMANDS, parse_command, spec_of
from paperwire.handlers.context import ChatKind, CommandContext
from paperwire.handlers.cache import TTLCache
from paperwire.handlers.lookup import PaperLookup
from paperwire.handlers.messages import message, text_reply, usage_line
from paperwire.handlers.queries import Answer, Queries
from paperwire.handlers.ratelimit import RateLimiter
from paperwire.handlers.subscribing import ChatSubscriptions
from paperwire.handlers.tastes import ChatTastes

log = logging.getLogger(__name__)

# Replies that depend only on the store, which changes a few times a day: kept this long.
REPLY_CACHE_SECONDS = 60.0


class CoreServices(Protocol):
    """The pieces of the composition root's services the command core uses, and no more:
    handlers depend on this shape, not on `bot.app` (which imports them)."""

    settings: Settings
    db: Database
    pipeline: Pipeline
    taxonomy: Taxonomy
    hf: HFClient
    arxiv: ArxivClient


class CommandCore:
    """Parses, rate-limits and answers commands against the store and the paper sources."""

    def __init__(
        self,
        *,
        db: Database,
        pipeline: Pipeline,
        taxonomy: Taxonomy,
        hf: HFClient | None,
        arxiv: ArxivClient | None,
        commands: CommandSettings | None = None,
        default_language: Language = "en",
        default_delivery_time: str = "09:00",
        default_timezone: str = "UTC",
        reply_cache_seconds: float = REPLY_CACHE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = commands or CommandSettings()
        self.default_language: Language = default_language
        self.limiter = RateLimiter(self.settings.per_user_per_minute, 60.0, clock)
        self.lookup = PaperLookup(db, pipeline, hf, arxiv)
        self.queries = Queries(db, pipeline, taxonomy, self.lookup, self.settings)
        self.chats = ChatSubscriptions(
            db,
            taxonomy,
            default_language=default_language,
            default_delivery_time=default_delivery_time,
            default_timezone=default_timezone,
            clock=clock,
        )
        self.tastes = ChatTastes(db, pipeline, taxonomy, clock)
        self._replies: TTLCache[View] = TTLCache(reply_cache_seconds, 256, clock)
        self._replying: SingleFlight = SingleFlight()

    @classmethod
    def from_services(cls, services: CoreServices, *, clock: Callable[[], float] = time.monotonic) -> CommandCore:
        settings = services.settings
        return cls(
            db=services.db,
            pipeline=services.pipeline,
            taxonomy=services.taxonomy,
            hf=services.hf,
            arxiv=services.arxiv,
            commands=settings.commands,
            default_language=settings.digest.language,
            default_delivery_time=settings.schedule.delivery_time,
            default_timezone=settings.schedule.timezone,
            clock=clock,
        )

    async def handle(self, line: str, ctx: CommandContext) -> View:
        """The reply to one command line. Never raises (cancellation aside)."""
        language: Language = ctx.language or self.default_language
        try:
            decision = self.limiter.check((ctx.platform, ctx.user_id))
            if not decision.allowed:
                limit, wait = self.settings.per_user_per_minute, decision.retry_after_seconds
                text = message(language, "rate_limited", limit=limit, seconds=wait)
                return MessageView(language, [text], "rate_limited", quiet=decision.already_told)
            command = parse_command(line, max_argument_length=self.settings.max_argument_length)
            subscription = await self.chats.current(ctx.platform, ctx.chat_id)
            language = ctx.language or self.chats.reply_language(subscription)
            if isinstance(command, parse.ParseError):
                return self._usage(command, language)
            return await self._answer(command, ctx, subscription, language)
        except Answer as answer:
            return answer.view
        except Exception:
            log.exception(
                "command %r from %s user %s in chat %s failed", line[:200], ctx.platform, ctx.user_id, ctx.chat_id
            )
            return text_reply(language, "error", message(language, "internal_error"))

    async def _answer(
        self, command: parse.Command, ctx: CommandContext, subscription: Subscription | None, language: Language
    ) -> View:
        # A chat that follows some topics sees its own digest, as it gets it delivered.
        topics = tuple(subscription.topics) if subscription is not None and subscription.active else ()
        spec = spec_of(command)
        if not spec.cacheable:
            return await self._run(command, ctx, topics, language)
        if spec.per_chat and await self.tastes.taste(ctx.platform, ctx.chat_id) is not None:
            # This chat's votes give it its own picks: not shared through the reply cache.
            return await self._run(command, ctx, topics, language)
        key = (command, language, topics)
        view = self._replies.get(key)
        if view is None:
            # Many asking `today` at once (after a digest goes out) share one computation.
            view = await self._replying.run(key, lambda: self._run(command, ctx, topics, language))
            if not isinstance(view, MessageView):
                self._replies.put(key, view)
        return view

    async def _run(
        self, command: parse.Command, ctx: CommandContext, topics: tuple[str, ...], language: Language
    ) -> View:
        spec = spec_of(command)
        if spec.needs_admin(command) and not ctx.may_change_subscription:
            return text_reply(language, "denied", message(language, "admins_only"))
        return await spec.run(self, command, ctx, topics, language)

    def _usage(self, error: parse.ParseError, language: Language) -> MessageView:
        problem = message(language, error.problem, **error.values)
        if error.command is not None:
            return text_reply(language, "usage", problem, usage_line(language, error.command))
        commands = message(language, "commands_line", commands=", ".join(COMMANDS))
        return text_reply(language, "usage", problem, commands)


__all__ = ["ChatKind", "CommandContext", "CommandCore", "CoreServices"]
