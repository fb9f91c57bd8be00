"""Every chat command, once: name, parser, handler, usage, admin-only, cacheable, public.

The Telegram menu, `help`, the Slack manifest's usage hint, the admin checks of both
platforms, the command core's reply cache and the command metrics all read this table;
a new command is one more row (and its words in handlers/messages.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from paperwire.bot.models import Language
from paperwire.bot.sources.ids import normalize_arxiv_ref
from paperwire.bot.views import HelpView, View
from paperwire.handlers import parse
from paperwire.handlers.context import CommandContext
from paperwire.handlers.messages import message
from paperwire.handlers.parse import Command, ParseError
from paperwire.handlers.queries import Queries
from paperwire.handlers.subscribing import ChatSubscriptions
from paperwire.handlers.tastes import ChatTastes


class CommandTools(Protocol):
    """What a command's handler works with: the store queries and the chat's subscription."""

    queries: Queries
    chats: ChatSubscriptions
    tastes: ChatTastes


Handler = Callable[[CommandTools, Any, CommandContext, tuple[str, ...], Language], Awaitable[View]]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """One command. `kind` is the parsed command's type; `admin_only` commands change the
    chat's subscription (only admins may, in groups and channels); `cacheable` replies depend
    only on the store; `public` replies may be shown to the whole Slack channel; `hint` is
    the command's entry in the Slack manifest's usage hint (None: not listed there)."""

    name: str
    kind: type
    parse: parse.Parser
    run: Handler
    admin_only: bool = False
    cacheable: bool = False
    public: bool = False
    per_chat: bool = False  # the reply follows the chat's votes: never cached once it voted
    hint: str | None = None

    def usage(self, language: str) -> str:
        return message(language, f"usage_{self.name}")

    def about(self, language: str) -> str:
        return message(language, f"about_{self.name}")

    def needs_admin(self, command: Command) -> bool:
        """Only a change needs an admin: `settings` alone shows the settings to anyone."""
        return self.admin_only and getattr(command, "changes_anything", True)


# ---------------------------------------------------------------- handlers


async def _today(tools: CommandTools, command: parse.Today, ctx: CommandContext, topics: tuple[str, ...], language: Language) -> View:
    rerank = await tools.tastes.rerank_for(ctx.platform, ctx.chat_id, topics)
    return await tools.queries.digest(parse.DayRef("today"), list(topics), language, rerank)


async def _digest(tools: CommandTools, command: parse.DigestCommand, ctx: CommandContext, topics: tuple[str, ...], language: Language) -> View:
    rerank = await tools.tastes.rerank_for(ctx.platform, ctx.chat_id, topics)
    return await tools.queries.digest(command.day or parse.DayRef("today"), list(topics), language, rerank)


async def _excluded(tools: CommandTools, command: parse.ExcludedCommand, ctx: CommandContext, topics: tuple[str, ...], language: Language) -> View:
    rerank = await tools.tastes.rerank_for(ctx.platform, ctx.chat_id, topics)
    return await tools.queries.excluded(command.day or parse.DayRef("today"), language, rerank)


async def _paper(tools: CommandTools, command: parse.PaperCommand, ctx: CommandContext, topics: tuple[str, ...], language: Language) -> View:
    return await tools.queries.paper(command, language)


async def _search(tools: CommandTools, command: parse.SearchCommand, ctx: CommandContext, topics: tuple[str, ...], language: Language) -> View:
    return await tools.queries.search(command.words, language)


async def _related(tools: CommandTools, command: parse.RelatedCommand, ctx: CommandContext, topics: tuple[str, ...], language: Language) -> View:
    return await tools.queries.related(command.arxiv_id, language)


async def _vote(tools: CommandTools, command: parse.VoteCommand, ctx: CommandContext, topics: tuple[str, ...], language: Language) -> View:
    return await tools.tastes.vote(ctx.platform, ctx.chat_id, ctx.user_id, command.arxiv_id, command.value, language)


async def _taste(tools: CommandTools, command: parse.TasteCommand, ctx: CommandContext, topics: tuple[str, ...], language: Language) -> View:
    if command.reset:
        return await tools.tastes.reset(ctx.platform, ctx.chat_id, language)
    return await tools.tastes.show(ctx.platform, ctx.chat_id, language)


async def _topics(tools: CommandTools, command: parse.TopicsCommand, ctx: CommandContext, topics: tuple[str, ...], language: Language) -> View:
    return await tools.queries.topics(language)


async def _topic(tools: CommandTools, command: parse.TopicCommand, ctx: CommandContext, topics: tuple[str, ...], language: Language) -> View:
    return await tools.queries.topic(command.name, command.days, language)


async def _trends(tools: CommandTools, command: parse.TrendsCommand, ctx: CommandContext, topics: tuple[str, ...], language: Language) -> View:
    return await tools.queries.trends(command.days, language)


def _chat_kind(ctx: CommandContext) -> str | None:
    # The CLI may act for a real chat (`--chat telegram:ID`) without knowing what kind it is.
    return None if ctx.chat_kind == "cli" else ctx.chat_kind


async def _subscribe(tools: CommandTools, command: parse.SubscribeCommand, ctx: CommandContext, topics: tuple[str, ...], language: Language) -> View:
    return await tools.chats.subscribe(ctx.platform, ctx.chat_id, _chat_kind(ctx), command.words, language)


async def _unsubscribe(tools: CommandTools, command: parse.UnsubscribeCommand, ctx: CommandContext, topics: tuple[str, ...], language: Language) -> View:
    return await tools.chats.unsubscribe(ctx.platform, ctx.chat_id, ctx.user_id, language)


async def _settings(tools: CommandTools, command: parse.SettingsCommand, ctx: CommandContext, topics: tuple[str, ...], language: Language) -> View:
    if not command.changes_anything:
        return await tools.chats.show(ctx.platform, ctx.chat_id, language)
    # The confirmation comes in the chat's new language, unless the caller forces one.
    reply_language = ctx.language or command.language or language
    return await tools.chats.change_settings(ctx.platform, ctx.chat_id, _chat_kind(ctx), command, reply_language)


async def _help(tools: CommandTools, command: parse.HelpCommand, ctx: CommandContext, topics: tuple[str, ...], language: Language) -> View:
    return help_view(command.command, language, unknown=command.unknown)


def _parse_help(rest: str) -> Command | ParseError:
    if not rest:
        return parse.HelpCommand()
    word = rest.split()[0]
    name = parse.command_name(word)
    if name in BY_NAME:
        return parse.HelpCommand(name)
    return parse.HelpCommand(None, unknown=parse.echo(word))


# ---------------------------------------------------------------- the table

SPECS: tuple[CommandSpec, ...] = (
    CommandSpec("today", parse.Today, parse.no_arguments("today"), _today, cacheable=True, public=True,
                per_chat=True, hint="today"),
    CommandSpec("digest", parse.DigestCommand, parse.optional_day("digest", parse.DigestCommand), _digest,
                cacheable=True, public=True, per_chat=True),
    CommandSpec("paper", parse.PaperCommand, parse.parse_paper, _paper, hint="paper <arXiv id>"),
    CommandSpec("search", parse.SearchCommand, parse.parse_search, _search, hint="search <words>"),
    CommandSpec("related", parse.RelatedCommand, parse.parse_related, _related, hint="related <arXiv id>"),
    CommandSpec("like", parse.LikeCommand, parse.vote_parser("like", parse.LikeCommand, 1), _vote),
    CommandSpec("dislike", parse.DislikeCommand, parse.vote_parser("dislike", parse.DislikeCommand, -1), _vote),
    CommandSpec("taste", parse.TasteCommand, parse.parse_taste, _taste, admin_only=True),
    CommandSpec("topics", parse.TopicsCommand, parse.no_arguments("topics"), _topics, cacheable=True, public=True),
    CommandSpec("topic", parse.TopicCommand, parse.parse_topic, _topic, cacheable=True, public=True,
                hint="topic <name> [days]"),
    CommandSpec("excluded", parse.ExcludedCommand, parse.optional_day("excluded", parse.ExcludedCommand), _excluded,
                cacheable=True, per_chat=True, hint="excluded [date]"),
    CommandSpec("trends", parse.TrendsCommand, parse.parse_trends, _trends, cacheable=True, public=True),
    CommandSpec("subscribe", parse.SubscribeCommand, parse.parse_subscribe, _subscribe, admin_only=True),
    CommandSpec("unsubscribe", parse.UnsubscribeCommand, parse.no_arguments("unsubscribe"), _unsubscribe,
                admin_only=True),
    CommandSpec("settings", parse.SettingsCommand, parse.parse_settings, _settings, admin_only=True),
    CommandSpec("help", parse.HelpCommand, _parse_help, _help, hint="help"),
)

BY_NAME: dict[str, CommandSpec] = {spec.name: spec for spec in SPECS}
COMMANDS: tuple[str, ...] = tuple(BY_NAME)
_BY_KIND: dict[type, CommandSpec] = {spec.kind: spec for spec in SPECS}


def spec_of(command: Command) -> CommandSpec:
    """The row of a parsed command."""
    return _BY_KIND[type(command)]


def parse_command(line: str, *, max_argument_length: int = 300) -> Command | ParseError:
    """Parse one command line; never raises."""
    # Refuse a huge line before doing any work on it; the exact check is on the arguments.
    if len(line) > max_argument_length * 4 + 100:
        return ParseError("too_long", None, {"limit": max_argument_length})
    text = parse.clean_line(line)
    if not text:
        return ParseError("empty")
    word, rest = parse.first_word(text)
    name = parse.command_name(word)
    if name in parse.PREFIXES and rest:
        word, rest = parse.first_word(rest)
        name = parse.command_name(word)
    if name in parse.SHORTCUTS and not rest:
        return parse.SHORTCUTS[name]
    spec = BY_NAME.get(name)
    if spec is None:
        # A pasted id or paper link on its own means "show me this paper".
        if not rest and normalize_arxiv_ref(word) is not None:
            return parse.parse_paper(word)
        return ParseError("unknown_command", None, {"command": parse.echo(word)})
    if len(rest) > max_argument_length:
        return ParseError("too_long", name, {"limit": max_argument_length})
    return spec.parse(rest)


def help_view(name: str | None, language: Language, *, unknown: str | None = None) -> HelpView:
    """`help` or `help <command>`: usage and a line about each command; `help <no command>`
    says there is no such command, then lists them all."""
    specs = [BY_NAME[name]] if name in BY_NAME else list(SPECS)
    title = message(language, "help_title")
    if unknown is not None:
        title = f"{message(language, 'unknown_command', command=unknown)} {title}"
    return HelpView(
        language,
        title,
        [(spec.usage(language), spec.about(language)) for spec in specs],
        None if name in BY_NAME else message(language, "help_note"),
    )


def slack_usage_hint() -> str:
    """The `/papers` usage hint of config/slack-manifest.yaml (a test checks they agree)."""
    return " | ".join(spec.hint for spec in SPECS if spec.hint)
