"""Curation: which of a day's papers are picked, in which topic, and why the rest are not."""

from paperwire.bot.curation.classify import Classification, classify, topics_for
from paperwire.bot.curation.select import curate
from paperwire.bot.curation.taxonomy import (
    Family,
    Taxonomy,
    TaxonomyError,
    Topic,
    load_taxonomy,
    parse_taxonomy,
)

__all__ = [
    "Classification",
    "Family",
    "Taxonomy",
    "TaxonomyError",
    "Topic",
    "classify",
    "curate",
    "load_taxonomy",
    "parse_taxonomy",
    "topics_for",
]
