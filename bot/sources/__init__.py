"""Where papers come from: the Hugging Face Daily Papers API, arXiv, and saved responses on disk.

Sources return papers and never store them.
"""

from paperwire.bot.sources.arxiv import ArxivClient
from paperwire.bot.sources.errors import FutureDateError, PaperNotFound, SourceError, SourceUnavailable
from paperwire.bot.sources.files import FileSource, read_file
from paperwire.bot.sources.hf import HFClient
from paperwire.bot.sources.ids import normalize_arxiv_ref
from paperwire.bot.sources.lookup import SingleFlight, lookup_paper
from paperwire.bot.sources.parse import parse_daily_payload, parse_paper_payload

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
