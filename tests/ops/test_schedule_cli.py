"""`python -m olympus schedule ...` and `worker --for` exactly as a person types them."""

from __future__ import annotations

import json

from olympus.crypto import generate_key
from tests.ops.schedule_helpers import data_file
from tests.store_helpers import clean_env, cli


def test_schedule_commands_end_to_end(tmp_path):
    path = data_file(tmp_path)
    home = tmp_path / "home"
    env = clean_env(home, OLYMPUS_SECRET_KEY=generate_key(),
                    OLYMPUS_DATA_DIR=str(tmp_path / "data"))
    added = cli(home, "connections", "add", "d", "--type", "sqlite", "--param", f"path={path}",
                env=env)
    assert added.returncode == 0, added.stderr
    bad = cli(home, "schedule", "add", "x", "--connection", "d", "--sql", "SELECT 1",
              "--cron", "0 25 * * *", env=env)
    assert bad.returncode == 1 and "Not a valid cron expression" in bad.stderr
    made = cli(home, "schedule", "add", "totals", "--connection", "d", "--sql",
               "SELECT sum(value) AS total FROM t", "--every", "3600", env=env)
    assert made.returncode == 0 and "Scheduled totals: every 3600 s." in made.stdout
    listed = json.loads(cli(home, "schedule", "list", "--json", env=env).stdout)
    assert listed == [{"name": "totals", "timing": "every 3600 s", "enabled": True,
                       "target": "query", "created_by": "local"}]
    ran = cli(home, "schedule", "run", "totals", env=env)
    assert ran.returncode == 0 and ran.stdout.strip() == "ok: 1 rows"
    runs = json.loads(cli(home, "schedule", "runs", "totals", "--json", env=env).stdout)
    assert [(r["status"], r["attempt"], r["row_count"]) for r in runs] == [("ok", 1, 1)]
    assert cli(home, "schedule", "pause", "totals", env=env).stdout.strip() == "Paused totals."
    worker = cli(home, "worker", "--for", "1", env=env)
    assert worker.returncode == 0 and worker.stdout.startswith("Worker ")
    assert cli(home, "schedule", "delete", "totals", env=env).returncode == 0
    assert json.loads(cli(home, "schedule", "list", "--json", env=env).stdout) == []
