"""Connection failures are told apart: an unknown host, a closed port, a silent server, TLS."""

from __future__ import annotations

import socket

import pytest

from olympus.connectors import create_connector
from tests.services import free_port


def _silent_server():
    """Accepts TCP connections and never answers (a firewall that swallows packets, in effect)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    return sock


@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
def test_unknown_host_refused_port_and_silence_get_different_messages(kind):
    silent = _silent_server()
    try:
        def result(host, port):
            params = {"host": host, "port": port, "username": "u", "password": "p"}
            if kind == "mysql":
                params["ssl"] = "disabled"
            # MySQL's handshake wait is bounded by the read timeout (from the statement timeout)
            connector = create_connector(kind, params, connect_timeout=2, statement_timeout_s=0.5)
            try:
                return connector.test()
            finally:
                connector.dispose()

        dns = result("no-such-host.invalid", 5432)
        refused = result("127.0.0.1", free_port())
        quiet = result("127.0.0.1", silent.getsockname()[1])
    finally:
        silent.close()
    assert dns.error.title == "Unknown host" and "DNS" in dns.error.message
    assert refused.error.title == "Connection refused", refused.error.to_dict()
    assert quiet.error.title == "Connection timed out", quiet.error.to_dict()
    messages = {dns.error.message, refused.error.message, quiet.error.message}
    assert len(messages) == 3
    for error in (dns.error, refused.error, quiet.error):
        assert error.message.rstrip(".") not in (error.suggestion or "")  # no repeated phrase
