"""kehu's benchmark suite: search, list pages, dashboard, write path, export, plugin overhead and memory.

    .venv/bin/python bench/run.py --rows 10000,100000,1000000 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/run.py --rows 10000,100000          # SQLite files
    .venv/bin/python bench/run.py --quick                      # 1k and 10k on SQLite; exit 1 when a goal is missed

Per size: a fresh database (migrated as the tests do), customers bulk-loaded as kehu stores them
(data.py), then every case (cases.py, writes.py, exports.py, memory.py). Every figure is a p95 (and median) over
--repeat runs after a warm-up, reported as a ratio to a baseline measured in the same run; the goals
(goals.py) are checked on the sizes that were run. Results go to --json; bench/README.md explains them.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import cases
import data
import exports
import goals
import memory
import timing
import writes

BENCH = Path(__file__).resolve().parent
QUICK_ROWS = (1_000, 10_000)


def _arguments():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", default="10000", help="sizes to run, comma-separated (default 10000)")
    parser.add_argument("--database-url", help="a PostgreSQL server URL: a throwaway database is made per size")
    parser.add_argument("--quick", action="store_true",
                        help="1k and 10k rows (SQLite unless --database-url); goals E, F, G at 10k, C and D as 10k/1k")
    parser.add_argument("--json", type=Path, help="results file (default bench/results-<dialect>.json)")
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per figure, after a warm-up (default 30)")
    parser.add_argument("--writes", type=int, default=1000,
                        help="customers the write case creates each way (fewer: the ratio is noise)")
    parser.add_argument("--profile", action="store_true", help="write a cProfile of the write path to "
                                                                "bench/profile-write.txt (largest size)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="processes for the load's transform")
    parser.add_argument("--cases", help="only these case groups, comma-separated (search, list, dashboard, plugins, "
                                           "write, export, memory); goals needing the others are not checked")
    parser.add_argument("--exports", type=int, default=10, help="timed exports each way (default 10; each writes "
                                                                  "every customer)")
    parser.add_argument("--seed", type=int, default=7, help="gen_customers.py seed of the loaded customers")
    args = parser.parse_args()
    args.sizes = list(QUICK_ROWS) if args.quick else [int(n.replace("_", "")) for n in args.rows.split(",")]
    args.dialect = "postgresql" if args.database_url else "sqlite"
    args.json = args.json or BENCH / f"results-{args.dialect}.json"
    return args


EXPORT_ROWS_AT_MOST = 100_000


def _cases(site, args, rows):
    """(name, callable) of the cases a size runs; quick mode's 1k size runs only what C and D compare."""
    found = [("list", lambda: cases.list_cases(site, args.repeat)),
             ("dashboard", lambda: cases.dashboard_case(site, args.repeat))]
    if args.quick and rows == QUICK_ROWS[0]:
        return found
    profile = BENCH / "profile-write.txt" if args.profile and rows == max(args.sizes) else None
    # an export writes every customer: the size is 100k (a 1M export, 26 times, would take an hour
    # and more); above 10k a few runs each way, each is seconds long
    exports_here = [("export", lambda: exports.export_case(site, 3 if args.quick or rows > 10_000 else args.exports))] \
        if rows <= EXPORT_ROWS_AT_MOST else []
    return [("search", lambda: cases.search_cases(site, args.repeat)), *found,
            ("plugins", lambda: cases.plugin_cases(site, args.repeat)),
            ("write", lambda: writes.write_case(site, args.writes, profile)),
            *exports_here,
            ("memory", lambda: memory.memory_case(site))]


def _git_commit():
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=BENCH, capture_output=True,
                              text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def _width(text_):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text_)


def _cell(value, width, right=False):
    text_ = value if isinstance(value, str) else ("" if value is None else f"{value:.2f}")
    pad = " " * max(width - _width(text_), 0)
    return pad + text_ if right else text_ + pad


def _context(fig) -> str:
    c = fig["context"]
    if fig["group"] == "search":
        found = f"hits {c['hits']}; API p95 {c['api_p95_ms']:.1f} ms"
    elif fig["group"] == "list":
        found = f"total {c['total']}, page {c['page']}"
    elif fig["group"] == "write":
        found = (f"kehu {c['kehu_rows_per_s']:.0f} rows/s, Core {c['core_rows_per_s']:.0f} rows/s (ratio of rows/s); "
                 f"查重 p95 {c['duplicate_check_p95_ms']:.1f} ms")
    elif fig["group"] == "export":
        found = (f"{c['rows']} rows × {c['columns']} columns; kehu {c['kehu_rows_per_s']:.0f} rows/s, "
                 f"raw {c['raw_rows_per_s']:.0f} rows/s")
    elif fig["group"] == "memory":
        found = f"VmHWM {c['vmhwm_mb']:.0f} MB (RSS {c['vmrss_after_first_request_mb']:.0f} MB after the 1st request)"
    elif fig["group"] == "plugins":
        found = f"median ratio {fig['ratio_median']:.2f}"
    else:
        found = ""
    mismatches = [f"{k}={v}" for k, v in c.items() if k.startswith("MISMATCH")]
    return "; ".join([found, *mismatches]) if mismatches else found


