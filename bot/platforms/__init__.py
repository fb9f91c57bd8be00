"""One module per chat platform, each carrying everything about that platform.

A platform is registered once, in the composition root (`bot/app.py`, `PLATFORMS`);
nothing outside these modules branches on a platform's name.
"""
