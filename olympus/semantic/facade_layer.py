"""Workspace methods: descriptions and the glossary (mixed in through olympus.semantic.facade)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from olympus.errors import ConfigError
from olympus.workspace_audit import audited

if TYPE_CHECKING:
    from olympus.catalog import Catalog
    from olympus.semantic.glossary import GlossaryTerm
    from olympus.semantic.layer import Description, ImportReport


class LayerMethods:
    """Descriptions and the glossary for the signed-in user and space (self.principal, self.owner)."""

    # ---- descriptions ---------------------------------------------------------------------------
    def descriptions(self, name: str) -> list["Description"]:
        """The descriptions written in Olympus for one connection (not the database's comments)."""
        from olympus.semantic import layer

        record = self.get(name)  # view, and the connection is granted to this user
        return layer.load(self.store.engine, record.id)

    @audited("description_set", lambda a: f"{a['name']}: {a['table']}{'.' + a['column'] if a.get('column') else ''}")
    def set_description(self, name: str, table: str, column: str = "", text: str = "") -> None:
        """Describe a table (column '') or a column in Olympus; empty text goes back to the comment."""
        from olympus.semantic import layer

        self.principal.require("save")
        record = self.get(name)
        found = self.schema(name).table(table)
        if found is None:
            raise ConfigError(f"No table {table!r} in {name!r}.", title="Unknown table", fields=("table",),
                              suggestion="Refresh the schema, or check the name on the Schema page.")
        column_name = ""
        if column:
            column_name = layer.find_column(found, column) or ""
            if not column_name:
                raise ConfigError(f"No column {column!r} in {found.qualified_name}.", title="Unknown column",
                                  fields=("column",), suggestion="Check the column's name on the Schema page.")
        where = found.qualified_name + (f".{column_name}" if column_name else "")
        item = layer.Description(found.qualified_name, column_name, layer.clean_text(text, where))
        layer.save(self.store.engine, record.id, [item], user=self.principal.user)

    def described_schema(self, name: str, *, refresh: bool = False) -> "Catalog":
        """The catalog as the agent and the Schema page see it: Olympus descriptions over comments."""
        from olympus.semantic.layer import with_descriptions

        return with_descriptions(self.schema(name, refresh=refresh), self.descriptions(name))

    def described_index(self, name: str, build: Callable[["Catalog"], Any]) -> Any:
        """The agent's index over the described catalog, rebuilt when a description changes."""
        from olympus.semantic.layer import stamp, with_descriptions

        record = self.get(name)
        snapshot = self.schema(name)
        notes = self.descriptions(name)
        key = (self.owner, record.id, str(snapshot.introspected_at), stamp(notes))
        return self.shared.indexes.get(key, lambda: build(with_descriptions(snapshot, notes)))

    # ---- glossary -------------------------------------------------------------------------------
    def glossary(self, connection: str | None = None) -> list["GlossaryTerm"]:
        """The space's terms: all of them, or (`connection`) those that apply to one connection."""
        from olympus.semantic import glossary

        self.principal.require("view")
        if connection is None:
            return glossary.load(self.store.engine, self.owner, every=True)
        return glossary.load(self.store.engine, self.owner, connection_id=self.get(connection).id)

    @audited("glossary_save", lambda a: getattr(a.get("term"), "term", None))
    def save_term(self, term: "GlossaryTerm", *, connection: str | None = None) -> "GlossaryTerm":
        """Add or edit a term; `connection` (a name) limits it to one connection, else the space."""
        from dataclasses import replace

        from olympus.semantic import glossary

        self.principal.require("save")
        scope = self.get(connection).id if connection else None
        return glossary.save(self.store.engine, self.owner, replace(term, connection_id=scope),
                             user=self.principal.user)

    @audited("glossary_delete", lambda a: a.get("term_id"))
    def delete_term(self, term_id: str) -> bool:
        """Remove a term of this space (False when it was not there)."""
        from olympus.semantic import glossary

        self.principal.require("save")
        return glossary.delete(self.store.engine, self.owner, str(term_id))

    def glossary_matches(self, name: str, question: str, history: Sequence[str] = ()) -> list["GlossaryTerm"]:
        """The terms a question (or the chat so far) uses, for retrieval and the prompt."""
        from olympus.semantic.glossary import matching

        terms = self.glossary(name)
        return matching(terms, " \n ".join([*history, question])) if terms else []

    # ---- YAML and dbt -----------------------------------------------------------------------------
    def export_layer(self, name: str) -> str:
        """Descriptions and glossary of one connection as YAML (import_layer reads it back)."""
        from olympus.semantic.yaml_io import dump

        return dump(name, self.descriptions(name), self.glossary(name))

    @audited("layer_import")
    def import_layer(self, name: str, text: str) -> "ImportReport":
        """Read exported YAML into one connection: descriptions matched to its catalog, terms merged."""
        from dataclasses import replace

        from olympus.semantic.glossary import checked
        from olympus.semantic.yaml_io import parse

        self.principal.require("save")
        items, terms = parse(text)
        terms = [checked(t) for t in terms]  # every term valid before anything is written
        report = self._write_descriptions(name, items)
        for term in terms:
            self.save_term(term, connection=name if term.connection_id else None)
        return replace(report, terms=len(terms))

    @audited("layer_dbt", lambda a: f"{a['name']}: {a['path']}")
    def import_dbt(self, name: str, path: str) -> "ImportReport":
        """Descriptions of a dbt project's models and sources (manifest.json or schema.yml files)."""
        from olympus.semantic.dbt import read_project

        self.principal.require("save")
        return self._write_descriptions(name, read_project(path))

    def _write_descriptions(self, name: str, items) -> "ImportReport":
        """Match (schema, table, column, text) items to the catalog and store what matched."""
        from olympus.semantic import layer

        record = self.get(name)
        placed, report = layer.place(self.schema(name), items)
        layer.save(self.store.engine, record.id, placed, user=self.principal.user)
        return report