def _table(results, loads):
    header = ["rows", "group", "case", "kehu p95", "kehu med", "base p95", "base med", "ratio", "baseline; context"]
    widths = [9, 9, 30, 9, 9, 9, 9, 7, 0]
    lines = [" ".join(_cell(h, w, right=3 <= i <= 7) for i, (h, w) in enumerate(zip(header, widths)))]
    for rows, figures in sorted(results.items()):
        load = loads[rows]
        lines.append(f"{rows:>9,} load: {load['rows_per_s']:.0f} rows/s ({load['seconds']:.1f} s; {load['contacts']} "
                     f"contacts, {load['deleted']} soft-deleted, {load['tags']} tags)")
        for fig in figures:
            base = fig.get("baseline") or {}
            cells = [f"{rows:,}", fig["group"], fig["case"], fig["kehu"]["p95_ms"], fig["kehu"]["median_ms"],
                     base.get("p95_ms"), base.get("median_ms"), fig.get("ratio"),
                     "; ".join(filter(None, [fig.get("baseline_name"), _context(fig)]))]
            lines.append(" ".join(_cell(v, w, right=3 <= i <= 7) for i, (v, w) in enumerate(zip(cells, widths))))
    return "\n".join(lines)


def _write_json(args, results, loads, outcomes, started):
    document = {
        "suite": "kehu bench/run.py", "dialect": args.dialect, "started_at": started, "commit": _git_commit(),
        "machine": {"cpus": os.cpu_count(), "load_average": os.getloadavg(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "args": {"sizes": args.sizes, "repeat": args.repeat, "writes": args.writes, "exports": args.exports,
                 "quick": args.quick,
                 "workers": args.workers, "seed": args.seed},
        "note": "times in ms; ratio = kehu p95 / baseline p95, except write: kehu rows/s / Core rows/s",
        "sizes": {str(rows): {"load": loads[rows], "figures": figures} for rows, figures in sorted(results.items())},
        "goals": [{"goal": o.goal, "met": o.met, "line": o.line} for o in outcomes],
    }
    args.json.write_text(json.dumps(document, ensure_ascii=False, indent=1), encoding="utf-8")


def main():
    args = _arguments()
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    results, loads = {}, {}
    print(f"kehu bench on {args.dialect}: sizes {', '.join(f'{n:,}' for n in args.sizes)}; p95 and median of "
          f"{args.repeat} runs after {timing.WARMUP} warm-up runs; load average {os.getloadavg()[0]:.1f}",
          flush=True)
    for rows in args.sizes:
        with data.site(args.database_url, rows, args.seed, args.workers) as site:
            loaded = site.loaded
            loads[rows] = {"rows": loaded.rows, "seconds": round(loaded.seconds, 2), "rows_per_s": round(loaded.rows_per_s, 1),
                           "contacts": loaded.contacts, "tags": loaded.tags, "deleted": loaded.deleted}
            print(f"{rows:,}: loaded in {loaded.seconds:.1f} s ({loaded.rows_per_s:.0f} rows/s)", flush=True)
            results[rows] = []
            for name, run in _cases(site, args, rows):
                if args.cases and name not in args.cases.split(","):
                    continue
                began = time.perf_counter()
                results[rows] += run()
                print(f"{rows:,}: {name} done in {time.perf_counter() - began:.1f} s", flush=True)
            _write_json(args, results, loads, [], started)  # a long run keeps what it measured so far
    outcomes = goals.check(results, args.dialect, args.quick)
    _write_json(args, results, loads, outcomes, started)
    print()
    print(_table(results, loads))
    print()
    if args.quick:
        print("quick mode: goals E, F, G at 10,000 rows; C and D compare 10,000 with 1,000 rows (same limits)")
    for outcome in outcomes:
        mark = {True: "ok    ", False: "MISSED", None: "--    "}[outcome.met]
        print(f"{mark} goal {outcome.goal}: {outcome.line}")
    missed = [o for o in outcomes if o.met is False]
    checked = [o for o in outcomes if o.met is not None]
    print(f"\n{len(checked) - len(missed)} of {len(checked)} checked goals met; results in {args.json}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
