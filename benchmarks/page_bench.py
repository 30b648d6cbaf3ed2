"""Page speed in real Chromium (issue 11), side by side in one run with a one-line "hello"
Streamlit app (two pages, so it has a page switch too, and a third with a button to rerun):

- a new session's Home, and each page switch (Home -> Connections -> Schema -> Ask -> Home),
  against the hello app's new session and page switch;
- the Schema page on a generated 10,000-table PostgreSQL catalog against the 8-table demo:
  first view in a session, a name filter, opening another table;
- a warm demo query on Ask (SQL typed in the chat box, Enter, until its result is drawn)
  against the hello app's rerun (a button on its page);
- the server's RSS after 1 and after 10 idle sessions (the hello server's beside it).

A time is from the action (or the navigation start) to the last change of the page's DOM, read
once the server has sent script_finished for a run started by the action, the expected text is
there and nothing has changed for QUIET_MS (Streamlit's status widget ignored, and so is the
fallback content inside a <canvas>, which is never painted: the data grid rebuilds its
accessibility table there 200 ms after it draws): what a person sees settle, on the page's own
clock (performance.now()), so the harness's waiting never counts. Beside each time, when the
browser got the run's script_finished: the server's part (script run and sending), the rest
being the browser's drawing."""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Iterator

from benchmarks.catalog_bench import generate
from benchmarks.common import (command_line, fresh_database, header, postgres, server_version,
                               Timing, write_results)

ROOT = Path(__file__).resolve().parent.parent
QUIET_MS = 700
HELLO = '''import streamlit as st
pages = [st.Page(lambda: st.write("hello"), title="one", url_path="one", default=True),
         st.Page(lambda: st.write("hello two"), title="two", url_path="two"),
         st.Page(lambda: (st.write("hello three"), st.button("Rerun")), title="three",
                 url_path="three")]
st.navigation(pages).run()
'''
OBSERVER = """(() => {
  window.__last = performance.now();
  window.__ws = [];  // arrival of every websocket message, in order (page clock)
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', () => window.__ws.push(performance.now()));
    }
  };
  const ignored = '[data-testid=stStatusWidget], [data-testid=stToolbar], [data-testid=stDecoration]';
  const unpainted = (r, node) => (r.type === 'childList' && r.target.nodeName === 'CANVAS')
    || (node.parentElement && node.parentElement.closest('canvas'));
  const seen = (records) => {
    for (const r of records) {
      const node = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      if (node && node.closest && (node.closest(ignored) || unpainted(r, node))) continue;
      window.__last = performance.now();
    }
  };
  const start = () => new MutationObserver(seen).observe(document.documentElement,
    {subtree: true, childList: true, attributes: true, characterData: true});
  if (document.documentElement) start(); else document.addEventListener('readystatechange', start);
})();"""
STATE = """() => [performance.now(), window.__last,
  document.querySelector('[data-testid=stApp]')?.getAttribute('data-test-script-state')]"""
RUNS: dict[int, list] = {}  # id(page) -> [runs finished, last status, frames, finished frames]
SERVER: dict[str, list[float]] = {}  # task -> seconds until the browser got script_finished


# ---- servers ----------------------------------------------------------------------------------
@contextlib.contextmanager
def streamlit(script: Path, env: dict[str, str]) -> Iterator[tuple[str, int]]:
    """`streamlit run script` on a free port; yields (url, pid)."""
    from benchmarks.common import _free_port
    from tests.services import wait_for_http

    port = _free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1",
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    log = open(Path(tempfile.mkdtemp(prefix="olympus-pagebench-")) / "log", "wb")
    proc = subprocess.Popen(cmd, cwd=script.parent, env={**os.environ, **env}, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_for_http(f"http://127.0.0.1:{port}/_stcore/health", timeout=90, proc=proc)
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=15)
        if proc.poll() is None:
            proc.kill()
        log.close()


def rss_mb(pid: int) -> float:
    import psutil

    return psutil.Process(pid).memory_info().rss / 2**20


# ---- measuring in the page ----------------------------------------------------------------------
def settled(page, text: str, since: float, runs: int, timeout_s: float = 120) -> float:
    """Seconds from `since` (page clock, ms) to the last DOM change, once a script run that
    started after `since` has finished (the server's script_finished message, not a rerun
    request), `text` shows and the page has been quiet QUIET_MS."""
    page.get_by_text(text).first.wait_for(timeout=timeout_s * 1000)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        now, last, script = page.evaluate(STATE)
        done, status = RUNS[id(page)][:2]
        if done > runs and status != "FINISHED_EARLY_FOR_RERUN" and script == "notRunning" \
                and now - last >= QUIET_MS:
            return (last - since) / 1000
        page.wait_for_timeout(50)
    raise TimeoutError(f"{text!r}: the page never settled ({page.url}, {RUNS[id(page)]}, "
                       f"runs before {runs})")


