"""planning.siting against brute force on small random instances, and the reductions."""

import itertools
from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from yanglao.planning import siting


@st.composite
def instances(draw, *, max_m=12, max_n=40):
    m = draw(st.integers(1, max_m))
    n = draw(st.integers(1, max_n))
    rows = draw(st.lists(st.lists(st.integers(0, m - 1), max_size=4), min_size=n, max_size=n))
    weights = draw(st.lists(st.integers(0, 9), min_size=n, max_size=n))
    dense = np.zeros((n, m), dtype=bool)
    for i, row in enumerate(rows):
        dense[i, row] = True
    return dense, np.array(weights, dtype=np.float64)


def covered_weight(dense, weights, chosen):
    if not len(chosen):
        return 0.0
    return float(weights[dense[:, list(chosen)].any(axis=1)].sum())


def brute_max_cover(dense, weights, p, costs=None, budget=None, fixed=()):
    m = dense.shape[1]
    best = 0.0
    others = [j for j in range(m) if j not in fixed]
    for k in range(0, p - len(fixed) + 1):
        for extra in itertools.combinations(others, k):
            picks = list(fixed) + list(extra)
            if costs is not None and costs[picks].sum() > budget + 1e-9:
                continue
            best = max(best, covered_weight(dense, weights, picks))
    return best


def brute_set_cover(dense, weights, share, costs=None):
    m = dense.shape[1]
    target = share * weights.sum()
    best = None
    for k in range(0, m + 1):
        for picks in itertools.combinations(range(m), k):
            if covered_weight(dense, weights, picks) >= target - 1e-9:
                value = k if costs is None else float(costs[list(picks)].sum())
                best = value if best is None else min(best, value)
    return best


def check_solution(sol, dense, weights, p, costs=None, budget=None, fixed=()):
    assert len(sol.chosen) == len(set(sol.chosen)) <= p
    assert set(fixed) <= set(sol.chosen)
    assert sol.chosen[: len(fixed)] == list(fixed)
    assert sol.objective == pytest.approx(covered_weight(dense, weights, sol.chosen))
    assert sum(sol.marginal) == pytest.approx(sol.objective)
    assert all(m >= 0 for m in sol.marginal)
    if costs is not None:
        assert costs[sol.chosen].sum() <= budget + 1e-9


@settings(max_examples=120, deadline=None)
@given(data=instances(), p=st.integers(1, 12))
def test_max_cover_matches_brute_force(data, p):
    dense, weights = data
    p = min(p, dense.shape[1])
    best = brute_max_cover(dense, weights, p)
    sol = siting.max_cover(sparse.csr_matrix(dense), weights, p, time_limit=5)
    check_solution(sol, dense, weights, p)
    assert sol.bound >= best - 1e-9
    assert best >= sol.objective - 1e-9
    if sol.gap == 0:
        assert sol.objective == pytest.approx(best)


@settings(max_examples=80, deadline=None)
@given(
    data=instances(max_m=9), p=st.integers(1, 9), cost_seed=st.integers(0, 10_000), budget=st.integers(1, 15)
)
def test_budgeted_max_cover_matches_brute_force(data, p, cost_seed, budget):
    dense, weights = data
    m = dense.shape[1]
    p = min(p, m)
    costs = np.random.default_rng(cost_seed).integers(1, 6, m).astype(np.float64)
    best = brute_max_cover(dense, weights, p, costs, budget)
    sol = siting.max_cover(dense, weights, p, costs=costs, budget=budget, time_limit=5)
    check_solution(sol, dense, weights, p, costs, budget)
    assert sol.bound >= best - 1e-9 >= sol.objective - 2e-9
    if sol.gap == 0:
        assert sol.objective == pytest.approx(best)


@settings(max_examples=60, deadline=None)
@given(data=instances(max_m=10), p=st.integers(1, 10), pick=st.sets(st.integers(0, 9), max_size=3))
def test_fixed_sites_are_kept_and_counted(data, p, pick):
    dense, weights = data
    m = dense.shape[1]
    fixed = sorted(j for j in pick if j < m)
    p = max(min(p, m), len(fixed))
    best = brute_max_cover(dense, weights, p, fixed=fixed)
    sol = siting.max_cover(dense, weights, p, fixed=fixed, time_limit=5)
    check_solution(sol, dense, weights, p, fixed=fixed)
    assert sol.bound >= best - 1e-9 >= sol.objective - 2e-9
    if sol.gap == 0:
        assert sol.objective == pytest.approx(best)


