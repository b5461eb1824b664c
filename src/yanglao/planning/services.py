"""Planning writes: service-circle settings, candidate sites, siting runs, and turning a run into plan items.

Siting (选址) asks, for the elders of a region NOT yet covered (see ``selectors.coverage``):

* ``max_cover``: where to put ``p`` new stations to cover the most weighted elders;
* ``set_cover``: the fewest stations to bring the region's weighted coverage to ``share`` %
  (counting what the existing facilities already cover);
* ``budget``: the most weighted elders covered by stations whose costs stay within ``budget_fen``.

Candidates are the region's active ``CandidateSite`` rows; with none, a grid over the populated
area (hexagons of half the service radius holding uncovered elders, each candidate at its cell's
weighted centre). Demand points at the same place (a village's elders without own coordinates) are
merged into one weighted point. A question is checked and queued (``siting_submit``), then computed
by a background task (``planning.tasks``, calling ``siting_solve``) within its time limit (at most
60 s, the coverage included) and kept as a ``SitingRun`` row with its answer and its proven
optimality gap, or the reason it has none.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import numpy as np
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from scipy import sparse

from yanglao.accounts.roles import Cap
from yanglao.core import audit, tasks
from yanglao.core.sheets import Column, read_sheet
from yanglao.planning import selectors, spatial
from yanglao.planning.errors import PlanningErrorCode as E
from yanglao.planning.models import (
    CandidateSite,
    CandidateSource,
    CoverageSetting,
    PlanItem,
    PlanItemEvent,
    PlanKind,
    RunStatus,
    SitingQuestion,
    SitingRun,
)
from yanglao.regions.models import Region
from yanglao.regions.resolver import RegionResolver

MAX_P = 500
MAX_TIME_LIMIT = 60.0
DEFAULT_TIME_LIMIT = 10.0
MAX_GRID_CANDIDATES = 2000


def _require(actor, capability=Cap.PLANNING_EDIT, message="您没有维护规划数据的权限。") -> None:
    if not actor.can(capability):
        raise PermissionDenied(message)


def _in_scope(actor, region: Region | None, field: str = "region") -> Region:
    if region is None:
        raise ValidationError({field: ValidationError("请选择区划。", code=E.REGION_REQUIRED)})
    if not actor.scope.contains(region.code):
        raise ValidationError(
            {field: ValidationError("所选区划超出您的管辖范围。", code=E.REGION_OUT_OF_SCOPE)}
        )
    return region


# --- service-circle settings -----------------------------------------------------------------------


def coverage_setting_save(
    *, actor, region: Region, minutes: int, mode: str, speed_kmh, detour, note: str = ""
) -> CoverageSetting:
    """Create or change a region's service-circle setting (applies to it and every region below it)."""
    _require(actor)
    _in_scope(actor, region)
    with transaction.atomic():
        setting = CoverageSetting.objects.select_for_update().filter(region=region).first()
        before = {}
        if setting is None:
            setting = CoverageSetting(region=region)
        else:
            before = {"minutes": setting.minutes, "mode": setting.mode, "speed_kmh": str(setting.speed_kmh),
                      "detour": str(setting.detour)}  # fmt: skip
        setting.minutes = minutes
        setting.mode = mode
        setting.speed_kmh = Decimal(str(speed_kmh))
        setting.detour = Decimal(str(detour))
        setting.note = note
        setting.updated_at = timezone.now()
        setting.updated_by = actor
        setting.full_clean()
        setting.save()
        after = {"minutes": setting.minutes, "mode": setting.mode, "speed_kmh": str(setting.speed_kmh),
                 "detour": str(setting.detour)}  # fmt: skip
        audit.record(
            actor=actor,
            action=audit.Action.UPDATE if before else audit.Action.CREATE,
            obj=setting,
            summary=f"服务圈设置 {region.name}：{minutes} 分钟，半径约 {round(setting.radius_m)} 米",
            changes=audit.diff(before, after),
        )
    return setting


# --- candidate sites -------------------------------------------------------------------------------


