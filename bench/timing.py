"""Timing: the p95 and median of a call over ``repeat`` runs after a warm-up, and the figure a case reports."""
import math
import statistics
import time
from dataclasses import dataclass

WARMUP = 3


@dataclass
class Timing:
    p95_ms: float
    median_ms: float
    runs: int

    @classmethod
    def of(cls, samples: list[float]) -> "Timing":
        ordered = sorted(samples)
        return cls(ordered[math.ceil(0.95 * len(ordered)) - 1], statistics.median(ordered), len(ordered))

    def as_dict(self) -> dict:
        return {"p95_ms": round(self.p95_ms, 3), "median_ms": round(self.median_ms, 3), "runs": self.runs}


def samples(fn, repeat: int, setup=None, teardown=None, warmup: int = WARMUP) -> list[float]:
    """Milliseconds of ``repeat`` calls of ``fn`` (after ``warmup`` untimed ones). With ``setup``, each
    call is ``fn(setup())`` and only ``fn`` is timed; ``teardown(state)`` runs after it, untimed too."""
    found = []
    for number in range(warmup + repeat):
        state = setup() if setup else None
        began = time.perf_counter()
        fn(state) if setup else fn()
        elapsed = (time.perf_counter() - began) * 1000
        if teardown:
            teardown(state)
        if number >= warmup:
            found.append(elapsed)
    return found


def measure(fn, repeat: int, **options) -> Timing:
    return Timing.of(samples(fn, repeat, **options))


def figure(group: str, case: str, kehu: Timing, baseline: Timing | None = None, baseline_name: str | None = None,
           **context) -> dict:
    """One line of the results: kehu's timing, the baseline's, their p95 ratio, and context figures."""
    found = {"group": group, "case": case, "kehu": kehu.as_dict(), "context": context}
    if baseline is not None:
        found.update(baseline=baseline.as_dict(), baseline_name=baseline_name,
                     ratio=round(kehu.p95_ms / baseline.p95_ms, 4),
                     ratio_median=round(kehu.median_ms / baseline.median_ms, 4))
    return found