def open_page(browser):
    """A page in its own context (a new browser session) that counts finished script runs."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.add_init_script(OBSERVER)
    page = context.new_page()
    runs = RUNS[id(page)] = [0, "", 0, []]

    def frame(payload) -> None:
        runs[2] += 1
        if isinstance(payload, (bytes, bytearray)):
            msg = ForwardMsg()
            msg.ParseFromString(bytes(payload))
            if msg.WhichOneof("type") == "script_finished":
                runs[0] += 1
                runs[1] = ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)
                runs[3].append(runs[2] - 1)  # its index among the page's messages

    page.on("websocket", lambda ws: ws.on("framereceived", frame))
    return page


def new_session(browser, url: str, text: str) -> float:
    page = open_page(browser)
    try:
        page.goto(url)
        return settled(page, text, 0.0, 0)  # from the navigation start
    finally:
        page.context.close()


def act(page, action: Callable[[], None], text: str, *, name: str | None = None) -> float:
    """Seconds from the action to the settled page; with `name`, the server's part is kept
    (when the browser got the last script_finished of the runs the action started)."""
    since = page.evaluate("performance.now()")
    runs, seen = RUNS[id(page)][0], len(RUNS[id(page)][3])
    action()
    seconds = settled(page, text, since, runs)
    finished = RUNS[id(page)][3][seen:]
    arrivals = page.evaluate("window.__ws")
    if name and finished and finished[-1] < len(arrivals):
        SERVER.setdefault(name, []).append((arrivals[finished[-1]] - since) / 1000)
    return seconds


def click_nav(page, label: str) -> Callable[[], None]:
    return lambda: page.locator('[data-testid="stSidebarNav"] a', has_text=label).first.click()


def pick(page, label: str, typed: str) -> None:
    """Choose in the selectbox labelled `label` by typing and Enter, as a keyboard user does."""
    box = page.get_by_label(label, exact=True)
    box.click()
    box.fill(typed)
    page.get_by_role("option").first.wait_for()
    box.press("Enter")


def choose_connection(page, name: str) -> None:
    """A connection's pill (Ask and Schema show a few connections as pills), else the dropdown."""
    pills = page.get_by_role("radiogroup", name="Connection")
    if pills.count():
        pills.get_by_role("radio", name=name).first.click()
    else:
        pick(page, "Connection", name)


def filter_by(page, text: str) -> Callable[[], None]:
    def run() -> None:
        box = page.get_by_placeholder("Filter tables by name")
        box.fill(text)
        box.press("Enter")
    return run


# ---- contenders ---------------------------------------------------------------------------------
Task = tuple[str, Callable[[], float], Callable[[], object] | None]  # name, timed, then (off clock)


def round_robin(tasks: list[Task], *, repeat: int, warmup: int = 1) -> dict[str, Timing]:
    """A B C, A B C, ...: machine noise spreads over every task; each returns its own seconds
    (measured in the page), so the harness's own waiting is never counted."""
    timings = {name: Timing(name) for name, _, _ in tasks}
    for i in range(warmup + repeat):
        for name, timed, after in tasks:
            seconds = timed()
            if after is not None:
                after()
            if i >= warmup:
                timings[name].runs.append(seconds)
    for t in timings.values():
        print(f"  {t.name:<46} median {t.median:7.3f} s  min {t.min:7.3f} s  (n={len(t.runs)})",
              flush=True)
    return timings


def switch_tasks(olympus, hello, hello_three, asking) -> list[Task]:
    """One persistent session each; the round robin keeps the cycle Home -> ... -> Home."""
    steps = [("Connections", "Credentials are encrypted at rest"), ("Schema", "tables and views"),
             ("Ask", "Ask a question in plain English"), ("Home", "Next steps")]
    out: list[Task] = [(f"Olympus switch to {label}", lambda label=label, text=text: act(
        olympus, click_nav(olympus, label), text, name=f"Olympus switch to {label}"), None)
        for label, text in steps]
    out.append((QUERY, lambda: demo_query(asking), None))  # its own session, parked on Ask
    out += [(f"hello switch to {label}", lambda label=label, text=text: act(
        hello, click_nav(hello, label), text, name=f"hello switch to {label}"), None)
        for label, text in (("two", "hello two"), ("one", "hello"))]
    out.append(("hello rerun (button)", lambda: act(
        hello_three, lambda: hello_three.get_by_role("button", name="Rerun").click(),
        "hello three", name="hello rerun (button)"), None))
    return out


