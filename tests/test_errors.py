"""Connection failures are told apart: an unknown host, a closed port, a silent server, TLS."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading

import pytest
from sqlalchemy.engine import make_url

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


# ---- TLS: a server without it, and a certificate this machine doesn't trust -----------------
def _pump(source, sink) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    finally:
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)


def _serve(handle) -> socket.socket:
    """A TCP listener on 127.0.0.1 handing each connection to handle(conn) on a thread."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return listener


@pytest.fixture()
def pg_over_tcp(pg_server_url):
    """The test PostgreSQL (socket only, ssl=off) reachable at a 127.0.0.1 port, bytes relayed."""
    url = make_url(pg_server_url)
    path = f"{url.query['host']}/.s.PGSQL.{url.port or 5432}"

    def relay(conn) -> None:
        server = socket.socket(socket.AF_UNIX)
        server.connect(path)
        threading.Thread(target=_pump, args=(server, conn), daemon=True).start()
        _pump(conn, server)

    listener = _serve(relay)
    yield listener.getsockname()[1]
    listener.close()


def _self_signed(folder, name: str) -> tuple[str, str]:
    """(certificate, key) PEM files of a fresh self-signed certificate for 127.0.0.1."""
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(
                ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / f"{name}.crt", folder / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_path), str(key_path)


@pytest.fixture()
def tls_endpoint(tmp_path):
    """A TLS server speaking PostgreSQL's SSL negotiation ('S', then a real TLS handshake) with
    a self-signed certificate, and another CA's file: (port, ca the client is told to trust)."""
    cert, key = _self_signed(tmp_path, "server")
    other_ca, _ = _self_signed(tmp_path, "other-ca")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)

    def handshake(conn) -> None:
        with contextlib.suppress(OSError), conn:
            conn.recv(8)  # SSLRequest
            conn.sendall(b"S")
            context.wrap_socket(conn, server_side=True).recv(1)  # the client aborts

    listener = _serve(handshake)
    yield listener.getsockname()[1], other_ca
    listener.close()


def _network_errors():
    """The titles and messages of the DNS, refused and timeout failures, for comparison."""
    silent = _silent_server()
    try:
        found = []
        for host, port in (("no-such-host.invalid", 5432), ("127.0.0.1", free_port()),
                           ("127.0.0.1", silent.getsockname()[1])):
            found.append(_test("postgresql", {"host": host, "port": port, "username": "u",
                                              "password": "p"}).error)
        return found
    finally:
        silent.close()


def _test(kind: str, params: dict):
    connector = create_connector(kind, params, connect_timeout=2, statement_timeout_s=0.5)
    try:
        return connector.test()
    finally:
        connector.dispose()


def test_tls_required_by_the_client_but_not_offered_by_the_server(pg_over_tcp):
    params = {"host": "127.0.0.1", "port": pg_over_tcp, "username": "postgres"}
    assert _test("postgresql", {**params, "sslmode": "disable"}).ok  # the relay itself works
    error = _test("postgresql", {**params, "sslmode": "require"}).error
    assert error.title == "TLS failed", error.to_dict()
    assert "does not offer encrypted (TLS)" in error.message
    assert "sslmode" in error.suggestion and error.message.rstrip(".") not in error.suggestion
    others = _network_errors()
    assert [e.title for e in others] == ["Unknown host", "Connection refused",
                                         "Connection timed out"]
    assert error.message not in {e.message for e in others}


def test_a_certificate_this_machine_does_not_trust(tls_endpoint):
    port, other_ca = tls_endpoint
    url = (f"postgresql://u:p@127.0.0.1:{port}/postgres?sslmode=verify-full"
           f"&sslrootcert={other_ca}")
    error = _test("postgresql", {"url": url}).error
    assert error.title == "TLS failed", error.to_dict()
    assert "certificate" in error.message and "certificate verify failed" in error.detail
    assert error.message not in {e.message for e in _network_errors()}