def _check_location(latitude, longitude) -> dict:
    errors = {}
    if latitude is None or longitude is None:
        errors["latitude"] = ValidationError("请填写经度和纬度。", code=E.LOCATION_REQUIRED)
    elif not (-90 <= float(latitude) <= 90 and -180 <= float(longitude) <= 180):
        errors["latitude"] = ValidationError(
            "经纬度超出范围（纬度 −90～90，经度 −180～180）。", code=E.LOCATION_INVALID
        )
    return errors


def candidate_create(
    *,
    actor,
    region: Region | None,
    name: str,
    latitude,
    longitude,
    address: str = "",
    cost_fen: int | None = None,
    area_m2=None,
    note: str = "",
    source: str = CandidateSource.ENTERED,
) -> CandidateSite:
    _require(actor)
    errors = _check_location(latitude, longitude)
    try:
        _in_scope(actor, region)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if cost_fen is not None and cost_fen < 0:
        errors["cost_fen"] = ValidationError("建设成本不能为负数。", code=E.COST_INVALID)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        site = CandidateSite(
            region=region,
            name=name.strip(),
            address=address.strip(),
            latitude=Decimal(str(latitude)).quantize(Decimal("0.000001")),
            longitude=Decimal(str(longitude)).quantize(Decimal("0.000001")),
            cost_fen=cost_fen,
            area_m2=area_m2,
            note=note.strip(),
            source=source,
            created_by=actor,
        )
        site.full_clean()
        site.save()
        audit.record(actor=actor, action=audit.Action.CREATE, obj=site, summary=f"新增候选站点 {site.name}")
    return site


def candidate_set_active(*, actor, site: CandidateSite, active: bool) -> CandidateSite:
    _require(actor)
    with transaction.atomic():
        site.active = active
        site.save(update_fields=["active"])
        audit.record(
            actor=actor,
            action=audit.Action.ENABLE if active else audit.Action.DISABLE,
            obj=site,
            summary=f"候选站点 {site.name}{'参与' if active else '不参与'}选址",
        )
    return site


CANDIDATE_COLUMNS = [
    Column("name", "名称", required=True, width=24, example="民主社区活动室"),
    Column("region", "所在区划", required=True, width=40, help="12 位区划代码或完整名称，如 150523100001",
           example="150523100001", aliases=("区划", "区划代码")),
    Column("longitude", "经度", required=True, example="121.3123"),
    Column("latitude", "纬度", required=True, example="43.6021"),
    Column("address", "地址", width=30),
    Column("cost_yuan", "建设成本（元）", help="预算问题需要", aliases=("成本", "建设成本")),
    Column("area_m2", "面积（m²）", aliases=("面积",)),
    Column("note", "备注", width=30),
]  # fmt: skip


def _number(text: str):
    text = (text or "").strip().replace(",", "").replace("，", "")
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None


@dataclass
class CandidateImport:
    created: int = 0
    failed: list[tuple[int, dict, list[str]]] = field(default_factory=list)


def candidates_import(*, actor, path) -> CandidateImport:
    """Candidate sites from an .xlsx/.csv: every good row is created, every bad row reported with its reasons."""
    _require(actor)
    sheet = read_sheet(path, CANDIDATE_COLUMNS)
    resolver = RegionResolver()
    result = CandidateImport()
    for number, record in sheet.rows:
        problems = []
        region = resolver.resolve(record.get("region", "")) if record.get("region") else None
        if not record.get("name"):
            problems.append("缺少名称")
        if region is None:
            problems.append("所在区划无法识别" if record.get("region") else "缺少所在区划")
        values = {}
        for key, label in (
            ("longitude", "经度"),
            ("latitude", "纬度"),
            ("cost_yuan", "建设成本"),
            ("area_m2", "面积"),
        ):
            try:
                values[key] = _number(record.get(key, ""))
            except ValueError:
                problems.append(f"{label}不是数字")
                values[key] = None
        if not problems:
            try:
                candidate_create(
                    actor=actor,
                    region=region,
                    name=record["name"][:100],
                    latitude=values["latitude"],
                    longitude=values["longitude"],
                    address=record.get("address", "")[:200],
                    cost_fen=None if values["cost_yuan"] is None else int(values["cost_yuan"] * 100),
                    area_m2=values["area_m2"],
                    note=record.get("note", "")[:200],
                    source=CandidateSource.IMPORTED,
                )
                result.created += 1
                continue
            except ValidationError as exc:
                problems.extend(m for messages in exc.message_dict.values() for m in messages)
        result.failed.append((number, record, problems))
    return result


