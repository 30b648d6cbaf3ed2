"""Smoke tests: each real service the suite relies on starts and really answers."""

from __future__ import annotations

import http.server
import threading
import uuid

import pytest
from sqlalchemy import create_engine, inspect, text


def test_postgres_answers_a_query(pg_url):
    engine = create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id int PRIMARY KEY, name text)"))
        conn.execute(text("INSERT INTO t VALUES (1, 'a'), (2, 'b')"))
    with engine.connect() as conn:
        version = conn.execute(text("SHOW server_version")).scalar_one()
        rows = conn.execute(text("SELECT name FROM t ORDER BY id")).scalars().all()
    engine.dispose()
    assert int(version.split(".")[0]) >= 12
    assert rows == ["a", "b"]


def test_snowflake_connector_round_trip_over_http(snowflake_server):
    import snowflake.connector

    table = f"T_{uuid.uuid4().hex[:8].upper()}"
    conn = snowflake.connector.connect(**snowflake_server, database="DB1", schema="PUBLIC")
    try:
        cur = conn.cursor()
        cur.execute(f"CREATE TABLE {table} (id INT, name VARCHAR)")
        cur.execute(f"INSERT INTO {table} VALUES (1, 'x'), (2, 'y')")
        assert cur.execute(f"SELECT name FROM {table} ORDER BY id").fetchall() == [("x",), ("y",)]
        cur.execute(
            "SELECT column_name FROM information_schema.columns "
            f"WHERE table_name = '{table}' ORDER BY ordinal_position"
        )
        assert [r[0] for r in cur.fetchall()] == ["ID", "NAME"]
    finally:
        conn.close()
    assert snowflake_server["protocol"] == "http" and snowflake_server["port"] > 0


def test_snowflake_sqlalchemy_ddl_and_inspection(snowflake_db):
    url, connect_args = snowflake_db
    engine = create_engine(url, connect_args=connect_args)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE orders (id INT PRIMARY KEY, amount NUMBER(10,2))"))
        conn.execute(text("INSERT INTO orders VALUES (1, 2.50), (2, 4.00)"))
    with engine.connect() as conn:
        total = conn.execute(text("SELECT SUM(amount) FROM orders")).scalar_one()
        db = conn.execute(text("SELECT current_database()")).scalar_one()
    inspector = inspect(engine)
    columns = [c["name"] for c in inspector.get_columns("orders")]
    engine.dispose()
    assert float(total) == 6.5
    assert db == url.split("/")[-2]
    assert inspector.get_table_names() == ["orders"] and columns == ["id", "amount"]


def test_snowflake_default_url_is_db1_public(snowflake_sqlalchemy):
    url, connect_args = snowflake_sqlalchemy
    assert url == "snowflake://fake:snow@fakesnow/DB1/PUBLIC"
    engine = create_engine(url, connect_args=connect_args)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT current_database(), current_schema()")).one()
    engine.dispose()
    assert tuple(row) == ("DB1", "PUBLIC")


def test_bigquery_emulator_dataset_table_query(bigquery_server, bigquery_client, bigquery_dataset):
    from google.cloud import bigquery

    project, endpoint = bigquery_server
    assert endpoint.startswith("http://")
    table_id = f"{project}.{bigquery_dataset}.orders"
    schema = [bigquery.SchemaField("id", "INT64", mode="REQUIRED"),
              bigquery.SchemaField("region", "STRING")]
    bigquery_client.create_table(bigquery.Table(table_id, schema=schema))
    errors = bigquery_client.insert_rows_json(table_id, [{"id": 1, "region": "EU"},
                                                         {"id": 2, "region": "US"}])
    assert errors == []
    rows = bigquery_client.query(
        f"SELECT region FROM {bigquery_dataset}.orders WHERE id > 1"
    ).result()
    assert [r["region"] for r in rows] == ["US"]


def test_bigquery_sqlalchemy_inspection(bigquery_server, bigquery_client, bigquery_dataset):
    from google.cloud import bigquery

    project, _ = bigquery_server
    table_id = f"{project}.{bigquery_dataset}.items"
    bigquery_client.create_table(bigquery.Table(
        table_id, schema=[bigquery.SchemaField("sku", "STRING"), bigquery.SchemaField("qty", "INT64")]))
    bigquery_client.insert_rows_json(table_id, [{"sku": "a", "qty": 3}, {"sku": "b", "qty": 4}])
    engine = create_engine(f"bigquery://{project}/{bigquery_dataset}?user_supplied_client=true",
                           connect_args={"client": bigquery_client})
    inspector = inspect(engine)
    assert inspector.get_table_names() == ["items"]
    assert [c["name"] for c in inspector.get_columns("items")] == ["sku", "qty"]
    with engine.connect() as conn:
        assert conn.execute(text(f"SELECT SUM(qty) FROM {bigquery_dataset}.items")).scalar_one() == 7
    engine.dispose()


@pytest.fixture()
def local_page_url():
    """A tiny page served by http.server on a free port (what a browser test of the app does)."""
    body = b"<html><head><title>Olympus smoke</title></head><body><h1 id=h>Hello, Chromium</h1>" \
           b"<script>document.getElementById('h').dataset.js = 'ran'</script></body></html>"

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.mark.browser
def test_chromium_renders_a_local_page(page, local_page_url, artifacts_dir):
    page.goto(local_page_url)
    assert page.title() == "Olympus smoke"
    heading = page.locator("#h")
    assert heading.inner_text() == "Hello, Chromium"
    assert heading.get_attribute("data-js") == "ran"  # JavaScript really executed
    shot = artifacts_dir / "services-chromium-smoke.png"
    page.screenshot(path=str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Chrom" in page.context.browser.version or page.context.browser.version[0].isdigit()
