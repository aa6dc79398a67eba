"""``python -m bench``: run every benchmark on PostgreSQL and print the figures (markdown)."""

from __future__ import annotations

import sys

from bench import kbo_import

BENCHMARKS = {"kbo_import": kbo_import.main}


def main() -> None:
    names = sys.argv[1:] or list(BENCHMARKS)
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        raise SystemExit(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    for name in names:
        print(BENCHMARKS[name]([]), flush=True)


if __name__ == "__main__":
    main()
