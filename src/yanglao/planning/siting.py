"""Site selection: maximal covering, set covering and their budgeted variants (pure computation).

The input is a boolean coverage matrix ``cover`` (n demand points × m candidate sites, scipy sparse,
e.g. from ``spatial.coverage_matrix``) and a weight per demand point (elders, or elders of a kind).

``max_cover``: choose at most ``p`` sites (within ``budget`` when costs are given, always including
the ``fixed`` ones, which count toward ``p`` and the budget) covering the most weight.
``set_cover``: the fewest sites (or the least total cost) covering at least ``share`` of the weight.

How (every step keeps the optimum exact):
1. reduce — drop demand of weight 0, demand covered by a fixed site (its weight is counted as
   covered) and demand no candidate covers; merge demand points with identical coverage sets
   (weights summed); drop candidates covering nothing left and candidates dominated by another
   (coverage a subset, cost ≤; identical ones keep the cheaper, then the lower index).
2. primal — lazy greedy (a priority queue of marginal gains; by gain per cost with a budget, also
   by plain gain, keeping the better), then best-improvement 1-swap local search. Then, on models
   small enough for the LP (LP_FIRST_MAX_NNZ, no budget), the merge search: roundings of an
   (approximate, then the exact) LP solution improved by swaps, merged by solving the instance
   restricted to their sites exactly. Otherwise a second start from the Lagrangian heuristic's
   sites and iterated local search (drop ~10 %, refill, swap).
3. bound — Lagrangian relaxation of the coverage constraints (subgradient with Polyak steps), whose
   limit is the LP bound. Then Lagrangian variable fixing (sites that cannot be in / out of a
   better solution, by the bound with that site forced) shrinks the instance; if what is left is
   small enough, the duals of its LP relaxation (HiGHS interior point) are better multipliers: the
   bound drops to the LP bound and a second fixing round closes more sites. HiGHS then solves what
   is left as a MIP, warm-started, with the remaining time; its proven dual bound is kept when
   better. With integer weights the bound is rounded down.
   ``Solution.stats["trace"]`` lists (seconds, objective, bound) whenever either moved.
   gap = (bound − objective) / bound (0 = proven optimal). set_cover: greedy to the share, prune,
   then one site fewer at a time while swaps keep the share; bound from the HiGHS MIP, or the
   smallest k whose max_cover Lagrangian bound reaches the share.
Times: ``time_limit`` is the whole budget (±10 %); the answer is the best found by then.
"""

from __future__ import annotations

import heapq
import math
import os
import sys
import time
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

# What is left after the reductions (and the Lagrangian fixing) goes to the HiGHS MIP when it has
# at most this many demand×candidate pairs. Measured (bench/siting.py, 2 busy cores): 100,000 ×
# 5,000 fixes down to ~20k pairs and HiGHS proves it in ~2 s; 1,000,000 × 20,000 to ~250. The
# hardness is the LP gap more than the size: 5,000 × 1,000 (45k pairs, LP gap 0.2 %) takes HiGHS
# 14–40 s, so within a short limit the MIP only narrows the gap. Larger models are not built: the
# LP alone would take longer than the limits of the issue.
MIP_MAX_NNZ = 150_000
# Up to this many pairs the LP relaxation is solved right away, without the full subgradient and its
# fixing first: 45k–65k pairs (bench small, seeds 7–12) take HiGHS's interior point 0.35–0.85 s,
# while the 130k of bench medium unfixed took 6.4 s (the fixing leaves it ~20k).
LP_FIRST_MAX_NNZ = 100_000
_EPS = 1e-9
# Iterated local search stops after this many rounds without improvement (or at its time cap), so
# that a generous time limit does not make it run longer for nothing. Bench small, seeds 0–3: all but
# one improvement came within 150 rounds of the one before (≤ 1,200 rounds run); a round is ~5 ms.
ILS_STALL = 150
# The merge search (see _merge_search): LP roundings per round (all merged), seconds per restricted
# MIP, rounds without improvement before it stops. Bench small (755 sites, p = 40): a round takes
# ~0.1 s, the union holds 60–110 sites; 8 seeds reached the optimum in 0.10–0.33 s (median 0.14).
MERGE_SAMPLES = 8
# _best_swap builds the sites × candidates table densely up to this many cells (8 MB).
DENSE_SWAP_CELLS = 1 << 20
MERGE_MIP_SECONDS = 1.0
MERGE_STALL = 4
# Subgradient iterations whose average site choice feeds the merge search on small instances
# (bench small: 400 take 0.08 s; from 200 on the merge search reaches the optimum as often).
QUICK_SUBGRADIENT_ITERATIONS = 400
# Of the time left after the LP, the share the merge search may use (the MIP gets the rest).
MERGE_SHARE = 0.3
MERGE_MIN_SECONDS = 1.0


class Infeasible(ValueError):
    """The share asked for cannot be reached even with every candidate."""

    def __init__(self, reachable: float):
        self.reachable = reachable
        super().__init__(f"即使选用全部候选点，最多也只能覆盖 {reachable:.1%}")


@dataclass
class Solution:
    chosen: list[int]
    objective: float
    bound: float
    gap: float
    method: str
    seconds: float
    marginal: list[float]
    covered: float = 0.0  # weight covered by the chosen sites (= objective for max_cover)
    stats: dict = field(default_factory=dict)


@dataclass
class Reduced:
    """The reduced instance: rows = merged demand groups, columns = kept candidates."""

    cover: sparse.csr_matrix  # n' × m' bool
    weights: np.ndarray  # n' float64
    columns: np.ndarray  # m' original candidate indices
    costs: np.ndarray | None  # m' or None
    base: float  # weight covered by the fixed sites
    total: float  # all the weight given
    stats: dict

    @property
    def nnz(self) -> int:
        return int(self.cover.nnz)


# ----------------------------------------------------------------------------------------------
# Reductions


def _as_csr(cover) -> sparse.csr_matrix:
    matrix = sparse.csr_matrix(cover, dtype=bool)
    matrix.eliminate_zeros()
    matrix.sum_duplicates()
    matrix.sort_indices()
    return matrix


