"""Settings from the environment (and Streamlit secrets), read once, so every layer agrees."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Mapping

from olympus.errors import ConfigError

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_OWNER = "local"
AUTH_MODES = ("none", "oidc", "proxy")


@dataclass(frozen=True)
class Settings:
    """Everything configurable; secret values are excluded from repr and never logged."""

    home: Path
    store_url: str = field(repr=False)  # may hold a database password
    secret_keys: tuple[str, ...] = field(default=(), repr=False)
    openai_api_key: str | None = field(default=None, repr=False)
    openai_model: str = DEFAULT_MODEL
    openai_base_url: str | None = None
    row_limit: int = 10_000
    statement_timeout_s: float = 30.0
    rate_limit_per_min: int = 100
    max_result_bytes: int = 128 * 1024 ** 2  # one result stops growing here while fetching
    schema_ttl_s: float = 86_400.0
    owner: str = DEFAULT_OWNER
    auth: str = "none"  # sign-in: none | oidc | proxy (OLYMPUS_AUTH)
    data_dirs: tuple[Path, ...] = ()  # file connections open only files under these
    admins: tuple[str, ...] = ()  # OLYMPUS_ADMINS: admins of the first space on first sign-in
    allowed_domains: tuple[str, ...] = ()  # OLYMPUS_ALLOWED_DOMAINS: other e-mail domains refused
    user_rate_limit_per_min: int = 60  # per signed-in user, across replicas
    cache_url: str | None = field(default=None, repr=False)  # OLYMPUS_CACHE_URL: redis:// or off
    cache_max_bytes: int = 256 * 1024 ** 2  # the embedded result cache's size (LRU)
    cache_ttl_s: int = 600  # a cached result's default lifetime (connections may override)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None,
                 overrides: Mapping[str, Any] | None = None, **changes: Any) -> "Settings":
        """Environment first, then `overrides` (e.g. st.secrets, same names) win, then `changes`."""
        env = {**(os.environ if environ is None else environ),
               **{k: v for k, v in (overrides or {}).items()
                  if isinstance(v, (str, int, float)) and str(v).strip() != ""}}  # blank = unset

        def get(*names: str) -> str | None:
            for name in names:
                value = env.get(name)
                if value not in (None, ""):
                    return str(value).strip()
            return None

        home = Path(get("OLYMPUS_HOME") or "~/.olympus").expanduser()
        settings = cls(
            home=home,
            store_url=get("OLYMPUS_STORE_URL") or f"sqlite:///{home / 'olympus.db'}",
            secret_keys=parse_keys(get("OLYMPUS_SECRET_KEY")),
            openai_api_key=get("OPENAI_API_KEY"),
            openai_model=get("OLYMPUS_MODEL", "OPENAI_MODEL") or DEFAULT_MODEL,
            openai_base_url=get("OPENAI_BASE_URL"),
            row_limit=_number(get("OLYMPUS_ROW_LIMIT"), 10_000, int, "OLYMPUS_ROW_LIMIT"),
            statement_timeout_s=_number(get("OLYMPUS_STATEMENT_TIMEOUT"), 30.0, float,
                                        "OLYMPUS_STATEMENT_TIMEOUT"),
            rate_limit_per_min=_number(get("OLYMPUS_RATE_LIMIT"), 100, int, "OLYMPUS_RATE_LIMIT"),
            max_result_bytes=_number(get("OLYMPUS_RESULT_MAX_BYTES"), 128 * 1024 ** 2, int,
                                     "OLYMPUS_RESULT_MAX_BYTES"),
            schema_ttl_s=_number(get("OLYMPUS_SCHEMA_TTL"), 86_400.0, float, "OLYMPUS_SCHEMA_TTL"),
            owner=get("OLYMPUS_OWNER") or DEFAULT_OWNER,
            auth=_auth(get("OLYMPUS_AUTH")),
            admins=_emails(get("OLYMPUS_ADMINS")),
            allowed_domains=tuple(d.lstrip("@") for d in _emails(get("OLYMPUS_ALLOWED_DOMAINS"))),
            user_rate_limit_per_min=_number(get("OLYMPUS_USER_RATE_LIMIT"), 60, int,
                                            "OLYMPUS_USER_RATE_LIMIT"),
            cache_url=get("OLYMPUS_CACHE_URL"),
            cache_max_bytes=_number(get("OLYMPUS_CACHE_MAX_BYTES"), 256 * 1024 ** 2, int,
                                    "OLYMPUS_CACHE_MAX_BYTES"),
            cache_ttl_s=_number(get("OLYMPUS_CACHE_TTL"), 600, int, "OLYMPUS_CACHE_TTL"),
        )
        settings = replace(settings, data_dirs=_data_dirs(get("OLYMPUS_DATA_DIR"), settings.auth))
        return replace(settings, **changes) if changes else settings

    def __repr__(self) -> str:
        """Show where the store is without its password; key material never appears."""
        return (f"Settings(home={str(self.home)!r}, store_url={safe_url(self.store_url)!r}, "
                f"openai_model={self.openai_model!r}, openai_base_url={self.openai_base_url!r}, "
                f"llm_configured={self.llm_configured}, owner={self.owner!r})")

    @property
    def key_file(self) -> Path:
        """Where a locally generated key lives when OLYMPUS_SECRET_KEY is not set."""
        return self.home / "secret.key"

    @property
    def demo_path(self) -> Path:
        return self.home / "demo.duckdb"

    @property
    def llm_configured(self) -> bool:
        return bool(self.openai_api_key)


def safe_url(url: str) -> str:
    """A store URL with its password masked, for reprs, logs and cache keys."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL we can parse: show nothing of it
        return "<unparsed url>"


def parse_keys(value: str | None) -> tuple[str, ...]:
    """"NEW,OLD" -> ("NEW", "OLD"); blanks and whitespace dropped."""
    if not value:
        return ()
    return tuple(part.strip() for part in str(value).split(",") if part.strip())


def _emails(raw: str | None) -> tuple[str, ...]:
    """A comma/space separated list, lower-cased (e-mail addresses and domains)."""
    return tuple(p.strip().lower() for p in (raw or "").replace(",", " ").split() if p.strip())


def _auth(raw: str | None) -> str:
    mode = (raw or "none").lower()
    if mode not in AUTH_MODES:
        raise ConfigError(f"OLYMPUS_AUTH must be one of {', '.join(AUTH_MODES)} (got {raw!r}).")
    return mode


def _data_dirs(raw: str | None, auth: str) -> tuple[Path, ...]:
    """OLYMPUS_DATA_DIR (os.pathsep-separated); unset: the user's home when running locally,
    nothing when sign-in is on (a shared server names its data directories explicitly)."""
    if raw is None:
        return (Path.home(),) if auth == "none" else ()
    return tuple(Path(p).expanduser() for p in raw.split(os.pathsep) if p.strip())


def _number(raw: str | None, default, kind, name: str):
    if raw is None:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number (got {raw!r}).") from None
    if value <= 0:
        raise ConfigError(f"{name} must be greater than zero.")
    return value