QUERY = "Olympus warm demo query (Ask)"
_LIMITS = iter(range(11, 10_000))


def demo_query(page) -> float:
    """A new SELECT in Ask's chat box (a new LIMIT each time: no query cache, a text of its
    own to wait for), timed from Enter to its result drawn."""
    n = next(_LIMITS)
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(f"SELECT loan_id, status FROM loans ORDER BY loan_id LIMIT {n}")
    return act(page, lambda: box.press("Enter"), f"{n} rows · 2 columns", name=QUERY)


def schema_tasks(page, name: str, tables: int, open_name: str, query: str,
                 matches: str) -> list[Task]:
    """First view (from Home), open another table, filter by name; back Home off the clock."""
    return [
        (f"{name}: Schema first view",
         lambda: act(page, click_nav(page, "Schema"), f"{tables:,} tables and views"), None),
        (f"{name}: open a table",
         lambda: act(page, lambda: pick(page, "Open table", open_name), open_name), None),
        (f"{name}: filter by name", lambda: act(page, filter_by(page, query), matches),
         lambda: act(page, click_nav(page, "Home"), "Next steps")),
    ]


def schema_page(browser, url: str, connection: str, tables: int) -> tuple[object, float]:
    """A session parked on Home with `connection` chosen on the Schema page; the seconds that
    choice took (the process's first look at that catalog: loaded from the store)."""
    page = open_page(browser)
    page.goto(f"{url}/Schema")
    seconds = settled(page, "tables and views", 0.0, 0)
    wanted = f"{tables:,} tables and views"
    if page.get_by_text(wanted).count() == 0:
        seconds = act(page, lambda: choose_connection(page, connection), wanted)
    act(page, click_nav(page, "Home"), "Next steps")
    return page, seconds


def idle_sessions(browser, url: str, pid: int, count: int, text: str) -> list[float]:
    """RSS (MB) with no session, then after 1 and after `count` idle sessions on Home."""
    sizes, pages = [rss_mb(pid)], []
    for i in range(count):
        page = open_page(browser)
        pages.append(page)
        page.goto(url)
        settled(page, text, 0.0, 0)
        if i + 1 in (1, count):
            time.sleep(3)  # let the server settle (its gc after the run)
            sizes.append(rss_mb(pid))
    for page in pages:
        page.context.close()
    return sizes


# ---- run ------------------------------------------------------------------------------------------
def prepare(home: Path, pg_url: str) -> None:
    """The demo and the big connection in a fresh OLYMPUS_HOME, each introspected once (the
    server loads the stored snapshots)."""
    os.environ["OLYMPUS_HOME"] = str(home)
    from olympus.config import Settings
    from olympus.store import Store
    from olympus.workspace import Workspace

    settings = Settings.from_env()
    ws = Workspace(Store.from_settings(settings), settings=settings)
    demo = ws.ensure_demo()  # the 8-table baseline, as a first start would build it
    record, result = ws.add_connection("Warehouse", "postgresql", {"url": pg_url})
    assert record is not None, result
    ws.schema(demo.id), ws.schema(record.id)


def measure(browser, olympus: tuple[str, int], hello: tuple[str, int], tables: int,
            schemas: list[str], repeat: int, sessions: int) -> dict:
    (o_url, o_pid), (h_url, h_pid) = olympus, hello
    first = {"hello": new_session(browser, h_url, "hello"),
             "Olympus": new_session(browser, o_url, "Next steps")}
    fresh: list[Task] = [
        ("hello new session", lambda: new_session(browser, h_url, "hello"), None),
        ("Olympus new session (Home)", lambda: new_session(browser, o_url, "Next steps"), None)]
    o_page, h_page, h_three = open_page(browser), open_page(browser), open_page(browser)
    asking = open_page(browser)  # the warm query's session: the switches' Ask page stays empty
    o_page.goto(o_url), h_page.goto(h_url), h_three.goto(f"{h_url}/three")
    asking.goto(f"{o_url}/Ask")
    settled(o_page, "Next steps", 0.0, 0), settled(h_page, "hello", 0.0, 0)
    settled(h_three, "hello three", 0.0, 0), settled(asking, "Ask a question", 0.0, 0)
    demo, _ = schema_page(browser, o_url, "Demo", 8)
    big, first["Schema"] = schema_page(browser, o_url, "Warehouse", tables)
    schema = (schema_tasks(demo, "demo (8 tables)", 8, "main.payments", "loans", "1 match")
              + schema_tasks(big, f"{tables:,} tables", tables, f"{schemas[0]}.t00042",
                                  "t00042", f"{len(schemas)} match" + "es" * (len(schemas) > 1)))
    timings = round_robin(fresh + switch_tasks(o_page, h_page, h_three, asking) + schema,
                          repeat=repeat)
    for page in (o_page, h_page, h_three, asking, demo, big):
        page.context.close()
    time.sleep(5)  # closed sessions leave the servers
    memory = {"Olympus": idle_sessions(browser, o_url, o_pid, sessions, "Next steps"),
              "hello": idle_sessions(browser, h_url, h_pid, sessions, "hello")}
    return {"timings": timings, "first": first, "memory": memory}