@settings(max_examples=80, deadline=None)
@given(data=instances(max_m=10), share=st.sampled_from([0.2, 0.5, 0.8, 0.95, 1.0]))
def test_set_cover_matches_brute_force(data, share):
    dense, weights = data
    reachable = covered_weight(dense, weights, range(dense.shape[1]))
    if reachable < share * weights.sum() - 1e-9:
        with pytest.raises(siting.Infeasible):
            siting.set_cover(dense, weights, share, time_limit=5)
        return
    best = brute_set_cover(dense, weights, share)
    sol = siting.set_cover(dense, weights, share, time_limit=5)
    assert sol.covered == pytest.approx(covered_weight(dense, weights, sol.chosen))
    assert sol.covered >= share * weights.sum() - 1e-7
    assert sol.objective == len(sol.chosen)
    assert sol.bound <= best + 1e-9 <= sol.objective + 1e-9
    if sol.gap == 0:
        assert sol.objective == best


@settings(max_examples=50, deadline=None)
@given(data=instances(max_m=8), share=st.sampled_from([0.3, 0.6, 0.9]), cost_seed=st.integers(0, 10_000))
def test_set_cover_with_costs_matches_brute_force(data, share, cost_seed):
    dense, weights = data
    costs = np.random.default_rng(cost_seed).integers(1, 6, dense.shape[1]).astype(np.float64)
    if covered_weight(dense, weights, range(dense.shape[1])) < share * weights.sum() - 1e-9:
        return
    best = brute_set_cover(dense, weights, share, costs)
    sol = siting.set_cover(dense, weights, share, costs=costs, time_limit=5)
    assert sol.objective == pytest.approx(float(costs[sol.chosen].sum()))
    assert sol.covered >= share * weights.sum() - 1e-7
    assert sol.bound <= best + 1e-9 <= sol.objective + 1e-9
    if sol.gap == 0:
        assert sol.objective == pytest.approx(best)


@settings(max_examples=80, deadline=None)
@given(data=instances(), p=st.integers(1, 6), cost_seed=st.integers(0, 10_000))
def test_reductions_never_change_the_optimum(data, p, cost_seed):
    dense, weights = data
    m = dense.shape[1]
    p = min(p, m)
    costs = np.random.default_rng(cost_seed).integers(1, 4, m).astype(np.float64)
    budget = float(costs.sum()) / 2
    red = siting.reduce(dense, weights, costs=costs)
    reduced = red.cover.toarray()
    # Merged rows are distinct; every kept column covers something; weights are all kept.
    assert len({tuple(r) for r in reduced.tolist()}) == len(reduced)
    assert reduced.any(axis=0).all() if reduced.size else True
    assert red.weights.sum() + red.base == pytest.approx(covered_weight(dense, weights, range(m)))
    original = brute_max_cover(dense, weights, p, costs, budget)
    kept_costs = red.costs if red.costs is not None else np.zeros(0)
    after = brute_max_cover(reduced, red.weights, min(p, reduced.shape[1]), kept_costs, budget) + red.base
    assert after == pytest.approx(original)


def test_reduce_merges_rows_and_drops_dominated_and_uncovered():
    dense = np.array(
        [
            [1, 1, 0, 0],
            [1, 1, 0, 0],  # the same set as row 0: merged
            [0, 1, 0, 0],
            [0, 0, 0, 0],  # covered by nothing: dropped
            [0, 0, 1, 1],
        ],
        dtype=bool,
    )
    weights = np.array([2.0, 3.0, 1.0, 7.0, 4.0])
    red = siting.reduce(dense, weights)
    # Column 0 ⊂ column 1 (dropped); columns 2 and 3 are the same set: the lower index stays.
    assert red.columns.tolist() == [1, 2]
    assert sorted(red.weights.tolist()) == [4.0, 6.0]
    assert red.total == 17.0
    # With costs, a dominating column must not be dearer.
    red = siting.reduce(dense, weights, costs=[1.0, 5.0, 3.0, 2.0])
    assert red.columns.tolist() == [0, 1, 3]


