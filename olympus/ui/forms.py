"""Connector forms built from each connector's declared fields, with field-level messages."""

from __future__ import annotations

from typing import Any, Mapping

import streamlit as st

from olympus.connectors import REGISTRY, Connector, TestResult, connector_class
from olympus.errors import OlympusError

KEEP_SECRET = "Saved — leave blank to keep it"


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
    """One input per declared field (secrets masked, files uploaded); returns raw values."""
    current, errors = dict(current or {}), dict(errors or {})
    values: dict[str, Any] = {}
    columns = st.columns(2)
    for i, field in enumerate(cls.fields):
        with columns[i % 2]:
            values[field.name] = _input(field, key=f"{key}:{field.name}",
                                        value=current.get(field.name, field.default),
                                        keep=field.name in secrets_set)
            if errors.get(field.name):
                st.markdown(f":red[:material/error: {errors[field.name]}]")
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
    """Raw form values -> (params, {field: message}); blank secrets are dropped when editing."""
    params: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field in cls.fields:
        value = raw.get(field.name)
        if isinstance(value, str):
            value = value.strip()
        if value in (None, ""):
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


def probe(cls: type[Connector], params: Mapping[str, Any], *, timeout_s: float) -> TestResult:
    """Test unsaved parameters with a throwaway connector (its pool is closed right after)."""
    connector = cls(dict(params), statement_timeout_s=timeout_s)
    try:
        return connector.test()
    finally:
        connector.dispose()


def clear_inputs(prefix: str) -> None:
    """Reset a form's widgets (after a successful save)."""
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(prefix)]:
        del st.session_state[key]
