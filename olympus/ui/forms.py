"""Connector forms built from each connector's declared fields, with field-level messages."""

from __future__ import annotations

from typing import Any, Mapping

import streamlit as st

from olympus.connectors import REGISTRY, Connector, connector_class
from olympus.errors import OlympusError

KEEP_SECRET = "Saved — leave blank to keep it"
CLEAR = "_clear_secrets"  # raw-values key: saved secrets the user ticked for removal


def available_types() -> list[str]:
    """Types whose driver module imports here (a missing driver only hides its own type)."""
    found = []
    for type_ in REGISTRY:
        try:
            connector_class(type_)
        except Exception:  # module or driver not installed
            continue
        found.append(type_)
    return found


def field_inputs(cls: type[Connector], *, key: str, current: Mapping[str, Any] | None = None,
                 secrets_set: tuple[str, ...] = (), errors: Mapping[str, str] | None = None
                 ) -> dict[str, Any]:
    """One input per declared field (secrets masked, files uploaded) and, for each saved secret,
    a "Remove saved ..." box; returns raw values (ticked removals under CLEAR)."""
    current, errors = dict(current or {}), dict(errors or {})
    values: dict[str, Any] = {}
    cleared: list[str] = []
    columns = st.columns(2)
    for i, field in enumerate(cls.fields):
        with columns[i % 2]:
            keep = field.name in secrets_set
            values[field.name] = _input(field, key=f"{key}:{field.name}",
                                        value=current.get(field.name, field.default), keep=keep)
            if keep and st.checkbox(f"Remove saved {field.label[:1].lower()}{field.label[1:]}",
                                    key=f"{key}:{field.name}:clear"):
                cleared.append(field.name)
            if errors.get(field.name):
                st.markdown(f":red[:material/error: {errors[field.name]}]")
    values[CLEAR] = tuple(cleared)
    return values


def _input(field, *, key: str, value: Any, keep: bool) -> Any:
    label = f"{field.label} *" if field.required else field.label
    help_ = field.help or None
    if field.type == "password":
        return st.text_input(label, type="password", key=key, help=help_,
                             placeholder=KEEP_SECRET if keep else None)
    if field.type == "int":
        return st.text_input(label, value="" if value is None else str(value), key=key,
                             help=help_)
    if field.type == "select":
        options = list(field.options)
        index = options.index(value) if value in options else 0
        return st.selectbox(label, options, index=index, key=key, help=help_)
    if field.type == "bool":
        return st.checkbox(label, value=bool(value), key=key, help=help_)
    if field.type == "file":
        note = f"{help_ or ''} {KEEP_SECRET if keep else ''}".strip() or None
        upload = st.file_uploader(label, type=["json"], key=key, help=note)
        return upload.getvalue().decode("utf-8", errors="replace") if upload else ""
    return st.text_input(label, value="" if value is None else str(value), key=key, help=help_)


def collect(cls: type[Connector], raw: Mapping[str, Any], *, editing: bool = False
            ) -> tuple[dict[str, Any], dict[str, str]]:
    """Raw form values -> (params, {field: message}). Editing: a blank secret or upload keeps the
    saved value (omitted); any other blank field is sent as None, which removes it."""
    params: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in cls.fields:
        value = raw.get(field.name)
        if isinstance(value, str):
            value = value.strip()
        if value in (None, ""):
            if editing and not field.secret and field.type != "file":
                params[field.name] = None
                if field.required:
                    errors[field.name] = f"{field.label} is required."
            continue
        if field.type == "int":
            try:
                value = int(value)
            except ValueError:
                errors[field.name] = f"{field.label} must be a whole number."
                continue
        params[field.name] = value
    labels = {f.label: f.name for f in cls.fields}
    if not editing:
        for label in cls.missing_required(params):
            name = labels.get(label)
            if name and name not in errors:
                errors[name] = f"{label} is required."
    if not errors:
        try:
            cls.validate(dict(params))
        except OlympusError as exc:
            if not (editing and "Missing" in exc.message):
                errors["_form"] = exc.message
    return params, errors


def cleared(raw: Mapping[str, Any]) -> tuple[str, ...]:
    """The saved secrets the user ticked "Remove saved ..." for."""
    return tuple(raw.get(CLEAR) or ())


def clear_inputs(prefix: str) -> None:
    """Reset a form's widgets (after a successful save)."""
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(prefix)]:
        del st.session_state[key]
