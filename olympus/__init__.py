"""Olympus: ask questions of company databases in plain language, safely."""

__version__ = "0.1.0"
