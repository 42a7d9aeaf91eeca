"""The suite's goals (issue 13), checked against the figures of the sizes that were run.

A  search: kehu's p95 ≤ 10 % of the sequential scan's, at 1M on PostgreSQL and at 100k on SQLite
B  search: p95 at 1M ≤ 3 × p95 at 100k, per kind, on PostgreSQL
C  list pages: p95 at 1M ≤ 2 × p95 at 10k, each case
D  dashboard: p95 at 1M ≤ 3 × p95 at 10k
E  write path: kehu rows/s ≥ 0.30 × Core rows/s, at every size run
F  plugins: p95 with every plugin enabled ≤ 1.1 × with none, list and detail, at every size run
G  memory: the web server's VmHWM < 300 MB, at every size run
H  export: kehu's export of every customer to xlsx ≤ 2 × the raw SELECT written with XlsxWriter, at every size run
Quick mode runs 1k and 10k and checks C and D as 10k over 1k, with the same limits (not page 200,
which 1k rows do not have).
"""
from dataclasses import dataclass

SEARCH_AT = {"postgresql": 1_000_000, "sqlite": 100_000}
SCALE_PAIR = (10_000, 1_000_000)
QUICK_SCALE_PAIR = (1_000, 10_000)


@dataclass
class Outcome:
    goal: str
    met: bool | None   # None: not checked (a size it needs was not run)
    line: str


def _by_case(figures, group):
    return {f["case"]: f for f in figures if f["group"] == group}


def _ratio_goal(results, goal, group, limit, what) -> list[Outcome]:
    """Each case of ``group``: its ratio to its baseline against ``limit`` at every size run."""
    found = []
    for rows, figures in sorted(results.items()):
        for case, fig in _by_case(figures, group).items():
            met = fig["ratio"] >= limit if goal == "E" else fig["ratio"] <= limit
            found.append(Outcome(goal, met, f"{what} '{case}' at {rows:,}: {fig['ratio']:.3f} "
                                            f"({'≥' if goal == 'E' else '≤'} {limit})"))
    return found


def _scale_goal(results, goal, group, pair, limit) -> list[Outcome]:
    small, large = pair
    if small not in results or large not in results:
        return [Outcome(goal, None, f"{group}: not checked (needs sizes {small:,} and {large:,})")]
    found = []
    before, after = _by_case(results[small], group), _by_case(results[large], group)
    for case in after:
        pages = before[case]["context"].get("page"), after[case]["context"].get("page")
        if pages[0] and pages[0] < 0.9 * pages[1]:  # page 200 of 1k rows is page 19: another OFFSET
            found.append(Outcome(goal, None, f"{group} '{case}': not checked (page {pages[0]} at {small:,}, "
                                             f"page {pages[1]} at {large:,})"))
            continue
        ratio = after[case]["kehu"]["p95_ms"] / before[case]["kehu"]["p95_ms"]
        found.append(Outcome(goal, ratio <= limit, f"{group} '{case}': p95 at {large:,} / at {small:,} = "
                                                   f"{ratio:.2f} (≤ {limit})"))
    return found


def check(results: dict[int, list[dict]], dialect: str, quick: bool) -> list[Outcome]:
    found = []
    size = SEARCH_AT[dialect]
    if size in results:
        found += [Outcome("A", f["ratio"] <= 0.10, f"search '{case}' at {size:,}: kehu/seq scan = {f['ratio']:.3f} (≤ 0.1)")
                  for case, f in _by_case(results[size], "search").items()]
    else:
        found.append(Outcome("A", None, f"search: not checked (needs {size:,} rows on {dialect})"))
    if dialect == "postgresql":
        found += _scale_goal(results, "B", "search", (100_000, 1_000_000), 3.0)
    else:
        found.append(Outcome("B", None, "search scaling: not checked (PostgreSQL only)"))
    pair = QUICK_SCALE_PAIR if quick else SCALE_PAIR
    found += _scale_goal(results, "C", "list", pair, 2.0)
    found += _scale_goal(results, "D", "dashboard", pair, 3.0)
    checked = {rows: figures for rows, figures in results.items() if not quick or rows == QUICK_SCALE_PAIR[1]}
    found += _ratio_goal(checked, "E", "write", 0.30, "write kehu/Core rows/s")
    found += _ratio_goal(checked, "F", "plugins", 1.10, "plugins all/none")
    found += _ratio_goal(checked, "H", "export", 2.0, "export kehu/raw SELECT")
    for rows, figures in sorted(checked.items()):
        for fig in figures:
            if fig["group"] == "memory":
                found.append(Outcome("G", fig["value_mb"] < 300, f"web server VmHWM at {rows:,}: "
                                                                  f"{fig['value_mb']:.0f} MB (< 300)"))
    return found
