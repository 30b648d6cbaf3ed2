"""Deliver an alert: Slack-compatible webhook JSON, or plain-text e-mail over SMTP."""

from __future__ import annotations

import re
from typing import Any, Mapping
from urllib.parse import urlsplit

from olympus.errors import ConfigError

TIMEOUT_S = 10
_EMAIL = re.compile(r"[^@\s<>,;\"']+@[^@\s<>,;\"']+")


def check_channel(channel: str, settings: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """(clean settings to encrypt, a secret-free label to show)."""
    if channel == "webhook":
        url = str(settings.get("url") or "").strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ConfigError("A webhook needs an http(s) URL.", fields=("url",),
                              suggestion="Paste the incoming-webhook URL, e.g. from Slack.")
        return {"url": url}, f"webhook to {parts.hostname}"
    if channel == "email":
        return _check_email(settings)
    raise ConfigError(f"Unknown alert channel {channel!r}.", fields=("channel",),
                      suggestion="webhook or email.")


def _check_email(settings: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    raw = settings.get("recipients") or []
    recipients = [r.strip() for r in (raw.split(",") if isinstance(raw, str) else raw)
                  if str(r).strip()]
    sender = str(settings.get("sender") or "").strip()
    host = str(settings.get("host") or "").strip()
    bad = [r for r in [*recipients, sender] if not _EMAIL.fullmatch(r)]
    if not recipients or not host or bad:
        raise ConfigError("E-mail alerts need an SMTP host, a sender and recipients "
                          f"(not valid: {', '.join(map(repr, bad)) or 'missing'}).",
                          fields=("host", "sender", "recipients"))
    try:
        port = int(settings.get("port") or 587)
    except (TypeError, ValueError):
        raise ConfigError("The SMTP port must be a number.", fields=("port",)) from None
    clean = {"host": host, "port": port, "sender": sender, "recipients": recipients,
             "username": str(settings.get("username") or ""),
             "password": str(settings.get("password") or ""),
             "starttls": bool(settings.get("starttls", True))}
    return clean, f"email to {', '.join(recipients)} via {host}"


def private_ok(app_settings: Any, environ: Mapping[str, str] | None = None) -> bool:
    """Hosted (sign-in on), alerts may not reach private, loopback or link-local addresses
    (an editor could otherwise make the worker call internal services) unless
    OLYMPUS_ALLOW_PRIVATE_ALERTS=1; locally they may."""
    import os

    env = os.environ if environ is None else environ
    return getattr(app_settings, "auth", "none") == "none" or \
        env.get("OLYMPUS_ALLOW_PRIVATE_ALERTS", "").lower() in ("1", "true", "yes")


def check_reachable(channel: str, settings: Mapping[str, Any]) -> None:
    """ConfigError when the alert's host resolves to a non-public address."""
    import ipaddress
    import socket

    host = urlsplit(settings["url"]).hostname if channel == "webhook" else settings["host"]
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(host, None)}
    except OSError:
        raise DeliveryFailed(f"The alert's host {host} does not resolve.") from None
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global:
            raise ConfigError(f"Alerts can't be sent to {host}: it is a private or local "
                              "address.", fields=("url", "host"),
                              suggestion="Use a public webhook or mail server, or ask the "
                                         "operator to set OLYMPUS_ALLOW_PRIVATE_ALERTS=1.")


def send(channel: str, settings: Mapping[str, Any], subject: str, text: str, *,
         allow_private: bool = True) -> None:
    """Deliver or raise; errors name the channel's host, never its secrets."""
    if not allow_private:
        check_reachable(channel, settings)  # again at send time: DNS may have changed
    if channel == "webhook":
        post_webhook(settings["url"], text)
    else:
        send_email(settings, subject, text)


def slack_escape(text: str) -> str:
    """Slack reads <...> as links and mentions: escape &, <, > so values stay plain text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def post_webhook(url: str, text: str) -> None:
    import httpx

    host = urlsplit(url).hostname
    try:
        response = httpx.post(url, json={"text": slack_escape(text)}, timeout=TIMEOUT_S,
                              follow_redirects=False)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"The webhook at {host} could not be reached "
                             f"({type(exc).__name__}).") from None
    if response.status_code >= 300:
        raise DeliveryFailed(f"The webhook at {host} answered HTTP {response.status_code}.")


def send_email(settings: Mapping[str, Any], subject: str, text: str) -> None:
    import smtplib
    from email.message import EmailMessage

    message = EmailMessage()
    message["Subject"] = " ".join(subject.split())[:200]  # no header injection via a name
    message["From"] = settings["sender"]
    message["To"] = ", ".join(settings["recipients"])
    message.set_content(text)
    try:
        with smtplib.SMTP(settings["host"], int(settings["port"]), timeout=TIMEOUT_S) as smtp:
            if settings.get("starttls"):
                smtp.starttls()
            if settings.get("username"):
                smtp.login(settings["username"], settings.get("password") or "")
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise DeliveryFailed(f"The SMTP server {settings['host']} refused or failed "
                             f"({type(exc).__name__}).") from None


class DeliveryFailed(ConfigError):
    kind, title = "delivery_failed", "Alert not delivered"
    suggestion = "Check the webhook URL or the SMTP settings of the alert."
