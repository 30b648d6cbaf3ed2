"""`python -m olympus stats`: the space's performance figures from its query log (admins)."""

from __future__ import annotations

import argparse
from typing import Callable


def add_parsers(commands) -> dict[str, Callable]:
    """Add `stats`; returns {command: handler(args, ws) -> exit code}."""
    stats = commands.add_parser("stats", help="query latency, errors, cache and users of a space "
                                              "(admins only)")
    stats.add_argument("--space", dest="owner", metavar="SPACE", default=argparse.SUPPRESS,
                       help="the space (same as the global --space)")
    stats.add_argument("--days", type=int, default=30, help="the window in days (30)")
    stats.add_argument("--json", action="store_true", help="everything as one JSON object")
    preview = commands.add_parser("preview", help="a query's estimated cost and hints, before "
                                                  "it runs (EXPLAIN, never ANALYZE; BigQuery's "
                                                  "dry run)")
    preview.add_argument("name", metavar="CONNECTION")
    preview.add_argument("sql", metavar="SQL")
    preview.add_argument("--json", action="store_true", help="the estimate and hints as JSON")
    return {"stats": cmd_stats, "preview": cmd_preview}


def cmd_preview(args, ws) -> int:
    """Estimate, hints and whether the app would ask first; exit 0 either way (nothing ran)."""
    import json
    from dataclasses import asdict

    found = ws.preview(args.name, args.sql)
    if args.json:
        print(json.dumps({"summary": found.summary, "confirm": found.confirm,
                          "rows_read": found.rows_read, "price_usd": found.price_usd,
                          "plan": asdict(found.plan) if found.plan else None,
                          "hints": [asdict(h) for h in found.hints], "note": found.note},
                         indent=2, default=str))
        return 0
    print(found.summary)
    if found.confirm:
        print(f"Above this connection's threshold: the app asks first ({found.confirm})")
    for hint in found.hints:
        print(f"- {hint.saw} {hint.suggestion}")
    return 0


def cmd_stats(args, ws) -> int:
    import json

    figures = ws.stats(days=args.days)
    if args.json:
        print(json.dumps(figures.to_dict(), indent=2, default=str))
        return 0
    print("\n".join(lines(figures)))
    return 0


def lines(s) -> list[str]:
    """The figures as plain text (every name and SQL is someone's text: one line each, cut)."""
    from olympus.cli import format_table

    ms = lambda v: "-" if v is None else f"{v:,.1f}"  # noqa: E731
    out = [f"Since {s.since:%Y-%m-%d %H:%M} UTC: {s.queries:,} queries"
           + (" (the newest only: the window holds more)" if s.truncated else ""),
           f"Cache hits: {s.cache_hits:,}" + ("" if s.cache_rate is None
                                              else f" ({s.cache_rate:.1%} of successful)"),
           f"Rows returned: {s.rows:,}; result bytes: {s.bytes:,}"
           + ("" if s.scanned_bytes is None else f"; bytes scanned/billed: {s.scanned_bytes:,}"),
           "", "Latency per connection (ms, successful queries)"]
    out.append(format_table(["Connection", "Queries", "Errors", "p50", "p95", "p99"],
                            [[g.key, f"{g.queries:,}", f"{g.error_rate:.1%}", ms(g.p50),
                              ms(g.p95), ms(g.p99)] for g in s.by_connection]))
    out += ["", "Latency per day (UTC)"]
    out.append(format_table(["Day", "Queries", "Errors", "p50", "p95", "p99"],
                            [[g.key, f"{g.queries:,}", f"{g.error_rate:.1%}", ms(g.p50),
                              ms(g.p95), ms(g.p99)] for g in s.by_day]))
    out += ["", "Slowest queries"]
    out.append(format_table(["ms", "Connection", "User", "SQL"],
                            [[ms(q.elapsed_ms), q.connection, q.user or "-",
                              " ".join(q.sql.split())] for q in s.slowest], width=60))
    out += ["", "Errors by type"]
    out.append(format_table(["Type", "Count"], [[t, f"{n:,}"] for t, n in s.errors_by_type]))
    out += ["", "Most active users"]
    out.append(format_table(["User", "Queries"], [[u, f"{n:,}"] for u, n in s.users]))
    return out
