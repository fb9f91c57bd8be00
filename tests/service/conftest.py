"""Shared pieces of the service tests: invented Daily Papers days, settings, open services."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from paperwire.bot.app import Services, open_services
from paperwire.config.settings import Settings
from tests.fakes.hf import FakeHF, make_item

# (title, abstract) templates; every paper here is invented.
_PAPERS = [
    ("SparseWing {n}: Sparse Attention with KV Cache Compression",
     "We propose SparseWing, a sparse attention method that compresses the KV cache for long context inference."),
    ("ToolPilot {n}: Agentic Reinforcement Learning for Tool Use",
     "LLM agents fail at multi-step tool use. ToolPilot is an agentic reinforcement learning recipe for tool calling."),
    ("GripFormer {n}: A Vision-Language-Action Model for Manipulation",
     "GripFormer is a vision-language-action policy for robotic manipulation with an action expert."),
    ("DreamGrid {n}: A World Model for Planning",
     "DreamGrid learns a world model of the environment and plans inside it with imagined rollouts."),
    ("QuantLeaf {n}: Low-bit Quantization for LLM Serving",
     "QuantLeaf applies low-bit quantization to speed up LLM serving with a small loss in accuracy."),
    ("CrowdMind {n}: Multi-Agent Debate for Reasoning",
     "CrowdMind lets several LLM agents debate in a multi-agent system to improve reasoning."),
    ("PixelBloom {n}: A Diffusion Model for Text-to-Image Generation",
     "PixelBloom is a diffusion model for text-to-image generation and image editing."),
    ("RewardLens {n}: Reinforcement Learning with Verifiable Rewards",
     "RewardLens studies reinforcement learning with verifiable rewards (RLVR) for math reasoning alignment."),
]  # fmt: skip


def day_items(day: date, count: int = len(_PAPERS)) -> list[dict[str, Any]]:
    """An invented Daily Papers list for `day`: ids unique per day, topics across the taxonomy."""
    base = 10000 + (day.toordinal() % 3000) * 10
    items = []
    for index in range(count):
        title, abstract = _PAPERS[index % len(_PAPERS)]
        arxiv_id = f"{day:%y%m}.{base + index:05d}"
        items.append(make_item(arxiv_id, title.format(n=day.isoformat()), abstract, upvotes=40 - index))
    return items


def service_settings(database_url: str, hf_url: str, **sections: Any) -> Settings:
    """Settings for a test: its database, the fake HF, no retries on failure, plus `sections`."""
    values: dict[str, Any] = {
        "database": {"url": database_url},
        "sources": {"hf_base_url": hf_url, "max_retries": 0, "timeout_seconds": 5},
    }
    for name, section in sections.items():
        values[name] = {**values.get(name, {}), **section}
    return Settings(**values)


@pytest.fixture
async def hf() -> AsyncIterator[FakeHF]:
    async with FakeHF() as fake:
        yield fake


OpenServices = Callable[..., AbstractAsyncContextManager[Services]]


@pytest.fixture
def services_for(database_url: str, hf: FakeHF) -> OpenServices:
    """`async with services_for(schedule={...}) as services:` on the test database."""

    @asynccontextmanager
    async def opener(**sections: Any) -> AsyncIterator[Services]:
        async with open_services(service_settings(database_url, hf.base_url, **sections)) as services:
            yield services

    return opener


# -- `paperwire serve` as a real process ---------------------------------------------------

PAPERWIRE = Path(sys.executable).with_name("paperwire")
ALL_DAYS = '["mon","tue","wed","thu","fri","sat","sun"]'


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def yesterday_utc() -> date:
    return datetime.now(UTC).date() - timedelta(days=1)


def due_now_environment(hf_url: str, **extra: str) -> dict[str, str]:
    """Settings under which, at any time of day, yesterday's list is due to be built and delivered."""
    return {
        "PAPERWIRE_SOURCES__HF_BASE_URL": hf_url,
        "PAPERWIRE_SOURCES__MAX_RETRIES": "0",
        "PAPERWIRE_SCHEDULE__BUILD_TIME": "00:00",
        "PAPERWIRE_SCHEDULE__DELIVERY_TIME": "00:00",
        "PAPERWIRE_SCHEDULE__TIMEZONE": "UTC",
        "PAPERWIRE_SCHEDULE__DAYS": ALL_DAYS,
        **extra,
    }


class ServeProcess:
    """`paperwire serve --port PORT` in a subprocess, its log in a file for when a test fails."""

    def __init__(self, environment: dict[str, str], log_path: Path, port: int | None = None) -> None:
        self.port = port or free_port()
        self.log_path = log_path
        self.environment = {**os.environ, **environment}
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServeProcess:
        log_file = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(PAPERWIRE), "serve", "--port", str(self.port)],
            env=self.environment,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        log_file.close()
        return self

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    async def health(self) -> tuple[int, dict[str, Any]] | None:
        try:
            async with aiohttp.ClientSession() as session, session.get(f"{self.url}/healthz") as response:
                return response.status, await response.json()
        except (aiohttp.ClientError, OSError):
            return None

    async def wait_healthy(self, timeout: float = 20.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited with {self.process.returncode}:\n{self.log()}")
            answer = await self.health()
            if answer is not None and answer[0] == 200:
                return answer[1]
            await asyncio.sleep(0.05)
        raise AssertionError(f"serve did not become healthy in {timeout} s:\n{self.log()}")

    async def stop(self, signum: int = signal.SIGTERM, timeout: float = 15.0) -> tuple[int, float]:
        """Send `signum`; (exit code, seconds it took to exit)."""
        assert self.process is not None
        started = time.monotonic()
        self.process.send_signal(signum)
        deadline = started + timeout
        while self.process.poll() is None:
            if time.monotonic() > deadline:
                self.process.kill()
                raise AssertionError(f"serve did not exit within {timeout} s:\n{self.log()}")
            await asyncio.sleep(0.05)
        return self.process.returncode, time.monotonic() - started

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def serve_processes() -> Iterator[list[ServeProcess]]:
    """Processes a test starts; any still running at the end is killed."""
    started: list[ServeProcess] = []
    yield started
    for process in started:
        process.kill()