# --- siting ----------------------------------------------------------------------------------------


def _merge_points(lat: np.ndarray, lng: np.ndarray, weight: np.ndarray, region: np.ndarray):
    """Demand points at the same place become one point carrying their summed weight and count."""
    keys = np.stack([np.round(lat, 6), np.round(lng, 6)], axis=1)
    cells, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    return (
        cells[:, 0],
        cells[:, 1],
        np.bincount(inverse, weights=weight, minlength=len(cells)),
        np.bincount(inverse, minlength=len(cells)).astype(np.int64),
        region[first],
    )


def _grid_candidates(lat, lng, weight, region, size_m: float) -> list[dict]:
    """A candidate at the weighted centre of each hexagon (circumradius ``size_m``) holding demand."""
    size = size_m
    while True:
        cells = selectors.hex_bins(lat, lng, weight, size)
        if len(cells) <= MAX_GRID_CANDIDATES:
            break
        size *= 1.5
    # Weighted centres: bin again, keeping the assignment.
    lat0 = float(np.mean(lat))
    k = 111_195.0
    kx = k * math.cos(math.radians(lat0))
    x, y = lng * kx, lat * k
    q = (math.sqrt(3) / 3 * x - y / 3) / size
    r = (2 / 3 * y) / size
    cy = -q - r
    rx, ry, rz = np.round(q), np.round(cy), np.round(r)
    dx, dy, dz = np.abs(rx - q), np.abs(ry - cy), np.abs(rz - r)
    fix_x = (dx > dy) & (dx > dz)
    fix_y = ~fix_x & (dy > dz)
    rx = np.where(fix_x, -ry - rz, rx)
    ry = np.where(fix_y, -rx - rz, ry)
    rz = np.where(~fix_x & ~fix_y, -rx - ry, rz)
    keys = np.stack([rx, rz], axis=1).astype(np.int64)
    _, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    total = np.bincount(inverse, weights=weight)
    c_lat = np.bincount(inverse, weights=weight * lat) / total
    c_lng = np.bincount(inverse, weights=weight * lng) / total
    heaviest = {}
    for index in np.argsort(weight)[::-1]:
        heaviest.setdefault(int(inverse[index]), region[index])
    return [
        {
            "id": None,
            "name": f"网格点 {i + 1}",
            "lat": round(float(c_lat[i]), 6),
            "lng": round(float(c_lng[i]), 6),
            "region": str(heaviest[i]),
            "cost_fen": None,
        }
        for i in range(len(total))
    ]


def _cover_matrix(demand_xy, cand_xy, radius: np.ndarray) -> sparse.csr_matrix:
    """n × m: candidate j covers demand i, each candidate with its own radius (grouped by radius)."""
    n, m = len(demand_xy), len(cand_xy)
    rows, cols = [], []
    for r in np.unique(radius):
        members = np.flatnonzero(radius == r)
        part = spatial.coverage_matrix(demand_xy, cand_xy[members], float(r)).tocoo()
        rows.append(part.row.astype(np.int64))
        cols.append(members[part.col])
    if not rows:
        return sparse.csr_matrix((n, m), dtype=bool)
    row = np.concatenate(rows)
    col = np.concatenate(cols)
    return sparse.csr_matrix((np.ones(len(row), dtype=bool), (row, col)), shape=(n, m))


