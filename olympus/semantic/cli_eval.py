"""`python -m olympus eval CONNECTION QUESTIONS.jsonl [--json] [--limit N]` (argparse only at import:
the handler imports the agent lazily)."""

from __future__ import annotations

import argparse
from typing import Callable

HELP = """\
Runs each question through the agent (as the Ask page does: guard, limits, query log) and
compares its result with the gold SQL's: rows as a multiset unless the gold SQL ends in ORDER BY
(or "order_matters": true), column names ignored, numbers within 1e-6. A follow-up question
("follow_up_of": "<earlier id>") continues that conversation. Exit code 0 with misses too;
non-zero when the run could not be set up or stopped early, or a gold SQL failed.
The demo's question set: olympus/demo/questions.jsonl
"""


def _count(text: str) -> int:
    value = int(text) if text.isdigit() else 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return value


def add_parsers(commands) -> dict[str, Callable]:
    """Add subcommands; returns {command: handler(args, ws) -> exit code}."""
    ev = commands.add_parser("eval", help="score the agent on question + gold-SQL pairs",
                             description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    ev.add_argument("name", metavar="CONNECTION")
    ev.add_argument("questions", metavar="QUESTIONS.jsonl")
    ev.add_argument("--json", action="store_true", help="print the report as JSON")
    ev.add_argument("--limit", type=_count, metavar="N", help="only the first N questions")
    return {"eval": cmd_eval}


def cmd_eval(args, ws) -> int:
    import json
    import sys

    from olympus.semantic.eval_report import progress_line, report_text

    total = [0]

    def progress(outcome) -> None:
        total[0] += 1
        print(progress_line(total[0], outcome), file=sys.stderr, flush=True)

    report = ws.evaluate(args.name, args.questions, limit=args.limit, on_outcome=progress)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2, default=str))
    else:
        print(report_text(report))
    broken = report.stopped is not None or any(o.status == "gold_error" for o in report.outcomes)
    return 1 if broken else 0
