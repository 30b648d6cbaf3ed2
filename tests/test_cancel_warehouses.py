"""Cancel on the warehouses, through Workspace.run_sql with a QueryHandle, on the stand-ins the
suite runs: Redshift (the PostgreSQL stand-in: the statement leaves pg_stat_activity), Snowflake
(fakesnow) and BigQuery (bqemulator). The emulators run every statement synchronously and ignore
an abort, so for them a recording HTTP hop between the real driver and the emulator proves the
cancel the connector sends - the right request for the right statement, at once - and what the
emulator can't do (stop the statement early) is a declared gap that fails exactly as declared."""

from __future__ import annotations

import gzip
import http.client
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import psycopg
import pytest

from olympus.errors import QueryCancelled
from olympus.runner import QueryHandle
from tests.contract.conftest import _bigquery, _redshift, _snowflake
from tests.contract.gaps import Gap, expected
from tests.waiting import until

RS_HEAVY = "SELECT count(*) AS n FROM pg_attribute a, pg_attribute b, pg_attribute c"
SF_SLOW = "SELECT sum(random()) AS s FROM TABLE(GENERATOR(ROWCOUNT => 150000000))"
BQ_SLOW = ("SELECT COUNT(*) AS n FROM UNNEST(GENERATE_ARRAY(1, 3000000)) a "
           "CROSS JOIN UNNEST(GENERATE_ARRAY(1, 5000)) b")
FAKESNOW_ABORT = Gap("abort", raises=AssertionError, match=r"^ran on after Cancel",
                     why="fakesnow's /queries/v1/abort-request is a no-op: the statement runs on")
BQEMU_CANCEL = Gap("job_cancel", raises=AssertionError, match=r"^ran on after Cancel",
                   why="bqemulator runs a job synchronously inside jobs.insert and its "
                       "jobs.cancel only reports the state")


class Recorder:
    """A real HTTP hop in front of a server: forwards every request, keeps (time, method, path,
    JSON body) of each as it arrives."""

    def __init__(self, target: str) -> None:
        parts = urlsplit(target)
        self.host, self.port = parts.hostname, parts.port
        self.seen: list[tuple[float, str, str, dict]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def _handler(self):
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                raw = gzip.decompress(body) if self.headers.get("Content-Encoding") == "gzip" \
                    else body
                try:
                    parsed = json.loads(raw) if raw else {}
                except ValueError:
                    parsed = {}
                recorder.seen.append((time.monotonic(), self.command, self.path, parsed))
                upstream = http.client.HTTPConnection(recorder.host, recorder.port, timeout=120)
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("host", "connection")}
                upstream.request(self.command, self.path, body=body or None, headers=headers)
                reply = upstream.getresponse()
                data = reply.read()
                self.send_response(reply.status)
                for key, value in reply.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting
                    pass
                upstream.close()

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _forward

        return Handler

    def requests(self, pattern: str) -> list[tuple[float, str, str, dict]]:
        return [r for r in self.seen if re.search(pattern, f"{r[1]} {r[2]}")]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Query:
    """Workspace.run_sql on a thread with its handle; `outcome` is what it returned or raised."""

    def __init__(self, ws, name: str, sql: str) -> None:
        self.handle, self.outcome, self.ended = QueryHandle(), None, None
        self.thread = threading.Thread(target=self._run, args=(ws, name, sql), daemon=True)
        self.thread.start()

    def _run(self, ws, name: str, sql: str) -> None:
        try:
            self.outcome = ws.run_sql(name, sql, handle=self.handle)
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            self.outcome = exc
        self.ended = time.monotonic()

    def cancel(self) -> float:
        """Cancel; the time it was clicked."""
        clicked = time.monotonic()
        self.handle.cancel()
        return clicked

    def wait(self, seconds: float = 60) -> None:
        self.thread.join(seconds)
        assert not self.thread.is_alive(), f"no outcome {seconds} s after Cancel"


def cancelled(query: Query, ws, name: str, sql: str) -> None:
    """What the person gets, and what the logs keep, whatever the server did."""
    assert isinstance(query.outcome, QueryCancelled), repr(query.outcome)
    assert query.outcome.message == "Cancelled: the query was stopped on the server."
    line = ws.query_log(limit=1, name=name)[0]
    assert (line.status, line.sql) == ("cancelled", sql)


@pytest.fixture()
def ws(tmp_path):
    from olympus.crypto import generate_key
    from olympus.store import Store
    from olympus.workspace import Workspace
    from tests.store_helpers import make_settings

    settings = make_settings(tmp_path / "home", keys=(generate_key(),))
    store = Store.from_settings(settings)
    workspace = Workspace(store, "alice", settings=settings)
    yield workspace
    workspace.close()
    store.dispose()


