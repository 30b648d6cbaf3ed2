"""Run one wide query through the real runner in this (fresh) process; print peak RSS as JSON."""

import json
import resource
import sys


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def children_peak_mb() -> float:
    """The largest peak of any exited child: the embedded engines' worker processes."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    kind, target, sql, cap = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    from olympus.connectors import create_connector
    from olympus.runner import run_query

    params = json.loads(target) if target.startswith("{") else \
        {"url": target} if kind == "postgresql" else {"path": target}
    connector = create_connector(kind, params, max_result_bytes=cap)
    run_query(connector, "SELECT 1 AS warm", limiter=None)  # imports and pools before the baseline
    base = peak_mb()
    out = {"base_mb": base}
    try:
        result = run_query(connector, sql, limiter=None)
        out.update(rows=result.row_count, truncated_by=result.truncated_by,
                   bytes=int(result.df.memory_usage(deep=True).sum()),
                   first=str(result.df.iloc[0, 0])[:50] if result.row_count else None)
    except Exception as exc:  # reported, not raised: the parent asserts on it
        out.update(error=f"{type(exc).__name__}: {exc}")
    out["peak_mb"] = peak_mb()
    connector.dispose()  # stops (and reaps) any worker process, so its peak is counted
    out["worker_peak_mb"] = children_peak_mb()
    print(json.dumps(out))


if __name__ == "__main__":
    main()
