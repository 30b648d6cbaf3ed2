"""`python -m olympus history ...` (your past queries and questions) and `cache NAME --ttl S`
(a connection's result-cache lifetime). argparse only at import: handlers import lazily."""

from __future__ import annotations

from typing import Callable

STATUSES = ("ok", "error", "refused", "cancelled")


def add_parsers(commands) -> dict[str, Callable]:
    """Add subcommands; returns {command: handler(args, ws) -> exit code}."""
    history = commands.add_parser("history", help="your past queries and questions")
    history.add_argument("--search", metavar="TEXT", help="only entries whose SQL or question "
                                                          "contains TEXT")
    history.add_argument("--connection", metavar="NAME", help="only this connection")
    history.add_argument("--status", choices=STATUSES, help="only this outcome")
    history.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    history.add_argument("--json", action="store_true")
    cache = commands.add_parser("cache", help="show or set a connection's result-cache lifetime")
    cache.add_argument("name", help="the connection")
    cache.add_argument("--ttl", metavar="SECONDS",
                       help="seconds a result is served from the cache; 0 never caches; "
                            "'default' uses OLYMPUS_CACHE_TTL (600)")
    return {"history": cmd_history, "cache": cmd_cache}


def cmd_history(args, ws) -> int:
    import json
    import sys

    entries = ws.history(search=args.search, connection=args.connection, status=args.status,
                         limit=args.limit)
    if args.json:
        print(json.dumps([e.to_dict() for e in entries], indent=2, default=str))
        return 0
    for e in entries:
        where = e.connection or "(deleted connection)"
        cached = " · from cache" if e.cached else ""
        print(f"#{e.id}  {e.at:%Y-%m-%d %H:%M:%S}  {where}  {e.status}{cached}")
        if e.question:
            print(f"    Q: {_one_line(e.question)}")
        print(f"    {_one_line(e.sql) or '(no SQL)'}")
        if e.error:
            print(f"    ! {_one_line(e.error)}")
    print(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}", file=sys.stderr)
    return 0


def cmd_cache(args, ws) -> int:
    record = ws.set_cache_ttl(args.name, args.ttl) if args.ttl is not None else ws.get(args.name)
    ttl = ws.cache_ttl(record)
    how = "default" if record.cache_ttl_s is None else "set for this connection"
    state = "the result cache is off (OLYMPUS_CACHE_URL)" if ws.result_cache is None else \
        "results are never cached" if ttl <= 0 else f"results are cached for {ttl} s ({how})"
    print(f"{record.name}: {state}")
    return 0


def _one_line(text: str, width: int = 160) -> str:
    """Untrusted text on one terminal line: whitespace collapsed, control characters dropped."""
    flat = " ".join("".join(c for c in str(text) if c.isprintable() or c.isspace()).split())
    return flat if len(flat) <= width else flat[:width - 1] + "…"
