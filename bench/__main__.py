"""``python -m bench [NAME [ARGS...]]``: run the benchmarks on PostgreSQL and print the figures (markdown).

Without a name every benchmark runs with its defaults; with a name, the remaining arguments go to that
benchmark (e.g. ``python -m bench kbo_import --scale 200000``).
"""

from __future__ import annotations

import sys

from bench import camt_import, daily, dashboards, iam, kbo_import, mail, portal, projects, queues, search

BENCHMARKS = {
    "kbo_import": kbo_import.main,
    "iam": iam.main,
    "camt_import": camt_import.main,
    "projects": projects.main,
    "search": search.main,
    "portal": portal.main,
    "dashboards": dashboards.main,
    "mail": mail.main,
    "daily": daily.main,
    "queues": queues.main,
}


def main() -> None:
    args = sys.argv[1:]
    if not args:
        for run in BENCHMARKS.values():
            print(run([]), flush=True)
        return
    name, rest = args[0], args[1:]
    if name not in BENCHMARKS:
        raise SystemExit(f"unknown benchmark {name!r}; known: {', '.join(BENCHMARKS)}")
    print(BENCHMARKS[name](rest), flush=True)


if __name__ == "__main__":
    main()
