"""One error hierarchy, so every layer shows users the same honest title, message and fix."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping


class OlympusError(Exception):
    """Base error: a type, a one-line title, a message and what to do about it."""

    kind = "unknown"
    title = "Something went wrong"
    suggestion = "Check the details below and try again."

    def __init__(self, message: str, *, title: str | None = None,
                 suggestion: str | None = None, sql: str | None = None,
                 detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.title = title or type(self).title
        self.suggestion = suggestion if suggestion is not None else type(self).suggestion
        self.sql = sql
        self.detail = detail

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}(title={self.title!r}, message={self.message!r})"

    def to_dict(self) -> dict:
        """A JSON-friendly view for the CLI and the UI (never holds secrets)."""
        return {"type": self.kind, "title": self.title, "message": self.message,
                "suggestion": self.suggestion, "sql": self.sql}


class ConnectionFailed(OlympusError):
    kind, title = "connection", "Connection failed"
    suggestion = "Check host/port and that the server is running and reachable."


class AuthenticationFailed(OlympusError):
    kind, title = "authentication", "Authentication failed"
    suggestion = "Check the username and password (or key) for this connection."


class QueryTimeout(OlympusError):
    kind, title = "timeout", "Timed out"
    suggestion = "Narrow the query (filters, fewer rows) or raise the timeout."


class SSLRequired(OlympusError):
    kind, title = "ssl", "SSL problem"
    suggestion = "Set sslmode=require (or verify-full) for this connection."


class SQLSyntaxError(OlympusError):
    kind, title = "syntax", "SQL error"
    suggestion = "Check table and column names and the SQL syntax for this database."


class PermissionDenied(OlympusError):
    kind, title = "permission", "Permission denied"
    suggestion = "Ask an admin to grant SELECT on the objects you need, or use another role."


class UnsafeSQL(OlympusError):
    kind, title = "unsafe_sql", "Statement refused"
    suggestion = "Olympus only runs a single read-only query (SELECT / WITH ... SELECT)."


class QueryCancelled(OlympusError):
    kind, title = "cancelled", "Cancelled"
    suggestion = "Run it again when you want the result."


class RateLimited(OlympusError):
    kind, title = "rate_limit", "Too many queries"
    suggestion = "Wait a minute and try again."


class UnsupportedConnector(OlympusError):
    kind, title = "unsupported_connector", "Unsupported connection type"
    suggestion = "Pick one of the supported connection types."


class ConfigError(OlympusError):
    kind, title = "config", "Invalid settings"
    suggestion = "Fix the highlighted setting and try again."

    def __init__(self, message: str, *, fields: tuple[str, ...] = (), missing: bool = False,
                 **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.fields = tuple(fields)  # the form fields at fault, so a UI can mark them
        self.missing = missing  # True: only required fields are empty (an edit may keep them)

    def to_dict(self) -> dict:
        return {**super().to_dict(), **({"fields": list(self.fields)} if self.fields else {})}


class UnknownError(OlympusError):
    kind, title = "unknown", "Unexpected error"


@dataclass(frozen=True)
class ErrorRule:
    """Driver error text (regex, case-insensitive) -> the friendly error to raise instead."""

    pattern: str
    error: type[OlympusError]
    message: str
    title: str | None = None
    suggestion: str | None = None

    def matches(self, text: str) -> bool:
        return re.search(self.pattern, text, re.IGNORECASE | re.DOTALL) is not None


# Network failures told apart (a bad host name, a closed port, a silent firewall, a TLS failure);
# checked before any connector's own rules, whose wording is about SQL and credentials.
REFUSED = "Nothing is listening at that host and port."
NETWORK_RULES: tuple[ErrorRule, ...] = (
    ErrorRule(r"could not translate host name|name or service not known|nodename nor servname"
              r"|temporary failure in name resolution|getaddrinfo failed|unknown host"
              r"|no address associated with hostname|\[Errno -(2|3|5)\]", ConnectionFailed,
              "The host name could not be found (DNS).", title="Unknown host",
              suggestion="Check the spelling of the host name, or use its IP address."),
    ErrorRule(r"connection refused|\[Errno (111|61)\]|actively refused", ConnectionFailed,
              REFUSED, title="Connection refused",
              suggestion="Check the port, and that the database server is running and accepts "
                         "connections from this machine."),
    ErrorRule(r"does not support ssl|ssl (is )?not (supported|enabled)", SSLRequired,
              "The server does not offer encrypted (TLS) connections, and this connection "
              "requires one.", title="TLS failed",
              suggestion="Turn TLS on at the server, or lower this connection's SSL mode "
                         "(sslmode=prefer or disable) if the network is trusted."),
    ErrorRule(r"certificate verify failed|certificate has expired|does not match host name"
              r"|self[- ]signed certificate|unable to get local issuer", SSLRequired,
              "The server's TLS certificate is not trusted here, or is not for this host name.",
              title="TLS failed",
              suggestion="Use the host name the certificate names, and give the server's CA "
                         "certificate (sslrootcert), or ask its admin for a valid certificate."),
    ErrorRule(r"tlsv1 alert|sslv3 alert|wrong version number|ssl handshake", SSLRequired,
              "The encrypted (TLS) connection could not be set up.", title="TLS failed",
              suggestion="Check the SSL mode, and that this host and port serve TLS."),
    ErrorRule(r"timeout expired|connect(ion)? timed out|connect_timeout|timed out while "
              r"connecting|login timeout", QueryTimeout,
              "The server did not answer in time.", title="Connection timed out",
              suggestion="Check the host, the firewall or VPN between here and the server, and "
                         "that the server is up."),
)

# Rules every connector shares; connectors put their own rules first.
COMMON_RULES: tuple[ErrorRule, ...] = (
    ErrorRule(r"password authentication failed|authentication failed|incorrect username or password"
              r"|invalid (user|username|password)|access denied for user|login failed",
              AuthenticationFailed, "Authentication failed. Check credentials."),
    ErrorRule(r"ssl.*(required|off)|no pg_hba\.conf entry.*(no encryption|SSL off)|requires ssl",
              SSLRequired, "The server requires an encrypted (SSL) connection.",
              suggestion="Set sslmode=require for this connection."),
    ErrorRule(r"statement timeout|canceling statement due to|query timeout|timed out after"
              r"|interrupted|execution exceeded",
              QueryTimeout, "The query ran past its time limit and was stopped.",
              title="Query timed out"),
    ErrorRule(r"timeout expired|timed out|connect_timeout|connection timeout",
              QueryTimeout, "Connection timed out. Server may be unreachable.",
              title="Connection timed out",
              suggestion="Check the host, port, firewall/VPN, and that the server is up."),
    ErrorRule(r"connection refused|could not connect|could not translate host name"
              r"|name or service not known|nodename nor servname|no route to host"
              r"|failed to connect|unable to open database file|connection to server .* failed",
              ConnectionFailed, "The server could not be reached."),
    ErrorRule(r"permission denied|insufficient privilege|not authorized|access denied",
              PermissionDenied, "You don't have permission to do that on this database."),
    ErrorRule(r"read-only|read only|readonly|query_only",
              UnsafeSQL, "The database refused a write: this session is read-only."),
    ErrorRule(r"syntax error|parser error|does not exist|not found|no such (table|column)"
              r"|unrecognized|invalid identifier|binder error|catalog error|ambiguous",
              SQLSyntaxError, "The database could not run this SQL."),
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Remove secrets and URL passwords from driver text before anyone sees it."""
    for secret in secrets:
        if secret and len(str(secret)) >= 3:
            text = text.replace(str(secret), "***")
    text = re.sub(r"(://[^:/@\s]+:)[^@\s]+@", r"\1***@", text)
    return re.sub(r"(password\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|\S+)", r"\1***", text, flags=re.I)


