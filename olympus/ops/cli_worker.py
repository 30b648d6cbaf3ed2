"""`python -m olympus worker` and `python -m olympus schedule ...` (handlers import lazily)."""

from __future__ import annotations

from typing import Callable


def add_parsers(commands) -> dict[str, Callable]:
    """Add subcommands; returns {command: handler(args, ws) -> exit code}."""
    worker = commands.add_parser("worker", help="run scheduled queries and notebooks until "
                                                "stopped (several workers run each once)")
    worker.add_argument("--for", dest="seconds", type=float,
                        help="stop after this many seconds (default: until SIGTERM/Ctrl-C)")
    schedule = commands.add_parser("schedule", help="list, add, pause or delete schedules")
    sub = schedule.add_subparsers(dest="action", required=True, metavar="ACTION")
    sub.add_parser("list", help="this space's schedules").add_argument("--json",
                                                                         action="store_true")
    add = sub.add_parser("add", help="a saved query (CONNECTION + --sql) or --notebook")
    add.add_argument("name")
    add.add_argument("--connection")
    add.add_argument("--sql")
    add.add_argument("--notebook")
    add.add_argument("--cron", help="five fields, e.g. '0 8 * * 1-5'")
    add.add_argument("--every", dest="interval_s", type=int, help="interval in seconds")
    add.add_argument("--timezone", default="UTC")
    for action in ("pause", "resume", "delete", "run"):
        sub.add_parser(action, help=f"{action} a schedule").add_argument("name")
    runs = sub.add_parser("runs", help="a schedule's recent runs")
    runs.add_argument("name")
    runs.add_argument("--json", action="store_true")
    return {"worker": run_worker, "schedule": schedule_command}


def run_worker(args, ws) -> int:
    """Block running schedules; SIGTERM or Ctrl-C stops firing and lets running attempts end."""
    import signal
    import threading

    from olympus.ops.worker import ScheduleWorker

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    worker = ScheduleWorker(ws.store).start()
    print(f"Worker {worker.name} running (stop with Ctrl-C).", flush=True)
    try:
        stop.wait(args.seconds)
    finally:
        worker.stop(wait=True)
    return 0


def schedule_command(args, ws) -> int:
    import json

    if args.action == "list":
        items = ws.schedules()
        if args.json:
            print(json.dumps([_row(s) for s in items], indent=2, default=str))
        for s in [] if args.json else items:
            state = "on" if s.enabled else "paused"
            print(f"{s.name}\t{s.timing}\t{state}\t{s.target}\t{s.created_by}")
        return 0
    if args.action == "add":
        s = ws.create_schedule(args.name, connection=args.connection, sql=args.sql,
                               notebook=args.notebook, cron=args.cron,
                               interval_s=args.interval_s, timezone=args.timezone)
        print(f"Scheduled {s.name}: {s.timing}.")
        return 0
    if args.action in ("pause", "resume"):
        ws.pause_schedule(args.name, args.action == "pause")
    elif args.action == "delete":
        ws.delete_schedule(args.name)
    elif args.action == "run":
        outcome = ws.run_schedule_now(args.name)
        print(f"{outcome.status}: {outcome.row_count} rows" + (
            f" ({outcome.error})" if outcome.error else ""))
        return 0 if outcome.status == "ok" else 1
    elif args.action == "runs":
        return _runs(ws, args)
    print(f"{args.action.capitalize()}d {args.name}." if args.action != "pause"
          else f"Paused {args.name}.")
    return 0


def _runs(ws, args) -> int:
    import json

    items = ws.schedule_runs(args.name)
    if args.json:
        print(json.dumps([{k: v for k, v in vars(r).items() if k != "snapshot"}
                          for r in items], indent=2, default=str))
        return 0
    for r in items:
        print(f"{r.due_at.isoformat()}\t{r.status}\tattempt {r.attempt}\t"
              f"{r.row_count if r.row_count is not None else '-'} rows\t{r.error or ''}")
    return 0


def _row(schedule) -> dict:
    return {"name": schedule.name, "timing": schedule.timing, "enabled": schedule.enabled,
            "target": schedule.target, "created_by": schedule.created_by}
