"""What each CLI verb does, on top of the services the composition root builds."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from tqdm import tqdm

from sqlalchemy.exc import DBAPIError

from paperwire.bot.app import (
    Services,
    archive_pages,
    configured_chats,
    delivery_worker,
    enabled_platforms,
    open_services,
    platform_named,
    platform_names,
    previewers,
    renderers,
)
from paperwire.bot.archive.site import write_site
from paperwire.bot.ask import ask_verb as run_ask
from paperwire.bot.configcheck import check_configuration
from paperwire.bot.delivery.publish import collect_targets, plan_publication, register_configured_chats
from paperwire.bot.errors import Failure, UsageError
from paperwire.bot.models import DayPapers
from paperwire.bot.pipeline import default_list_day
from paperwire.bot.sample import SAMPLE_DAY, SAMPLE_DIR
from paperwire.bot.sources.errors import FutureDateError, SourceError, SourceUnavailable
from paperwire.bot.sources.files import FileSource, date_from_name, read_file
from paperwire.bot.service import serve
from paperwire.bot.store import outbox
from paperwire.bot.store import papers as paper_store
from paperwire.bot.store.database import DatabaseUnavailable
from paperwire.config.settings import Settings
from paperwire.formatters.markdown import render_markdown

log = logging.getLogger(__name__)


async def _read_source(args: argparse.Namespace, services: Services) -> tuple[DayPapers, str]:
    """The list day's papers from the API, the shipped sample or a saved file/folder."""
    source = args.source
    if source == "sample":
        day = args.date or SAMPLE_DAY
        path = SAMPLE_DIR / f"{day.isoformat()}.json"
        if not path.exists():
            shipped = ", ".join(sorted(p.stem for p in SAMPLE_DIR.glob("*.json")))
            raise UsageError(f"the shipped sample has no {day}; it has {shipped}")
        # The earlier sample days give the trends some history to compare with.
        for earlier in sorted(SAMPLE_DIR.glob("*.json")):
            if earlier.stem < day.isoformat():
                await services.pipeline.ingest(read_file(earlier), f"sample {earlier.name}")
        return read_file(path, day), f"sample {path.name}"
    if source != "api":
        path = Path(source).expanduser()
        if not path.exists():
            raise UsageError(f"--source {source}: no such file or folder")
        if path.is_dir():
            folder = FileSource(path)
            days = folder.days()
            if not days:
                raise UsageError(f"--source {source}: the folder holds no YYYY-MM-DD.json files")
            day = args.date or days[-1]
            if day not in days:
                raise UsageError(f"--source {source}: no {day}.json in the folder")
            return folder.read_day(day), f"{path.name}/{day}.json"
        if args.date is None and date_from_name(path) is None:
            raise UsageError(f"{path.name} is not named YYYY-MM-DD.json; pass --date to say which list day it holds")
        return read_file(path, args.date), path.name
    day = args.date or default_list_day()
    try:
        return await services.hf.fetch_day(day), services.settings.sources.hf_base_url
    except SourceUnavailable as error:
        async with services.db.connect() as connection:
            stored = await paper_store.papers_for_day(connection, day)
        if stored:
            log.warning("%s; using the %d papers already stored for %s", error, len(stored), day)
            return DayPapers(day, stored), "store"
        raise Failure(
            f"{error}. Build from saved responses instead: --source PATH "
            f"(a YYYY-MM-DD.json or a folder), or --source sample"
        ) from None


def _check_out_file(out: str | None) -> Path | None:
    """`--out FILE`: its folder must exist and FILE must not be a folder; checked before any work."""
    if not out:
        return None
    path = Path(out).expanduser()
    if path.is_dir():
        raise UsageError(f"--out {out}: is a folder; name a file, e.g. --out {Path(out) / 'digest.md'}")
    if not path.parent.is_dir():
        raise UsageError(f"--out {out}: the folder {path.parent} does not exist; create it first or name another file")
    return path