def map_error(exc: BaseException, rules: Iterable[ErrorRule] = COMMON_RULES, *,
              sql: str | None = None, secrets: Iterable[str] = ()) -> OlympusError:
    """Translate a driver exception with the first matching rule; keep the driver text as detail."""
    if isinstance(exc, OlympusError):
        if sql and exc.sql is None:
            exc.sql = sql
        return exc
    secrets = tuple(secrets)
    text = redact(f"{type(exc).__name__}: {exc}", secrets)
    first_line = redact(_first_line(exc) or text, secrets)
    for rule in rules:
        if rule.matches(text):
            message = rule.message
            if rule.error is SQLSyntaxError:
                message = f"{rule.message} {first_line}"
            return rule.error(message, title=rule.title, suggestion=rule.suggestion,
                              sql=sql, detail=text)
    return UnknownError(first_line[:500], sql=sql, detail=text)


_NOISE = re.compile(r"^(\([\w.]+\)\s*)?([A-Z_]+:\s*)?(\[\w+\]\s*)?"
                    r"(Failed to (prepare|execute) query:?\s*)?(ERROR:\s*)?")


def _first_line(exc: BaseException) -> str:
    """The driver's first line without SQLAlchemy/ADBC/libpq prefixes."""
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    return _NOISE.sub("", lines[0]).strip() if lines else ""


def error_fields(err: OlympusError) -> Mapping[str, str | None]:
    """The fields a UI shows for an error, in display order."""
    return err.to_dict()
