"""Words for schema retrieval: split identifiers, fold plurals and abbreviations, split compounds."""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+")

STOP = frozenset(
    "a an the of in on at to for from by with and or not no is are was were be been being has have "
    "had do does did what which who whom whose when where why how all any each many much more most "
    "least less than then there their them they this that these those it its as if into per please "
    "show list give find tell me my we our you your i can could would should will shall may might "
    "among between both only also e g eg ie etc s t vs via about over under up down out one two".split()
)

# Abbreviations seen in column names, folded to the word a question would use.
ALIASES = {
    "qty": "quantity", "amt": "amount", "num": "number", "nbr": "number", "cnt": "count",
    "desc": "description", "dt": "date", "addr": "address", "pct": "percent", "yr": "year",
    "dob": "birth", "cust": "customer", "prod": "product", "txn": "transaction", "trans": "transaction",
    "acct": "account", "emp": "employee", "dept": "department", "mgr": "manager", "org": "organization",
    "colour": "color", "avg": "average", "max": "maximum", "min": "minimum", "sal": "salary",
    "fname": "first", "lname": "last", "zipcode": "zip", "postcode": "zip", "tel": "phone",
    "lat": "latitude", "lng": "longitude", "lon": "longitude", "info": "information",
}


def words(text: str) -> list[str]:
    """Lower-case words of free text or identifiers: 'driverStandings' -> ['driver', 'standings']."""
    return [w.lower() for w in _WORD.findall(text)]


@lru_cache(maxsize=131072)
def normalise(word: str) -> str:
    """One canonical form per word: alias, then plural/verb-ending folding."""
    word = ALIASES.get(word, word)
    if len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "ches", "shes", "xes", "zes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@lru_cache(maxsize=262144)
def terms(text: str | None) -> tuple[str, ...]:
    """Index/query terms of a text: words minus stop words, normalised (cached: names repeat)."""
    if not text:
        return ()
    return tuple(normalise(w) for w in words(text) if len(w) > 1 and w not in STOP)


def split_compound(term: str, vocabulary: frozenset[str] | set[str]) -> tuple[str, ...]:
    """'yearmonth' -> ('year', 'month') when both halves are known words; else ()."""
    if len(term) < 7:
        return ()
    for cut in range(3, len(term) - 2):
        head, tail = term[:cut], normalise(term[cut:])
        if head in vocabulary and tail in vocabulary:
            return head, tail
    return ()
