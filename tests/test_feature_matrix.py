"""docs/DATABASES.md is generated from the connector classes and must match them."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from olympus.connectors import all_classes
from olympus.connectors.traits import CAPABILITY_LABELS

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def matrix():
    spec = importlib.util.spec_from_file_location("feature_matrix",
                                                  ROOT / "scripts" / "feature_matrix.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_databases_md_is_up_to_date(matrix):
    doc = ROOT / "docs" / "DATABASES.md"
    assert doc.exists(), "docs/DATABASES.md is missing: run python scripts/feature_matrix.py"
    assert doc.read_text(encoding="utf-8") == matrix.render(), \
        "docs/DATABASES.md is out of date with the connector classes: " \
        "run python scripts/feature_matrix.py"


def test_one_row_per_class_with_its_capabilities(matrix):
    table = [line for line in matrix.render().splitlines() if line.startswith("| ")]
    header, rows = _cells(table[0]), [_cells(line) for line in table[2:]]
    assert len(rows) == len(all_classes())
    for cls, row in zip(all_classes(), rows):
        cells = dict(zip(header, row))
        assert cells["Type"] == f"`{cls.type}`" and cells["sqlglot dialect"] == f"`{cls.dialect}`"
        for name, label in CAPABILITY_LABELS.items():
            assert cells[label] == ("yes" if getattr(cls.capabilities, name) else "no"), label
        assert cells["Denied functions"] == str(len(cls.sql_policy.denied_functions))


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split(" | ")]


def test_cells_escape_pipes_and_flatten_lines(matrix):
    assert matrix.cell("A | B") == "A \\| B"
    assert matrix.cell("two\nlines") == "two lines"
    assert matrix.cell("") == "—"
    row = matrix._row(["a|b", 3])
    assert row == "| a\\|b | 3 |" and row.count(" | ") == 1  # still two cells


def test_check_flags_a_stale_file(matrix, tmp_path, capsys):
    target = tmp_path / "DATABASES.md"
    assert matrix.main(["--check", "--output", str(target)]) == 1  # missing
    assert matrix.main(["--output", str(target)]) == 0
    assert matrix.main(["--check", "--output", str(target)]) == 0
    target.write_text(target.read_text(encoding="utf-8").replace("| yes |", "| no |", 1),
                      encoding="utf-8")
    assert matrix.main(["--check", "--output", str(target)]) == 1
    assert "out of date" in capsys.readouterr().err