def _validate_question(*, question, p, share, budget_fen, time_limit) -> dict:
    errors = {}
    if question not in SitingQuestion.values:
        errors["question"] = ValidationError("请选择选址问题。", code=E.QUESTION_INVALID)
    if question == SitingQuestion.MAX_COVER and (p is None or not 1 <= p <= MAX_P):
        errors["p"] = ValidationError(f"请填写新建站点数（1～{MAX_P}）。", code=E.P_REQUIRED)
    if question == SitingQuestion.SET_COVER and (share is None or not 0 < share <= 100):
        errors["share"] = ValidationError("请填写目标覆盖率（大于 0，不超过 100%）。", code=E.SHARE_REQUIRED)
    if question == SitingQuestion.BUDGET and (budget_fen is None or budget_fen <= 0):
        errors["budget_fen"] = ValidationError("请填写大于 0 的预算。", code=E.BUDGET_REQUIRED)
    if time_limit is not None and not 1 <= time_limit <= MAX_TIME_LIMIT:
        errors["time_limit"] = ValidationError(
            f"计算时限应在 1～{int(MAX_TIME_LIMIT)} 秒之间。", code=E.TIME_LIMIT_INVALID
        )
    return errors


SITING_TASK = "planning.siting"
# The phases a run goes through, as the progress bar shows them.
SITING_STEPS = ("计算现有服务圈覆盖", "生成候选点和覆盖关系", "求解", "整理结果")


def siting_submit(
    *,
    actor,
    region: Region | None,
    question: str,
    p: int | None = None,
    share: float | None = None,
    budget_fen: int | None = None,
    service: str = "",
    include_planned: bool = False,
    time_limit: float | None = None,
    background: bool = True,
) -> SitingRun:
    """Check a siting question and queue it as a background task (``planning.siting``).

    What can be refused without computing (rights, scope, missing or out-of-range parameters)
    raises ValidationError here and stores nothing. What needs the coverage first (nobody
    uncovered, no candidates, an unreachable share) is found by the task and recorded on the run
    as ``failed`` with its message and ``error_code``. ``background=False`` queues no task: the
    caller computes the run itself with ``siting_solve`` (``siting_run`` does)."""
    _require(actor, message="您没有提出选址问题的权限。")
    errors = _validate_question(
        question=question, p=p, share=share, budget_fen=budget_fen, time_limit=time_limit
    )
    try:
        _in_scope(actor, region)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if service and service not in dict(selectors.SERVICE_CHOICES):
        errors["service"] = ValidationError("没有这个服务项目。", code=E.QUESTION_INVALID)
    if errors:
        raise ValidationError(errors)
    parameters = {
        "service": service,
        "include_planned": include_planned,
        "p": p,
        "share": share,
        "budget_fen": budget_fen,
        "time_limit": float(time_limit or DEFAULT_TIME_LIMIT),
    }
    with transaction.atomic():
        run = SitingRun.objects.create(
            region=region, question=question, parameters=parameters, status=RunStatus.QUEUED, created_by=actor
        )
        if background:
            run.task = tasks.enqueue(
                kind=SITING_TASK, actor=actor, params={"run": run.pk}, region_code=region.code
            )
            run.save(update_fields=["task"])
        audit.record(
            actor=actor,
            action=audit.Action.CREATE,
            obj=run,
            summary=f"提出选址问题 #{run.pk} {run.get_question_display().split('：')[0]}：{region.name}",
        )
    return run


def siting_run(**kwargs) -> SitingRun:
    """Ask and answer a siting question in this process (scripts, benchmarks, tests): the run comes
    back ``done``, or ``failed`` with its ``error`` and ``error_code``."""
    run = siting_submit(background=False, **kwargs)
    return siting_solve(run=run)


def _first_error(exc: ValidationError) -> tuple[str, str]:
    found = (
        [e for errors in exc.error_dict.values() for e in errors]
        if hasattr(exc, "error_dict")
        else exc.error_list
    )
    first = found[0]
    return next(iter(first)), first.code or E.SOLVER_FAILED


