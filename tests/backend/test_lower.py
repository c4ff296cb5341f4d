"""The lowering's arena plan: buffers alive at the same time never share memory, and a large
random graph whose intermediates reuse arena memory still computes numpy's values."""
import numpy as np
import pytest

import symkeras.backend as K
from symkeras.backend import lower


@pytest.mark.parametrize('seed', range(20))
def test_arena_plan_never_overlaps_live_buffers(seed):
    rng = np.random.RandomState(seed)
    n = rng.randint(1, 200)
    buffers, times = [], {}
    for b in range(n):
        kind = lower.ARENA if rng.rand() < 0.9 else lower.CONST
        buffers.append([kind, None, int(rng.choice([0, 1, 7, 64, 100, 4096, rng.randint(1, 10000)]))])
        first = int(rng.randint(0, 100))
        times[b] = (first, first + int(rng.randint(0, 30)))
    size = lower._plan_arena(buffers, times)
    placed = [b for b in times if buffers[b][0] == lower.ARENA]
    for b in placed:
        off = buffers[b][1]
        assert off % 64 == 0 and off + buffers[b][2] <= size
    for i, a in enumerate(placed):
        for c in placed[i + 1:]:
            (fa, la), (fc, lc) = times[a], times[c]
            if fa <= lc and fc <= la:      # alive at a common step
                ea = buffers[a][1] + max(buffers[a][2], 1)
                ec = buffers[c][1] + max(buffers[c][2], 1)
                assert ea <= buffers[c][1] or ec <= buffers[a][1], (a, c)


def test_arena_is_reused_along_a_chain():
    x = K.placeholder(shape=(None, 1000))
    h = x
    for i in range(50):
        h = K.tanh(h * 0.5 + 0.1)
    f = K.function([x], [h * 2.0])
    a = np.random.rand(8, 1000).astype('float32')
    expected = a.astype('float64')
    for i in range(50):
        expected = np.tanh(expected * 0.5 + 0.1)
    np.testing.assert_allclose(f([a])[0], expected * 2, rtol=1e-5)
    program = f._cache[((8, 1000),)][0]
    assert program.arena_bytes <= 3 * 8 * 1000 * 4 + 3 * 64


def test_random_dag_with_long_lived_buffers_matches_numpy():
    rng = np.random.RandomState(0)
    x = K.placeholder(shape=(None, 7))
    sym, ref = [x], [None]
    a = rng.rand(5, 7)
    ref[0] = a
    for i in range(300):
        j = rng.randint(len(sym))
        sym.append(K.tanh(sym[-1] * 0.9 + sym[j]))
        ref.append(np.tanh(ref[-1] * 0.9 + ref[j]))
    f = K.function([x], [sym[-1], sym[150]])
    out, mid = f([a.astype('float32')])
    np.testing.assert_allclose(out, ref[-1], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(mid, ref[150], rtol=1e-4, atol=1e-5)
