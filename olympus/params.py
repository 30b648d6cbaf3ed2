"""Connection parameters from a URL: shared by the CLI's --url and a "paste a URL" form input."""

from __future__ import annotations

from typing import Any

from olympus.errors import ConfigError


def url_backend(url: str) -> str:
    """The connector type a URL names (postgresql, duckdb, sqlite...); ConfigError if invalid."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url.replace("postgres://", "postgresql://", 1)).get_backend_name()
    except Exception:
        raise ConfigError("The URL is not valid.", title="Bad URL",
                          suggestion="Use e.g. postgresql://user@host:5432/database") from None


def url_params(cls, url: str) -> dict[str, Any]:
    """Split a URL into the connector's own fields (password stays a secret field)."""
    from sqlalchemy.engine import make_url

    names = {f.name for f in cls.fields}
    url_backend(url)
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    if "path" in names:
        return {"path": parsed.database}
    fields = {"host", "port", "database", "username", "password"}
    if fields <= names and not set(parsed.query) - {"sslmode"}:
        out = {"host": parsed.host, "port": parsed.port, "database": parsed.database,
               "username": parsed.username, "password": parsed.password,
               "sslmode": parsed.query.get("sslmode")}
        return {k: v for k, v in out.items() if v not in (None, "")}
    if "url" in names:
        return {"url": url}
    raise ConfigError(f"{cls.label} connections don't take a URL.", title="Bad URL",
                      suggestion="Give its fields one by one (--param KEY=VALUE on the CLI).")