def siting_solve(*, run: SitingRun, task=None) -> SitingRun:
    """Compute a queued run (the task handler calls this) and record its answer on the row.

    A question without an answer leaves the run ``failed`` with the message and code (no exception);
    an unexpected error leaves it ``failed`` with a generic message and is raised for the log."""
    if run.status in (RunStatus.DONE, RunStatus.FAILED):  # a task run twice (a worker restarted)
        return run

    def step(index: int) -> None:
        if task is not None:
            tasks.task_progress(
                task, done=index, total=len(SITING_STEPS), note=SITING_STEPS[index], force=True
            )

    started = time.perf_counter()
    run.status, run.started_at, run.error, run.error_code = RunStatus.RUNNING, timezone.now(), "", ""
    run.save(update_fields=["status", "started_at", "error", "error_code"])
    try:
        _solve(run=run, step=step, started=started)
    except ValidationError as exc:
        run.error, run.error_code = (text[:300] for text in _first_error(exc))
        run.status = RunStatus.FAILED
    except Exception:
        run.status = RunStatus.FAILED
        run.error, run.error_code = "选址计算出错，已记录，请调整问题后重试。", E.SOLVER_FAILED
        _finish(run, started)
        raise
    _finish(run, started)
    return run


def _finish(run: SitingRun, started: float) -> None:
    run.seconds = round(time.perf_counter() - started, 3)
    run.finished_at = timezone.now()
    run.save()


