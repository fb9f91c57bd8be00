"""`paperwire [--config FILE] VERB`: the entry point. Logs go to stderr, results to stdout.

Exit codes: 0 done, 1 failed, 2 usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from collections.abc import Callable, Coroutine
from datetime import date
from typing import Any

from paperwire.bot.errors import EXIT_FAILED, EXIT_USAGE, ConfigurationError, Failure, UsageError
from paperwire.config.masking import MaskingFormatter, mask_urls
from paperwire.config.settings import ConfigError, Settings, default_data_dir, load_settings

log = logging.getLogger("paperwire")

def _list_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; use YYYY-MM-DD, e.g. 2026-02-20") from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="paperwire",
        description="A daily digest of new AI papers: curated by topic, summarized, published "
        "as Markdown and to Telegram and Slack.",
        epilog="Settings come from --config FILE (or PAPERWIRE_CONFIG) and PAPERWIRE_* environment "
        "variables; see config/paperwire.example.toml. Data (the SQLite database and caches) lives in "
        f"data_dir (PAPERWIRE_DATA_DIR), by default {default_data_dir()}.",
    )
    parser.add_argument("--config", metavar="FILE", help="TOML settings file (default: $PAPERWIRE_CONFIG)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug detail to stderr")
    # The same two options after the verb (`paperwire digest --config FILE`); SUPPRESS keeps a
    # value given before the verb when none is given after it.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS, help="TOML settings file")
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log debug detail")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True
    add_parser = verbs.add_parser

    def add_verb(*args: Any, **kwargs: Any) -> argparse.ArgumentParser:
        return add_parser(*args, parents=[common], **kwargs)

    verbs.add_parser = add_verb  # type: ignore[method-assign]

    digest = verbs.add_parser(
        "digest",
        help="build, store and print the digest of one Daily Papers day",
        description="Build the digest of one Daily Papers list day, store it, and print it as Markdown. "
        "The digest is built once: running it again prints the same post.",
    )
    digest.add_argument("--date", type=_list_day, help="the list day covered (default: the latest weekday before today, UTC)")
    digest.add_argument("--lang", choices=["en", "zh"], help="language of the post (default: digest.language)")
    digest.add_argument(
        "--source",
        default="api",
        metavar="api|sample|PATH",
        help="where the list comes from: the Hugging Face API (default), the shipped sample day, "
        "or a saved API response (a YYYY-MM-DD.json file or a folder of them)",
    )
    digest.add_argument("--out", metavar="FILE", help="write the post to FILE instead of stdout")
    digest.add_argument("--stats", action="store_true", help="also print counts and LLM token use to stderr")

    importer = verbs.add_parser(
        "import",
        help="load a folder of saved Daily Papers responses into the store",
        description="Load saved Daily Papers API responses (a folder of YYYY-MM-DD.json, or one file). "
        "Papers are upserted by arXiv id; malformed items are skipped with a warning.",
    )
    importer.add_argument("path", help="folder of YYYY-MM-DD.json files, or one such file")
    importer.add_argument("--quiet", action="store_true", help="no progress bar")

    publish = verbs.add_parser(
        "publish",
        help="send the digest of one list day to every chat now",
        description="Build the digest of one list day if needed and deliver it now to every configured "
        "chat (telegram.chats, slack.channels) and every active subscription, each in its language and "
        "topics. Exit 1 if anything is still undelivered at the end.",
    )
    publish.add_argument("--date", type=_list_day, help="the list day (default: the latest weekday before today, UTC)")
    publish.add_argument(
        "--source",
        default=None,
        metavar="api|sample|PATH",
        help="where the list comes from when it is not stored yet (default: the store, else the API)",
    )
    publish.add_argument("--dry-run", action="store_true", help="send nothing; print each chat's messages (no token needed)")

    ask = verbs.add_parser(
        "ask",
        help="run a chat command locally and print the reply",
        description='Run any chat command against the store, e.g. paperwire ask "search sparse attention". '
        "Exit 0 answered, 1 failed, 2 usage.",
    )
    ask.add_argument("line", help='the command line, e.g. "paper 2602.14417" or "excluded today"')
    ask.add_argument("--lang", choices=["en", "zh"], help="reply language (default: the chat's, else digest.language)")
    ask.add_argument(
        "--chat",
        default="cli",
        help="chat the command acts for: telegram:ID or slack:ID for a real chat, else a local name (default: cli)",
    )
    ask.add_argument("--user", default="operator", help="user id the command comes from (default: operator)")

    serve = verbs.add_parser(
        "serve",
        help="run the bot: scheduler, Telegram, Slack, delivery and the HTTP server",
        description="Run paperwire as a service in one asyncio process: scheduled builds and deliveries, "
        "the Telegram bot (polling or webhook), the Slack app (Socket Mode or HTTP), the delivery workers "
        "and an HTTP server with /healthz and /metrics. Platforms without credentials stay off. "
        "SIGTERM or SIGINT stops it within 10 s.",
    )
    serve.add_argument("--port", type=int, help="HTTP port (default: server.port)")

    site = verbs.add_parser(
        "site",
        help="write the web archive and Atom feeds as static files",
        description="Write the archive pages (digests/index.html, digests/YYYY-MM-DD.html and .zh.html) "
        "and the Atom feeds (feed.xml, papers.xml, papers-<topic>.xml) of every stored digest into a folder, "
        "for any static host. Reads the database; writes only into --out.",
    )
    site.add_argument("--out", required=True, help="folder to write into (created if missing)")
    site.add_argument(
        "--base-url",
        help="where the site will be served, e.g. https://example.org/papers/ (default: server.public_url, else /)",
    )

    config = verbs.add_parser("config", help="check the settings", description="Work with the settings.")
    config_verbs = config.add_subparsers(dest="config_verb", metavar="ACTION")
    config_verbs.required = True
    config_verbs.add_parser(
        "check",
        parents=[common],
        help="validate the config file and environment",
        description="Validate the config file and the environment; explain each problem in one line. "
        "Secrets are never printed.",
    )
    return parser


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (main() may run several times in a process)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def configure_logging(level: str, verbose: bool) -> None:
    """One stderr handler whose lines have every URL masked (user info, secret query values)."""
    root = logging.getLogger()
    if not any(isinstance(handler, _StderrHandler) for handler in root.handlers):
        handler = _StderrHandler()
        handler.setFormatter(MaskingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else getattr(logging, level.upper(), logging.INFO))
    # httpx logs request URLs, and a Telegram URL carries the bot token.
    for noisy in ("httpx", "httpcore", "aiosqlite", "alembic", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def main(argv: list[str] | None = None) -> int:
    # python-telegram-bot 22: durations as timedeltas (RetryAfter.retry_after), no deprecation warning.
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    configure_logging("INFO", args.verbose)  # settings warnings are logged while loading
    try:
        settings = load_settings(args.config)
    except ConfigError as error:
        for line in str(error).splitlines():
            print(f"paperwire: configuration error: {line}", file=sys.stderr)
        return EXIT_USAGE
    configure_logging(settings.log_level, args.verbose)
    verb = _VERBS[args.verb if args.verb != "config" else f"config {args.config_verb}"]
    try:
        return asyncio.run(verb(args, settings))
    except UsageError as error:
        print(f"paperwire: {error}", file=sys.stderr)
        return EXIT_USAGE
    except ConfigurationError as error:  # the taxonomy file, say: part of the configuration
        print(f"paperwire: configuration error: digest.topics_file: {error}", file=sys.stderr)
        return EXIT_USAGE
    except Failure as error:  # DatabaseUnavailable among them
        print(f"paperwire: {error}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_FAILED
    except Exception as error:  # a bug: one line for the operator, the traceback with -v
        log.debug("unexpected error", exc_info=True)
        first = str(error).splitlines()[0] if str(error) else ""
        print(
            f"paperwire: unexpected error: {type(error).__name__}: {mask_urls(first)} "
            "(run with -v for the traceback, and please report it)",
            file=sys.stderr,
        )
        return EXIT_FAILED


def _verbs() -> dict[str, Callable[[argparse.Namespace, Settings], Coroutine[Any, Any, int]]]:
    from paperwire.bot import verbs

    return verbs.VERBS


class _LazyVerbs(dict):
    """Import the verb implementations only when one runs, so `--help` stays instant."""

    def __missing__(self, key: str) -> Any:
        self.update(_verbs())
        return dict.__getitem__(self, key)


_VERBS: dict[str, Any] = _LazyVerbs()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
