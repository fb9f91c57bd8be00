"""`paperwire ask "<command line>"`: run one chat command against the store and print the reply.

For operators and tests. The reply goes to stdout as Markdown. Exit code: 2 when the reply
is a usage message (unknown command, bad arguments), 1 when the command failed (a source
or the database could not be reached, an internal error), else 0 — "not found" and "no
digest yet" are answers, not failures.

`--chat telegram:-1001234567890` (or `slack:C0123456789`) acts on that real chat, e.g. to
subscribe it; a plain `--chat NAME` is a chat of the "cli" platform, which nothing delivers to.
"""

from __future__ import annotations

import argparse
import logging
import sys

from dataclasses import replace

from paperwire.bot.app import Services, open_services, platform_names
from paperwire.bot.errors import Failure, UsageError
from paperwire.bot.store import subscriptions as subscription_store
from paperwire.bot.store.database import DatabaseUnavailable
from paperwire.bot.views import MessageView, View
from paperwire.config.settings import Settings
from paperwire.formatters.plain import render_view
from paperwire.handlers.core import CommandContext, CommandCore

log = logging.getLogger(__name__)

MAX_CHAT_ID = 100  # the subscriptions table's chat_id column
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def chat_address(chat: str | None) -> tuple[str, str]:
    """(platform, chat id) from `--chat`: `telegram:ID`, `slack:ID`, or a cli chat name."""
    chat = (chat or "cli").strip() or "cli"
    platform, colon, chat_id = chat.partition(":")
    if colon and platform.casefold() in platform_names() and chat_id.strip():
        platform, chat = platform.casefold(), chat_id.strip()
    else:
        platform = "cli"
    if len(chat) > MAX_CHAT_ID:
        raise UsageError(f"--chat: a chat id has at most {MAX_CHAT_ID} characters")
    return platform, chat


async def _cli_language(services: Services, chat_id: str) -> str:
    """A local chat's reply language: its own while it is subscribed, else digest.language.

    `settings lang zh` in the local chat is stored like any chat's, but an operator trying
    commands should not find every later `ask` in another language, least of all after
    `unsubscribe`; `--lang` chooses per call."""
    async with services.db.connect() as connection:
        subscription = await subscription_store.get_subscription(connection, "cli", chat_id)
    if subscription is not None and subscription.active and subscription.language:
        return subscription.language
    return services.settings.digest.language


def exit_code(view: View) -> int:
    if isinstance(view, MessageView):
        if view.kind == "usage":
            return EXIT_USAGE
        if view.kind == "error":
            return EXIT_FAILED
    return EXIT_OK


async def ask_verb(args: argparse.Namespace, settings: Settings) -> int:
    """Answer `args.line` as the operator (an admin) would be answered in chat `args.chat`."""
    platform, chat_id = chat_address(getattr(args, "chat", None))
    context = CommandContext(
        platform=platform,
        chat_id=chat_id,
        user_id=getattr(args, "user", None) or "operator",
        chat_kind="cli",
        is_admin=True,
        language=getattr(args, "lang", None),
    )
    try:
        async with open_services(settings) as services:
            if platform == "cli" and context.language is None:
                context = replace(context, language=await _cli_language(services, chat_id))
            core = CommandCore.from_services(services)
            view = await core.handle(args.line, context)
    except DatabaseUnavailable as error:
        raise Failure(str(error)) from None
    sys.stdout.write(render_view(view))
    return exit_code(view)
