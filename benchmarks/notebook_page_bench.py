"""Notebook page speed in real Chromium (issue 12): opening a 30-cell notebook with results
against a 1-cell notebook, side by side in one run on one Olympus server (the demo database).

Each open is a new browser session on the notebook's permalink (/Notebooks?notebook=NAME), timed
as benchmarks/page_bench.py times pages: from the navigation start to the page's last DOM change,
once every chart, single value and table is drawn (counted), the script run has finished, the
page's last element shows and the page has been quiet. Both
notebooks were run before, so a new session shows every cell's last result (from the result
cache once the server has served it once). The present view is measured the same way.
Target: the 30-cell notebook within 3x of the 1-cell one."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path
from urllib.parse import quote_plus

from benchmarks.common import Timing, command_line, header, write_results
from benchmarks.page_bench import QUIET_MS, open_page, round_robin, settled, streamlit

ROOT = Path(__file__).resolve().parent.parent
GOAL = 3.0
# each open re-shows 29 results; a cache hit counts against the per-minute rate limits (they
# bound queries asked), so the back-to-back opens here get limits no person would reach
LIMITS = {"OLYMPUS_RATE_LIMIT": "100000", "OLYMPUS_USER_RATE_LIMIT": "100000"}
BASE = """SELECT loan_id, origination_date, principal, interest_rate, status, product_id
FROM loans WHERE origination_date BETWEEN {{period.start}} AND {{period.end}}"""
SHAPES = [  # (view, sql) cycled over the cells: charts, single values and tables
    ({"kind": "chart", "chart": {"mark": "bar", "x": "month", "y": "principal"}},
     "SELECT date_trunc('month', origination_date) AS month, sum(principal) AS principal "
     "FROM {{base}} WHERE principal > %d GROUP BY 1 ORDER BY 1"),
    ({"kind": "value"}, "SELECT sum(principal) AS total FROM {{base}} WHERE principal > %d"),
    ({"kind": "table"}, "SELECT status, count(*) AS loans, avg(interest_rate) AS rate "
                        "FROM {{base}} WHERE principal > %d GROUP BY 1 ORDER BY 1"),
]


def cells(count: int) -> tuple:
    """`base` then count-1 cells reading it; names c01..cNN so the last one is findable."""
    from olympus.notebooks.model import new_cell

    out = [new_cell("sql", name="c01", connection="Demo", sql=BASE, collapsed=count > 1)]
    for i in range(1, count):
        view, sql = SHAPES[i % len(SHAPES)]
        out.append(new_cell("sql", name=f"c{i + 1:02d}", connection="Demo", view=view,
                            sql=(sql % (i * 1000)).replace("{{base}}", "{{c01}}")))
    if count == 1:
        view, sql = SHAPES[0]
        out = [new_cell("sql", name="c01", connection="Demo", view=view,
                        sql=(sql % 0).replace("{{base}}", f"({BASE}) AS base"))]
    return tuple(out)


def prepare(home: Path) -> None:
    """The demo, a 30-cell and a 1-cell notebook in a fresh OLYMPUS_HOME, each run once."""
    os.environ["OLYMPUS_HOME"] = str(home)
    from olympus.config import Settings
    from olympus.notebooks.model import Param
    from olympus.store import Store
    from olympus.workspace import Workspace

    settings = Settings.from_env()
    ws = Workspace(Store.from_settings(settings), settings=settings)
    ws.ensure_demo()
    period = (Param("period", "date_range", "Period", default=["2024-01-01", "2025-12-31"]),)
    for name, count in (("Thirty cells", 30), ("One cell", 1)):
        ws.create_notebook(name, cells=cells(count), params=period)
        run = ws.run_all(name)
        assert run.ok, [(c.name, c.error) for c in run.cells if c.error]


def open_notebook(browser, url: str, name: str, *, present: bool) -> float:
    page = open_page(browser)
    try:
        page.goto(f"{url}/Notebooks?notebook={quote_plus(name)}" + ("&present=1" * present))
        page.wait_for_function(DRAWN, arg=list(WANT[name]), timeout=120_000)
        # then the last DOM change once quiet; the text is the page's last element
        seconds = settled(page, "Leave the present view" if present else "Question cell", 0.0, 0)
        check(page, name)
        return seconds
    finally:
        page.context.close()


WANT = {"One cell": (1, 0, 0), "Thirty cells": (9, 10, 10)}  # charts, values, tables
DRAWN = """(want) => {
  const main = document.querySelector('[data-testid=stMain]');
  if (!main) return false;
  const n = (t) => main.querySelectorAll(`[data-testid=${t}]`).length;
  return n('stVegaLiteChart') === want[0] && n('stMetric') === want[1]
    && n('stDataFrame') === want[2];
}"""


def check(page, name: str) -> None:
    """Every result really drawn: charts, single values and tables (else the time is void)."""
    want = WANT[name]
    main = page.locator('[data-testid="stMain"]')
    seen = tuple(main.locator(f'[data-testid="{t}"]').count()
                 for t in ("stVegaLiteChart", "stMetric", "stDataFrame"))
    if seen != want:
        shot = Path(tempfile.gettempdir()) / "notebook_page_bench_failed.png"
        page.screenshot(path=str(shot), full_page=True)
        raise AssertionError(f"{name}: charts, values, tables {seen}, expected {want} ({shot})")


def measure(browser, url: str, repeat: int) -> dict[str, Timing]:
    tasks = []
    for view, present in (("editing view", False), ("present view", True)):
        for name, label in (("One cell", "1 cell"), ("Thirty cells", "30 cells")):
            tasks.append((f"{label}, {view}", lambda name=name, present=present:
                          open_notebook(browser, url, name, present=present), None))
    return round_robin(tasks, repeat=repeat, warmup=1)


def report(timings: dict[str, Timing], command: str) -> list[str]:
    lines = header("Notebook page speed in Chromium (issue 12)", "n/a (DuckDB demo only)",
                   command, [
                       "Times: a new browser session on the notebook's permalink, from the "
                       "navigation start to the page's last DOM change once the script run has "
                       f"finished, every chart, value and table is drawn (counted) and the page has been quiet "
                       f"{QUIET_MS} ms; Chromium 1400x900.",
                       "Both notebooks ran before (results served from the result cache); the "
                       "30 cells are 9 bar charts, 10 single values and 10 tables reading a "
                       "collapsed base cell by {{name}}, with a date-range parameter. The server's rate "
                       "limits are raised (a cache hit counts against them and the opens come "
                       "back to back)."])
    lines += ["| Measurement | median s | min s | runs | baseline (1 cell) | ratio | target | "
              "result |", "|---|---:|---:|---:|---:|---:|---|---|"]
    for view in ("editing view", "present view"):
        big, one = timings[f"30 cells, {view}"], timings[f"1 cell, {view}"]
        ratio = big.median / one.median
        lines.append(f"| 30 cells, {view} | {big.median:.3f} | {big.min:.3f} | {len(big.runs)} "
                     f"| {one.median:.3f} s | {ratio:.2f}x | <= {GOAL:g}x | "
                     f"{'**met**' if ratio <= GOAL else '**missed**'} |")
    return lines + [""]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from tests.services import chromium_executable

    work = Path(tempfile.mkdtemp(prefix="olympus-notebookbench-"))
    prepare(work / "home")
    env = {"OLYMPUS_HOME": str(work / "home"), **LIMITS}
    with streamlit(ROOT / "app.py", env) as (url, _), \
            sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_executable(), args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"])
        timings = measure(browser, url, args.repeat)
        browser.close()
    lines = report(timings, command_line("benchmarks.notebook_page_bench", argv))
    write_results("notebook_page.md", lines)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