async def digest_verb(args: argparse.Namespace, settings: Settings) -> int:
    language = args.lang or settings.digest.language
    out = _check_out_file(args.out)

    try:
        async with open_services(settings) as services:
            try:
                day_papers, origin = await _read_source(args, services)
            except FutureDateError as error:
                raise UsageError(str(error)) from None
            except SourceError as error:
                raise Failure(str(error)) from None
            for skipped in day_papers.skipped:
                log.debug("skipped: %s", skipped)
            if not day_papers.papers:
                print(f"paperwire: no papers that day ({day_papers.list_day}); nothing to build", file=sys.stderr)
                return 0
            if origin != "store":
                await services.pipeline.ingest(day_papers, origin)
            digest = await services.pipeline.build(day_papers.list_day, language)
    except DatabaseUnavailable as error:
        raise Failure(str(error)) from None
    assert digest is not None
    post = render_markdown(digest)
    if out is not None:
        try:
            out.write_text(post, encoding="utf-8")
        except OSError as error:
            raise Failure(f"--out {args.out}: cannot write: {error.strerror or error}") from None
        print(f"paperwire: wrote {args.out} ({len(digest.entries)} picks, list day {digest.list_day})", file=sys.stderr)
    else:
        sys.stdout.write(post)
    if args.stats:
        stats = {key: value for key, value in digest.stats.items() if key not in ("digest_id", "trends")}
        print("paperwire: stats " + json.dumps(stats, sort_keys=True), file=sys.stderr)
    return 0


async def import_verb(args: argparse.Namespace, settings: Settings) -> int:

    path = Path(args.path).expanduser()
    if not path.exists():
        raise UsageError(f"{args.path}: no such file or folder")
    if not path.is_dir() and date_from_name(path) is None:
        raise UsageError(
            f"{args.path}: is not a saved Daily Papers response named for its list day; import takes "
            "a YYYY-MM-DD.json file (e.g. 2026-02-20.json) or a folder of them"
        )
    try:
        source = FileSource(path)
        days = source.days()
    except SourceError as error:
        raise UsageError(str(error)) from None
    if not days:
        raise UsageError(f"{args.path}: no YYYY-MM-DD.json files to import")
    inserted = updated = unchanged = 0
    with _SkippedItems() as skipped:
        try:
            async with open_services(settings) as services:
                bar = tqdm(total=len(days), unit="day", file=sys.stderr, disable=args.quiet, desc="importing")
                for day in days:
                    try:
                        day_papers = source.read_day(day)
                    except SourceError as error:
                        skipped.add(str(error))
                        bar.update(1)
                        continue
                    report = await services.pipeline.ingest(day_papers, f"import {day}.json")
                    inserted += report.inserted
                    updated += report.updated
                    unchanged += max(0, report.papers - report.inserted - report.updated)
                    skipped.count_items(day, report.skipped)
                    bar.update(1)
                bar.close()
                await services.db.refresh_statistics()
        except DatabaseUnavailable as error:
            raise Failure(str(error)) from None
    if skipped.total:
        print(f"paperwire: {skipped.summary()}", file=sys.stderr)
    print(
        f"imported {len(days)} days: {inserted} papers loaded, {updated} updated, {unchanged} unchanged, "
        f"{skipped.total} items skipped"
    )
    return 0


class _SkippedItems:
    """What an import skipped, told once at the end (with the first few examples) instead of
    one warning per item through the progress bar."""

    EXAMPLES = 3
    LOGGERS = ("paperwire.bot.sources.parse", "paperwire.bot.sources.files")

    def __init__(self) -> None:
        self.total = 0
        self.warnings: list[str] = []  # the sources' own lines, which name the file
        self.reasons: list[str] = []  # from the ingest reports, when the sources said nothing

    def add(self, text: str) -> None:
        self.total += 1
        self._keep(self.warnings, text)

    def count_items(self, day: date, reasons: list[str]) -> None:
        self.total += len(reasons)
        for reason in reasons:
            self._keep(self.reasons, f"{day}.json: {reason}")

    def summary(self) -> str:
        examples = (self.warnings + self.reasons)[: self.EXAMPLES]
        return f"skipped {self.total} items; the first {len(examples)}: " + " | ".join(examples)

    def _keep(self, into: list[str], text: str) -> None:
        if len(into) < self.EXAMPLES:
            into.append(text)

    def filter(self, record: logging.LogRecord) -> bool:
        """Hold back the sources' warnings during the import (kept as examples)."""
        if record.levelno != logging.WARNING:
            return True
        message = record.getMessage()
        # "/long/path/2025-01-10.json: skipped ..." -> "2025-01-10.json: skipped ..."
        head, sep, rest = message.partition(": ")
        self._keep(self.warnings, f"{Path(head).name}{sep}{rest}" if sep else message)
        return False

    def __enter__(self) -> _SkippedItems:
        for name in self.LOGGERS:
            logging.getLogger(name).addFilter(self)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for name in self.LOGGERS:
            logging.getLogger(name).removeFilter(self)


