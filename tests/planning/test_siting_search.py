"""The primal search of planning.siting: swaps, the merge search and the progress trace."""

import itertools
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yanglao.planning import siting

from .test_siting_bounds import best_cover, instances, reduced


def _best_single_swap(inst, chosen):
    """Brute force: the best value reachable from ``chosen`` by one swap."""
    best = inst.value(chosen)
    for s, j in itertools.product(range(len(chosen)), range(inst.m)):
        if j in chosen:
            continue
        trial = list(chosen)
        trial[s] = j
        best = max(best, inst.value(trial))
    return best


@settings(max_examples=60, deadline=None)
@given(data=instances(max_m=9), p=st.integers(1, 5), seed=st.integers(0, 1000))
def test_swaps_end_where_no_single_swap_or_addition_improves(data, p, seed):
    dense, weights = data
    inst = reduced(dense, weights)
    p = min(p, inst.m)
    rng = np.random.default_rng(seed)
    start = rng.choice(inst.m, size=rng.integers(1, p + 1), replace=False).tolist()
    chosen, _moves = siting._swap_search(inst, start, p, None, time.perf_counter() + 10)
    assert len(set(chosen)) == len(chosen) <= p
    value = inst.value(chosen)
    assert value >= inst.value(start) - 1e-9
    assert _best_single_swap(inst, chosen) <= value + 1e-9
    if len(chosen) < p:  # stopped adding: no site left adds anything
        assert all(inst.value([*chosen, j]) <= value + 1e-9 for j in range(inst.m) if j not in chosen)


@settings(max_examples=80, deadline=None)
@given(
    k=st.integers(1, 6),
    m=st.integers(2, 12),
    pairs=st.lists(st.tuples(st.integers(0, 5), st.integers(0, 11), st.integers(1, 5)), max_size=40),
    seed=st.integers(0, 1000),
)
def test_the_sparse_best_swap_agrees_with_the_dense_table(k, m, pairs, seed):
    rng = np.random.default_rng(seed)
    gain = rng.integers(0, 20, m).astype(float)
    gain[rng.choice(m, size=min(k, m - 1), replace=False)] = -np.inf  # chosen sites
    loss = rng.integers(0, 20, k).astype(float)
    pairs = [(s % k, j % m, w) for s, j, w in pairs]
    keys = np.array([s * m + j for s, j, _w in pairs], dtype=np.int64)
    weights = np.array([w for _s, _j, w in pairs], dtype=float)
    dense = siting._best_swap(gain, loss, keys, weights, k, m)
    sparse = siting._best_swap(gain, loss, keys, weights, k, m, dense_cells=0)
    assert sparse[2] == pytest.approx(dense[2])
    # Whatever pair it names is worth what it says.
    s, j, delta = sparse
    back = weights[keys == s * m + j].sum()
    assert gain[j] + back - loss[s] == pytest.approx(delta)


@pytest.mark.parametrize("seed, start", [(2, [0, 2, 3]), (11, [0, 1, 5])])
def test_the_merge_search_gets_past_a_swap_local_optimum(seed, start):
    rng = np.random.default_rng(seed)
    dense = rng.random((30, 10)) < 0.25
    weights = rng.integers(1, 5, 30).astype(float)
    inst = reduced(dense, weights)
    p = 3
    best = best_cover(dense, weights, p)
    stuck, _moves = siting._swap_search(inst, start, p, None, time.perf_counter() + 5)
    assert inst.value(stuck) < best  # the premise: swaps alone stop short
    x = np.full(inst.m, p / inst.m)
    chosen, value, rounds = siting._merge_search(
        inst, p, x, stuck, inst.value(stuck), float(inst.w.sum()), time.perf_counter() + 5
    )
    assert rounds >= 1
    assert len(set(chosen)) == len(chosen) <= p
    assert value == pytest.approx(inst.value(chosen))
    assert value == pytest.approx(best)


@settings(max_examples=30, deadline=None)
@given(data=instances(max_m=9), p=st.integers(1, 5), seed=st.integers(0, 1000))
def test_the_merge_search_never_loses_its_start(data, p, seed):
    dense, weights = data
    inst = reduced(dense, weights)
    p = min(p, inst.m)
    start = list(range(min(p, inst.m)))
    x = np.random.default_rng(seed).uniform(0, 1, inst.m)
    x *= min(p, x.sum()) / x.sum()
    better = []
    chosen, value, _rounds = siting._merge_search(
        inst, p, x, start, inst.value(start), float(inst.w.sum()), time.perf_counter() + 5,
        seed=seed, on_better=better.append,
    )  # fmt: skip
    assert len(set(chosen)) == len(chosen) <= p
    assert value == pytest.approx(inst.value(chosen))
    assert value >= inst.value(start) - 1e-9
    assert value <= best_cover(dense, weights, p) + 1e-9
    assert better == sorted(better) and (not better or better[-1] == pytest.approx(value))


def test_the_trace_shows_the_answer_improving_and_ends_at_the_result():
    rng = np.random.default_rng(11)
    demand = rng.uniform(0, 6000, size=(1500, 2))
    sites = rng.uniform(0, 6000, size=(300, 2))
    from yanglao.planning import spatial

    cover = spatial.coverage_matrix(demand, sites, 500.0)
    weights = rng.integers(1, 4, 1500).astype(float)
    sol = siting.max_cover(cover, weights, 12, time_limit=30)
    trace = sol.stats["trace"]
    assert len(trace) >= 2
    seconds = [t for t, _v, _b in trace]
    values = [v for _t, v, _b in trace]
    bounds = [b for _t, _v, b in trace]
    assert seconds == sorted(seconds) and values == sorted(values)
    assert bounds == sorted(bounds, reverse=True)
    assert all(v <= b + 1e-9 for v, b in zip(values, bounds, strict=True))
    assert trace[-1][1:] == (sol.objective, sol.bound)
