"""The CLI verbs' expected failures, in a module of their own so that any part may raise them
without importing the entry point (which imports the verbs: a cycle)."""

from __future__ import annotations

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A problem with what the user typed; exit code 2."""


class Failure(Exception):
    """The verb could not do its job; one line for the user, exit code 1."""


class ConfigurationError(Exception):
    """A setting or a file the settings point at cannot be used; exit code 2."""
