"""Words for schema retrieval: split identifiers, stem word forms, find roots, split compounds.

A question says "sales people", "paid", "published"; a catalog says `Salesperson`, `payment`,
`publisher`. Terms are Snowball stems (plural, tense) after folding abbreviations and irregular
forms; a second, weaker key per word (its derivational root, prefixed "~") links `payment` to
"paid" and `driver` to "drive". Synonyms come from a small general-purpose list (schema_synonyms)
and, per question, from the glossary.
"""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+")

STOP = frozenset(
    "a an the of in on at to for from by with and or not no is are was were be been being has have "
    "had do does did what which who whom whose when where why how all any each many much more most "
    "least less than then there their them they this that these those it its as if into per please "
    "show list give find tell me my we our you your i can could would should will shall may might "
    "among between both only also e g eg ie etc s t vs via about over under up down out one two "
    "descending ascending".split()
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

# English irregular forms a stemmer cannot fold (general English, not any one catalog's words).
IRREGULAR = {
    "paid": "pay", "spent": "spend", "bought": "buy", "sold": "sell", "made": "make", "won": "win",
    "lost": "lose", "held": "hold", "born": "birth", "people": "person", "persons": "person",
    "children": "child", "men": "man", "women": "woman", "wrote": "write", "written": "write",
    "ran": "run", "gave": "give", "given": "give", "took": "take", "taken": "take", "got": "get",
    "began": "begin", "begun": "begin", "chose": "choose", "chosen": "choose", "drove": "drive",
    "driven": "drive", "led": "lead", "taught": "teach", "brought": "bring", "built": "build",
    "sent": "send", "met": "meet", "lent": "lend", "grew": "grow", "grown": "grow", "knew": "know",
    "known": "know", "saw": "see", "seen": "see", "went": "go", "gone": "go", "fell": "fall",
    "fallen": "fall", "flew": "fly", "flown": "fly", "feet": "foot", "teeth": "tooth",
    "mice": "mouse", "geese": "goose", "analyses": "analysis", "criteria": "criterion",
    "indices": "index", "matrices": "matrix", "wives": "wife", "lives": "life", "leaves": "leaf",
    "thieves": "thief", "sang": "sing", "sung": "sing", "ate": "eat", "eaten": "eat", "drew": "draw",
    "drawn": "draw", "rode": "ride", "ridden": "ride", "shot": "shoot", "struck": "strike",
    "stolen": "steal", "stole": "steal", "hid": "hide", "hidden": "hide", "fed": "feed",
    "kept": "keep", "slept": "sleep", "felt": "feel", "dealt": "deal", "meant": "mean",
    "caught": "catch", "fought": "fight", "sought": "seek", "thought": "think", "spoke": "speak",
    "spoken": "speak", "broke": "break", "broken": "break", "froze": "freeze", "frozen": "freeze",
    "became": "become", "oxen": "ox", "older": "old", "oldest": "old", "younger": "young",
    "youngest": "young",
}

# A small general-purpose thesaurus: words a question and a schema use for the same thing.
SYNONYM_GROUPS = (
    "game match fixture", "state province region", "country nation nationality", "city town",
    "buy purchase", "spend expense expenditure cost", "price cost fee charge", "pay payment",
    "salary wage pay earnings", "income revenue earnings", "sale revenue", "client customer",
    "staff employee worker personnel", "company firm organization business enterprise",
    "zip postal", "phone telephone mobile", "email mail", "car vehicle automobile", "film movie",
    "job occupation profession", "kid child", "sex gender", "age birth", "old age", "young age",
    "begin start", "end finish", "shop store", "product item goods merchandise", "total sum",
    "average mean", "student pupil", "teacher instructor lecturer", "doctor physician",
    "hospital clinic", "illness disease diagnosis", "author writer", "song track",
    "singer artist performer", "member participant", "attend attendance participate",
    "school college university", "fuel gas petrol gasoline", "team club squad",
    "player athlete", "winner champion", "address location", "place location", "tall height",
    "heavy weight", "money currency", "supplier vendor", "shipment delivery", "order purchase",
    "invoice bill", "loan credit", "grade score mark", "exam test",
    "disease condition", "male man", "female woman", "owner holder",
    "quantity amount", "day date", "time date", "firstname first",
    "surname last", "nickname alias", "birthday birth", "hometown birthplace", "language tongue",
    "speak language", "employer company", "rent lease", "house home residence", "event occasion",
    "trip journey travel", "flight trip", "airport airfield", "sport game", "race competition",
    "contest competition", "tournament competition", "rating score", "review rating",
    "comment remark note", "post message", "tag label", "category type class kind",
)

# Derivational suffixes stripped (after stemming) for the weaker root key: payment -> pay.
_SUFFIXES = ("ization", "isation", "ation", "ement", "ment", "ance", "ence", "ship", "ness", "ist",
             "ion", "ity", "ive", "ee", "er", "or", "al", "ic", "li", "i")
ROOT = "~"  # prefix keeping root keys apart from stems in one posting space
_MIN_ROOT = 3


@lru_cache(maxsize=1)
def _stemmer():
    """Snowball English (Porter2): the stemmer search engines use; loaded once, lazily."""
    import snowballstemmer

    return snowballstemmer.stemmer("english")


def words(text: str) -> list[str]:
    """Lower-case words of free text or identifiers: 'driverStandings' -> ['driver', 'standings']."""
    return [w.lower() for w in _WORD.findall(text)]


@lru_cache(maxsize=131072)
def normalise(word: str) -> str:
    """One canonical form per word: abbreviation, irregular form, then its Snowball stem."""
    word = ALIASES.get(word, word)
    word = IRREGULAR.get(word, word)
    if len(word) <= 3:
        return word
    for tail, base in (("people", "person"), ("persons", "person")):
        if word.endswith(tail) and len(word) > len(tail) + 2:  # salespeople -> salesperson
            word = word[: -len(tail)] + base
            break
    return _stemmer().stemWord(word)


@lru_cache(maxsize=131072)
def root(term: str) -> str:
    """The weaker key of a term: its stem minus one derivational suffix, without a final 'e'."""
    base = term
    for suffix in _SUFFIXES:
        if term.endswith(suffix) and len(term) - len(suffix) >= _MIN_ROOT:
            base = term[: -len(suffix)]
            break
    if base.endswith("e") and len(base) > _MIN_ROOT:
        base = base[:-1]
    return ROOT + base


@lru_cache(maxsize=262144)
def terms(text: str | None) -> tuple[str, ...]:
    """Index/query terms of a text: words minus stop words, normalised (cached: names repeat)."""
    if not text:
        return ()
    return tuple(normalise(w) for w in words(text) if len(w) > 1 and w not in STOP)


def split_compound(term: str, vocabulary: frozenset[str] | set[str]) -> tuple[str, ...]:
    """'yearmonth' -> ('year', 'month'), 'superhero' -> ('hero',): the parts the catalog knows.

    Both halves known, else a known tail of 4+ letters after a 3+ letter head (the tail of an
    English compound carries its meaning: a superhero is a hero, a gasstation a station)."""
    if len(term) < 7:
        return ()
    tail_only: tuple[str, ...] = ()
    for cut in range(3, len(term) - 2):
        head, tail = normalise(term[:cut]), normalise(term[cut:])
        if tail not in vocabulary:
            continue
        if head in vocabulary and head != term and tail != term:
            return head, tail
        if not tail_only and len(term) - cut >= 4 and tail != term:
            tail_only = (tail,)
    return tail_only


@lru_cache(maxsize=1)
def synonyms() -> dict[str, frozenset[str]]:
    """Term -> the other terms of its thesaurus groups (normalised like every term)."""
    out: dict[str, set[str]] = {}
    for group in SYNONYM_GROUPS:
        members = {normalise(w) for w in group.split()}
        for term in members:
            out.setdefault(term, set()).update(members - {term})
    return {term: frozenset(others) for term, others in out.items()}
