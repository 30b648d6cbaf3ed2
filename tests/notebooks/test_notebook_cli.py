"""`python -m olympus notebook ...` through olympus.cli.main on the demo notebook."""

from __future__ import annotations

import json
import shutil

import nbformat
import pytest

from olympus.cli import main
from olympus.crypto import generate_key
from olympus.notebooks.demo import DEMO_NOTEBOOK


@pytest.fixture()
def home(tmp_path, demo_file, monkeypatch, capsys):
    """An Olympus home where `python -m olympus demo` has run (demo file copied, not rebuilt)."""
    for key in [k for k in __import__("os").environ if k.startswith("OLYMPUS_")
                and k not in ("OLYMPUS_DATA_DIR",) and not k.startswith("OLYMPUS_TEST_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("OLYMPUS_HOME", str(tmp_path))
    monkeypatch.setenv("OLYMPUS_SECRET_KEY", generate_key())
    shutil.copy(demo_file, tmp_path / "demo.duckdb")
    assert main(["demo"]) == 0
    capsys.readouterr()
    return tmp_path


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_and_show(home, capsys):
    code, out, _ = run(capsys, "notebook", "list")
    assert code == 0 and DEMO_NOTEBOOK in out and out.splitlines()[0].split()[:3] == \
        ["name", "cells", "version"]
    code, out, _ = run(capsys, "notebook", "list", "--json")
    assert [n["name"] for n in json.loads(out)] == [DEMO_NOTEBOOK]
    code, out, _ = run(capsys, "notebook", "show", DEMO_NOTEBOOK)
    assert code == 0 and "parameter period (date_range)" in out
    assert "sql monthly_loans on Demo [never_run]" in out and "FROM {{loans_in_period}}" in out
    code, out, _ = run(capsys, "notebook", "show", DEMO_NOTEBOOK, "--json")
    assert [c["name"] for c in json.loads(out)["cells"]][:2] == ["intro", "loans_in_period"]


def test_run_with_parameters_as_json_and_table(home, capsys):
    code, out, err = run(capsys, "notebook", "run", DEMO_NOTEBOOK,
                         "--param", "period=2024-01-01..2024-06-30", "--format", "json")
    assert code == 0, err
    assert "[2/7] loans_in_period" in err and "[1/7]" not in err  # notes are not announced
    data = json.loads(out)
    cells = {c["name"]: c for c in data["cells"]}
    assert data["ok"] and data["version"] == 1
    assert cells["monthly_loans"]["row_count"] == 6
    assert cells["monthly_loans"]["rows"][0][0].startswith("2024-01-01")
    assert cells["intro"]["status"] == "skipped"
    code, out, err = run(capsys, "notebook", "run", DEMO_NOTEBOOK)
    assert code == 0 and "== monthly_loans (24 row(s))" in out and "category" in out


def test_bad_input_is_a_clear_error(home, capsys):
    code, _, err = run(capsys, "notebook", "run", DEMO_NOTEBOOK, "--param", "period=soon")
    assert code == 1 and "Bad date range" in err
    code, _, err = run(capsys, "notebook", "run", DEMO_NOTEBOOK, "--param", "region=West")
    assert code == 1 and "no parameter 'region'" in err and "Parameters: period" in err
    code, _, err = run(capsys, "notebook", "run", DEMO_NOTEBOOK, "--param", "period")
    assert code == 1 and "is not KEY=VALUE" in err
    code, _, err = run(capsys, "notebook", "show", "Nope")
    assert code == 1 and "No notebook named 'Nope'" in err


def test_exports(home, capsys, tmp_path):
    target = tmp_path / "out" / "review.html"
    target.parent.mkdir()
    code, _, err = run(capsys, "notebook", "export", DEMO_NOTEBOOK, "--to", "html",
                       "-o", str(target))
    assert code == 0 and f"Wrote {target}" in err
    html = target.read_text()
    assert html.count('data-chart="chart-') == 2 and "vegaEmbed" in html
    code, out, _ = run(capsys, "notebook", "export", DEMO_NOTEBOOK, "--to", "sql")
    assert code == 0 and "--   period (date_range)" in out and "FROM {{loans_in_period}}" in out
    book = tmp_path / "review.ipynb"
    assert main(["notebook", "export", DEMO_NOTEBOOK, "--to", "ipynb", "-o", str(book),
                 "--no-run"]) == 0
    nbformat.validate(nbformat.read(str(book), as_version=4))
    code, _, err = run(capsys, "notebook", "export", DEMO_NOTEBOOK, "--to", "sql",
                       "-o", str(tmp_path / "missing" / "x.sql"))
    assert code == 1 and "Can't write" in err
