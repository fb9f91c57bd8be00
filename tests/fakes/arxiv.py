"""A fake arXiv API on a local port: `/api/query?id_list=...` answered with Atom like arXiv's.

A known id gets its entry, an unknown well-formed id an entry-less feed, a malformed id
arXiv's "Error" entry. Request arrival times are recorded so tests can check the pacing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from aiohttp import web

from paperwire.bot.models import split_arxiv_id
from tests.fakes.hf import ScriptedServer

_FEED_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<feed xmlns="http://www.w3.org/2005/Atom" '
    'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
    'xmlns:arxiv="http://arxiv.org/schemas/atom">\n'
    '  <link href="http://arxiv.org/api/query" rel="self" type="application/atom+xml"/>\n'
    '  <title type="html">ArXiv Query: id_list={ids}</title>\n'
    "  <id>http://arxiv.org/api/fake</id>\n"
    "  <updated>2026-02-20T00:00:00-05:00</updated>\n"
    "  <opensearch:totalResults>{total}</opensearch:totalResults>\n"
    "  <opensearch:startIndex>0</opensearch:startIndex>\n"
    "  <opensearch:itemsPerPage>{total}</opensearch:itemsPerPage>\n"
)


@dataclass
class FakeArxiv(ScriptedServer):
    """arXiv's export API; `papers` maps a bare id to an entry made by `make_entry`."""

    papers: dict[str, dict[str, Any]] = field(default_factory=dict)

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/api/query", self._query)]

    def request_times(self) -> list[float]:
        return [request.at for request in self.requests if request.path == "/api/query"]

    def error_response(self, status: int, headers: dict[str, str] | None) -> web.Response:
        return web.Response(text=f"Error {status}", status=status, headers=headers)

    async def _query(self, request: web.Request) -> web.Response:
        ids = [part.strip() for part in request.query.get("id_list", "").split(",") if part.strip()]
        entries: list[str] = []
        for raw_id in ids:
            split = split_arxiv_id(raw_id)
            if split is None:
                entries.append(_error_entry(raw_id))
            elif split[0] in self.papers:
                entries.append(_entry_xml(self.papers[split[0]]))
        body = (
            _FEED_HEAD.format(ids=escape(",".join(ids)), total=len(entries)) + "".join(entries) + "</feed>\n"
        )
        return web.Response(text=body, content_type="application/atom+xml")


def make_entry(
    arxiv_id: str,
    title: str,
    abstract: str = "",
    *,
    authors: list[str] | None = None,
    version: int = 1,
    published: str = "2026-02-19T17:59:00Z",
    updated: str | None = None,
) -> dict[str, Any]:
    """An invented arXiv entry for FakeArxiv.papers."""
    return {
        "id": arxiv_id,
        "title": title,
        "summary": abstract,
        "authors": authors if authors is not None else ["Ada Example", "Bo Sample"],
        "version": version,
        "published": published,
        "updated": updated or published,
    }


def _entry_xml(entry: dict[str, Any]) -> str:
    authors = "".join(f"    <author><name>{escape(name)}</name></author>\n" for name in entry["authors"])
    abs_url = f"http://arxiv.org/abs/{entry['id']}v{entry['version']}"
    # arXiv hard-wraps titles and abstracts; the client must undo it.
    return (
        "  <entry>\n"
        f"    <id>{abs_url}</id>\n"
        f"    <updated>{entry['updated']}</updated>\n"
        f"    <published>{entry['published']}</published>\n"
        f"    <title>{escape(_wrap(entry['title']))}</title>\n"
        f"    <summary>  {escape(_wrap(entry['summary']))}\n</summary>\n"
        f"{authors}"
        f'    <link href="{abs_url}" rel="alternate" type="text/html"/>\n'
        f'    <link title="pdf" href="http://arxiv.org/pdf/{entry["id"]}v{entry["version"]}" '
        'rel="related" type="application/pdf"/>\n'
        '    <arxiv:primary_category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>\n'
        "  </entry>\n"
    )


def _error_entry(raw_id: str) -> str:
    return (
        "  <entry>\n"
        "    <id>http://arxiv.org/api/errors#incorrect_id_format_for_" + escape(raw_id) + "</id>\n"
        "    <title>Error</title>\n"
        "    <summary>incorrect id format for " + escape(raw_id) + "</summary>\n"
        "    <updated>2026-02-20T00:00:00-05:00</updated>\n"
        "    <author><name>arXiv api core</name></author>\n"
        "  </entry>\n"
    )


def _wrap(text: str, width: int = 60) -> str:
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    if current:
        lines.append(current)
    return "\n  ".join(lines)