async def config_check_verb(args: argparse.Namespace, settings: Settings) -> int:

    problems, lines = await check_configuration(settings)
    for line in lines:
        print(line)
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 1 if problems else 0


VERBS = {
    "digest": digest_verb,
    "import": import_verb,
    "config check": config_check_verb,
}



async def _ensure_day(args: argparse.Namespace, services: Services) -> date:
    """The list day to publish, fetched and stored first unless the store already has it."""
    day = args.date or default_list_day()
    if args.source is None:
        async with services.db.connect() as connection:
            stored = await paper_store.papers_for_day(connection, day)
        if stored:
            return day
        args.source = "api"
    try:
        day_papers, origin = await _read_source(args, services)
    except FutureDateError as error:
        raise UsageError(str(error)) from None
    except SourceError as error:
        raise Failure(str(error)) from None
    if origin != "store":
        await services.pipeline.ingest(day_papers, origin)
    return day_papers.list_day


# After SIGTERM or SIGINT, how long `publish` waits for sends in flight to be answered.
PUBLISH_STOP_SECONDS = 8.0


async def publish_verb(args: argparse.Namespace, settings: Settings) -> int:
    """Plan and send one list day; SIGTERM/SIGINT stop it cleanly (sends in flight are recorded)."""
    stop = asyncio.Event()
    main_task = asyncio.current_task()
    sending = False
    loop = asyncio.get_running_loop()

    def on_signal(signum: int) -> None:
        name = signal.Signals(signum).name
        if sending and not stop.is_set():
            log.warning("%s: stopping; waiting up to %.0f s for the sends in flight", name, PUBLISH_STOP_SECONDS)
            stop.set()
        elif main_task is not None:
            # Planning commits chat by chat: a rerun plans what is missing.
            log.warning("%s: stopping now", name)
            main_task.cancel()

    installed = []
    for signum in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(signum, on_signal, signum)
            installed.append(signum)
        except (ValueError, RuntimeError, NotImplementedError):  # not the main thread (tests)
            pass

    def start_sending() -> None:
        nonlocal sending
        sending = True

    try:
        return await _publish(args, settings, stop, start_sending)
    except asyncio.CancelledError:
        print("paperwire: publish stopped by a signal; run it again to send the rest", file=sys.stderr)
        return 1
    finally:
        for signum in installed:
            loop.remove_signal_handler(signum)


