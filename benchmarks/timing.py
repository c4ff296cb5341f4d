"""Timing shared by the benchmark scripts (run them as scripts: this folder is then on the path)."""
import statistics
import time

REPEATS = 7
LOOP_SECONDS = 0.04


def seconds_per_call(fn):
    """The median over REPEATS of the time per call of a loop lasting about LOOP_SECONDS."""
    fn()
    t0 = time.perf_counter()
    fn()
    calls = max(1, int(LOOP_SECONDS / max(time.perf_counter() - t0, 1e-7)))
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        times.append((time.perf_counter() - t0) / calls)
    return statistics.median(times)
