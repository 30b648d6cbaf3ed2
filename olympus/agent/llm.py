"""The chat model from Settings: ChatOpenAI at temperature 0, any OpenAI-compatible server via base URL.

Azure OpenAI (its `/openai/v1/` endpoint), Ollama, vLLM and LM Studio all speak the Chat Completions
API, so one client covers them: set OPENAI_BASE_URL. The Chat Completions API is forced (not the
Responses API) because that is what every compatible server implements.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterable

from olympus.errors import ConfigError, OlympusError

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from olympus.config import Settings

HOW_TO_CONFIGURE = ("Set OPENAI_API_KEY (and optionally OLYMPUS_MODEL, OPENAI_BASE_URL for Azure "
                    "OpenAI, Ollama, vLLM or LM Studio) in the environment or "
                    ".streamlit/secrets.toml, then restart. SQL mode works without it.")
REQUEST_TIMEOUT_S = 60.0
MAX_RETRIES = 2


class LLMNotConfigured(ConfigError):
    """No API key: plain-English questions are off, SQL mode still works."""

    kind, title = "llm_not_configured", "No LLM configured"
    suggestion = HOW_TO_CONFIGURE


class LLMError(OlympusError):
    """The model server failed (auth, network, rate limit, bad reply); its own words are kept."""

    kind, title = "llm", "The language model failed"
    suggestion = ("Check OPENAI_API_KEY, OPENAI_BASE_URL and OLYMPUS_MODEL, and that the model "
                  "server is reachable; SQL mode works meanwhile.")


def chat_model(settings: "Settings") -> "BaseChatModel":
    """ChatOpenAI built from settings; raises LLMNotConfigured when there is no key."""
    if not settings.openai_api_key:
        raise LLMNotConfigured("Plain-English questions need an LLM API key, and none is set.")
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(model=settings.openai_model, temperature=0, api_key=settings.openai_api_key,
                      base_url=settings.openai_base_url or None, timeout=REQUEST_TIMEOUT_S,
                      max_retries=MAX_RETRIES, use_responses_api=False)


def as_llm_error(exc: Exception, *, secrets: Iterable[str] = ()) -> LLMError:
    """Any client exception -> LLMError with the server's real message; the API key (`secrets`)
    and URL passwords are redacted, since servers echo the key back in 401 bodies."""
    from olympus.errors import redact

    status = getattr(exc, "status_code", None)
    text = redact(str(exc), secrets).strip() or type(exc).__name__
    prefix = f"HTTP {status}: " if status else f"{type(exc).__name__}: "
    return LLMError(prefix + text[:500])
