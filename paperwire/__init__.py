"""paperwire: the one import package of the distribution.

The repository keeps the design card's folders (`bot/`, `handlers/`, `formatters/`,
`config/`) at its top; installed, they live under this package (`paperwire.bot`, ...), so
their generic names never land on a user's import path. `setup.py` maps them.
"""

__version__ = "0.1.0"