def _merge_rows(cover: sparse.csr_matrix, weights: np.ndarray) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Merge rows with identical column sets (weights summed). Hash, then verify every member."""
    n, m = cover.shape
    if n <= 1:
        return cover, weights
    rng = np.random.default_rng(12345)
    keys = rng.integers(1, np.iinfo(np.int64).max, size=(2, m), dtype=np.int64).view(np.uint64)
    lengths = np.diff(cover.indptr)
    starts = cover.indptr[:-1]
    h = np.zeros((2, n), dtype=np.uint64)
    if cover.nnz:
        nonempty = lengths > 0
        for k in range(2):
            with np.errstate(over="ignore"):
                sums = np.add.reduceat(keys[k][cover.indices], starts[nonempty])
            h[k][nonempty] = sums
    table = np.empty(n, dtype=[("a", np.uint64), ("b", np.uint64), ("n", np.int64)])
    table["a"], table["b"], table["n"] = h[0], h[1], lengths
    _, first, group = np.unique(table, return_index=True, return_inverse=True)
    group = group.ravel()
    representative = first[group]
    # Verify: each row's indices equal its representative's (same length by construction).
    same = np.ones(n, dtype=bool)
    moved = np.flatnonzero(representative != np.arange(n))
    if len(moved):
        lens = lengths[moved]
        offsets = np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens)
        mine = cover.indices[np.repeat(starts[moved], lens) + offsets]
        theirs = cover.indices[np.repeat(starts[representative[moved]], lens) + offsets]
        bad = np.zeros(len(moved), dtype=bool)
        mismatch = mine != theirs
        if mismatch.any():
            np.logical_or.at(bad, np.repeat(np.arange(len(moved)), lens)[mismatch], True)
            same[moved[bad]] = False
    # Rows that failed verification (a hash collision: practically never) keep a group of their own.
    group = group.astype(np.int64)
    n_groups = int(group.max()) + 1 if n else 0
    loners = np.flatnonzero(~same)
    group[loners] = n_groups + np.arange(len(loners))
    n_groups += len(loners)
    merged_w = np.bincount(group, weights=weights, minlength=n_groups)
    rep = np.zeros(n_groups, dtype=np.int64)
    rep[group[::-1]] = np.arange(n)[::-1]  # the first row of each group
    return cover[rep], merged_w


def _dominated(cover: sparse.csr_matrix, costs: np.ndarray | None, limit: int) -> np.ndarray | None:
    """Boolean mask of candidate columns dominated by another (None when the check is too large)."""
    m = cover.shape[1]
    lengths = np.diff(cover.indptr).astype(np.int64)
    if int((lengths * lengths).sum()) > limit:
        return None
    c = cover.astype(np.int32)
    overlap = (c.T @ c).tocoo()
    size = np.asarray(c.sum(axis=0)).ravel()
    j, k, shared = overlap.row, overlap.col, overlap.data
    cost = np.zeros(m) if costs is None else costs
    mask = (shared == size[j]) & (j != k) & (cost[k] <= cost[j])
    mask &= (size[k] > size[j]) | (cost[k] < cost[j]) | (k < j)
    out = np.zeros(m, dtype=bool)
    out[j[mask]] = True
    return out


def reduce(
    cover,
    weights,
    *,
    fixed=(),
    costs=None,
    merge: bool = True,
    dominance: bool = True,
    dominance_limit: int = 60_000_000,
) -> Reduced:
    """The exactness-preserving reductions described in the module docstring."""
    started = time.perf_counter()
    matrix = _as_csr(cover)
    n, m = matrix.shape
    w = np.asarray(weights, dtype=np.float64).ravel()
    if w.shape != (n,):
        raise ValueError("权重个数应与需求点个数一致")
    if not np.all(np.isfinite(w)) or np.any(w < 0):
        raise ValueError("权重应为非负有限数")
    cost = None
    if costs is not None:
        cost = np.asarray(costs, dtype=np.float64).ravel()
        if cost.shape != (m,) or not np.all(np.isfinite(cost)) or np.any(cost < 0):
            raise ValueError("费用应为每个候选点一个非负有限数")
    fixed_idx = np.asarray(list(fixed), dtype=np.int64)
    if len(fixed_idx) and (
        fixed_idx.min() < 0 or fixed_idx.max() >= m or len(set(fixed_idx.tolist())) != len(fixed_idx)
    ):
        raise ValueError("固定站点编号无效或重复")
    total = float(w.sum())
    keep = w > 0
    base = 0.0
    if len(fixed_idx):
        by_fixed = np.asarray(matrix[:, fixed_idx].sum(axis=1)).ravel() > 0
        base = float(w[by_fixed].sum())
        keep &= ~by_fixed
    keep &= np.diff(matrix.indptr) > 0
    stats = {"demand": n, "candidates": m, "demand_kept": int(keep.sum())}
    matrix = matrix[np.flatnonzero(keep)]
    w = w[keep]
    columns = np.arange(m)
    col_keep = np.ones(m, dtype=bool)
    col_keep[fixed_idx] = False
    col_keep &= np.asarray(matrix.sum(axis=0)).ravel() > 0
    matrix = matrix[:, np.flatnonzero(col_keep)].tocsr()
    columns = columns[col_keep]
    cost = cost[col_keep] if cost is not None else None
    if merge and matrix.shape[0] > 1:
        matrix, w = _merge_rows(matrix, w)
    stats["demand_groups"] = matrix.shape[0]
    if dominance and matrix.shape[1] > 1:
        dominated = _dominated(matrix, cost, dominance_limit)
        if dominated is not None and dominated.any():
            keep_cols = np.flatnonzero(~dominated)
            matrix = matrix[:, keep_cols].tocsr()
            columns = columns[keep_cols]
            cost = cost[keep_cols] if cost is not None else None
            if merge and matrix.shape[0] > 1:
                matrix, w = _merge_rows(matrix, w)
        stats["dominance_checked"] = dominated is not None
    matrix.sort_indices()
    stats["candidates_kept"] = len(columns)
    stats["demand_groups"] = matrix.shape[0]
    stats["nnz"] = int(matrix.nnz)
    stats["reduce_seconds"] = round(time.perf_counter() - started, 4)
    return Reduced(matrix, w, columns, cost, base, total, stats)


# ----------------------------------------------------------------------------------------------
# Primal heuristics on the reduced instance


class _Instance:
    def __init__(self, red: Reduced):
        self.C = red.cover  # n × m csr
        self.T = red.cover.T.tocsr()  # m × n: the rows each candidate covers
        self.w = red.weights
        self.cost = red.costs
        self.n, self.m = red.cover.shape

    def rows_of(self, j: int) -> np.ndarray:
        return self.T.indices[self.T.indptr[j] : self.T.indptr[j + 1]]

    def value(self, chosen) -> float:
        if len(chosen) == 0:
            return 0.0
        rows = np.unique(self.T[list(chosen)].indices)
        return float(self.w[rows].sum())

    def spent(self, chosen) -> float:
        return float(self.cost[list(chosen)].sum()) if self.cost is not None and len(chosen) else 0.0


def _lazy_greedy(inst: _Instance, p: int, budget: float | None, *, ratio: bool, target: float | None = None):
    """Pick up to p sites by marginal gain (per cost when ``ratio``); stop at ``target`` weight."""
    covered = np.zeros(inst.n, dtype=bool)
    gains = inst.T @ inst.w
    cost = inst.cost
    heap = []
    for j in range(inst.m):
        if gains[j] <= 0:
            continue
        key = gains[j] / max(cost[j], _EPS) if (ratio and cost is not None) else gains[j]
        heap.append((-key, j))
    heapq.heapify(heap)
    chosen: list[int] = []
    marginal: list[float] = []
    spent = 0.0
    value = 0.0
    while heap and len(chosen) < p:
        if target is not None and value >= target - _EPS:
            break
        _key, j = heapq.heappop(heap)
        if budget is not None and cost is not None and spent + cost[j] > budget + _EPS:
            continue  # spending only grows: it never fits again
        rows = inst.rows_of(j)
        fresh = rows[~covered[rows]]
        gain = float(inst.w[fresh].sum())
        if gain <= 0:
            continue
        key = gain / max(cost[j], _EPS) if (ratio and cost is not None) else gain
        if heap and key < -heap[0][0] - 1e-12 * max(1.0, key):
            heapq.heappush(heap, (-key, j))
            continue
        covered[fresh] = True
        chosen.append(j)
        marginal.append(gain)
        value += gain
        if cost is not None:
            spent += cost[j]
    return chosen, value


def _swap_search(
    inst: _Instance,
    chosen: list[int],
    p: int,
    budget: float | None,
    deadline: float,
    *,
    target: float | None = None,
):
    """Best-improvement 1-swap (and add, while sites or budget are left) until no move improves.
    Without a budget: _swaps_by_count."""
    if budget is None or inst.cost is None:
        return _swaps_by_count(inst, chosen, p, deadline, target=target)
    chosen = list(chosen)
    w, C, T, cost = inst.w, inst.C, inst.T, inst.cost
    scale = max(float(w.sum()), 1.0)
    moves = 0
    while time.perf_counter() < deadline and chosen:
        is_chosen = np.zeros(inst.m, dtype=bool)
        is_chosen[chosen] = True
        sub = C[:, chosen].tocsr()
        count = np.diff(sub.indptr)
        if target is not None and float(w[count > 0].sum()) >= target - 1e-9 * max(1.0, target):
            break  # reached what the caller needs
        uncovered = np.where(count == 0, w, 0.0)
        gain = T @ uncovered
        gain[is_chosen] = -np.inf
        spent = inst.spent(chosen)
        # An addition when a site (and the budget) is left.
        if len(chosen) < p:
            ok = gain > 0
            if budget is not None and cost is not None:
                ok &= cost <= budget - spent + _EPS
            if ok.any():
                j = int(np.argmax(np.where(ok, gain, -np.inf)))
                chosen.append(j)
                moves += 1
                continue
        ones = np.flatnonzero(count == 1)
        owner = sub.indices[sub.indptr[ones]]
        loss = np.bincount(owner, weights=w[ones], minlength=len(chosen))
        back = sparse.csr_matrix((w[ones], (owner, ones)), shape=(len(chosen), inst.n)) @ C
        back = back.tocoo()
        best_delta = 1e-9 * scale
        best = None
        back_csr = back.tocsr()
        for s in range(len(chosen)):
            room = budget - spent + cost[chosen[s]] + _EPS
            total = gain.copy()
            lo, hi = back_csr.indptr[s], back_csr.indptr[s + 1]
            total[back_csr.indices[lo:hi]] += back_csr.data[lo:hi]
            total[cost > room] = -np.inf
            j = int(np.argmax(total))
            delta = total[j] - loss[s]
            if np.isfinite(delta) and delta > best_delta:
                best_delta, best = delta, (s, j)
        if best is None:
            break
        s, j = best
        chosen[s] = j
        moves += 1
    return chosen, moves


def _swaps_by_count(
    inst: _Instance,
    chosen: list[int],
    p: int,
    deadline: float,
    *,
    target: float | None = None,
):
    """_swap_search without a budget, on plain arrays kept up to date move by move.

    count[i] = chosen sites covering row i; for a row covered once, ``owner_sum`` (the sum of the
    positions of the sites covering it) is its one site. A swap s → j gains gain_j + back[s, j] −
    loss_s: gain_j the uncovered weight j covers, loss_s the weight only s covers, back[s, j] the
    part of that j covers too. ~0.2 ms a move on bench small (scipy.sparse's per-call overhead made
    the matrix version ~2 ms, and the merge search runs thousands of moves).
    """
    w, C, T = inst.w, inst.C, inst.T
    n, m = inst.n, inst.m
    chosen = [int(j) for j in dict.fromkeys(chosen)]
    scale = max(float(w.sum()), 1.0)
    count = np.zeros(n, dtype=np.int64)
    owner_sum = np.zeros(n, dtype=np.int64)

    def cover(j: int, position: int, sign: int) -> None:
        rows = T.indices[T.indptr[j] : T.indptr[j + 1]]
        count[rows] += sign
        owner_sum[rows] += sign * position

    for position, j in enumerate(chosen):
        cover(j, position, 1)
    moves = 0
    while time.perf_counter() < deadline and chosen:
        if target is not None and float(w[count > 0].sum()) >= target - 1e-9 * max(1.0, target):
            break  # reached what the caller needs
        gain = T @ np.where(count == 0, w, 0.0)
        gain[chosen] = -np.inf
        if len(chosen) < p:
            j = int(np.argmax(gain))
            if gain[j] > 0:
                cover(j, len(chosen), 1)
                chosen.append(j)
                moves += 1
                continue
        k = len(chosen)
        ones = np.flatnonzero(count == 1)
        owner = owner_sum[ones]
        loss = np.bincount(owner, weights=w[ones], minlength=k)
        starts, ends = C.indptr[ones], C.indptr[ones + 1]
        lens = ends - starts
        flat = np.repeat(starts - np.cumsum(lens) + lens, lens) + np.arange(int(lens.sum()))
        s, j, delta = _best_swap(
            gain, loss, np.repeat(owner, lens) * m + C.indices[flat], np.repeat(w[ones], lens), k, m
        )
        if not (np.isfinite(delta) and delta > 1e-9 * scale):
            break
        cover(chosen[s], s, -1)
        cover(j, s, 1)
        chosen[s] = j
        moves += 1
    return chosen, moves


def _best_swap(gain, loss, keys, weights, k: int, m: int, *, dense_cells: int = DENSE_SWAP_CELLS):
    """The swap (position s out, site j in) maximising gain_j + back[s, j] − loss_s, where back[s, j]
    sums ``weights`` over ``keys`` = s·m + j; (s, j, delta)."""
    if k * m <= dense_cells:
        back = np.bincount(keys, weights=weights, minlength=k * m).reshape(k, m)
        delta = back + gain[None, :] - loss[:, None]
        s, j = divmod(int(np.argmax(delta)), m)
        return s, j, float(delta[s, j])
    # Large k × m: only the pairs that share a row; any other pair is worth at most the best gain.
    s = int(np.argmin(loss))
    j = int(np.argmax(gain))
    delta = float(gain[j] - loss[s])
    if len(keys):
        order = np.argsort(keys, kind="stable")
        pairs, first = np.unique(keys[order], return_index=True)
        back = np.add.reduceat(weights[order], first)
        ps, pj = np.divmod(pairs, m)
        values = gain[pj] + back - loss[ps]
        at = int(np.argmax(values))
        if values[at] > delta:
            s, j, delta = int(ps[at]), int(pj[at]), float(values[at])
    return s, j, delta


def _iterated_swaps(
    inst: _Instance,
    chosen: list[int],
    p: int,
    deadline: float,
    upper: float,
    seed: int = 0,
    stall: int = ILS_STALL,
):
    """Iterated local search: drop ~10 % of the sites (kept out of the refill), refill greedily, swap;
    keep the best. Stops after ``stall`` rounds without improvement, at the deadline or on reaching
    ``upper``; returns (sites, value, rounds)."""
    rng = np.random.default_rng(seed)
    best, best_value = list(chosen), inst.value(chosen)
    rounds = last = 0
    while (
        time.perf_counter() < deadline
        and best_value < upper - 1e-9
        and len(best) > 1
        and rounds - last < stall
    ):
        rounds += 1
        drop = set(rng.choice(len(best), size=max(2, len(best) // 10), replace=False).tolist())
        trial = [j for k, j in enumerate(best) if k not in drop]
        banned = [j for k, j in enumerate(best) if k in drop]
        hit = np.zeros(inst.n, dtype=bool)
        if trial:
            hit[np.unique(inst.T[trial].indices)] = True
        while len(trial) < p:
            gain = inst.T @ np.where(hit, 0.0, inst.w)
            gain[trial + banned] = -1.0
            j = int(np.argmax(gain))
            if gain[j] <= 0:
                break
            trial.append(j)
            hit[inst.rows_of(j)] = True
        trial, _moves = _swap_search(inst, trial, p, None, deadline)
        value = inst.value(trial)
        if value > best_value:
            best, best_value, last = trial, value, rounds
    return best, best_value, rounds


def _rounded(rng: np.random.Generator, x: np.ndarray, p: int) -> list[int]:
    """At most p distinct sites, site j drawn with probability x_j (systematic sampling in a
    random order: dependent rounding of the LP solution)."""
    order = rng.permutation(len(x))
    total = np.cumsum(x[order])
    marks = rng.random() + np.arange(p)
    marks = marks[marks < total[-1]] if len(total) else marks[:0]
    return np.unique(order[np.searchsorted(total, marks, side="right")]).tolist()


def _merge_search(
    inst: _Instance,
    p: int,
    x: np.ndarray,
    chosen: list[int],
    value: float,
    upper: float,
    deadline: float,
    *,
    seed: int = 0,
    on_better=None,
):
    """Primal from the LP solution ``x``: construct, merge, solve.

    Each round rounds ``x`` a few times and improves each rounding by swaps; HiGHS then solves the
    instance restricted to the sites of those solutions and of the best so far exactly (a few dozen
    sites beyond p: tens of milliseconds). That combines solutions differing in many sites, which
    swaps and iterated local search do not (bench small: they stall 7 sites from the optimum).
    Merging each round's fresh solutions rather than the best ever seen keeps the union from
    collapsing onto one local optimum (bench small, 8 seeds: optimum in all, vs 5 of 8 with the best
    of the whole pool). Stops at ``upper``, the deadline, or after MERGE_STALL rounds without
    improvement; returns (sites, value, rounds).
    """
    rng = np.random.default_rng(seed)
    best, best_value = list(chosen), value
    merges = fails = 0
    while time.perf_counter() < deadline and best_value < upper - 1e-9 and fails < MERGE_STALL:
        fresh = []
        improved = False
        for _ in range(MERGE_SAMPLES):
            trial, _moves = _swap_search(inst, _rounded(rng, x, p), p, None, deadline)
            fresh.append(trial)
            got = inst.value(trial)
            if got > best_value + 1e-9:
                best, best_value, improved = list(trial), got, True
        if improved and on_better is not None:
            on_better(best_value)
        union = np.array(sorted(set(best).union(*fresh)), dtype=np.int64)
        sub_red = reduce(inst.C[:, union], inst.w)
        sub, cols = _Instance(sub_red), union[sub_red.columns]
        position = {int(j): k for k, j in enumerate(cols)}
        start = [position[j] for j in best if j in position]
        seconds = min(deadline - time.perf_counter(), MERGE_MIP_SECONDS)
        if seconds <= 0:
            break
        # Presolve off: on these small restricted models it is half of HiGHS's time and finds little.
        # (_mip_max_cover gives HiGHS 90 % of what it is passed: pass seconds / 0.9 for ``seconds``.)
        picks, _bound, _optimal = _mip_max_cover(
            sub, min(p, sub.m), None, start if len(start) == len(best) else [], seconds / 0.9, presolve=False
        )
        merges += 1
        picks = [int(cols[k]) for k in picks]
        got = inst.value(picks) if picks else -1.0
        if got > best_value + 1e-9 and len(picks) <= p:
            best, best_value, improved = picks, got, True
            if on_better is not None:
                on_better(best_value)
        fails = 0 if improved else fails + 1
    return best, best_value, merges


# ----------------------------------------------------------------------------------------------
# Bounds


def _top_value(
    v: np.ndarray, p: int, cost: np.ndarray | None, budget: float | None
) -> tuple[float, np.ndarray]:
    """max Σ v_j x_j over 0 ≤ x ≤ 1, Σ x ≤ p (and a valid upper bound with Σ c x ≤ budget)."""
    m = len(v)
    k = min(p, m)
    x = np.zeros(m)
    if k <= 0:
        return 0.0, x
    positive = np.maximum(v, 0.0)
    idx = np.argpartition(-positive, k - 1)[:k] if k < m else np.arange(m)
    x[idx] = 1.0
    value = float(positive[idx].sum())
    if budget is not None and cost is not None:
        # Fractional knapsack is also an upper bound; the smaller of the two is valid.
        ratio = positive / np.maximum(cost, _EPS)
        order = np.argsort(-ratio)
        spend = np.cumsum(cost[order])
        full = spend <= budget
        knap = float(positive[order][full].sum())
        nxt = int(full.sum())
        if nxt < m:
            left = budget - (spend[nxt - 1] if nxt else 0.0)
            knap += positive[order[nxt]] * max(0.0, left) / max(cost[order[nxt]], _EPS)
        if knap < value:
            value = knap
            x = np.zeros(m)
            x[order[full]] = 1.0
            if nxt < m:
                x[order[nxt]] = max(0.0, budget - (spend[nxt - 1] if nxt else 0.0)) / max(
                    cost[order[nxt]], _EPS
                )
    return value, x


def _lagrangian(
    inst: _Instance,
    p: int,
    budget: float | None,
    lower: float,
    deadline: float,
    max_iter: int = 3000,
    *,
    integral: bool = False,
) -> tuple[float, int, list[int], float]:
    """An upper bound on the reduced max-cover optimum: min over λ of the Lagrangian dual.

    Also a primal on the way (the Lagrangian heuristic: the p best sites by λ-weighted coverage) and
    the average of the subproblems' site choices over the latest iterations (from the last power of
    two on: at least the second half), an approximate LP solution; returns (bound, iterations, best
    primal sites, their value, best multipliers, average choice).
    """
    w, C, T = inst.w, inst.C, inst.T
    lam = w.copy()
    best = math.inf
    primal: list[int] = []
    primal_value = -1.0
    best_lam = lam
    mu = 2.0
    stall = 0
    it = 0
    x_sum = np.zeros(inst.m)
    x_count = 0
    for it in range(1, max_iter + 1):
        v = T @ lam
        top, x = _top_value(v, p, inst.cost, budget)
        if it & (it - 1) == 0:  # a power of two: average from here on
            x_sum[:] = 0.0
            x_count = 0
        x_sum += x
        x_count += 1
        y = lam < w
        value = float((w - lam)[y].sum()) + top
        if value < best:
            improved = value < best - 1e-6 * max(1.0, value)
            best = value
            best_lam = lam
        else:
            improved = False
        if improved:
            stall = 0
        else:
            stall += 1
            if stall >= 20:
                mu /= 2
                stall = 0
        if budget is None and it % 5 == 1:
            picks = [int(j) for j in np.flatnonzero(x > 0.5)]
            got = inst.value(picks)
            if got > primal_value:
                primal, primal_value = picks, got
                lower = max(lower, got)
        closed = (math.floor(best + 1e-6) if integral else best) - lower <= 1e-9 * max(1.0, best)
        if closed or mu < 1e-4 or time.perf_counter() > deadline:
            break
        grad = (C @ x) - y  # ∂L/∂λ
        # Projected: no movement below 0 or above w.
        grad[(lam <= 0) & (grad > 0)] = 0.0
        grad[(lam >= w) & (grad < 0)] = 0.0
        norm = float(np.square(grad).sum())  # not BLAS: its threads spin on a busy machine
        if norm <= 0:
            break
        target = lower if lower > 0 else 0.95 * value
        step = mu * max(value - target, 1e-9 * max(1.0, value)) / norm
        lam = np.clip(lam - step * grad, 0.0, w)
    return best, it, primal, primal_value, best_lam, x_sum / max(x_count, 1)


_banner_shown = False


def _highs():
    """A quiet single-threaded HiGHS instance."""
    global _banner_shown
    import highspy

    if _banner_shown:
        h = highspy.Highs()
    else:
        # The first Highs() of a process prints a banner straight to fd 1 from C++, before any option
        # can be set: point fd 1 at /dev/null for that construction only.
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "wb") as null:
                os.dup2(null.fileno(), 1)
                try:
                    h = highspy.Highs()
                finally:
                    os.dup2(saved, 1)
        finally:
            os.close(saved)
        _banner_shown = True
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    return h, highspy


def _mip_max_cover(
    inst: _Instance,
    p: int,
    budget: float | None,
    start: list[int],
    seconds: float,
    *,
    relax: bool = False,
    presolve: bool = True,
):
    """HiGHS on the reduced instance, warm-started: (chosen, dual bound, optimal); with ``relax``,
    its LP relaxation: (row duals, site values x) or (None, None)."""
    h, hs = _highs()
    n, m = inst.n, inst.m
    T = inst.T
    extra_rows = 1 + (1 if (budget is not None and inst.cost is not None) else 0)
    # Columns: x_0..x_{m-1} then y_0..y_{n-1}. Rows: y_i − Σ x_j ≤ 0 (n), Σ x ≤ p, Σ c x ≤ budget.
    x_len = np.diff(T.indptr) + extra_rows
    starts = np.zeros(m + n + 1, dtype=np.int64)
    starts[1 : m + 1] = np.cumsum(x_len)
    starts[m + 1 :] = starts[m] + np.arange(1, n + 1)
    index = np.empty(starts[-1], dtype=np.int32)
    value = np.empty(starts[-1], dtype=np.float64)
    pos = starts[:m]
    lens = np.diff(T.indptr)
    offs = np.arange(T.nnz) - np.repeat(T.indptr[:-1], lens)
    at = np.repeat(pos, lens) + offs
    index[at] = T.indices
    value[at] = -1.0
    index[pos + lens] = n
    value[pos + lens] = 1.0
    if extra_rows == 2:
        index[pos + lens + 1] = n + 1
        value[pos + lens + 1] = inst.cost
    index[starts[m:-1]] = np.arange(n)
    value[starts[m:-1]] = 1.0
    lp = hs.HighsLp()
    lp.num_col_ = m + n
    lp.num_row_ = n + extra_rows
    lp.col_cost_ = np.concatenate([np.zeros(m), inst.w])
    lp.col_lower_ = np.zeros(m + n)
    lp.col_upper_ = np.ones(m + n)
    row_upper = [0.0] * n + [float(p)] + ([float(budget)] if extra_rows == 2 else [])
    lp.row_lower_ = np.full(n + extra_rows, -hs.kHighsInf)
    lp.row_upper_ = np.array(row_upper)
    lp.sense_ = hs.ObjSense.kMaximize
    lp.a_matrix_.format_ = hs.MatrixFormat.kColwise
    lp.a_matrix_.start_ = starts
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = value
    if not relax:
        lp.integrality_ = [hs.HighsVarType.kInteger] * m + [hs.HighsVarType.kContinuous] * n
    h.passModel(lp)
    h.setOptionValue("time_limit", max(0.05, 0.9 * float(seconds)))
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 1e-7)
    if not presolve:
        h.setOptionValue("presolve", "off")
    if relax:
        # Only the duals are wanted (as Lagrangian multipliers, whose bound is computed exactly from
        # them): the interior point method without crossover is ~4× faster than simplex here.
        h.setOptionValue("solver", "ipm")
        h.setOptionValue("run_crossover", "off")
        h.run()
        solution = h.getSolution()
        duals = np.asarray(solution.row_dual, dtype=np.float64)
        x = np.asarray(solution.col_value, dtype=np.float64)
        if len(duals) < n or len(x) < m:
            return None, None
        return duals[:n], np.clip(x[:m], 0.0, 1.0)
    if start:
        # With our incumbent given, HiGHS's own primal heuristics (RINS, RENS, feasibility jump:
        # ~40 % of its time on bench small) rarely pay: the work left is proving the bound.
        h.setOptionValue("mip_heuristic_effort", 0.0)
        for name in ("feasibility_jump", "rins", "rens", "root_reduced_cost"):
            h.setOptionValue(f"mip_heuristic_run_{name}", False)
        x0 = np.zeros(m + n)
        x0[start] = 1.0
        hit = np.asarray(inst.C[:, start].sum(axis=1)).ravel() > 0
        x0[m:] = hit
        sol = hs.HighsSolution()
        sol.col_value = x0.tolist()
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    info = h.getInfo()
    status = h.getModelStatus()
    col = np.asarray(h.getSolution().col_value)
    chosen = [int(j) for j in np.flatnonzero(col[:m] > 0.5)] if len(col) >= m else []
    bound = float(info.mip_dual_bound)
    optimal = status == hs.HighsModelStatus.kOptimal
    return chosen, bound, optimal


# ----------------------------------------------------------------------------------------------
# Public API


def _fixings(inst: _Instance, p: int, lam: np.ndarray, lower: float, integral: bool):
    """Lagrangian variable fixing: (sites that must be open, sites that may be) for a better solution.

    With multipliers λ, forcing site j in (out of) the p best by v = Tλ changes the Lagrangian bound
    to L − v_p + v_j (L − v_j + v_{p+1}); when that cannot beat ``lower`` (after rounding down for
    integer weights), no solution better than ``lower`` has j out (in), so j is fixed.
    """
    v = np.maximum(inst.T @ lam, 0.0)
    m = len(v)
    k = min(p, m)
    order = np.argsort(-v, kind="stable")
    top, rest = order[:k], order[k:]
    total = float(np.maximum(inst.w - lam, 0.0).sum()) + float(v[top].sum())
    v_p = float(v[order[k - 1]]) if k else 0.0
    v_next = float(v[order[k]]) if k < m else 0.0

    def beaten(b):
        b = np.floor(b + 1e-6) if integral else b
        return b <= lower + 1e-9 * max(1.0, lower)

    if beaten(np.array([total]))[0]:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), True
    zero = rest[beaten(total - v_p + v[rest])]
    one = top[beaten(total - v[top] + v_next)]
    free = np.setdiff1d(np.arange(m), np.concatenate([zero, one]))
    return one, free, False


def _dual_value(inst: _Instance, lam: np.ndarray, p: int, budget: float | None) -> float:
    """The Lagrangian bound L(λ) = Σ (w − λ)⁺ + max Σ (Tλ)_j x_j: valid for any 0 ≤ λ ≤ w."""
    top, _x = _top_value(inst.T @ lam, p, inst.cost, budget)
    return float(np.maximum(inst.w - lam, 0.0).sum()) + top


def _restrict(inst: _Instance, fix_one: np.ndarray, free: np.ndarray):
    """The instance left when ``fix_one`` are open and only ``free`` may be: (instance, columns)."""
    keep = np.concatenate([fix_one, free])
    sub_red = reduce(inst.C[:, keep], inst.w, fixed=range(len(fix_one)))
    return _Instance(sub_red), keep[sub_red.columns], sub_red.base


def _merge_deadline(deadline: float) -> float:
    """The merge search may use MERGE_SHARE of the time left, but at least MERGE_MIN_SECONDS of it:
    under a short limit a good solution is worth more than a MIP that cannot finish."""
    left = deadline - time.perf_counter()
    return time.perf_counter() + min(left, max(MERGE_SHARE * left, MERGE_MIN_SECONDS))


def _exact_stage(inst, room, budget, chosen, value, bound, lam, integral, deadline, method, stats, mark):
    """Close the gap: fix sites by the Lagrangian bound, then HiGHS on what is left (if small).

    ``lam`` (Lagrangian multipliers, or None when the subgradient was skipped) gives a first fixing
    round. The LP relaxation of what is left then gives the LP bound (the subgradient stops short of
    it: 8,358 vs 8,347 on bench small), a fractional solution for the merge search (the primal) and
    duals as better multipliers, so the fixing closes more sites before HiGHS sees the model.
    ``mark(value, bound)`` records progress; values here are of the reduced instance. The merge
    search runs from the LP's solution even when it ran before from an approximate one: the exact
    LP solution leads it to the optimum more often (bench small seed 10: 5 of 5 runs vs 3 of 5).
    """
    lower = value
    stats["incumbent_before_exact"] = value
    sub_inst, cols, sub_room, fix_one = inst, np.arange(inst.m), room, np.zeros(0, dtype=np.int64)
    base = 0.0
    started = time.perf_counter()
    if budget is None:
        if lam is not None:
            fix_one, free, proven = _fixings(inst, room, lam, lower, integral)
            if proven:
                return chosen, value, min(bound, value)
            sub_inst, cols, base = _restrict(inst, fix_one, free)
            sub_room = room - len(fix_one)
        if sub_inst.C.nnz <= MIP_MAX_NNZ and 0 < sub_room < sub_inst.m:
            duals, x = _mip_max_cover(
                sub_inst, sub_room, None, [], deadline - time.perf_counter(), relax=True, presolve=False
            )
            if duals is not None and np.all(np.isfinite(duals)):
                lam_lp = np.clip(np.abs(duals), 0.0, sub_inst.w)
                lp_bound = base + _dual_value(sub_inst, lam_lp, sub_room, None)
                stats["lp_bound"] = lp_bound
                stats["lp_seconds"] = round(time.perf_counter() - started, 3)
                method.append("lp")
                # Every solution better than ``lower`` respects the fixings, so it is below this.
                bound = min(bound, max(lower, lp_bound))
                if integral:
                    bound = math.floor(bound + 1e-6)
                mark(value, bound)
                if bound - value > 1e-9 * max(1.0, bound):
                    # The merge search works on what is left; a solution of it plus the fixed sites
                    # is a solution of the whole.
                    position = {int(j): k for k, j in enumerate(cols)}
                    mine = [position[j] for j in chosen if j in position]
                    if len(mine) + len(fix_one) != len(chosen):
                        mine = []
                    picks, _got, merges = _merge_search(
                        sub_inst,
                        sub_room,
                        x,
                        mine,
                        sub_inst.value(mine) if mine else 0.0,
                        bound - base,
                        _merge_deadline(deadline),
                        on_better=lambda got: mark(base + got, bound),
                    )
                    stats["merges"] = merges
                    whole = [int(j) for j in fix_one] + [int(cols[k]) for k in picks]
                    got = inst.value(whole)
                    if got > value + 1e-9:
                        method.append("merge")
                        chosen, value = whole, got
                        lower = value
                    if bound - value <= 1e-9 * max(1.0, bound):
                        return chosen, value, bound
                one, free2, proven = _fixings(sub_inst, sub_room, lam_lp, lower - base, integral)
                if proven:
                    return chosen, value, min(bound, value)
                fix_one = np.concatenate([fix_one, cols[one]])
                sub_inst, cols, base = _restrict(inst, fix_one, cols[free2])
                sub_room = room - len(fix_one)
        stats["fixed_open"] = len(fix_one)
        stats["fixed_closed"] = inst.m - len(fix_one) - len(cols)
        stats["free_after_fixing"] = sub_inst.m
        stats["nnz_after_fixing"] = int(sub_inst.C.nnz)
    if sub_inst.C.nnz > MIP_MAX_NNZ:
        return chosen, value, bound
    if budget is None and (sub_room <= 0 or sub_inst.m <= sub_room):
        picks = list(fix_one) + list(cols[: max(0, sub_room)])
        got = inst.value(picks)
        if got > value:
            chosen, value = [int(j) for j in picks], got
        return chosen, value, min(bound, max(lower, got))
    position = {int(j): k for k, j in enumerate(cols)}
    start = [position[j] for j in chosen if j in position]
    if len(start) + len(fix_one) != len(chosen) or not set(fix_one.tolist()) <= set(chosen):
        start = []
    stats["mip_warm_start"] = bool(start)
    stats["fixing_seconds"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    # Presolve off: after the reductions and the fixing it finds little, and its restarts (each
    # re-solving the root LP from scratch) took half of HiGHS's time on bench small (9.1 s → 4.4 s).
    mip_chosen, mip_bound, optimal = _mip_max_cover(
        sub_inst, sub_room, budget, start, deadline - time.perf_counter(), presolve=False
    )
    stats["mip_seconds"] = round(time.perf_counter() - started, 3)
    method.append("highs")
    if mip_chosen:
        picks = [int(j) for j in fix_one] + [int(cols[k]) for k in mip_chosen]
        got = inst.value(picks)
        if (
            got > value + 1e-12
            and len(picks) <= room
            and (budget is None or inst.spent(picks) <= budget + _EPS)
        ):
            chosen, value = picks, got
    if optimal:
        restricted = max(value, base + mip_bound) if not mip_chosen else base + sub_inst.value(mip_chosen)
        bound = min(bound, max(lower, restricted, value))
    elif math.isfinite(mip_bound):
        bound = min(bound, max(lower, base + mip_bound))
    stats["mip_optimal"] = optimal
    return chosen, value, bound


def _integral(w: np.ndarray) -> bool:
    return bool(np.all(w == np.round(w)))


def _order_picks(cover: sparse.csr_matrix, weights: np.ndarray, fixed: list[int], chosen: list[int]):
    """Fixed sites first, then the rest greedily by newly covered weight; (order, marginal)."""
    w = np.asarray(weights, dtype=np.float64)
    sites = list(dict.fromkeys(list(fixed) + list(chosen)))
    if not sites:
        return [], []
    sub = sparse.csc_matrix(cover[:, sites], dtype=bool)
    covered = np.zeros(cover.shape[0], dtype=bool)
    order, marginal = [], []

    def take(pos):
        rows = sub.indices[sub.indptr[pos] : sub.indptr[pos + 1]]
        fresh = rows[~covered[rows]]
        covered[fresh] = True
        order.append(sites[pos])
        marginal.append(float(w[fresh].sum()))

    for pos in range(len(fixed)):
        take(pos)
    rest = list(range(len(fixed), len(sites)))
    while rest:
        gains = [
            float(w[r][~covered[r]].sum())
            for r in (sub.indices[sub.indptr[k] : sub.indptr[k + 1]] for k in rest)
        ]
        best = int(np.argmax(gains))
        take(rest.pop(best))
    return order, marginal


def max_cover(cover, weights, p, *, costs=None, budget=None, time_limit=10.0, fixed=()) -> Solution:
    """Choose at most ``p`` sites (``fixed`` ones included) covering the most weight."""
    started = time.perf_counter()
    deadline = started + float(time_limit)
    p = int(p)
    fixed = [int(j) for j in fixed]
    if p < len(fixed):
        raise ValueError("站点数不能少于固定站点数")
    if budget is not None and costs is None:
        raise ValueError("给出预算时需要每个候选点的费用")
    matrix = _as_csr(cover)
    red = reduce(matrix, weights, fixed=fixed, costs=costs)
    stats = dict(red.stats)
    inst = _Instance(red)
    room = p - len(fixed)
    left_budget = None
    if budget is not None:
        left_budget = float(budget) - float(np.asarray(costs, dtype=np.float64)[fixed].sum())
        if left_budget < -_EPS:
            raise ValueError("固定站点的费用已超出预算")
    method = ["greedy"]
    chosen: list[int] = []
    value = 0.0
    # (seconds, objective, bound) whenever either moves: how soon a good answer was there.
    trace = stats.setdefault("trace", [])

    def mark(reduced_value: float, reduced_bound: float) -> None:
        point = (red.base + reduced_value, red.base + reduced_bound)
        if not trace or trace[-1][1:] != point:
            trace.append((round(time.perf_counter() - started, 3), *point))

    if room > 0 and inst.m > 0:
        chosen, value = _lazy_greedy(inst, room, left_budget, ratio=left_budget is not None)
        if left_budget is not None:
            plain, plain_value = _lazy_greedy(inst, room, left_budget, ratio=False)
            if plain_value > value:
                chosen, value = plain, plain_value
        stats["greedy"] = value + red.base
        share = 0.3 if red.nnz <= MIP_MAX_NNZ else 0.45
        swapped, moves = _swap_search(
            inst, chosen, room, left_budget, min(deadline, time.perf_counter() + share * time_limit)
        )
        if moves:
            method.append("swap")
            chosen, value = swapped, inst.value(swapped)
        stats["swap_moves"] = moves
    reduced_total = float(inst.w.sum())
    # Bounds.
    if room <= 0 or inst.m == 0:
        bound = value
    elif room >= inst.m and left_budget is None:
        bound = reduced_total  # every useful candidate fits
        chosen, value = list(range(inst.m)), reduced_total
    else:
        bound = reduced_total
        integral = _integral(inst.w)
        lam = None
        mark(value, bound)
        if left_budget is None and red.nnz <= LP_FIRST_MAX_NNZ:
            # Small enough for the LP right away (the exact stage solves it). Before it, a short
            # subgradient run's average site choice — an approximate LP solution in a quarter of
            # the LP's time — feeds the merge search, which beats the Lagrangian heuristic and the
            # iterated swaps (bench small: the optimum ~0.3 s sooner than from the LP's solution).
            quick_stop = min(deadline, time.perf_counter() + 0.1 * time_limit)
            lag, _iters, _picks, _value, _lam, x_avg = _lagrangian(
                inst, room, None, value, quick_stop, QUICK_SUBGRADIENT_ITERATIONS, integral=integral
            )
            bound = min(bound, math.floor(lag + 1e-6) if integral else lag)
            mark(value, bound)
            better, better_value, merges = _merge_search(
                inst, room, x_avg, chosen, value, bound, _merge_deadline(deadline),
                on_better=lambda got: mark(got, bound),
            )  # fmt: skip
            stats["quick_merges"] = merges
            if better_value > value:
                method.append("merge")
                chosen, value = better, better_value
        else:
            lag_deadline = min(
                deadline, time.perf_counter() + (0.4 if red.nnz > MIP_MAX_NNZ else 0.25) * time_limit
            )
            lag, iters, lag_picks, lag_value, lam, _x = _lagrangian(
                inst, room, left_budget, value, lag_deadline, integral=integral
            )
            stats["lagrangian_iterations"] = iters
            stats["lagrangian_bound"] = lag + red.base
            bound = min(bound, lag)
            if lag_picks and set(lag_picks) != set(chosen) and lag_value > 0.9 * value:
                # The Lagrangian heuristic's sites, improved by the same swaps: a second start.
                lag_stop = min(deadline, time.perf_counter() + 0.15 * time_limit)
                better, _moves = _swap_search(inst, lag_picks, room, left_budget, lag_stop)
                better_value = inst.value(better)
                if better_value > value:
                    method.append("lagrangian-heuristic")
                    chosen, value = better, better_value
            if integral:
                bound = math.floor(bound + 1e-6)
            mark(value, bound)
            if left_budget is None and bound - value > 1e-9 * max(1.0, bound):
                ils_stop = min(deadline, time.perf_counter() + min(0.05 * time_limit, 1.5))
                better, better_value, rounds = _iterated_swaps(inst, chosen, room, ils_stop, bound)
                stats["ils_rounds"] = rounds
                if better_value > value:
                    method.append("ils")
                    chosen, value = better, better_value
                    mark(value, bound)
        if bound - value > 1e-9 * max(1.0, bound) and time.perf_counter() < deadline:
            chosen, value, bound = _exact_stage(
                inst, room, left_budget, chosen, value, bound, lam, integral, deadline, method, stats, mark
            )
        if integral:
            bound = math.floor(bound + 1e-6)
        bound = max(bound, value)
    mark(value, bound)
    objective = value + red.base
    full_bound = bound + red.base
    picks = [int(red.columns[j]) for j in chosen]
    order, marginal = _order_picks(matrix, weights, fixed, picks)
    gap = 0.0 if full_bound <= 0 else max(0.0, (full_bound - objective) / full_bound)
    if gap < 1e-12:
        gap = 0.0
    return Solution(
        chosen=order,
        objective=objective,
        bound=full_bound,
        gap=gap,
        method="+".join(method),
        seconds=time.perf_counter() - started,
        marginal=marginal,
        covered=objective,
        stats=stats,
    )


def _mip_set_cover(inst: _Instance, target: float, start: list[int], seconds: float, costs: np.ndarray):
    h, hs = _highs()
    n, m = inst.n, inst.m
    T = inst.T
    # Columns x (m) then y (n). Rows: y_i − Σ x_j ≤ 0 (n), Σ w y ≥ target.
    lens = np.diff(T.indptr)
    starts = np.zeros(m + n + 1, dtype=np.int64)
    starts[1 : m + 1] = np.cumsum(lens)
    starts[m + 1 :] = starts[m] + 2 * np.arange(1, n + 1)
    index = np.empty(starts[-1], dtype=np.int32)
    value = np.empty(starts[-1], dtype=np.float64)
    index[: T.nnz] = T.indices
    value[: T.nnz] = -1.0
    ys = starts[m:-1]
    index[ys] = np.arange(n)
    value[ys] = 1.0
    index[ys + 1] = n
    value[ys + 1] = inst.w
    lp = hs.HighsLp()
    lp.num_col_ = m + n
    lp.num_row_ = n + 1
    lp.col_cost_ = np.concatenate([costs, np.zeros(n)])
    lp.col_lower_ = np.zeros(m + n)
    lp.col_upper_ = np.ones(m + n)
    lp.row_lower_ = np.concatenate([np.full(n, -hs.kHighsInf), [target]])
    lp.row_upper_ = np.concatenate([np.zeros(n), [hs.kHighsInf]])
    lp.sense_ = hs.ObjSense.kMinimize
    lp.a_matrix_.format_ = hs.MatrixFormat.kColwise
    lp.a_matrix_.start_ = starts
    lp.a_matrix_.index_ = index
    lp.a_matrix_.value_ = value
    lp.integrality_ = [hs.HighsVarType.kInteger] * m + [hs.HighsVarType.kContinuous] * n
    h.passModel(lp)
    h.setOptionValue("time_limit", max(0.05, 0.9 * float(seconds)))
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 1e-7)
    if start:
        x0 = np.zeros(m + n)
        x0[start] = 1.0
        x0[m:] = np.asarray(inst.C[:, start].sum(axis=1)).ravel() > 0
        sol = hs.HighsSolution()
        sol.col_value = x0.tolist()
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    col = np.asarray(h.getSolution().col_value)
    chosen = [int(j) for j in np.flatnonzero(col[:m] > 0.5)] if len(col) >= m else []
    optimal = h.getModelStatus() == hs.HighsModelStatus.kOptimal
    return chosen, float(h.getInfo().mip_dual_bound), optimal


def _prune(inst: _Instance, chosen: list[int], target: float, costs: np.ndarray) -> list[int]:
    """Drop picks that are not needed to stay at the target (the most expensive first)."""
    chosen = list(chosen)
    for j in sorted(chosen, key=lambda j: (-costs[j], -chosen.index(j))):
        trial = [k for k in chosen if k != j]
        if inst.value(trial) >= target - _EPS:
            chosen = trial
    return chosen


def set_cover(cover, weights, share, *, costs=None, time_limit=10.0) -> Solution:
    """The fewest sites (least total cost with ``costs``) covering at least ``share`` of the weight."""
    started = time.perf_counter()
    deadline = started + float(time_limit)
    share = float(share)
    if not share <= 1:  # also NaN
        raise ValueError("覆盖比例应在 0 到 1 之间")
    matrix = _as_csr(cover)
    if share <= 0:  # already reached (a residual share): no site is needed
        return Solution([], 0.0, 0.0, 0.0, "none", time.perf_counter() - started, [], 0.0, {})
    red = reduce(matrix, weights, costs=costs)
    stats = dict(red.stats)
    inst = _Instance(red)
    target_total = share * red.total
    target = target_total - red.base
    reachable = float(inst.w.sum())
    if reachable < target - 1e-9 * max(1.0, red.total):
        raise Infeasible(reachable / red.total if red.total else 0.0)
    unit = np.ones(inst.m) if red.costs is None else red.costs
    method = ["greedy"]
    chosen, _value = _lazy_greedy(inst, inst.m, None, ratio=red.costs is not None, target=target)
    chosen = _prune(inst, chosen, target, unit)
    if red.costs is None and len(chosen) > 1:
        # One site fewer: drop the pick adding least, let the swaps recover coverage; repeat.
        descent_stop = min(deadline, time.perf_counter() + 0.15 * time_limit)
        while len(chosen) > 1 and time.perf_counter() < descent_stop:
            sub = inst.C[:, chosen].tocsr()
            ones = np.flatnonzero(np.diff(sub.indptr) == 1)
            loss = np.bincount(sub.indices[sub.indptr[ones]], weights=inst.w[ones], minlength=len(chosen))
            trial = [j for k, j in enumerate(chosen) if k != int(np.argmin(loss))]
            trial, _moves = _swap_search(inst, trial, len(trial), None, descent_stop, target=target)
            if inst.value(trial) < target - 1e-9 * max(1.0, target):
                break
            chosen = trial
            if "swap" not in method:
                method.append("swap")
    objective = float(unit[chosen].sum())
    bound = 0.0
    integral_objective = red.costs is None or _integral(red.costs)
    proven = False
    if red.nnz <= MIP_MAX_NNZ and chosen:
        # With the count objective, keep some time for the Lagrangian bound should HiGHS not finish.
        share = 0.6 if red.costs is None else 1.0
        mip_chosen, mip_bound, proven = _mip_set_cover(
            inst, target, chosen, share * (deadline - time.perf_counter()), unit
        )
        method.append("highs")
        if mip_chosen and inst.value(mip_chosen) >= target - 1e-7 * max(1.0, target):
            mip_objective = float(unit[mip_chosen].sum())
            if mip_objective < objective - 1e-12:
                chosen, objective = mip_chosen, mip_objective
        if math.isfinite(mip_bound):
            bound = max(bound, mip_bound)
        stats["mip_optimal"] = proven
    if not proven and chosen and red.costs is None and math.ceil(bound - 1e-6) < objective:
        # k sites cannot reach the target when max_cover's bound for k is below it; binary search.
        lo, hi = max(1, math.ceil(bound - 1e-6)), len(chosen)
        while lo < hi and time.perf_counter() < deadline:
            mid = (lo + hi) // 2
            stop = min(deadline, time.perf_counter() + time_limit / 10)
            ub = _lagrangian(inst, mid, None, 0.0, stop, 400)[0]
            if ub < target - 1e-9 * max(1.0, target):
                lo = mid + 1
            else:
                hi = mid
        bound = max(bound, float(lo))
        method.append("lagrangian")
    if integral_objective:
        bound = math.ceil(bound - 1e-6)
    bound = min(bound, objective)
    gap = 0.0 if objective <= 0 else max(0.0, (objective - bound) / objective)
    picks = [int(red.columns[j]) for j in chosen]
    order, marginal = _order_picks(matrix, weights, [], picks)
    return Solution(
        chosen=order,
        objective=objective,
        bound=bound,
        gap=gap,
        method="+".join(method),
        seconds=time.perf_counter() - started,
        marginal=marginal,
        covered=red.base + inst.value(chosen),
        stats=stats,
    )
