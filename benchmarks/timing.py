"""Timing shared by the benchmark scripts (run them as scripts: this folder is then on the path)."""
import statistics
import time

REPEATS = 7
LOOP_SECONDS = 0.04


def calls_per_loop(fn, seconds):
    """How many calls of fn last about `seconds` (timed after one warm-up call)."""
    fn()
    t0 = time.perf_counter()
    fn()
    return max(1, int(seconds / max(time.perf_counter() - t0, 1e-7)))


def loop_seconds(fn, calls):
    """The time per call of `calls` calls."""
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - t0) / calls


def seconds_per_call(fn):
    """The median over REPEATS of the time per call of a loop lasting about LOOP_SECONDS."""
    calls = calls_per_loop(fn, LOOP_SECONDS)
    return statistics.median([loop_seconds(fn, calls) for _ in range(REPEATS)])


def median_times(groups, rounds, seconds, settle_seconds):
    """groups: lists of functions (say symkeras' and numpy's). The median time per call of
    each function over `rounds` rounds of loops lasting about `seconds`; a round times every
    group in turn, so all see the same load on a shared machine, and sleeps settle_seconds
    after each group, because OpenBLAS's idle threads keep spinning for a while and would take
    the cores the next group's threads need."""
    calls = [[calls_per_loop(fn, seconds) for fn in fns] for fns in groups]
    times = [[[] for _ in fns] for fns in groups]
    for _ in range(rounds):
        for fns, ns, ts in zip(groups, calls, times):
            for fn, n, t in zip(fns, ns, ts):
                t.append(loop_seconds(fn, n))
            time.sleep(settle_seconds)
    return [[statistics.median(t) for t in ts] for ts in times]
