"""Writes forever, printing each committed connection id; the test SIGKILLs it mid-write."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from olympus.store import Store  # noqa: E402


def main(url: str) -> None:
    store = Store(url)
    i = 0
    while True:
        record = store.add("local", f"conn-{i}", "postgresql",
                           {"host": "h", "username": "u", "password": f"pw-{i}"})
        store.save_schema("local", record.id, {"tables": [{"name": f"t{j}"} for j in range(200)],
                                               "introspected_at": "2024-01-01T00:00:00+00:00"})
        store.log_query("local", record.id, sql="select 1" * 50, status="ok", row_count=1)
        print(record.id, flush=True)
        i += 1


if __name__ == "__main__":
    main(sys.argv[1])
