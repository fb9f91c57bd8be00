"""What a new operator trips over, measured through the real CLI (issue 13).

Prints, for 20 broken configurations across every verb, how many ended in exactly one
`configuration error` line with exit 2 and how many printed a traceback; then how long
`paperwire ask "paper <id>"` and `paperwire digest` take with the network down (a host that
cannot be resolved, a port that refuses, and the default hosts as this machine sees them),
next to `paperwire ask help` as the process's own start-up cost.

    python bench/new_operator.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.service.new_operator_cases import CASES, SECRETS, prepare  # noqa: E402

PAPERWIRE = Path(sys.executable).parent / "paperwire"


def clean_environment(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("PAPERWIRE_")}
    env.update(PAPERWIRE_DATA_DIR=str(data_dir), PTB_TIMEDELTA="1", **extra)
    return env


CPU: list[float] = []  # CPU seconds (user + system) of each run, on a shared machine the honest figure


def run(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[subprocess.CompletedProcess[str], float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = subprocess.run([str(PAPERWIRE), *argv], capture_output=True, text=True, env=env, cwd=cwd, timeout=120)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return result, elapsed


def broken_configurations() -> None:
    one_line = tracebacks = leaked = 0
    for case in CASES:
        with tempfile.TemporaryDirectory() as folder:
            argv, extra = prepare(case, Path(folder))
            result, _ = run(argv, clean_environment(Path(folder) / "data", **extra), Path(folder))
        lines = result.stderr.strip().splitlines()
        if "Traceback" in result.stderr:
            tracebacks += 1
        if any(secret in result.stdout + result.stderr for secret in SECRETS):
            leaked += 1
        if result.returncode == 2 and len(lines) == 1 and lines[0].startswith("paperwire: configuration error: "):
            one_line += 1
        else:
            print(f"  not one line: {case.name}: exit {result.returncode}: {result.stderr.strip()[:300]}")
    print(f"broken configurations: {len(CASES)}")
    print(f"  one-line errors (exit 2): {one_line}")
    print(f"  tracebacks: {tracebacks}")
    print(f"  secrets shown: {leaked}")


def refused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed again: connecting is refused


def offline_networks(port: int) -> dict[str, dict[str, str]]:
    """The ways a network can be down: names that do not resolve, a port that refuses, and
    the default hosts (this machine reaches no network)."""
    return {
        "unresolvable hosts": {
            "PAPERWIRE_SOURCES__HF_BASE_URL": "http://huggingface.invalid",
            "PAPERWIRE_SOURCES__ARXIV_BASE_URL": "http://arxiv.invalid",
        },
        "refused connections": {
            "PAPERWIRE_SOURCES__HF_BASE_URL": f"http://127.0.0.1:{port}",
            "PAPERWIRE_SOURCES__ARXIV_BASE_URL": f"http://127.0.0.1:{port}",
        },
        "default hosts": {},
    }


def offline(runs: int) -> None:
    networks = offline_networks(refused_port())
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        built, _ = run(["digest", "--source", "sample"], clean_environment(data), Path(folder))
        assert built.returncode == 0, built.stderr
        baseline = []
        for _ in range(runs):
            baseline.append(run(["ask", "help"], clean_environment(data), Path(folder))[1])
        print(
            f"`ask help` (start-up alone): median {statistics.median(baseline):.2f} s wall, "
            f"{statistics.median(CPU[-runs:]):.2f} s CPU over {runs} runs (load average {os.getloadavg()[0]:.1f})"
        )
        for name, extra in networks.items():
            env = clean_environment(data, **extra)
            paper = [run(["ask", "paper 2602.99999"], env, Path(folder)) for _ in range(runs)]
            paper_cpu = statistics.median(CPU[-runs:])
            stored = [run(["digest", "--date", "2026-02-20"], env, Path(folder)) for _ in range(runs)]
            empty = [run(["digest", "--date", "2026-01-07"], env, Path(folder)) for _ in range(runs)]
            answer = paper[-1][0].stdout.strip().splitlines()[:1]
            print(f"network down ({name}):")
            print(
                f"  ask \"paper 2602.99999\": median {statistics.median(t for _, t in paper):.2f} s wall "
                f"({paper_cpu:.2f} s CPU), max {max(t for _, t in paper):.2f} s; exit {paper[-1][0].returncode}; "
                f"stderr lines {len(paper[-1][0].stderr.strip().splitlines())}; reply: {answer[0][:70] if answer else ''}"
            )
            for label, results in (("digest of a stored day (falls back)", stored), ("digest of a day not stored", empty)):
                last = results[-1][0]
                print(
                    f"  {label}: median {statistics.median(t for _, t in results):.2f} s, "
                    f"max {max(t for _, t in results):.2f} s; exit {last.returncode}; "
                    f"stderr lines {len(last.stderr.strip().splitlines())}"
                )


async def _lookup_seconds(data: Path, extra: dict[str, str], runs: int) -> tuple[list[float], list[float], str]:
    """In one process, services open: seconds `paper <id>` takes to answer, and seconds the
    Daily Papers fetch takes to give up, with the network down (start-up not counted)."""
    from datetime import date

    from paperwire.bot.app import open_services
    from paperwire.bot.sources.errors import SourceError
    from paperwire.config.settings import load_settings
    from paperwire.formatters.plain import render_view
    from paperwire.handlers.core import CommandContext, CommandCore

    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(clean_environment(data, **extra))
    try:
        settings = load_settings()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    paper, fetch, reply = [], [], ""
    async with open_services(settings) as services:
        core = CommandCore.from_services(services)
        for number in range(runs):
            context = CommandContext(platform="cli", chat_id="bench", user_id=f"u{number}", chat_kind="cli", is_admin=True)
            started = time.perf_counter()
            view = await core.handle(f"paper 2602.9999{number}", context)
            paper.append(time.perf_counter() - started)
            reply = render_view(view).strip().splitlines()[0]
            started = time.perf_counter()
            try:
                await services.hf.fetch_day(date(2026, 1, 7))
            except SourceError:
                pass
            fetch.append(time.perf_counter() - started)
    return paper, fetch, reply


def offline_in_process(runs: int) -> None:
    import asyncio

    networks = offline_networks(refused_port())
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        built, _ = run(["digest", "--source", "sample"], clean_environment(data), Path(folder))
        assert built.returncode == 0, built.stderr
        print("network down, in one process (start-up not counted):")
        for name, extra in networks.items():
            paper, fetch, reply = asyncio.run(_lookup_seconds(data, extra, runs))
            print(
                f"  {name}: paper <id> answers in max {max(paper):.3f} s (median {statistics.median(paper):.3f}); "
                f"the list fetch gives up in max {max(fetch):.3f} s; reply: {reply[:60]}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    broken_configurations()
    offline_in_process(args.runs)
    offline(args.runs)


if __name__ == "__main__":
    main()