async def _publish(
    args: argparse.Namespace, settings: Settings, stop: asyncio.Event, start_sending: Callable[[], None]
) -> int:

    problems: dict[str, str] = {}
    try:
        # A dry run opens the database read-only: it computes what it would store and stores nothing.
        async with open_services(settings, read_only=args.dry_run) as services:
            day = await _ensure_day(args, services)
            if not args.dry_run:
                await register_configured_chats(services.db, configured_chats(settings))
            platforms = platform_names() if args.dry_run else enabled_platforms(settings)
            if not platforms:
                raise Failure(
                    "no platform to publish to: set PAPERWIRE_TELEGRAM__TOKEN or PAPERWIRE_SLACK__BOT_TOKEN "
                    "(or use --dry-run to see the messages)"
                )
            targets = await collect_targets(
                services.db, platforms, settings.digest.language, configured_chats(settings) if args.dry_run else None
            )
            if not targets:
                print(
                    "paperwire: no chats to publish to: set telegram.chats / slack.channels, "
                    "or /subscribe in a chat",
                    file=sys.stderr,
                )
                return 0
            plan = await plan_publication(
                services.pipeline, services.db, day, targets, renderers(settings.digest.empty_day_notice),
                write=not args.dry_run,
            )
            if plan is None:
                print(f"paperwire: no papers that day ({day}); nothing to publish", file=sys.stderr)
                return 0
            if args.dry_run:
                preview = previewers()
                for target, payloads in plan.messages.items():
                    topics = f", topics {', '.join(target.topics)}" if target.topics else ""
                    print(f"=== {target.platform} {target.chat_id} ({target.language}{topics}): {len(payloads)} messages")
                    for index, payload in enumerate(payloads):
                        print(f"--- message {index + 1}")
                        print(preview[target.platform](payload))
                return 0
            start_sending()

            async def send(name: str) -> None:
                """One platform's sends; its failure is its own (another platform goes on)."""
                platform = platform_named(name)
                try:
                    async with platform.open_sender(services) as sender:
                        worker = delivery_worker(
                            services, sender, resume_paused=True, drain_grace=PUBLISH_STOP_SECONDS
                        )
                        await worker.run(stop, digest_ids=plan.digest_ids, until_idle=True)
                        if worker.stopped_reason:
                            problems[name] = worker.stopped_reason
                except asyncio.CancelledError:
                    raise
                except Exception as error:
                    if platform.refused_credential(error):
                        problems[name] = str(error)
                    else:
                        problems[name] = f"cannot reach {name}: {type(error).__name__}: {error}"
                    log.error("%s: %s; its messages stay queued, the other platforms go on", name, problems[name])

            await asyncio.gather(*(send(name) for name in platforms))
            async with services.db.connect() as connection:
                counts = await outbox.status_counts(connection, plan.digest_ids)
                by_platform = {
                    name: await outbox.status_counts(connection, plan.digest_ids, platform=name) for name in platforms
                }
                doubts = await outbox.doubt_counts(connection, plan.digest_ids)
    except DatabaseUnavailable as error:
        raise Failure(str(error)) from None
    except (DBAPIError, OSError) as error:
        # The database went away mid-way: what was planned and sent is recorded; a rerun
        # plans the chats that are missing and sends the rest.
        problem = " ".join(str(getattr(error, "orig", None) or error).split())[:200]
        raise Failure(
            f"the database became unreachable ({type(error).__name__}: {problem}); "
            "run publish again once it is back: it plans and sends only what is missing"
        ) from None
    undelivered = sum(count for status, count in counts.items() if status != "sent")
    summary = ", ".join(f"{status} {count}" for status, count in sorted(counts.items()))
    print(f"published list day {day} to {len(plan.targets)} chats: {summary}")
    if len(platforms) > 1:
        for name, platform_counts in by_platform.items():
            detail = ", ".join(f"{status} {count}" for status, count in sorted(platform_counts.items()))
            print(f"  {name}: {detail}")
    if doubts:
        resent = doubts.get("sent", 0)
        unsure = sum(count for status, count in doubts.items() if status != "sent")
        print(
            f"in doubt: {sum(doubts.values())} messages got no answer at first "
            f"({resent} sent again once, so they may show twice; {unsure} not resent, so they may be missing)"
        )
    for name, problem in problems.items():
        print(f"paperwire: {name}: {problem}", file=sys.stderr)
    if stop.is_set():
        print("paperwire: publish stopped by a signal; run it again to send the rest", file=sys.stderr)
    return 1 if undelivered else 0


VERBS["publish"] = publish_verb


async def ask_verb(args: argparse.Namespace, settings: Settings) -> int:

    return await run_ask(args, settings)


VERBS["ask"] = ask_verb


async def serve_verb(args: argparse.Namespace, settings: Settings) -> int:

    if args.port is not None:
        settings.server.port = args.port
    return await serve(settings)


VERBS["serve"] = serve_verb


async def site_verb(args: argparse.Namespace, settings: Settings) -> int:
    """Write the web archive and its feeds as static files."""
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out}: exists and is not a folder")
    async with open_services(settings) as services:
        report = await write_site(
            archive_pages(services),
            out,
            default_language=settings.digest.language,
            base_url=args.base_url or settings.server.public_url or "/",
        )
    print(f"wrote {report.pages} pages and {report.feeds} feeds for {report.days} digests to {out}")
    return 0


VERBS["site"] = site_verb
