"""One GET with a timeout, and the retry loop both remote sources share.

429 and 5xx answers, dropped connections and read timeouts are retried with exponential
backoff, honouring `Retry-After`; when retries run out the caller gets one SourceUnavailable
line naming the host, never a traceback. A host that cannot be resolved, refuses the
connection or does not accept one within the connect timeout is not retried: that is a
machine without network (or a wrong base URL), and retrying only makes an offline command
slow. It is SourceOffline at once.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import aiohttp

from paperwire.bot.sources.errors import SourceError, SourceOffline, SourceUnavailable

logger = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({429}) | frozenset(range(500, 600))


@dataclass(frozen=True, slots=True)
class HttpResult:
    """A finished response, body read, so the connection is already back in the pool."""

    status: int
    body: bytes
    content_type: str


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    timeout: float = 20.0
    max_retries: int = 4
    backoff_base: float = 0.5
    max_backoff: float = 30.0
    # A server asking for a longer pause than this is treated as unavailable for now.
    max_retry_after: float = 60.0
    # Name resolution and TCP connect; past it the host counts as unreachable (not retried).
    connect_timeout: float = 2.0


class RetryableFailure(Exception):
    """One attempt failed in a way worth retrying; `retry_after` is the server's wish, if any."""

    def __init__(self, description: str, retry_after: float | None = None) -> None:
        super().__init__(description)
        self.description = description
        self.retry_after = retry_after


class Unreachable(Exception):
    """The host could not be reached at all (no name, refused, no connect): not worth a retry."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


async def get_once(
    session: aiohttp.ClientSession,
    url: str,
    params: Mapping[str, str | int],
    timeout: float,
    connect_timeout: float | None = None,
) -> HttpResult:
    """GET `url`; raise RetryableFailure for 429, 5xx, dropped connections and read timeouts,
    Unreachable when the host cannot be resolved, refuses or does not accept a connection."""
    limits = aiohttp.ClientTimeout(total=timeout, connect=min(timeout, connect_timeout or timeout))
    try:
        async with session.get(url, params=params, timeout=limits) as response:
            body = await response.read()
            if response.status in RETRYABLE_STATUSES:
                raise RetryableFailure(
                    f"HTTP {response.status}", parse_retry_after(response.headers.get("Retry-After"))
                )
            return HttpResult(response.status, body, response.content_type)
    except aiohttp.ConnectionTimeoutError:
        raise Unreachable(f"no connection within {min(timeout, connect_timeout or timeout):g} s") from None
    except TimeoutError:
        raise RetryableFailure(f"no answer within {timeout:g} s") from None
    except aiohttp.InvalidURL:
        raise SourceError(f"{url} is not a valid URL; check the base URL in the settings") from None
    except aiohttp.ClientConnectorError as error:
        if isinstance(error, aiohttp.ClientConnectorDNSError) or isinstance(
            error.os_error, (ConnectionRefusedError, socket.gaierror)
        ):
            raise Unreachable(_describe_client_error(error)) from None
        raise RetryableFailure(_describe_client_error(error)) from None
    except aiohttp.ClientError as error:
        raise RetryableFailure(_describe_client_error(error)) from None


async def with_retries(
    attempt: Callable[[], Awaitable[HttpResult]], policy: RetryPolicy, service: str
) -> HttpResult:
    """Run `attempt` until it returns, retrying RetryableFailure up to `policy.max_retries` times."""
    attempts = policy.max_retries + 1
    for number in range(1, attempts + 1):
        try:
            return await attempt()
        except Unreachable as failure:
            raise SourceOffline(f"{service} cannot be reached: {failure.description}") from None
        except RetryableFailure as failure:
            if number == attempts:
                raise SourceUnavailable(
                    f"{service} unavailable after {attempts} attempts: {failure.description}"
                ) from None
            if failure.retry_after is not None and failure.retry_after > policy.max_retry_after:
                raise SourceUnavailable(
                    f"{service} asks to wait {failure.retry_after:.0f} s ({failure.description}); "
                    "try again later"
                ) from None
            pause = _pause(policy, number, failure.retry_after)
            logger.warning(
                "%s: %s; retry %d of %d in %.2f s",
                service,
                failure.description,
                number,
                policy.max_retries,
                pause,
            )
            await asyncio.sleep(pause)
    raise AssertionError("unreachable")  # the loop returns or raises


def parse_retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (seconds or an HTTP date); None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN or infinite
        return None
    return max(0.0, seconds)


def service_name(label: str, base_url: str) -> str:
    """`Hugging Face (huggingface.co)`: what an operator needs to know which remote failed."""
    host = urlsplit(base_url).netloc or base_url
    return f"{label} ({host})"


def _pause(policy: RetryPolicy, attempt_number: int, retry_after: float | None) -> float:
    if retry_after is not None:
        return retry_after
    backoff = min(policy.max_backoff, policy.backoff_base * 2.0 ** (attempt_number - 1))
    # Jitter keeps replicas that failed together from retrying together.
    return backoff * random.uniform(0.8, 1.2)


def _describe_client_error(error: aiohttp.ClientError) -> str:
    if isinstance(error, aiohttp.ClientConnectorError):
        return f"cannot connect ({error.os_error.strerror or error.os_error})"
    text = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
