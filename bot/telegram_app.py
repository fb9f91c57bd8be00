"""The Telegram bot as a service part: the PTB Application, polling or a webhook, start and stop.

Polling is the default. With `telegram.webhook_url` set, Telegram POSTs updates to
`/telegram/webhook` on the service's aiohttp server instead; every request must carry the
secret token in `X-Telegram-Bot-Api-Secret-Token`, and one without it gets 403 and is
dropped unread. `paperwire serve` calls, in order: `build_application`, then
`start_polling` or (`add_telegram_webhook_route` and `start_webhook`), and `stop` at exit.
"""

from __future__ import annotations

import hmac
import logging
import re
from datetime import timedelta

from aiohttp import web
from telegram import Bot, Update
from telegram.error import Conflict, InvalidToken, TelegramError
from telegram.ext import Application, ApplicationBuilder
from telegram.request import HTTPXRequest

from paperwire.bot.delivery.ratelimit import SendBudget
from paperwire.bot.delivery.telegram import TokenRefused, bot_token, fanout_request, quiet_http_logs
from paperwire.config.settings import TelegramSettings
from paperwire.handlers.core import CommandCore
from paperwire.handlers.telegram import ALLOWED_UPDATES, register, set_command_menu

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
POLL_TIMEOUT = timedelta(seconds=30)
# Connections for command replies and lookups running side by side.
REPLY_CONNECTIONS = 32
# What Telegram accepts as a secret token.
_SECRET_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def build_application(
    settings: TelegramSettings, core: CommandCore, *, webhook: bool | None = None, budget: SendBudget | None = None
) -> Application:
    """The bot with every handler registered; webhook mode (no updater) when a public URL is set."""
    quiet_http_logs()
    if webhook is None:
        webhook = settings.webhook_url is not None
    builder = (
        ApplicationBuilder()
        .token(bot_token(settings))
        .base_url(settings.base_url)
        .request(fanout_request(REPLY_CONNECTIONS))
        # A slow lookup (arXiv allows one request per 3 s) must not hold up other chats.
        .concurrent_updates(True)
    )
    if webhook:
        builder = builder.updater(None)
    else:
        # The long poll has a connection of its own, so replies never wait behind it.
        builder = builder.get_updates_request(HTTPXRequest(connection_pool_size=1, read_timeout=10.0))
    application = builder.build()
    register(application, core, settings=settings, budget=budget)
    return application


async def start_polling(application: Application) -> None:
    """Log in, publish the command menu and poll for updates (any webhook is removed first)."""
    if application.updater is None:
        raise ValueError("this application was built for a webhook; use start_webhook")
    await _initialize(application)
    await set_command_menu(application.bot)
    await application.start()
    await application.updater.start_polling(
        timeout=POLL_TIMEOUT, allowed_updates=ALLOWED_UPDATES, error_callback=_log_polling_error
    )
    log.info("telegram: polling for updates as @%s", application.bot.username)


async def start_webhook(application: Application, url: str, secret: str) -> None:
    """Log in, publish the command menu, point Telegram at `url` and process what arrives.

    Mount the route first (`add_telegram_webhook_route`); updates that arrive before the
    application runs wait in its queue. Safe to call again after a failure.
    """
    await _initialize(application)
    await set_command_menu(application.bot)
    await set_webhook(application.bot, url, secret)
    if not application.running:
        await application.start()
    log.info("telegram: receiving updates by webhook as @%s", application.bot.username)


async def stop(application: Application) -> None:
    """Stop polling, let handlers in progress finish, close the bot. The webhook stays set,
    so updates wait at Telegram (or go to another replica) while this one is down."""
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    await application.shutdown()


def webhook_endpoint(public_url: str) -> str:
    """The URL to give Telegram: `telegram.webhook_url` itself if it ends in the webhook path,
    else that path under it (so either `https://host` or `https://host/telegram/webhook` works)."""
    url = public_url.rstrip("/")
    return url if url.endswith(WEBHOOK_PATH) else url + WEBHOOK_PATH


async def set_webhook(bot: Bot, url: str, secret: str) -> None:
    """Tell Telegram to POST updates to `url` with `secret` in the secret-token header."""
    _check_secret(secret)
    await bot.set_webhook(url=url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)


def add_telegram_webhook_route(web_app: web.Application, application: Application, secret: str) -> None:
    """Mount POST /telegram/webhook: checks the secret on every request, then queues the update.

    A request without the right secret gets 403 and its body is never read. Accepted
    updates are answered 200 at once and processed by the application. A body that does not
    parse as an update is answered 200 too, with a warning: Telegram resends anything not
    answered 2xx, forever, and a resent bad update would never parse either.
    """
    _check_secret(secret)
    expected = secret.encode("utf-8")

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8")
        if not hmac.compare_digest(given, expected):
            log.warning("telegram webhook: refused a request from %s without the right secret token", request.remote)
            return web.Response(status=403, text="forbidden")
        try:
            data = await request.json()
            update = Update.de_json(data, application.bot) if isinstance(data, dict) else None
            if update is not None and not isinstance(update.update_id, int):
                raise ValueError(f"update_id is {type(update.update_id).__name__}, not a number")
        except Exception as error:  # whatever PTB makes of a hostile body: one line, no traceback
            log.warning("telegram webhook: ignored a body that is not an update (%s: %s)",
                        type(error).__name__, " ".join(str(error).split())[:200])
            return web.Response(status=200, text="ignored: not an update")
        if update is None:
            log.warning("telegram webhook: ignored a body that is not an update (not a JSON object)")
            return web.Response(status=200, text="ignored: not an update")
        await application.update_queue.put(update)
        return web.Response(status=200)

    web_app.router.add_post(WEBHOOK_PATH, receive)


async def _initialize(application: Application) -> None:
    """Log in; PTB's own error for a refused token quotes the token, this one does not."""
    try:
        await application.initialize()
    except InvalidToken:
        raise TokenRefused() from None


def _check_secret(secret: str) -> None:
    if not secret or not _SECRET_TOKEN.match(secret):
        raise ValueError(
            "webhook mode needs a secret token of 1-256 characters A-Z, a-z, 0-9, _ or -; "
            "set PAPERWIRE_TELEGRAM__WEBHOOK_SECRET"
        )


def _log_polling_error(error: TelegramError) -> None:
    """Polling errors are retried by the updater; say what happened, without a traceback."""
    if isinstance(error, Conflict):
        log.warning("telegram: another instance is polling with this token (%s); retrying", error.message)
    else:
        log.warning("telegram: polling failed, retrying: %s", error.message)