def _solve(*, run: SitingRun, step, started: float) -> None:
    """The computation of ``siting_solve``: fills ``run`` (not saved) or raises ValidationError."""
    from yanglao.planning import siting  # the solver (planning-2's)

    actor, region, question = run.created_by, run.region, run.question
    params = run.parameters
    p, share, budget_fen = params.get("p"), params.get("share"), params.get("budget_fen")
    time_limit = float(params.get("time_limit") or DEFAULT_TIME_LIMIT)
    if actor is None or not actor.can(Cap.PLANNING_EDIT) or not actor.scope.contains(region.code):
        raise ValidationError("提出问题的用户已无权对该区划选址。", code=E.REGION_OUT_OF_SCOPE)

    step(0)
    report = selectors.coverage(
        actor=actor,
        query=selectors.CoverageQuery(
            region=region.code,
            service=params.get("service") or "",
            include_planned=bool(params.get("include_planned")),
        ),
    )
    demand = report.demand
    uncovered = (demand.source < 3) & ~report.covered_mask
    if not uncovered.any():
        raise ValidationError("该区划已登记位置的老年人都在服务圈内，无需选址。", code=E.NO_DEMAND)
    d_lat, d_lng, d_weight, d_count, d_region = _merge_points(
        demand.lat[uncovered], demand.lng[uncovered], demand.weight[uncovered], demand.region[uncovered]
    )

    step(1)
    stored = list(selectors.candidate_list(actor=actor, region=region.code).filter(active=True))
    resolver = selectors.CircleResolver()
    if stored:
        candidates = [
            {
                "id": c.pk,
                "name": c.name,
                "lat": float(c.latitude),
                "lng": float(c.longitude),
                "region": c.region_id,
                "cost_fen": c.cost_fen,
            }
            for c in stored
        ]
        source = "stored"
    else:
        if question == SitingQuestion.BUDGET:
            raise ValidationError(
                {
                    "budget_fen": ValidationError(
                        "预算问题需要录入带建设成本的候选点（网格点没有成本）。", code=E.COST_MISSING
                    )
                }
            )
        resolver.load_names(set(d_region.tolist()))
        radii = np.array([resolver.circle(code).radius_m for code in d_region.tolist()])
        candidates = _grid_candidates(d_lat, d_lng, d_weight, d_region, float(np.median(radii)) / 2)
        source = "grid"
    if not candidates:
        raise ValidationError("没有可用的候选点。", code=E.NO_CANDIDATES)
    if question == SitingQuestion.BUDGET and any(c["cost_fen"] is None for c in candidates):
        raise ValidationError(
            {"budget_fen": ValidationError("预算问题要求每个候选点都填写建设成本。", code=E.COST_MISSING)}
        )
    resolver.load_names({c["region"] for c in candidates})
    for c in candidates:
        c["radius"] = resolver.circle(c["region"]).radius_m

    c_lat = np.array([c["lat"] for c in candidates])
    c_lng = np.array([c["lng"] for c in candidates])
    origin = spatial.Projection.fit(np.concatenate([d_lat, c_lat]), np.concatenate([d_lng, c_lng]))
    demand_xy = spatial.project(d_lat, d_lng, origin=origin)
    cand_xy = spatial.project(c_lat, c_lng, origin=origin)
    cover = _cover_matrix(demand_xy, cand_xy, np.array([c["radius"] for c in candidates]))

    weight_total = report.weight_total
    weight_before = report.weight_covered
    target_weight = None
    if question == SitingQuestion.SET_COVER:
        target_weight = weight_total * float(share) / 100.0
        if target_weight <= weight_before + 1e-9:
            raise ValidationError(
                {"share": ValidationError(
                    f"现有设施已覆盖 {weight_before / weight_total:.1%}（加权），已达到目标，无需新建。",
                    code=E.NO_DEMAND,
                )}
            )  # fmt: skip
        reachable = weight_before + float(d_weight[np.asarray(cover.sum(axis=1)).ravel() > 0].sum())
        if target_weight > reachable + 1e-9:
            raise ValidationError(
                {"share": ValidationError(
                    f"全部候选点建成也只能覆盖 {reachable / weight_total:.1%}（加权），达不到目标。",
                    code=E.SHARE_UNREACHABLE,
                )}
            )  # fmt: skip

    step(2)
    # What is left of the time limit after the coverage goes to the solver (at least a second).
    remaining = max(1.0, time_limit - (time.perf_counter() - started))
    if question == SitingQuestion.MAX_COVER:
        solution = siting.max_cover(cover, d_weight, min(p, len(candidates)), time_limit=remaining)
    elif question == SitingQuestion.SET_COVER:
        residual_share = (target_weight - weight_before) / float(d_weight.sum())
        solution = siting.set_cover(cover, d_weight, min(1.0, residual_share), time_limit=remaining)
    else:
        costs = np.array([float(c["cost_fen"]) for c in candidates])
        solution = siting.max_cover(
            cover, d_weight, len(candidates), costs=costs, budget=float(budget_fen), time_limit=remaining
        )

    step(3)
    # The table: each pick's newly covered elders (weighted and counted), cumulative coverage.
    covered_rows = np.zeros(cover.shape[0], dtype=bool)
    cover_csc = cover.tocsc()
    sites, cumulative = [], weight_before
    count_before = report.covered
    count_total = report.located
    count_cum = count_before
    for rank, index in enumerate(solution.chosen, start=1):
        rows = cover_csc.indices[cover_csc.indptr[index] : cover_csc.indptr[index + 1]]
        new_rows = rows[~covered_rows[rows]]
        covered_rows[new_rows] = True
        newly_w = float(d_weight[new_rows].sum())
        newly_n = int(d_count[new_rows].sum())
        cumulative += newly_w
        count_cum += newly_n
        c = candidates[index]
        sites.append(
            {
                "rank": rank,
                "index": int(index),
                "candidate": c["id"],
                "name": c["name"],
                "lat": c["lat"],
                "lng": c["lng"],
                "region": c["region"],
                "radius": c["radius"],
                "cost_fen": c["cost_fen"],
                "newly_weight": round(newly_w, 2),
                "newly_elders": newly_n,
                "cumulative_weight": round(cumulative, 2),
                "cumulative_share": round(cumulative / weight_total, 6) if weight_total else None,
                "cumulative_elders": count_cum,
                "cumulative_elder_share": round(count_cum / count_total, 6) if count_total else None,
            }
        )
    chosen = set(solution.chosen)
    run.status = RunStatus.DONE
    run.objective = float(solution.objective)
    run.bound = float(solution.bound)
    run.gap = float(solution.gap)
    run.method = str(solution.method)[:60]
    run.result = {
        "sites": sites,
        "candidates": [
            [c["lat"], c["lng"], c["name"], c["radius"]] for i, c in enumerate(candidates) if i not in chosen
        ][:MAX_GRID_CANDIDATES],
        "candidate_count": len(candidates),
        "candidate_source": source,
        "demand_points": int(cover.shape[0]),
        "uncovered_elders": int(d_count.sum()),
        "elders_located": count_total,
        "elders_covered_before": count_before,
        "weight_total": round(weight_total, 2),
        "weight_covered_before": round(weight_before, 2),
        "share_before": round(weight_before / weight_total, 6) if weight_total else None,
        "share_after": round(cumulative / weight_total, 6) if weight_total else None,
        "solver_seconds": round(float(solution.seconds), 3),
        "hexes": report.hexes,
        "hex_size_m": report.hex_size_m,
        "total_cost_fen": sum(s["cost_fen"] or 0 for s in sites),
    }