# ---- Redshift: the PostgreSQL cancel it inherits, on the stand-in --------------------------------
def test_redshift_cancel_removes_the_statement_from_pg_stat_activity(request, ws):
    backend = _redshift(request)
    url = request.getfixturevalue("pg_url")
    backend.connector.dispose()
    ws.add_connection("rs", "redshift", backend.make().params)
    assert ws.connector_class("rs").type == "redshift"

    def running() -> bool:
        with psycopg.connect(url, autocommit=True) as conn:
            return bool(conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE "
                "'%pg_attribute a, pg_attribute b%' AND pid <> pg_backend_pid()").fetchone()[0])
    query = Query(ws, "rs", RS_HEAVY)
    until(running, 30, "the query never started")
    clicked = query.cancel()
    assert until(lambda: not running(), 2, "still in pg_stat_activity 2 s after Cancel") < 2
    query.wait(5)
    assert query.ended - clicked < 2
    cancelled(query, ws, "rs", RS_HEAVY)
    assert ws.run_sql("rs", "SELECT count(*) AS n FROM customers").row_count == 1


# ---- Snowflake: abort by the request id the statement was sent with ------------------------------
def test_snowflake_cancel_aborts_the_running_request(request, ws):
    backend = _snowflake(request)
    backend.connector.dispose()
    params = backend.make().params
    hop = Recorder(f"http://{params['host']}:{params['port']}")
    try:
        ws.add_connection("sf", "snowflake", {**params, "host": "127.0.0.1",
                                              "port": urlsplit(hop.url).port})
        query = Query(ws, "sf", SF_SLOW)
        until(lambda: [r for r in hop.requests(r"query-request") if r[3].get("sqlText") ==
                       SF_SLOW], 30, "the query never reached the server")
        time.sleep(0.2)
        assert query.thread.is_alive(), "the query ended before Cancel: make SF_SLOW longer"
        sent = next(r for r in hop.requests(r"query-request") if r[3].get("sqlText") == SF_SLOW)
        request_id = re.search(r"requestId=([0-9a-f-]{36})", sent[2]).group(1)
        clicked = query.cancel()
        aborts = hop.requests(r"POST /queries/v1/abort-request")
        assert [a[3] for a in aborts] == [{"sqlText": SF_SLOW, "requestId": request_id}]
        assert aborts[0][0] - clicked < 1  # sent at once, while the statement runs
        query.wait()
        cancelled(query, ws, "sf", SF_SLOW)
        assert ws.run_sql("sf", "SELECT 1 AS one").row_count == 1  # the session still works
        with expected("snowflake", "abort", FAKESNOW_ABORT):
            assert query.ended - clicked < 2, \
                f"ran on after Cancel: the result came {query.ended - clicked:.1f} s later"
    finally:
        hop.close()


# ---- BigQuery: jobs.cancel on the job the query started -------------------------------------------
def test_bigquery_cancel_cancels_the_job(request, ws):
    backend = _bigquery(request)
    backend.connector.dispose()
    params = backend.make().params
    hop = Recorder(params["api_endpoint"])
    try:
        ws.add_connection("bq", "bigquery", {**params, "api_endpoint": hop.url})

        def job_inserts() -> list:
            return [r for r in hop.requests(r"POST .*/jobs\b") if not r[3].get(
                "configuration", {}).get("dryRun") and "GENERATE_ARRAY" in json.dumps(r[3])]
        query = Query(ws, "bq", BQ_SLOW)
        until(job_inserts, 30, "the job was never inserted")
        time.sleep(0.2)
        assert query.thread.is_alive(), "the query ended before Cancel: make BQ_SLOW longer"
        job_id = job_inserts()[0][3]["jobReference"]["jobId"]
        clicked = query.cancel()
        query.wait()
        cancelled(query, ws, "bq", BQ_SLOW)
        assert ws.run_sql("bq", "SELECT 1 AS one").row_count == 1
        cancels = hop.requests(r"POST .*/jobs/[^/?]+/cancel")
        # the first at once, by the id the connector chose, while jobs.insert had not returned;
        # run() cancels again once it has. That job only.
        assert {c[2].split("?")[0].rsplit("/", 2)[-2] for c in cancels} == {job_id}
        assert job_id.startswith("olympus_") and cancels[0][0] - clicked < 1
        job = request.getfixturevalue("bigquery_client").get_job(job_id)  # jobs.get
        stopped = (job.state, (job.error_result or {}).get("reason")) == ("DONE", "stopped")
        with expected("bigquery", "job_cancel", BQEMU_CANCEL):
            assert query.ended - clicked < 2 and stopped, \
                f"ran on after Cancel: the outcome came {query.ended - clicked:.1f} s later; " \
                f"the job ended {job.state} with {job.error_result}"
    finally:
        hop.close()
