"""Concurrent-writer worker: `python tests/store_worker.py URL WORKER OPS` (settings from env)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from olympus.store import Store  # noqa: E402


def main(url: str, worker: int, ops: int) -> None:
    store = Store(url)
    for i in range(ops):
        name = f"w{worker}-c{i}"
        record = store.add("team", name, "postgresql",
                           {"host": "db.internal", "username": f"u{worker}",
                            "password": f"secret-{worker}-{i}"})
        store.update("team", record.id, params={"port": 6000 + i, "password": f"secret-{worker}-{i}"})
        store.log_query("team", record.id, sql=f"select {worker}, {i}", status="ok",
                        row_count=i, elapsed_ms=1.0)
    store.dispose()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
