"""An evaluation report as a person reads it in a terminal: one row per question, the totals,
then each miss with the agent's SQL beside the gold SQL."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from olympus.semantic.evaluate import EvalOutcome, EvalReport

MARKS = {"correct": "ok", "wrong": "MISS", "error": "ERROR", "gold_error": "GOLD?"}


def progress_line(n: int, outcome: "EvalOutcome") -> str:
    """One line per finished question (stderr), so a long run shows it is moving."""
    why = f" ({outcome.reason})" if outcome.reason else ""
    return f"[{n}] {outcome.id}: {MARKS[outcome.status]}{why} {outcome.latency_ms / 1000:.1f} s"


def summary(report: "EvalReport") -> str:
    data = report.to_dict()
    share = f" ({report.accuracy:.1%})" if report.accuracy is not None else ""
    latency = data["latency_ms_median"]
    parts = [f"Execution accuracy: {data['correct']}/{data['scored']}{share}",
             f"{data['tokens']:,} tokens",
             f"median latency {latency / 1000:.1f} s" if latency is not None else "",
             f"model {report.model}", f"connection {report.connection}"]
    return " · ".join(p for p in parts if p)


def report_text(report: "EvalReport") -> str:
    """The table, the totals, the misses; a stopped run says why and what is missing."""
    from olympus.cli import format_table

    rows = [[o.id, MARKS[o.status], f"{o.tokens:,}", f"{o.latency_ms:,.0f}", str(o.attempts),
             o.reason or ""] for o in report.outcomes]
    out = [format_table(["id", "result", "tokens", "ms", "retries", "why"], rows, width=60), "",
           summary(report)]
    gold = [o.id for o in report.outcomes if o.status == "gold_error"]
    if gold:
        out.append(f"Not scored, their gold SQL failed here: {', '.join(gold)}")
    if report.stopped is not None:
        out.append(f"Stopped early after {len(report.outcomes)} question(s): "
                   f"{report.stopped['title']}: {report.stopped['message']}")
    for o in report.misses:
        out += ["", f"MISS {o.id}: {o.question}", f"  why: {o.reason}",
                f"  agent SQL: {' '.join((o.sql or '(none)').split())}",
                f"  gold SQL:  {' '.join(o.gold_sql.split())}"]
    return "\n".join(out)