def test_fixed_site_coverage_counts_and_ordering_gives_marginals():
    dense = np.array([[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1], [0, 0, 1]], dtype=bool)
    weights = np.array([5.0, 1.0, 2.0, 1.0, 1.0])
    sol = siting.max_cover(dense, weights, 2, fixed=[0])
    assert sol.chosen == [0, 1] and sol.marginal == [6.0, 2.0]
    assert sol.objective == 8.0 and sol.gap == 0 and sol.bound == 8.0
    sol = siting.max_cover(dense, weights, 3)
    assert sol.chosen == [0, 1, 2] and sol.marginal == [6.0, 2.0, 2.0]


def test_bad_arguments_are_refused():
    dense = np.eye(3, dtype=bool)
    with pytest.raises(ValueError):
        siting.max_cover(dense, [1, 2], 1)
    with pytest.raises(ValueError):
        siting.max_cover(dense, [1, -2, 1], 1)
    with pytest.raises(ValueError):
        siting.max_cover(dense, [1, 1, 1], 1, fixed=[0, 1])
    with pytest.raises(ValueError):
        siting.max_cover(dense, [1, 1, 1], 2, budget=3)
    with pytest.raises(ValueError):
        siting.set_cover(dense, [1, 1, 1], 1.5)
    with pytest.raises(ValueError):
        siting.set_cover(dense, [1, 1, 1], float("nan"))
    nothing = siting.set_cover(dense, [1, 1, 1], -0.1)  # a residual share already reached
    assert nothing.chosen == [] and nothing.objective == 0 and nothing.gap == 0
    with pytest.raises(siting.Infeasible) as caught:
        siting.set_cover(np.array([[1, 0], [0, 0]], dtype=bool), [1, 1], 0.8)
    assert caught.value.reachable == pytest.approx(0.5)


def test_a_larger_clustered_instance_is_solved_with_a_small_proven_gap():
    rng = np.random.default_rng(5)
    centres = rng.uniform(0, 20_000, size=(40, 2))
    demand = centres[rng.integers(0, 40, 4000)] + rng.normal(0, 500, size=(4000, 2))
    cand = centres[rng.integers(0, 40, 400)] + rng.normal(0, 800, size=(400, 2))
    from yanglao.planning import spatial

    cover = spatial.coverage_matrix(demand, cand, 800)
    weights = rng.integers(1, 4, 4000).astype(np.float64)
    sol = siting.max_cover(cover, weights, 25, time_limit=5)
    greedy = siting._lazy_greedy(siting._Instance(siting.reduce(cover, weights)), 25, None, ratio=False)[1]
    assert sol.objective >= greedy
    assert sol.gap <= 0.01
    assert sol.objective == pytest.approx(float(weights[cover[:, sol.chosen].toarray().any(axis=1)].sum()))
    assert sol.seconds < 8


@settings(max_examples=60, deadline=None)
@given(data=instances(), p=st.integers(1, 12), share=st.sampled_from([0.3, 0.7, 1.0]))
def test_without_the_mip_the_bounds_still_hold(data, p, share):
    """Instances too large for the MIP get greedy + swap + the Lagrangian bound: still valid."""
    dense, weights = data
    p = min(p, dense.shape[1])
    best = brute_max_cover(dense, weights, p)
    with patch.object(siting, "MIP_MAX_NNZ", -1):
        sol = siting.max_cover(dense, weights, p, time_limit=2)
        check_solution(sol, dense, weights, p)
        assert sol.bound >= best - 1e-9 >= sol.objective - 2e-9
        if covered_weight(dense, weights, range(dense.shape[1])) < share * weights.sum() - 1e-9:
            return
        fewest = brute_set_cover(dense, weights, share)
        cover = siting.set_cover(dense, weights, share, time_limit=2)
    assert "highs" not in sol.method and "highs" not in cover.method
    assert cover.covered >= share * weights.sum() - 1e-7
    assert cover.bound <= fewest <= cover.objective == len(cover.chosen)
