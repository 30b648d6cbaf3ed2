"""`python -m olympus audit`: the space's audit trail (admins only), as lines or JSON."""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timezone


def add_parser(commands) -> None:
    audit = commands.add_parser("audit", help="who did what in a space (admins only)")
    audit.add_argument("--space", dest="owner", metavar="SPACE", default=argparse.SUPPRESS,
                       help="the space (same as the global --space)")
    audit.add_argument("--since", metavar="ISO", help="only from this time on (ISO 8601; UTC "
                                                      "unless it names a zone), e.g. 2025-05-01")
    audit.add_argument("--by", metavar="EMAIL", help="only this user's actions")
    audit.add_argument("--action", help="only this action (query, ask, connection_add, ...)")
    audit.add_argument("--status", help="only this status (ok, refused, error, failed)")
    audit.add_argument("--connection", metavar="NAME", help="only this connection")
    audit.add_argument("--limit", type=int, default=1000, help="at most this many rows (1000)")
    audit.add_argument("--json", action="store_true", help="one JSON array of rows")


def parse_since(value: str | None) -> datetime | None:
    """An ISO date or time; a naive one is UTC. ConfigError (what to type) otherwise."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        from olympus.errors import ConfigError

        raise ConfigError(f"--since {value!r} is not an ISO date or time.",
                          suggestion="Use e.g. 2025-05-01 or 2025-05-01T09:30:00+02:00.") from None
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def cmd_audit(args, ws) -> int:
    entries = ws.activity(user=args.by, connection=args.connection, action=args.action,
                          status=args.status, since=parse_since(args.since), limit=args.limit)
    names = {r.id: r.name for r in ws.store.list_connections(ws.owner)}
    rows = [{**e.to_dict(), "connection": names.get(e.connection_id, e.connection_id)}
            for e in entries]
    if args.json:
        print(json.dumps(rows, indent=2, default=str))
        return 0
    for row in rows:
        print("\t".join(_cells(row)))
    if not rows:
        print("No audit rows match.")
    return 0


def _cells(row: dict) -> list[str]:
    what = row["sql"] or row["question"] or row["detail"] or ""
    numbers = " ".join(f"{k}={row[k]}" for k in ("rows", "bytes", "elapsed_ms")
                       if row[k] is not None)
    return [row["at"], row["user"], row["action"], row["status"], row["connection"] or "-",
            numbers or "-", " ".join(str(what).split())[:200]]
