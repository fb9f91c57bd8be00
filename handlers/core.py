"""The chat command core: a command line and who sent it, in; a platform-neutral view, out.

Telegram, Slack and `paperwire ask` all call `CommandCore.handle`, which never raises: bad
input gets a usage reply, expected failures a polite one, anything else is logged with its
traceback and answered with an apology.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from paperwire.bot.curation.taxonomy import Taxonomy
from paperwire.bot.models import Language
from paperwire.bot.pipeline import Pipeline
from paperwire.bot.sources.arxiv import ArxivClient
from paperwire.bot.sources.hf import HFClient
from paperwire.bot.sources.lookup import SingleFlight
from paperwire.bot.store.database import Database
from paperwire.bot.store.subscriptions import Subscription
from paperwire.bot.views import HelpView, MessageView, View
from paperwire.config.settings import CommandSettings
from paperwire.handlers import parse
from paperwire.handlers.cache import TTLCache
from paperwire.handlers.lookup import PaperLookup
from paperwire.handlers.messages import message, text_reply, usage_line
from paperwire.handlers.queries import Answer, Queries
from paperwire.handlers.ratelimit import RateLimiter
from paperwire.handlers.subscribing import ChatSubscriptions
from paperwire.handlers.tastes import ChatTastes, Rerank

if TYPE_CHECKING:
    from paperwire.bot.app import Services

log = logging.getLogger(__name__)

ChatKind = Literal["private", "group", "channel", "cli"]
# Replies that depend only on the store, which changes a few times a day: kept this long.
REPLY_CACHE_SECONDS = 60.0
_CACHED_COMMANDS = (
    parse.Today,
    parse.DigestCommand,
    parse.ExcludedCommand,
    parse.TopicsCommand,
    parse.TopicCommand,
    parse.TrendsCommand,
)
# Replies that differ for a chat whose votes re-rank its picks.
_CHAT_TASTE_COMMANDS = (parse.Today, parse.DigestCommand, parse.ExcludedCommand)


@dataclass(frozen=True, slots=True)
class CommandContext:
    """Who typed the command, and where; the platform adapter answers `is_admin` for the chat.

    `language` forces the reply language (`paperwire ask --lang`); otherwise the chat's
    subscription language is used, else the default.
    """

    platform: str
    chat_id: str
    user_id: str
    chat_kind: ChatKind = "private"
    is_admin: bool = False
    language: Language | None = None

    @property
    def may_change_subscription(self) -> bool:
        """In groups and channels only admins may; in a private chat or the CLI, anyone."""
        return self.chat_kind in ("private", "cli") or self.is_admin


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
    def from_services(cls, services: Services, *, clock: Callable[[], float] = time.monotonic) -> CommandCore:
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
            command = parse.parse_command(line, max_argument_length=self.settings.max_argument_length)
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
        if not isinstance(command, _CACHED_COMMANDS):
            return await self._run(command, ctx, topics, language)
        taste = None
        if isinstance(command, _CHAT_TASTE_COMMANDS):
            taste = await self.tastes.taste(ctx.platform, ctx.chat_id)
        if taste is not None:
            # This chat's own picks: not shared with other chats through the reply cache.
            return await self._run(command, ctx, topics, language, self.tastes.reranker(taste, topics))
        key = (command, language, topics)
        view = self._replies.get(key)
        if view is None:
            # Many asking `today` at once (after a digest goes out) share one computation.
            view = await self._replying.run(key, lambda: self._run(command, ctx, topics, language))
            if not isinstance(view, MessageView):
                self._replies.put(key, view)
        return view

    async def _run(
        self,
        command: parse.Command,
        ctx: CommandContext,
        topics: tuple[str, ...],
        language: Language,
        rerank: Rerank | None = None,
    ) -> View:
        queries, chats = self.queries, self.chats
        match command:
            case parse.Today():
                return await queries.digest(parse.DayRef("today"), list(topics), language, rerank)
            case parse.DigestCommand(day):
                return await queries.digest(day or parse.DayRef("today"), list(topics), language, rerank)
            case parse.ExcludedCommand(day):
                return await queries.excluded(day or parse.DayRef("today"), language, rerank)
            case parse.VoteCommand(arxiv_id, value):
                return await self.tastes.vote(ctx.platform, ctx.chat_id, ctx.user_id, arxiv_id, value, language)
            case parse.TasteCommand(reset=False):
                return await self.tastes.show(ctx.platform, ctx.chat_id, language)
            case parse.PaperCommand():
                return await queries.paper(command, language)
            case parse.SearchCommand(words):
                return await queries.search(words, language)
            case parse.RelatedCommand(arxiv_id):
                return await queries.related(arxiv_id, language)
            case parse.TopicsCommand():
                return await queries.topics(language)
            case parse.TopicCommand(name, days):
                return await queries.topic(name, days, language)
            case parse.TrendsCommand(days):
                return await queries.trends(days, language)
            case parse.HelpCommand(name):
                return self._help(name, language)
            case parse.SettingsCommand() if not command.changes_anything:
                return await chats.show(ctx.platform, ctx.chat_id, language)
        if not ctx.may_change_subscription:
            return text_reply(language, "denied", message(language, "admins_only"))
        # The CLI may act for a real chat (`--chat telegram:ID`) without knowing what kind it is.
        chat_kind = None if ctx.chat_kind == "cli" else ctx.chat_kind
        match command:
            case parse.SubscribeCommand(words):
                return await chats.subscribe(ctx.platform, ctx.chat_id, chat_kind, words, language)
            case parse.TasteCommand(reset=True):
                return await self.tastes.reset(ctx.platform, ctx.chat_id, language)
            case parse.UnsubscribeCommand():
                return await chats.unsubscribe(ctx.platform, ctx.chat_id, ctx.user_id, language)
            case parse.SettingsCommand():
                # The confirmation comes in the chat's new language, unless the caller forces one.
                reply_language = ctx.language or command.language or language
                return await chats.change_settings(ctx.platform, ctx.chat_id, chat_kind, command, reply_language)
        raise AssertionError(f"unhandled command {command!r}")

    def _usage(self, error: parse.ParseError, language: Language) -> MessageView:
        problem = message(language, error.problem, **error.values)
        if error.command is not None:
            return text_reply(language, "usage", problem, usage_line(language, error.command))
        commands = message(language, "commands_line", commands=", ".join(parse.COMMANDS))
        return text_reply(language, "usage", problem, commands)

    def _help(self, name: str | None, language: Language) -> HelpView:
        names = [name] if name else list(parse.COMMANDS)
        return HelpView(
            language,
            message(language, "help_title"),
            [(message(language, f"usage_{command}"), message(language, f"about_{command}")) for command in names],
            None if name else message(language, "help_note"),
        )
