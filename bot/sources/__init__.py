"""Where papers come from: the Hugging Face Daily Papers API, arXiv, and saved responses on disk.

Sources return papers and never store them.
"""

from bot.sources.arxiv import ArxivClient
from bot.sources.errors import FutureDateError, PaperNotFound, SourceError, SourceUnavailable
from bot.sources.files import FileSource, read_file
from bot.sources.hf import HFClient
from bot.sources.ids import normalize_arxiv_ref
from bot.sources.lookup import SingleFlight, lookup_paper
from bot.sources.parse import parse_daily_payload, parse_paper_payload

__all__ = [
    "ArxivClient",
    "FileSource",
    "FutureDateError",
    "HFClient",
    "PaperNotFound",
    "SingleFlight",
    "SourceError",
    "SourceUnavailable",
    "lookup_paper",
    "normalize_arxiv_ref",
    "parse_daily_payload",
    "parse_paper_payload",
    "read_file",
]
