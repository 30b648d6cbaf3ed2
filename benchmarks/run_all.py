"""Both speed benchmarks, one after the other (never at the same time: 2-core machines)."""

from __future__ import annotations

import argparse

from benchmarks import catalog_bench, result_bench


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="500 tables, 100k rows, 3 repetitions: a smoke run")
    args = parser.parse_args(argv)
    if args.quick:
        catalog_bench.main(["--tables", "500", "--repeat", "3", "--out", "catalog-quick.md"])
        result_bench.main(["--rows", "100000", "--repeat", "3", "--out", "result-quick.md"])
        return
    catalog_bench.main(["--tables", "2000", "--also", "10000"])
    result_bench.main(["--rows", "1000000"])


if __name__ == "__main__":
    main()