# --- from a run to the construction plan -----------------------------------------------------------


def plan_items_from_run(
    *, actor, run: SitingRun, ranks: list[int], kind: str = PlanKind.COMMUNITY_STATION
) -> list[PlanItem]:
    """Turn the chosen sites ``ranks`` (1-based, as in the table) of a finished run into plan items."""
    _require(actor)
    if run.status != RunStatus.DONE:
        raise ValidationError("选址计算尚未完成。", code=E.RUN_NOT_DONE)
    if kind not in PlanKind.values:
        raise ValidationError({"kind": ValidationError("请选择项目类型。", code=E.QUESTION_INVALID)})
    by_rank = {s["rank"]: s for s in run.result.get("sites", [])}
    picked = [by_rank[r] for r in dict.fromkeys(ranks) if r in by_rank]
    if not picked:
        raise ValidationError({"ranks": ValidationError("请至少选择一个站点。", code=E.NOTHING_PICKED)})
    done = set(PlanItem.objects.filter(siting_run=run).values_list("source_row__rank", flat=True))
    again = [s["rank"] for s in picked if s["rank"] in done]
    if again:
        raise ValidationError(
            {"ranks": ValidationError(
                f"第 {'、'.join(map(str, again))} 个站点已转为建设计划。", code=E.ALREADY_PLANNED
            )}
        )  # fmt: skip
    regions = Region.objects.in_bulk(
        [s["region"] for s in picked] + [s["region"][:6].ljust(12, "0") for s in picked]
    )
    items = []
    with transaction.atomic():
        for site in picked:
            county = regions.get(site["region"][:6].ljust(12, "0"))
            if county is None or not actor.scope.contains(site["region"]):
                raise ValidationError(
                    {"ranks": ValidationError("站点所在区划超出您的管辖范围。", code=E.REGION_OUT_OF_SCOPE)}
                )
            if not actor.scope.contains(county.code):  # plan items belong to (and are seen by) the county
                raise ValidationError(
                    {
                        "ranks": ValidationError(
                            "建设计划按旗县填报，须由旗县及以上干部转为计划。", code=E.REGION_OUT_OF_SCOPE
                        )
                    }
                )
            item = PlanItem(
                region=county,
                kind=kind,
                name=site["name"],
                site_region=regions.get(site["region"]),
                site_region_text=getattr(regions.get(site["region"]), "name", ""),
                latitude=Decimal(str(site["lat"])).quantize(Decimal("0.000001")),
                longitude=Decimal(str(site["lng"])).quantize(Decimal("0.000001")),
                budget_fen=site["cost_fen"],
                remarks=f"由选址计算 #{run.pk} 第 {site['rank']} 个站点生成，新增覆盖约 {site['newly_elders']} 位老年人",
                siting_run=run,
                source_row={"siting_run": run.pk, "rank": site["rank"]},
                created_by=actor,
            )
            item.full_clean()
            item.save()
            PlanItemEvent.objects.create(
                item=item, actor=actor, kind="created", summary=f"由选址计算 #{run.pk} 生成"
            )
            audit.record(
                actor=actor,
                action=audit.Action.CREATE,
                obj=item,
                summary=f"选址结果转为建设计划：{item.name}",
            )
            items.append(item)
    return items
