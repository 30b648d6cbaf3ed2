"""`python -m olympus mcp`: the MCP server (argparse only at import: handlers import lazily)."""

from __future__ import annotations

import os
import sys
from typing import Callable

EPILOG = """\
stdio (a local assistant starts it): acts as the operator, like the other commands (--user and
--space pick a member and space). http: every request needs 'Authorization: Bearer <token>' (a
token created in the app: sidebar, Access tokens) or, with OLYMPUS_AUTH=proxy, the proxy's
trusted e-mail header from a trusted proxy address. The endpoint is http://HOST:PORT/mcp.
"""


def add_parsers(commands) -> dict[str, Callable]:
    """Add subcommands; returns {command: handler(args, ws) -> exit code}."""
    import argparse

    mcp = commands.add_parser("mcp", help="serve the MCP tools (stdio or streamable HTTP)",
                              epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    mcp.add_argument("--transport", choices=("stdio", "http"), default="stdio")
    mcp.add_argument("--host", default="127.0.0.1", help="http: address to listen on")
    mcp.add_argument("--port", type=int, default=8765, help="http: port (default 8765)")
    mcp.add_argument("--trusted-header", default=os.environ.get("OLYMPUS_TRUSTED_HEADER"),
                     metavar="NAME", help="OLYMPUS_AUTH=proxy: the proxy's e-mail header "
                     "(default: the one .streamlit/config.toml maps to email)")
    mcp.add_argument("--trusted-proxy", action="append", default=None, metavar="ADDRESS",
                     help="OLYMPUS_AUTH=proxy: an address or network the header is accepted "
                     "from (repeatable; default OLYMPUS_TRUSTED_PROXIES or loopback only)")
    tokens = commands.add_parser("tokens", help="access tokens for the MCP server (as --user)")
    sub = tokens.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = sub.add_parser("create", help="create a token; its secret is printed once")
    create.add_argument("name", help="where it is used, e.g. 'Claude desktop'")
    listing = sub.add_parser("list", help="my tokens (--all: every member's, admins only)")
    listing.add_argument("--all", action="store_true")
    revoke = sub.add_parser("revoke", help="revoke a token by its id")
    revoke.add_argument("id")
    return {"mcp": cmd_mcp, "tokens": cmd_tokens}


def cmd_tokens(args, ws) -> int:
    """The same Workspace methods as the app's Access tokens section."""
    if args.action == "create":
        info, secret = ws.create_token(args.name)
        print(secret)
        print(f"Created token {info.name!r} ({info.id}) for {info.user} in space {info.space}. "
              "This is the only time its secret is shown.", file=sys.stderr)
        return 0
    if args.action == "revoke":
        info = ws.revoke_token(args.id)
        print(f"Revoked token {info.name!r} ({info.prefix}…).")
        return 0
    for t in ws.access_tokens(everyone=args.all):
        used = t.last_used_at.isoformat(timespec="seconds") if t.last_used_at else "never"
        state = "active" if t.active else "revoked"
        print(f"{t.id}  {t.prefix}…  {t.user}  {state}  created "
              f"{t.created_at.isoformat(timespec='seconds')}  last used {used}  {t.name}")
    return 0


def cmd_mcp(args, ws) -> int:
    from olympus.ops.mcp_server import Olympus, serve_http, serve_stdio

    if args.transport == "stdio":
        olympus = Olympus(ws.store, ws.settings, principal=ws.principal)
        try:
            serve_stdio(olympus)
        finally:
            olympus.close()
        return 0
    header, proxies = _proxy_settings(args, ws.settings)
    olympus = Olympus(ws.store, ws.settings)
    try:
        serve_http(olympus, host=args.host, port=args.port, trusted_header=header,
                   trusted_proxies=proxies)
    finally:
        olympus.close()
    return 0


def _proxy_settings(args, settings) -> tuple[str | None, tuple[str, ...]]:
    """The trusted header and the addresses it is honoured from (checked now, not per call)."""
    import ipaddress

    from olympus.errors import ConfigError

    raw = args.trusted_proxy or (os.environ.get("OLYMPUS_TRUSTED_PROXIES") or "").split(",")
    proxies = tuple(p.strip() for p in raw if p.strip())
    for value in proxies:
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            raise ConfigError(f"{value!r} is not an IP address or network.",
                              suggestion="Give --trusted-proxy 10.0.0.5 or 10.0.0.0/24.") from None
    if settings.auth != "proxy":
        return None, proxies
    header = args.trusted_header
    if not header:
        from olympus.ui.tokens import trusted_email_header

        header = trusted_email_header()
    if not header:
        raise ConfigError("OLYMPUS_AUTH is proxy but no trusted e-mail header is configured.",
                          suggestion="Pass --trusted-header X-Forwarded-Email (or map it in "
                                     ".streamlit/config.toml server.trustedUserHeaders).")
    return header, proxies
