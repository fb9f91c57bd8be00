"""Masking URLs before they are shown: user info and secret-looking query values become `***`.

Used wherever a URL reaches an operator's eyes (log lines, /healthz, `config check`), and by
the settings to refuse a URL in a file that carries a secret.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, urlsplit

MASK = "***"

# Query parameters whose values are credentials in the wild (database drivers, OpenAI-compatible
# proxies, signed links). Compared lower-case with "-" read as "_".
SECRET_QUERY_KEYS = frozenset(
    {
        "password", "passwd", "pwd", "pass", "secret", "client_secret", "token", "access_token",
        "auth", "auth_token", "api_key", "apikey", "key", "sig", "signature", "x_amz_signature",
        "x_api_key", "sslpassword", "private_token",
    }
)

# A Telegram Bot API path carries the token: /bot123456:AA.../getMe.
_BOT_TOKEN = re.compile(r"(/bot)\d+:[A-Za-z0-9_-]+")
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s'\"<>]+")


def _secret_key(name: str) -> bool:
    return name.lower().replace("-", "_") in SECRET_QUERY_KEYS


def url_secrets(url: str) -> list[str]:
    """What in `url` is a secret: "a password" for user info, else the query keys that hold one."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found = []
    if parts.password or (parts.username and "@" in parts.netloc and _token_like(parts.username)):
        found.append("a password in its user info")
    for key, value in parse_qsl(parts.query, keep_blank_values=False):
        if _secret_key(key) and value:
            found.append(f"the query value {key}=")
    return found


def _token_like(username: str) -> bool:
    # https://TOKEN@host is a common way to pass a bearer token as the user.
    return len(username) >= 20


def mask_url(url: str) -> str:
    """`scheme://***@host/path?api-key=***`: the URL an operator may see."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{MASK}@{netloc.rsplit('@', 1)[1]}"
    query = parts.query
    if query:
        pieces = []
        for piece in query.split("&"):
            key, sep, value = piece.partition("=")
            pieces.append(f"{key}={MASK}" if sep and value and _secret_key(key) else piece)
        query = "&".join(pieces)
    path = _BOT_TOKEN.sub(r"\1" + MASK, parts.path)
    if netloc == parts.netloc and query == parts.query and path == parts.path:
        return url  # urlunsplit would turn sqlite:////abs/path into sqlite://abs/path
    masked = f"{parts.scheme}://{netloc}{path}"
    if query:
        masked += f"?{query}"
    if parts.fragment:
        masked += f"#{parts.fragment}"
    return masked


def mask_urls(text: str) -> str:
    """Every URL inside a free text masked (library errors quote URLs as they were given)."""
    if "://" not in text:
        return text
    return _URL.sub(lambda match: mask_url(match.group(0)), text)


class MaskingFormatter(logging.Formatter):
    """Formats a record, traceback included, then masks every URL in it."""

    def format(self, record: logging.LogRecord) -> str:
        return mask_urls(super().format(record))
