"""Write docs/DATABASES.md, the feature matrix, from the connector classes themselves (so the docs
cannot drift from what the code declares). `--check` exits 1 when the file is out of date."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "DATABASES.md"

HEADER = """# Databases

Generated from the connector classes in `olympus/connectors/` by `python scripts/feature_matrix.py`;
do not edit by hand (`tests/test_feature_matrix.py` fails when this file is out of date).

A capability marked "no" is one the database never has: the catalog and the UI show nothing for it,
and the contract suite (`tests/contract/`) asserts that absence. "Denied functions" counts the
function names (or `prefix*` patterns) the SQL guard refuses in that dialect.
"""


def cell(value: object) -> str:
    """One markdown table cell: `|` escaped, line breaks flattened, empty shown as a dash."""
    text = " ".join(str(value).split()).replace("|", "\\|")
    return text or "—"


def _row(values: list[object]) -> str:
    return "| " + " | ".join(cell(v) for v in values) + " |"


def render() -> str:
    """The whole markdown document for the registered connector classes, in registry order."""
    from olympus.connectors import all_classes
    from olympus.connectors.traits import CAPABILITY_LABELS

    names = list(CAPABILITY_LABELS)
    head = ["Database", "Type", "Aliases", "sqlglot dialect", "Default port",
            *(CAPABILITY_LABELS[n] for n in names), "Denied functions"]
    lines = [_row(head), "| " + " | ".join("---" for _ in head) + " |"]
    for cls in all_classes():
        caps = cls.capabilities.as_dict()
        lines.append(_row([
            cls.label, f"`{cls.type}`", ", ".join(f"`{a}`" for a in cls.aliases),
            f"`{cls.dialect}`", cls.default_port or "",
            *("yes" if caps[n] else "no" for n in names),
            len(cls.sql_policy.denied_functions)]))
    return HEADER + "\n" + "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is out of date")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="default: docs/DATABASES.md")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.output.read_text(encoding="utf-8") if args.output.exists() else None
        if current != text:
            print(f"{args.output} is out of date: run python scripts/feature_matrix.py",
                  file=sys.stderr)
            return 1
        return 0
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    raise SystemExit(main())
