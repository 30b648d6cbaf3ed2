"""Start-up of processes that run one command (`python -m olympus`) or only turn rows into
Arrow (embedded-engine workers): what they can skip that a long-lived caller could not."""

from __future__ import annotations

import sys


class _Absent:
    """A meta-path finder under which importing the named packages fails, for a moment."""

    def __init__(self, names: frozenset[str]) -> None:
        self.names = names

    def find_spec(self, name: str, path=None, target=None):
        if name.partition(".")[0] in self.names:
            raise ModuleNotFoundError(f"{name} is not needed in this process", name=name)
        return None


def lean_arrow(*, numpy: bool = False) -> None:
    """pyarrow imports numpy as it loads and tries pandas on its first conversion of Python
    values (~0.1 s and ~0.3 s), only to recognise their objects; a process that has none
    lets it find them absent.

    Import pyarrow and make its one look for pandas (the first conversion) find nothing;
    without `numpy`, pyarrow also loads without numpy (optional since pyarrow 16), for the
    rest of the process: only for a process that never hands pyarrow numpy or pandas objects
    and never asks it for them (to_pandas, to_numpy). Later imports of pandas still work."""
    if "pandas" in sys.modules:  # already paid for: nothing to save
        return
    absent = {"pandas"} if numpy or "pyarrow" in sys.modules else {"pandas", "numpy"}
    finder = _Absent(frozenset(absent - set(sys.modules)))
    sys.meta_path.insert(0, finder)
    try:
        import pyarrow as pa

        pa.array([])  # pyarrow tries pandas here, once, and remembers it is absent
    finally:
        sys.meta_path.remove(finder)


def cached_argparse_messages() -> None:
    """argparse looks its message catalog up on disk for every string of every parser (~50
    parsers: ~12 ms of each command); in one command's process the answer never changes."""
    import argparse
    import functools
    import gettext

    argparse._ = functools.cache(gettext.gettext)
