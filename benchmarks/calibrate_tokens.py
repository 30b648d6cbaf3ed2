"""Check olympus.agent.tokens.count_tokens against real o200k_base on schema-like text.

Needs tiktoken's o200k_base file locally (TIKTOKEN_CACHE_DIR pointing at a folder holding it, e.g.
the copy shipped inside the `litellm` wheel: litellm/litellm_core_utils/tokenizers/fb374d41...).
Run: `TIKTOKEN_CACHE_DIR=... .venv/bin/python -m benchmarks.calibrate_tokens`.
"""

from __future__ import annotations

import statistics

from benchmarks.bird_catalog import bird_dir, bird_questions, merged_snapshot
from olympus.agent.context import SchemaIndex
from olympus.agent.tokens import count_tokens


def corpus() -> list[str]:
    """DDL files, questions with hints, and rendered contexts from the 2,000-table catalog."""
    texts = [p.read_text() for p in sorted((bird_dir() / "schemas").glob("*.sql"))]
    items = bird_questions()
    texts += [f"{i['question']} {i['evidence']}" for i in items]
    index = SchemaIndex.from_snapshot(merged_snapshot())
    texts += [index.context(i["question"], dialect="postgres", budget_tokens=2000).text for i in items[::10]]
    return texts


def main() -> None:
    """Print total and per-text relative error of the estimate."""
    import tiktoken

    enc = tiktoken.get_encoding("o200k_base")
    pairs = [(count_tokens(t), len(enc.encode(t))) for t in corpus()]
    errors = [(a - e) / e for a, e in pairs]
    print(f"texts {len(pairs)}; total estimate/real {sum(a for a, _ in pairs) / sum(e for _, e in pairs):.3f}; "
          f"mean |error| {100 * statistics.mean(map(abs, errors)):.1f}%; "
          f"range {100 * min(errors):+.1f}% .. {100 * max(errors):+.1f}%")


if __name__ == "__main__":
    main()