def report(out: dict, *, tables: int, pg: str, command: str, sessions: int) -> list[str]:
    t: dict[str, Timing] = out["timings"]
    hello_new = t["hello new session"].median
    hello_switch = (t["hello switch to two"].median + t["hello switch to one"].median) / 2
    rows = [("Olympus new session (Home)", hello_new, "hello new session", 2.0)]
    rows += [(n, hello_switch, "hello page switch", 2.0) for n in t if n.startswith("Olympus sw")]
    rows.append((QUERY, t["hello rerun (button)"].median, "hello rerun", 3.0))
    big = f"{tables:,} tables"
    rows += [(f"{big}: {what}", t[f"demo (8 tables): {what}"].median, "8-table demo", 3.0)
             for what in ("Schema first view", "open a table", "filter by name")]
    lines = header("Page speed in Chromium (issue 11)", pg, command, [
        "Times: from the click (or the navigation start) to the page's last DOM change once the "
        f"script run has finished and the page has been quiet {QUIET_MS} ms; Chromium 1400x900.",
        "Baselines in the same run: a two-page 'hello' Streamlit app (st.write) on its own "
        "server, and the 8-table demo on the same Olympus server."])
    lines += ["| Measurement | median s | min s | runs | server s | baseline | ratio | target "
              "| result |", "|---|---:|---:|---:|---:|---|---:|---|---|"]
    for name, base, label, goal in rows:
        timing, ratio = t[name], t[name].median / base
        lines.append(f"| {name} | {timing.median:.3f} | {timing.min:.3f} | {len(timing.runs)} | "
                     f"{server_part(name)} | {label} {base:.3f} s | {ratio:.2f}x | <= {goal:g}x "
                     f"| {'**met**' if ratio <= goal else '**missed**'} |")
    lines += ["", "server s: median time until the browser got the run's script_finished (the "
              "script run and its messages); the rest of a time is the browser drawing.", "",
              "| Baseline | median s | min s | runs | server s |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {n} | {x.median:.3f} | {x.min:.3f} | {len(x.runs)} | {server_part(n)} |"
              for n, x in t.items() if n.startswith(("hello", "demo"))]
    first = out["first"]
    lines += ["", f"First session after the server start (imports, caches filled): Olympus "
              f"{first['Olympus']:.2f} s, hello {first['hello']:.2f} s. First look at the "
              f"{tables:,}-table catalog in the process (the stored snapshot loaded once, then "
              f"shared by every session): {first['Schema']:.2f} s.", "",
              "| Server RSS, MB | no session | 1 idle session | "
              f"{sessions} idle sessions | per extra session |", "|---|---:|---:|---:|---:|"]
    for name, (zero, one, many) in out["memory"].items():
        lines.append(f"| {name} | {zero:.0f} | {one:.0f} | {many:.0f} | "
                     f"{(many - one) / max(sessions - 1, 1):.1f} |")
    return lines + [""]


def server_part(name: str) -> str:
    """Median seconds until script_finished reached the browser (the warm-up run left out)."""
    import statistics

    runs = SERVER.get(name, [])[1:]
    return f"{statistics.median(runs):.3f}" if runs else "—"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sessions", type=int, default=10)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from tests.services import chromium_executable

    work = Path(tempfile.mkdtemp(prefix="olympus-pagebench-"))
    (work / "hello").mkdir()
    (work / "hello" / "hello.py").write_text(HELLO)
    with postgres() as base:
        pg_url = fresh_database(base, "olympus_pages")
        schemas = generate(pg_url, args.tables)
        prepare(work / "home", pg_url)
        env = {"OLYMPUS_HOME": str(work / "home")}
        with streamlit(ROOT / "app.py", env) as olympus, \
                streamlit(work / "hello" / "hello.py", {}) as hello, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_executable(), args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"])
            out = measure(browser, olympus, hello, args.tables, schemas, args.repeat,
                          args.sessions)
            browser.close()
        lines = report(out, tables=args.tables, pg=server_version(pg_url),
                       command=command_line("benchmarks.page_bench", argv), sessions=args.sessions)
    path = write_results("page.md", lines)
    print("\n".join(lines))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
