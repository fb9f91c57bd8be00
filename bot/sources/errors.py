"""The few ways a source can fail, each handled differently by its callers.

Every message is one line a CLI or chat reply can show as is: no tracebacks, no payloads.
"""

from __future__ import annotations


class SourceError(Exception):
    """A source could not give what was asked: bad input, a refused request, a broken file."""


class SourceUnavailable(SourceError):
    """The remote could not be reached or kept failing after every retry; try again later."""


class SourceOffline(SourceUnavailable):
    """The remote's host cannot be resolved, refuses connections or does not answer a connect:
    most likely no network here. Not retried, so an offline command answers in seconds."""


class FutureDateError(SourceError):
    """The day asked for has no Daily Papers list yet."""


class PaperNotFound(SourceError):
    """The source answered, and it has no such paper."""
