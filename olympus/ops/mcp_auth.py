"""Who an MCP HTTP request is: `Authorization: Bearer <token>` (a token created in the app), or,
with OLYMPUS_AUTH=proxy, the proxy's trusted e-mail header - honoured only from the proxy's own
addresses. No identity: 401 before the MCP layer sees the request."""

from __future__ import annotations

import ipaddress
import json
import logging
from typing import TYPE_CHECKING, Any

from olympus.errors import OlympusError
from olympus.ops.mcp_server import SCOPE_KEY

if TYPE_CHECKING:
    from olympus.ops.mcp_server import Olympus
    from olympus.teams import Principal

log = logging.getLogger(__name__)

LOOPBACK = ("127.0.0.1", "::1")


class Gate:
    """ASGI middleware: resolve the principal (in a worker thread: it reads the store), keep it
    in the scope for the tools, or answer 401 with a short JSON body."""

    def __init__(self, app, olympus: "Olympus", *, trusted_header: str | None = None,
                 trusted_proxies: tuple[str, ...] = ()) -> None:
        self.app, self.olympus = app, olympus
        self.trusted_header = (trusted_header or "").strip().lower() or None
        self.trusted_proxies = _networks(trusted_proxies or LOOPBACK)

    async def __call__(self, scope: dict, receive, send) -> None:
        if scope["type"] == "lifespan":  # the session manager's start and stop
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":  # nothing else is served (no websockets)
            return
        import anyio.to_thread

        try:
            scope[SCOPE_KEY] = await anyio.to_thread.run_sync(self.identify, scope)
        except OlympusError as err:
            await _refuse(send, err)
            return
        await self.app(scope, receive, send)

    def identify(self, scope: dict) -> "Principal":
        from olympus.ops.tokens import InvalidToken, resolve

        headers = _headers(scope)
        scheme, _, secret = headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and secret.strip():
            return resolve(self.olympus.store, self.olympus.settings, secret)
        email = self.proxied_email(scope, headers)
        if email is not None:
            return self.member(email)
        raise InvalidToken("No access token was sent.",
                           suggestion="Send 'Authorization: Bearer <token>' with a token "
                                      "created in Olympus (sidebar, Access tokens).")

    def proxied_email(self, scope: dict, headers: dict[str, str]) -> str | None:
        """The proxy's header, when the app runs behind one and this request came through it."""
        if self.olympus.settings.auth != "proxy" or self.trusted_header is None:
            return None
        value = headers.get(self.trusted_header, "").strip().lower()
        if not value:
            return None
        client = (scope.get("client") or ("", 0))[0]
        if not _within(client, self.trusted_proxies):
            log.warning("Ignored %s from %s: not a trusted proxy address", self.trusted_header,
                        client)
            return None
        return value

    def member(self, email: str) -> "Principal":
        from olympus.ops.tokens import InvalidToken, email_allowed
        from olympus.teams import NoSpace, principal_for

        settings = self.olympus.settings
        if not email_allowed(email, settings):
            raise InvalidToken(f"{email} can't use this Olympus.",
                               suggestion="Sign in with your work account.")
        try:
            return principal_for(self.olympus.store, settings, email)
        except NoSpace as err:
            raise InvalidToken(err.message, suggestion=err.suggestion) from None


def _headers(scope: dict) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1")
            for k, v in scope.get("headers") or ()}


def _networks(values: tuple[str, ...]) -> tuple[Any, ...]:
    return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values if v.strip())


def _within(address: str, networks: tuple[Any, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)


async def _refuse(send, err: OlympusError) -> None:
    body = json.dumps({"error": {"type": err.kind, "title": err.title, "message": err.message,
                                 "suggestion": err.suggestion}}).encode()
    await send({"type": "http.response.start", "status": 401,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode()),
                            (b"www-authenticate", b'Bearer realm="olympus"')]})
    await send({"type": "http.response.body", "body": body})
