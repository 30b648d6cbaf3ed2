"""Descriptions from a dbt project: models, seeds, snapshots and sources with their columns.

Reads target/manifest.json when there is one (dbt compiled it: schemas and aliases resolved),
else every schema.yml-style file of the project (models by name, sources by their schema).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from olympus.errors import ConfigError
from olympus.semantic.layer import Incoming

NODE_TYPES = ("model", "seed", "snapshot")
SKIP_DIRS = {"target", "dbt_packages", "dbt_modules", "logs", ".git", "node_modules", ".venv"}
MAX_FILES = 2000


def read_project(path: str | Path) -> list[Incoming]:
    """Every description in a dbt project directory, a manifest.json or one schema.yml file."""
    root = Path(path).expanduser()
    if root.is_dir() and (root / "target" / "manifest.json").is_file():
        root = root / "target" / "manifest.json"
    if root.is_file() and root.suffix == ".json":
        return list(from_manifest(_json(root)))
    if root.is_file() and root.suffix in (".yml", ".yaml"):
        return list(from_schema_yml(_yaml(root)))
    if root.is_dir():
        files = [p for p in _yaml_files(root)]
        return [item for p in files for item in from_schema_yml(_yaml(p))]
    raise ConfigError(f"No dbt project at {str(path)!r}.", title="dbt project not found",
                      suggestion="Give the project directory, its target/manifest.json or a schema.yml file.")


def from_manifest(manifest: Mapping[str, Any]) -> Iterator[Incoming]:
    """Models, seeds, snapshots and sources of a compiled manifest (their real schema and alias)."""
    nodes = [n for n in (manifest.get("nodes") or {}).values()
             if isinstance(n, Mapping) and n.get("resource_type") in NODE_TYPES]
    sources = [s for s in (manifest.get("sources") or {}).values() if isinstance(s, Mapping)]
    for node in nodes + sources:
        table = node.get("identifier") or node.get("alias") or node.get("name")
        yield from _entries(node.get("schema"), table, node)


def from_schema_yml(doc: Any) -> Iterator[Incoming]:
    """models: and sources: of one schema.yml (a model's schema is unknown here: matched by name)."""
    if not isinstance(doc, Mapping):
        return
    for model in _items(doc.get("models")) + _items(doc.get("seeds")) + _items(doc.get("snapshots")):
        schema = (model.get("config") or {}).get("schema") if isinstance(model.get("config"), Mapping) else None
        table = (model.get("config") or {}).get("alias") if isinstance(model.get("config"), Mapping) else None
        yield from _entries(schema, table or model.get("name"), model)
    for source in _items(doc.get("sources")):
        schema = source.get("schema") or source.get("name")
        for table in _items(source.get("tables")):
            yield from _entries(schema, table.get("identifier") or table.get("name"), table)


def _entries(schema: Any, table: Any, node: Mapping[str, Any]) -> Iterator[Incoming]:
    """The table's description, then each described column's."""
    if not isinstance(table, str) or not table:
        return
    schema = schema if isinstance(schema, str) and schema else None
    text = node.get("description")
    if isinstance(text, str) and text.strip():
        yield Incoming(schema, table, "", text)
    columns = node.get("columns") or {}
    entries = columns.values() if isinstance(columns, Mapping) else columns
    for col in entries:
        if isinstance(col, Mapping) and isinstance(col.get("name"), str):
            note = col.get("description")
            if isinstance(note, str) and note.strip():
                yield Incoming(schema, table, col["name"], note)


def _items(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def _yaml_files(root: Path) -> Iterator[Path]:
    """The project's YAML files, build output and installed packages skipped."""
    seen = 0
    for path in sorted(root.rglob("*")):
        if any(part in SKIP_DIRS for part in path.relative_to(root).parts[:-1]):
            continue
        if path.suffix in (".yml", ".yaml") and path.is_file() and path.name != "dbt_project.yml":
            seen += 1
            if seen > MAX_FILES:
                raise ConfigError(f"More than {MAX_FILES} YAML files under {str(root)!r}.",
                                  title="Too many files", suggestion="Point at the dbt project itself.")
            yield path


def _json(path: Path) -> Mapping[str, Any]:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"Can't read {path.name}: {exc}", title="Unreadable manifest",
                          suggestion="Run `dbt compile` or `dbt docs generate` again.") from None
    if not isinstance(doc, Mapping):
        raise ConfigError(f"{path.name} is not a dbt manifest.", title="Unreadable manifest")
    return doc


def _yaml(path: Path) -> Any:
    import yaml

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"Can't read {path.name}: {' '.join(str(exc).split())[:300]}",
                          title="Unreadable dbt file", suggestion="Fix the YAML and import again.") from None
