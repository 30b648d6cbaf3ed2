"""Connector forms built from each connector's declared fields, with field-level messages."""

from __future__ import annotations

from typing import Any, Callable, Iterable, Mapping

import streamlit as st

from olympus.connectors import Connector, supported_types
from olympus.errors import ConfigError, OlympusError
from olympus.ui.safe_text import md_text

KEEP_SECRET = "Saved — leave blank to keep it"
CLEAR = "_clear_secrets"  # raw-values key: saved secrets the user ticked for removal


def available_types() -> list[str]:
    """Every registered type (drivers import lazily, when a connection is first used)."""
    return supported_types()


def field_inputs(cls: type[Connector], *, key: str, current: Mapping[str, Any] | None = None,
                 secrets_set: tuple[str, ...] = (), errors: Mapping[str, str] | None = None,
                 on_change: Callable[[], None] | None = None) -> dict[str, Any]:
    """One input per declared field (secrets masked, files uploaded) and, for each saved secret,
    a "Remove saved ..." box; returns raw values (ticked removals under CLEAR). `on_change` runs
    when any of them changes (the page drops messages about the old values)."""
    current, errors = dict(current or {}), dict(errors or {})
    values: dict[str, Any] = {}
    cleared: list[str] = []
    columns = st.columns(2)
    for i, field in enumerate(cls.fields):
        with columns[i % 2]:
            keep = field.name in secrets_set
            values[field.name] = _input(field, key=f"{key}:{field.name}", on_change=on_change,
                                        value=current.get(field.name, field.default), keep=keep)
            if keep and st.checkbox(f"Remove saved {field.label[:1].lower()}{field.label[1:]}",
                                    key=f"{key}:{field.name}:clear", on_change=on_change):
                cleared.append(field.name)
            if errors.get(field.name):
                st.markdown(f":red[:material/error: {md_text(errors[field.name])}]")
    values[CLEAR] = tuple(cleared)
    return values


def _input(field, *, key: str, value: Any, keep: bool, on_change=None) -> Any:
    label = f"{field.label} *" if field.required else field.label
    help_ = field.help or None
    widget = {"key": key, "on_change": on_change}  # the same on every kind of input
    if field.type == "password":
        return st.text_input(label, type="password", **widget, help=help_,
                             placeholder=KEEP_SECRET if keep else None)
    if field.type == "int":
        return st.text_input(label, value="" if value is None else str(value), **widget,
                             help=help_)
    if field.type == "select":
        options = list(field.options)
        index = options.index(value) if value in options else 0
        return st.selectbox(label, options, index=index, **widget, help=help_)
    if field.type == "bool":
        return st.checkbox(label, value=bool(value), **widget, help=help_)
    if field.type == "file":
        note = f"{help_ or ''} {KEEP_SECRET if keep else ''}".strip() or None
        upload = st.file_uploader(label, type=["json"], **widget, help=note)
        return upload.getvalue().decode("utf-8", errors="replace") if upload else ""
    return st.text_input(label, value="" if value is None else str(value), **widget, help=help_)


def collect(cls: type[Connector], raw: Mapping[str, Any], *, editing: bool = False,
            kept: Iterable[str] = ()) -> tuple[dict[str, Any], dict[str, str]]:
    """Raw form values -> (params, {field: message}), checked once by the connector's own
    validate(). Editing: a blank saved secret in `kept` keeps its value (omitted from params);
    any other blank field is sent as None, which removes it."""
    params = _values(cls, raw, editing=editing)
    keep = set(kept) - set(cleared(raw)) if editing else set()
    stand_ins = {f.name: KEEP_SECRET for f in cls.fields
                 if f.name in keep and params.get(f.name) in (None, "")}
    try:
        clean = cls.validate({**params, **stand_ins})
    except ConfigError as exc:
        return params, field_errors(cls, exc)
    except OlympusError as exc:
        return params, {"_form": exc.message}
    return {k: clean.get(k, v) if v is not None else v for k, v in params.items()}, {}


def _values(cls: type[Connector], raw: Mapping[str, Any], *, editing: bool) -> dict[str, Any]:
    """Stripped form values; blanks left out, or None (= remove) for plain fields when editing."""
    params: dict[str, Any] = {}
    for field in cls.fields:
        value = raw.get(field.name)
        value = value.strip() if isinstance(value, str) else value
        if value not in (None, ""):
            params[field.name] = value
        elif editing and not field.secret and field.type != "file":
            params[field.name] = None
    return params


def field_errors(cls: type[Connector], exc: ConfigError) -> dict[str, str]:
    """A validation error as messages under the fields it names (the form box otherwise)."""
    labels = {f.name: f.label for f in cls.fields}
    if not exc.fields or not set(exc.fields) <= set(labels):
        return {"_form": exc.message}
    if not exc.missing:
        return {name: exc.message for name in exc.fields}
    return {name: f"{cls.missing_labels.get(name) or labels[name]} is required."
            for name in exc.fields}


def read_only_checkbox(*, key: str, value: bool, on_change: Callable[[], None] | None = None
                       ) -> bool:
    """The per-connection "require a read-only role" switch (default on when sign-in is on)."""
    from olympus.read_only import SETTING

    return st.checkbox(SETTING, value=value, key=key, on_change=on_change,
                       help="Refuse these credentials when the connection test finds they can "
                            "write, create objects or run programs on the server.")


def cleared(raw: Mapping[str, Any]) -> tuple[str, ...]:
    """The saved secrets the user ticked "Remove saved ..." for."""
    return tuple(raw.get(CLEAR) or ())


def clear_inputs(prefix: str) -> None:
    """Reset a form's widgets (after a successful save)."""
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(prefix)]:
        del st.session_state[key]
