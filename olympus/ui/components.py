"""Olympus's own components (Streamlit custom components v2): their asset folders declared once
per runtime, as an installed package's pyproject.toml would declare them (Olympus runs from a
checkout), so Streamlit serves the JS as files the browser caches, never inline in every rerun."""

from __future__ import annotations

import threading
import weakref
from pathlib import Path
from typing import Any, Callable

_LOCK = threading.Lock()
_MOUNTS: "weakref.WeakKeyDictionary[Any, dict[str, Callable[..., Any]]]" = \
    weakref.WeakKeyDictionary()


def mounter(component: str, assets: Path, js: str) -> Callable[..., Any]:
    """The mount command of `component` ("olympus.<name>", JS file `js` in the folder `assets`
    next to this package's modules) on this runtime, registered on first use."""
    import streamlit as st
    from streamlit.components.v2.get_bidi_component_manager import get_bidi_component_manager
    from streamlit.components.v2.manifest_scanner import ComponentConfig, ComponentManifest

    manager = get_bidi_component_manager()
    with _LOCK:
        mounts = _MOUNTS.setdefault(manager, {})
        mount = mounts.get(component)
        if mount is None:
            package, name = component.split(".")
            manifest = ComponentManifest(name=package, version="1", components=[
                ComponentConfig(name=name, asset_dir=assets.name)])
            manager.register_from_manifest(manifest, assets.parent)
            mount = st.components.v2.component(component, js=js, isolate_styles=False)
            mounts[component] = mount
    return mount


def fresh_trigger(key: str, value: Any) -> dict | None:
    """A component's trigger value ({"id": ..., ...}) the first time its id is seen for `key`;
    None for a repeat or anything malformed (each event is handled once)."""
    import streamlit as st

    if not isinstance(value, dict) or not value.get("id"):
        return None
    seen = f"{key}:seen"
    if st.session_state.get(seen) == value["id"]:
        return None
    st.session_state[seen] = value["id"]
    return value
