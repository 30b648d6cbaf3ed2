"""Notebook parameters: typed inputs written `{{name}}` in SQL and bound as real driver
parameters. A value never becomes SQL text: each `{{name}}` turns into the connection's own
placeholder (`?` or `$1`), the guard checks that statement, and the values travel beside it.

Kinds: date (2024-01-31), date_range (`{{period.start}}` and `{{period.end}}`; typed
2024-01-01..2024-03-31), number (42, 2.5), text, choice (one of the values a read-only query
lists in its first column)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Mapping

from olympus.errors import ConfigError, SQLSyntaxError

if TYPE_CHECKING:
    from olympus.workspace import Workspace

KINDS = ("date", "date_range", "number", "text", "choice")
RANGE_PARTS = ("start", "end")
MARKER_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?")
MAX_CHOICES = 1000
MAX_TEXT = 10_000


@dataclass(frozen=True)
class DateRange:
    """A date_range value: `{{name.start}}` and `{{name.end}}` in SQL (both inclusive)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ConfigError(f"The range starts ({self.start}) after it ends ({self.end}).",
                              title="Bad date range", suggestion="Put the earlier date first.")

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


@dataclass(frozen=True)
class Marker:
    """One `{{name}}` in SQL text: where it is (start, end exclusive) and the name inside."""

    start: int
    end: int
    name: str

    @property
    def root(self) -> str:
        """The cell or parameter it names (`period` of `period.start`)."""
        return self.name.split(".", 1)[0]


# ---- values ------------------------------------------------------------------------------------
def parse_value(kind: Any, text: Any) -> Any:
    """A value from the CLI's `--param K=V` or a stored default: the Python value the driver
    binds. `kind` is a kind name or a parameter (anything with `.kind` and `.name`)."""
    name = getattr(kind, "name", None)
    kind = getattr(kind, "kind", kind)
    label = f"Parameter {name!r}" if name else "The value"
    if kind not in KINDS:
        raise ConfigError(f"Unknown parameter kind {kind!r}.", fields=("kind",),
                          suggestion=f"Parameter kinds: {', '.join(KINDS)}.")
    if text is None:
        return None
    parse = {"date": _date, "date_range": _range, "number": _number}.get(kind, _text)
    return parse(text, label)


def _date(text: Any, label: str) -> date:
    if isinstance(text, date):
        return text.date() if hasattr(text, "hour") else text
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise ConfigError(f"{label} must be a date like 2024-01-31, not {str(text)[:40]!r}.",
                          title="Bad date") from None


def _range(text: Any, label: str) -> DateRange:
    if isinstance(text, DateRange):
        return text
    if isinstance(text, (list, tuple)):
        parts = list(text)
    else:
        parts = re.split(r"\s*(?:\.\.|,|/)\s*", str(text).strip())
    if len(parts) != 2:
        raise ConfigError(f"{label} must be two dates like 2024-01-01..2024-03-31.",
                          title="Bad date range")
    return DateRange(_date(parts[0], label), _date(parts[1], label))


def _number(text: Any, label: str) -> int | float:
    """A whole number stays int; anything else is a float (every driver binds both)."""
    if isinstance(text, bool):
        raise ConfigError(f"{label} must be a number, not {text}.", title="Bad number")
    if isinstance(text, int):
        return text
    raw = str(text).strip().replace("_", "")
    if re.fullmatch(r"[+-]?\d+", raw):
        return int(raw)
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise ConfigError(f"{label} must be a number like 42 or 2.5, not {str(text)[:40]!r}.",
                          title="Bad number") from None
    return float(value)


def _text(text: Any, label: str) -> str:
    value = str(text)
    if len(value) > MAX_TEXT:
        raise ConfigError(f"{label} is longer than {MAX_TEXT:,} characters.", title="Too long")
    return value


def choices(ws: "Workspace", connection: str, sql: str, *, limit: int = MAX_CHOICES) -> list[str]:
    """A choice list: the first column of a read-only query, through the guarded run path."""
    result = ws.run_sql(connection, sql, limit=limit, source="notebook")
    if not result.columns:
        return []
    column = result.arrow.column(0).to_pylist() if result.arrow is not None else \
        list(result.df.iloc[:, 0])
    return list(dict.fromkeys("" if v is None else str(v) for v in column))


def check_choice(name: str, value: Any, options: list[str]) -> str:
    """A choice must be one of the listed values (a stale URL or CLI flag gets told which)."""
    if str(value) not in options:
        shown = ", ".join(options[:10]) + (" ..." if len(options) > 10 else "")
        raise ConfigError(f"{value!r} is not one of the choices for {name!r}.",
                          title="Not a choice", suggestion=f"Choices: {shown or 'none'}.")
    return str(value)


