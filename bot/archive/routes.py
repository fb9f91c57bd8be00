"""The archive's routes on the service's aiohttp server: `/digests/`, `/digests/YYYY-MM-DD`,
`/feed.xml` and `/papers.xml`, each with `?lang=zh|en`. GETs only; nothing is built here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

from aiohttp import web

from paperwire.bot.archive.pages import ArchivePages, Page
from paperwire.formatters.html import LANGUAGES, Links

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def add_archive_routes(
    app: web.Application, pages: ArchivePages, *, default_language: str, public_url: str | None = None
) -> None:
    """Register the archive's GET routes; links point at `public_url` or the request's origin."""

    def context(request: web.Request) -> tuple[str, Links] | web.Response:
        language = request.query.get("lang", default_language)
        if language not in LANGUAGES:
            return web.Response(status=400, text=f"lang must be one of: {', '.join(LANGUAGES)}\n")
        base = public_url.rstrip("/") + "/" if public_url else f"{request.url.origin()}/"
        return language, Links(base=base, default_language=default_language)

    def respond(page: Page) -> web.Response:
        return web.Response(status=page.status, body=page.body, headers={"Content-Type": page.content_type})

    def page(render: Callable[[web.Request, str, Links], Awaitable[Page]]) -> Handler:
        """A GET handler: the language and links checked once, then `render`."""

        async def handle(request: web.Request) -> web.StreamResponse:
            found = context(request)
            if isinstance(found, web.Response):
                return found
            return respond(await render(request, *found))

        return handle

    async def day(request: web.Request, language: str, links: Links) -> Page:
        try:
            list_day = date.fromisoformat(request.match_info["day"])
        except ValueError:
            return pages.not_found("a day is written YYYY-MM-DD", language, links)
        return await pages.day(list_day, language, links)

    async def to_index(request: web.Request) -> web.StreamResponse:
        raise web.HTTPMovedPermanently(f"/digests/{request.query_string and '?' + request.query_string}")

    app.router.add_get("/digests", to_index)
    app.router.add_get("/digests/", page(lambda request, language, links: pages.index(language, links)))
    app.router.add_get(r"/digests/{day}", page(day))
    app.router.add_get("/feed.xml", page(lambda request, language, links: pages.digests_feed(language, links)))
    app.router.add_get(
        "/papers.xml",
        page(lambda request, language, links: pages.papers_feed(language, links, request.query.get("topic") or None)),
    )
