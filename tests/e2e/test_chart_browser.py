"""Charts as a person sees them, in real Chromium: a Streamlit page renders results through
olympus.ui.results (Streamlit's own Vega-Lite and theme) and each chart's screenshot must hold
coloured marks. The shapes are the ones that used to come out blank."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.services import ROOT, free_port, unavailable, wait_for_http

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SCRIPT = '''
import duckdb
import streamlit as st

from olympus.charts import ChartSpec
from olympus.runner import QueryResult, to_pandas
from olympus.ui import results

SHAPES = [
    ("bars over 24 months", "SELECT (DATE '2022-01-01' + to_months(i::int))::DATE AS month, "
     "(i * 37 % 11 + 2) * 1000 AS loans FROM range(24) r(i)", ChartSpec("bar", "month", "loans")),
    ("bars over 30 branches", "SELECT 'branch ' || lpad(i::varchar, 2, '0') AS branch, "
     "(i * 13 % 29 + 1) * 1000 AS loans FROM range(1, 31) r(i)", None),
    ("bars over years", "SELECT 2000 + i AS year, (i * 17 % 13 + 1) AS loans FROM range(20) r(i)",
     ChartSpec("bar", "year", "loans")),
]
for title, sql, spec in SHAPES:
    table = duckdb.sql(sql).to_arrow_table()
    result = QueryResult(tuple(table.column_names), tuple(str(t) for t in table.schema.types),
                         to_pandas(table), table.num_rows, False, 1.0, sql)
    st.subheader(title)
    with st.container(key="shape_" + title.split()[-1]):
        results.result_view(result, key=title.split()[-1], spec=spec)
'''


@pytest.fixture(scope="module")
def chart_page(tmp_path_factory):
    """`streamlit run` of a page that shows three results through olympus.ui.results."""
    where = tmp_path_factory.mktemp("chart-page")
    (where / "charts_page.py").write_text(SCRIPT)
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OLYMPUS_HOME": str(where / "home")}
    cmd = [sys.executable, "-m", "streamlit", "run", str(where / "charts_page.py"),
           "--server.headless", "true", "--server.port", str(port),
           "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    log = open(where / "streamlit.log", "wb")
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/_stcore/health", timeout=60, proc=proc)
    except Exception as exc:
        proc.kill()
        unavailable("streamlit run charts_page.py", repr(exc))
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


def coloured_pixels(png: bytes) -> np.ndarray:
    """Mask of clearly coloured pixels: marks, not grey axes, grid lines or black text."""
    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    return (rgb.max(axis=2) - rgb.min(axis=2)) > 40


def runs(line: np.ndarray) -> int:
    padded = np.concatenate([[False], line, [False]])
    return int((np.diff(padded.astype(int)) == 1).sum())


@pytest.mark.parametrize("shape,bars,horizontal", [
    ("months", 24, False), ("branches", 30, True), ("years", 20, False)])
def test_bar_charts_draw_every_bar_in_chromium(page, chart_page, artifacts_dir, shape, bars,
                                               horizontal):
    page.set_default_timeout(60_000)
    page.goto(chart_page)
    box = page.locator(f".st-key-shape_{shape}")
    chart = box.locator('[data-testid="stVegaLiteChart"]').first
    expect(chart.locator("canvas, svg").first).to_be_visible(timeout=60_000)
    page.wait_for_function("el => el.getBoundingClientRect().height > 150",
                           arg=chart.element_handle())
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(1_000)  # Vega's first paint
    png = chart.screenshot(path=str(artifacts_dir / f"e2e-chart-{shape}.png"))
    mask = coloured_pixels(png)
    assert mask.sum() > 2_000, f"{shape}: the chart drew no marks ({mask.sum()} coloured px)"
    assert runs(mask.any(axis=1 if horizontal else 0)) == bars  # one bar per value, each seen