# ---- markers -------------------------------------------------------------------------------
def find_markers(sql: str, dialect: str = "") -> list[Marker]:
    """Every `{{name}}` outside string literals and comments (the dialect's own tokenizer)."""
    if "{{" not in sql:
        return []
    return list(_markers(sql, dialect))


@lru_cache(maxsize=512)
def _markers(sql: str, dialect: str) -> tuple[Marker, ...]:
    """find_markers, remembered per text: a notebook re-run tokenizes the same cells again."""
    from sqlglot import Dialect
    from sqlglot.tokens import TokenType

    if "{{" not in sql:
        return []
    try:
        tokens = Dialect.get_or_raise(dialect or None).tokenize(sql)
    except Exception as exc:  # an unterminated string or quote
        raise SQLSyntaxError(f"The SQL could not be read: {str(exc)[:200]}", sql=sql) from None
    found, i = [], 0
    while i + 1 < len(tokens):
        a, b = tokens[i], tokens[i + 1]
        if a.token_type == b.token_type == TokenType.L_BRACE and b.start == a.end + 1:
            close = _closing(tokens, i + 2)
            if close is not None:
                name = sql[b.end + 1:tokens[close].start].strip()
                if MARKER_NAME.fullmatch(name):
                    found.append(Marker(a.start, tokens[close + 1].end + 1, name))
                    i = close + 2
                    continue
        i += 1
    return tuple(found)


def _closing(tokens: list, i: int) -> int | None:
    """Index of the first of two adjacent `}` from i on (a marker holds a few tokens at most)."""
    from sqlglot.tokens import TokenType

    for j in range(i, min(i + 6, len(tokens) - 1)):
        a, b = tokens[j], tokens[j + 1]
        if a.token_type == b.token_type == TokenType.R_BRACE and b.start == a.end + 1:
            return j
    return None


def resolve(values: Mapping[str, Any], name: str) -> Any:
    """The value a marker names: `x`, or `period.start` / `period.end` of a date range."""
    if name in values:
        value = values[name]
    else:
        root, _, part = name.partition(".")
        if root not in values:
            raise ConfigError(f"{{{{{name}}}}} names no parameter or earlier cell.",
                              title="Unknown name", suggestion=_known(values))
        value = values[root]
        if not part:
            pass
        elif isinstance(value, DateRange) and part in RANGE_PARTS:
            return getattr(value, part)
        else:
            raise ConfigError(f"{{{{{name}}}}}: only a date range has parts (.start, .end).",
                              title="Unknown name")
    if isinstance(value, DateRange):
        raise ConfigError(f"{{{{{name}}}}} is a date range: write {{{{{name}.start}}}} and "
                          f"{{{{{name}.end}}}}.", title="Date range needs a part")
    if value is None:
        raise ConfigError(f"Parameter {name!r} has no value.", title="Missing parameter",
                          suggestion="Give it a value (or a default).")
    return value


def _known(values: Mapping[str, Any]) -> str:
    return "Parameters: " + (", ".join(sorted(values)) or "none") + "."


def bind_markers(sql: str, values: Mapping[str, Any], *, dialect: str,
                 style: str) -> tuple[str, list[Any]]:
    """Each `{{name}}` -> the driver's placeholder; the values in placeholder order. style
    "qmark": `?` per occurrence; "dollar": `$n`, one number per distinct name."""
    if style not in ("qmark", "dollar"):
        raise ValueError(f"unknown parameter style {style!r}")
    out, bound, numbers, last = [], [], {}, 0
    for marker in find_markers(sql, dialect):
        value = resolve(values, marker.name)
        out.append(sql[last:marker.start])
        if style == "qmark":
            bound.append(value)
            out.append("?")
        else:
            if marker.name not in numbers:
                bound.append(value)
                numbers[marker.name] = len(bound)
            out.append(f"${numbers[marker.name]}")
        last = marker.end
    out.append(sql[last:])
    return "".join(out), bound


def pyformat(sql: str, dialect: str) -> str:
    """`?` placeholders as PyMySQL spells them (`%s`), every other `%` doubled so it stays one."""
    from sqlglot import Dialect
    from sqlglot.tokens import TokenType

    spots = {t.start for t in Dialect.get_or_raise(dialect).tokenize(sql)
             if t.token_type == TokenType.PLACEHOLDER and t.text == "?"}
    return "".join("%s" if i in spots else "%%" if ch == "%" else ch for i, ch in enumerate(sql))
