"""Alerts arrive at a real local SMTP server (aiosmtpd) and a local HTTP receiver, with the
right content; their secrets are stored encrypted; a crossing fires once; a change fires."""

from __future__ import annotations

import json
import threading
import time
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from olympus.crypto import generate_key
from olympus.errors import ConfigError
from tests.ops.schedule_helpers import data_file, open_store, scalar, workspace
from tests.services import free_port

HOOK_TOKEN = "T000/B000/hook-secret-8812"
SMTP_PASSWORD = "smtp-Pass-5521"


@pytest.fixture()
def receiver():
    """A local HTTP server that keeps every POSTed JSON body."""
    bodies: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            size = int(self.headers.get("Content-Length") or 0)
            bodies.append(json.loads(self.rfile.read(size)))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/services/{HOOK_TOKEN}", bodies
    server.shutdown()


@pytest.fixture()
def smtp():
    """A real SMTP server (aiosmtpd) on a free port, keeping each message it receives."""
    from aiosmtpd.controller import Controller

    messages: list = []

    class Keep:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
            messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
            return "250 OK"

    controller = Controller(Keep(), hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, messages
    controller.stop()


@pytest.fixture()
def setup(tmp_path):
    store = open_store(tmp_path, generate_key())
    ws = workspace(store)
    path = data_file(tmp_path, [("<!channel> & co", 5.0)])
    ws.add_connection("data", "sqlite", {"path": str(path)})
    ws.create_schedule("Revenue watch", connection="data",
                       sql="SELECT label, value FROM t ORDER BY value DESC", interval_s=600)
    yield ws, store, path
    ws.close()
    store.dispose()


def run(ws) -> object:
    outcome = ws.run_schedule_now("Revenue watch")
    time.sleep(1.05)  # the next run is another occurrence (claims are per second)
    return outcome


def set_rows(path, rows):
    data_file(path.parent.parent, rows)


def email_settings(port: int) -> dict:
    return {"host": "127.0.0.1", "port": port, "sender": "olympus@example.com",
            "recipients": "ops@example.com, cfo@example.com", "starttls": False,
            "password": SMTP_PASSWORD}


def test_any_rows_by_webhook_arrives_as_slack_json_with_values_escaped(setup, receiver):
    ws, _, _ = setup
    url, bodies = receiver
    alert = ws.add_alert("Revenue watch", condition="any_rows", channel="webhook",
                         settings={"url": url})
    assert alert.label == "webhook to 127.0.0.1" and HOOK_TOKEN not in repr(alert)
    outcome = run(ws)
    assert outcome.status == "ok" and outcome.alerts[0]["delivered"] is True
    assert len(bodies) == 1 and set(bodies[0]) == {"text"}
    text = bodies[0]["text"]
    assert text.startswith("Olympus alert: Revenue watch\nCondition: the result has rows")
    assert "Rows: 1" in text and "&lt;!channel&gt; &amp; co | 5.0" in text
    assert "<!channel>" not in text  # a cell value can't ping a whole Slack channel


def test_threshold_crossing_by_email_fires_on_the_crossing_only(setup, smtp):
    ws, _, path = setup
    port, messages = smtp
    ws.add_alert("Revenue watch", condition="above", column="value", threshold=4,
                 channel="email", settings=email_settings(port))
    assert run(ws).alerts[0]["delivered"]  # 5 > 4: beyond it on the first run
    set_rows(path, [("x", 6.0)])
    assert run(ws).alerts == ()  # still above: no new crossing
    set_rows(path, [("x", 1.0)])
    assert run(ws).alerts == ()  # back below
    set_rows(path, [("x", 7.5)])
    assert run(ws).alerts[0]["delivered"]  # crossed again
    assert len(messages) == 2
    recipients, mail = messages[-1]
    assert recipients == ["ops@example.com", "cfo@example.com"]
    assert mail["Subject"] == "Olympus alert: Revenue watch"
    assert mail["From"] == "olympus@example.com"
    body = mail.get_payload(decode=True).decode()
    assert "Condition: value above 4" in body and "value = 7.5" in body
    assert SMTP_PASSWORD not in body


def test_change_alert_fires_when_the_result_differs_from_the_previous_run(setup, receiver):
    ws, _, path = setup
    url, bodies = receiver
    ws.add_alert("Revenue watch", condition="changed", channel="webhook", settings={"url": url})
    run(ws)
    run(ws)
    assert bodies == []  # first run: nothing to compare; second: unchanged
    set_rows(path, [("new", 9.0)])
    assert run(ws).alerts[0]["delivered"]
    assert len(bodies) == 1 and "changed since the previous run" in bodies[0]["text"]
    assert "new | 9.0" in bodies[0]["text"]


def test_secrets_are_encrypted_at_rest_and_never_shown(setup, receiver, smtp):
    ws, store, _ = setup
    url, _ = receiver
    ws.add_alert("Revenue watch", condition="any_rows", channel="webhook", settings={"url": url})
    ws.add_alert("Revenue watch", condition="any_rows", channel="email",
                 settings=email_settings(smtp[0]))
    raw = open(store.engine.url.database, "rb").read() + open(
        store.engine.url.database + "-wal", "rb").read()
    assert HOOK_TOKEN.encode() not in raw and SMTP_PASSWORD.encode() not in raw
    shown = repr(ws.schedule_alerts("Revenue watch"))
    assert HOOK_TOKEN not in shown and SMTP_PASSWORD not in shown
    assert "email to ops@example.com, cfo@example.com via 127.0.0.1" in shown
    details = " ".join(e.detail or "" for e in ws.activity())
    assert HOOK_TOKEN not in details and SMTP_PASSWORD not in details


def test_a_failed_delivery_is_recorded_and_the_run_still_succeeds(setup):
    ws, store, _ = setup
    dead = f"http://127.0.0.1:{free_port()}/hook/{HOOK_TOKEN}"
    ws.add_alert("Revenue watch", condition="any_rows", channel="webhook", settings={"url": dead})
    outcome = run(ws)
    assert outcome.status == "ok" and outcome.alerts[0]["delivered"] is False
    error = outcome.alerts[0]["error"]
    assert "127.0.0.1" in error and HOOK_TOKEN not in error
    run_row = ws.schedule_runs("Revenue watch")[0]
    assert run_row.alerts[0]["delivered"] is False
    assert "delivered 0" in ws.activity(action="schedule_run")[0].detail
    assert scalar(store, "SELECT count(*) FROM schedule_runs") == 1


@pytest.mark.parametrize("kwargs, match", [
    ({"condition": "above", "channel": "webhook", "settings": {"url": "http://x"}}, "column"),
    ({"condition": "odd", "channel": "webhook", "settings": {"url": "http://x"}}, "condition"),
    ({"condition": "any_rows", "channel": "webhook", "settings": {"url": "file:///etc"}}, "http"),
    ({"condition": "any_rows", "channel": "email", "settings": {"host": "h",
      "sender": "a@b.c", "recipients": "not-an-address"}}, "not-an-address"),
    ({"condition": "any_rows", "channel": "pigeon", "settings": {}}, "channel"),
])
def test_bad_alerts_are_clear_errors(setup, kwargs, match):
    ws, _, _ = setup
    with pytest.raises(ConfigError, match=match):
        ws.add_alert("Revenue watch", **kwargs)
    assert ws.schedule_alerts("Revenue watch") == []


def test_hosted_alerts_may_not_reach_private_addresses(setup, receiver, monkeypatch):
    from dataclasses import replace

    ws, _, _ = setup
    url, bodies = receiver
    monkeypatch.delenv("OLYMPUS_ALLOW_PRIVATE_ALERTS", raising=False)
    ws.settings = replace(ws.settings, auth="proxy")  # sign-in on: hosted rules
    for settings, channel in (({"url": url}, "webhook"),
                              ({"url": "http://169.254.169.254/latest"}, "webhook"),
                              ({**email_settings(25), "host": "localhost"}, "email")):
        with pytest.raises(ConfigError, match="private or local address"):
            ws.add_alert("Revenue watch", condition="any_rows", channel=channel,
                         settings=settings)
    monkeypatch.setenv("OLYMPUS_ALLOW_PRIVATE_ALERTS", "1")  # the operator allows it
    assert ws.add_alert("Revenue watch", condition="any_rows", channel="webhook",
                        settings={"url": url}).label == "webhook to 127.0.0.1"
