"""The JSON API of planning: service-circle coverage and siting (the plans' routes are in plan_api.py).

Status codes as elsewhere: 403 without the capability, 404 for a region or run outside the reader's
scope, 422 with a stable ``code`` for input the rules refuse (nothing is stored then).
"""

from datetime import datetime
from typing import Literal

from django.core.exceptions import PermissionDenied
from ninja import Field, Query, Router, Schema
from ninja import Status as Respond

from yanglao.accounts.roles import Cap
from yanglao.core.api import ApiError, Page, PageParams, errors, paginate
from yanglao.planning import selectors, services
from yanglao.planning.errors import PlanningErrorCode as E
from yanglao.planning.models import RunStatus, SitingQuestion
from yanglao.regions.codes import RegionCodeError, canonical
from yanglao.regions.models import Region

router = Router(tags=["规划"])

SERVICE_CODES = [code for code, _ in selectors.SERVICE_CHOICES if code]


def _service(value: str) -> str:
    if value and value not in SERVICE_CODES:
        raise ApiError(422, E.QUESTION_INVALID, "没有这个服务项目。", {"service": ["没有这个服务项目。"]})
    return value


# --- coverage --------------------------------------------------------------------------------------


class CoverageIn(Schema):
    region: str = Field("", max_length=12, description="区划代码；空为本人所辖区划")
    service: str = Field("", description="服务项目代码（如 meal.dine_in）；空为任一设施")
    include_planned: bool = Field(False, description="把规划、在建设施和有坐标的建设计划项目算作已建成")
    detail: bool = Field(False, description="同时返回地图数据：设施服务圈和未覆盖老年人的六边形汇总")


class GroupOut(Schema):
    key: str
    label: str
    total: int
    covered: int


class SubRegionOut(Schema):
    code: str
    name: str
    total: int
    located: int
    covered: int
    share: float | None
    weighted_share: float | None


class CircleOut(Schema):
    radius_m: float
    sites: int


class CoverageOut(Schema):
    region_code: str
    region_name: str
    service: str
    include_planned: bool
    total: int = Field(..., description="在册老年人")
    located: int = Field(..., description="有位置（本人坐标或所在村、乡镇位置）的老年人")
    own_location: int
    village_location: int
    township_location: int
    unlocated: int
    covered: int
    uncovered: int
    share: float | None = Field(..., description="covered / located")
    weight_total: float
    weight_covered: float
    weighted_share: float | None
    weights: dict[str, float] = Field(..., description="权重：每人 1，另加 失能/半失能/独居/高龄")
    groups: list[GroupOut]
    sub_regions: list[SubRegionOut]
    circles: list[CircleOut] = Field(..., description="服务圈半径（米）及按此半径计算的设施数")
    sites: list[dict] | None = None
    hexes: list[list[float]] | None = Field(None, description="[纬度, 经度, 人数, 加权人数]")
    hex_size_m: float | None = None
    seconds: float


def _region_code(code: str) -> str:
    """The 12-digit code of a ``region`` parameter, or 422 region_invalid."""
    try:
        return canonical(code)
    except RegionCodeError:
        raise ApiError(422, "region_invalid", "区划代码无效。", {"region": ["区划代码无效。"]}) from None


def _require(actor, capability, message):
    if not actor.can(capability):
        raise PermissionDenied(message)


@router.get("/coverage", response={200: CoverageOut, **errors(403, 404)})
def coverage(request, params: Query[CoverageIn]):
    """15 分钟服务圈覆盖：某区划（及其下级）在册老年人中，在某项服务（或任一设施）服务圈内的人数和
    加权比例，按下级区划分列。需 planning.view。区划不在管辖范围内返回 404。"""
    _require(request.auth, Cap.PLANNING_VIEW, "您没有查看规划数据的权限。")
    if params.region:
        _region_code(params.region)
    query = selectors.CoverageQuery(
        region=params.region, service=_service(params.service), include_planned=params.include_planned
    )
    report = selectors.coverage(actor=request.auth, query=query)
    return {
        "region_code": report.region.code,
        "region_name": report.region.name,
        "service": query.service,
        "include_planned": query.include_planned,
        "total": report.total,
        "located": report.located,
        "own_location": report.own_location,
        "village_location": report.village_location,
        "township_location": report.township_location,
        "unlocated": report.unlocated,
        "covered": report.covered,
        "uncovered": report.uncovered,
        "share": report.share,
        "weight_total": report.weight_total,
        "weight_covered": report.weight_covered,
        "weighted_share": report.weighted_share,
        "weights": report.weights,
        "groups": report.groups,
        "sub_regions": [
            {
                "code": row.region.code,
                "name": row.region.name,
                "total": row.total,
                "located": row.located,
                "covered": row.covered,
                "share": row.share,
                "weighted_share": row.weighted_share,
            }
            for row in report.rows
        ],
        "circles": report.circles,
        "sites": report.sites if params.detail else None,
        "hexes": report.hexes if params.detail else None,
        "hex_size_m": report.hex_size_m if params.detail else None,
        "seconds": report.seconds,
    }


# --- siting ----------------------------------------------------------------------------------------


class SitingIn(Schema):
    region: str = Field(..., max_length=12, description="区划代码（须在管辖范围内）")
    question: Literal[tuple(SitingQuestion.values)] = Field(  # type: ignore[valid-type]
        ..., description="max_cover 最大覆盖 / set_cover 集合覆盖 / budget 预算约束"
    )
    p: int | None = Field(None, description="max_cover：新建站点数 1–500")
    share: float | None = Field(None, description="set_cover：目标加权覆盖率（%），0–100")
    budget_fen: int | None = Field(None, description="budget：预算（分）")
    service: str = ""
    include_planned: bool = False
    time_limit: float | None = Field(None, description="计算时限（秒），1–60，默认 10")


class SiteOut(Schema):
    rank: int
    candidate: int | None = Field(..., description="候选点编号；网格点为 null")
    name: str
    lat: float
    lng: float
    region: str
    radius: float
    cost_fen: int | None
    newly_elders: int
    newly_weight: float
    cumulative_weight: float
    cumulative_share: float | None
    cumulative_elder_share: float | None


class SitingRunOut(Schema):
    id: int
    region_code: str = Field(..., alias="region_id")
    question: str
    parameters: dict
    status: str
    objective: float | None
    bound: float | None = Field(..., description="已证明的目标值界")
    gap: float | None = Field(..., description="相对最优性差距，0 为已证明最优")
    method: str
    seconds: float | None
    error: str = Field(..., description="status 为 failed 时的原因（中文）")
    error_code: str = Field(
        ...,
        description="failed 时的代码：no_uncovered_demand、share_unreachable、candidate_cost_missing、no_candidates、solver_failed",
    )
    progress: int = Field(..., description="进度百分比（queued/running 时；done、failed 为 100）")
    progress_note: str = Field(..., description="running 时正在进行的步骤")
    sites: list[SiteOut]
    candidate_source: str | None
    candidate_count: int | None
    share_before: float | None
    share_after: float | None
    created_at: datetime

    @staticmethod
    def resolve_status(obj):
        return selectors.run_state(run=obj).status

    @staticmethod
    def resolve_error(obj):
        return selectors.run_state(run=obj).error

    @staticmethod
    def resolve_error_code(obj):
        return selectors.run_state(run=obj).error_code

    @staticmethod
    def resolve_progress(obj):
        return selectors.run_state(run=obj).percent

    @staticmethod
    def resolve_progress_note(obj):
        return selectors.run_state(run=obj).note

    @staticmethod
    def resolve_sites(obj):
        return obj.result.get("sites", [])

    @staticmethod
    def resolve_candidate_source(obj):
        return obj.result.get("candidate_source")

    @staticmethod
    def resolve_candidate_count(obj):
        return obj.result.get("candidate_count")

    @staticmethod
    def resolve_share_before(obj):
        return obj.result.get("share_before")

    @staticmethod
    def resolve_share_after(obj):
        return obj.result.get("share_after")


@router.post("/siting", response={202: SitingRunOut, **errors(403, 404)})
def siting_create(request, payload: SitingIn):
    """提出一个选址问题，排队在后台求解：返回 202 和这次计算（`id`，`status` 为 queued）。
    用 `GET /siting/{id}` 查询进度；`status` 为 done 时含选出的站点（按选入顺序，含新增覆盖和累计覆盖率）
    和已证明的最优性差距 `gap`，为 failed 时含原因 `error` 和 `error_code`（`no_uncovered_demand`、
    `share_unreachable`、`candidate_cost_missing`、`no_candidates`、`solver_failed`）。
    需 planning.edit。候选点为该区划参与选址的候选站点，没有时用覆盖人口的网格点。

    立即拒绝（422，不排队）：`p_required`、`share_required`、`budget_required`、`time_limit_invalid`、
    `question_invalid`、`region_invalid`、`region_out_of_scope`。"""
    _require(request.auth, Cap.PLANNING_EDIT, "您没有提出选址问题的权限。")
    region = Region.objects.filter(code=_region_code(payload.region)).first()
    if region is None:
        raise ApiError(422, "region_invalid", "区划不存在。", {"region": ["区划不存在。"]})
    run = services.siting_submit(
        actor=request.auth,
        region=region,
        question=payload.question,
        p=payload.p,
        share=payload.share,
        budget_fen=payload.budget_fen,
        service=_service(payload.service),
        include_planned=payload.include_planned,
        time_limit=payload.time_limit,
    )
    return Respond(202, run)


class RunFilterIn(Schema):
    region: str = Field("", max_length=12, description="区划代码（含下级），限定在您的管辖范围内")
    question: Literal[tuple(SitingQuestion.values)] | None = None  # type: ignore[valid-type]
    status: Literal[tuple(RunStatus.values)] | None = Field(  # type: ignore[valid-type]
        None, description="queued 排队 / running 计算中 / done 完成 / failed 失败（含后台任务已失败的）"
    )


@router.get("/siting", response={200: Page[SitingRunOut], **errors(403)})
def siting_list(request, filters: Query[RunFilterIn], paging: Query[PageParams]):
    """您管辖范围内的选址计算，新的在前，可按区划、问题、状态筛选。需 planning.view。
    区划代码无法识别时 422 `region_invalid`；管辖范围外的区划得到空列表。"""
    if filters.region:
        _region_code(filters.region)
    runs = selectors.run_list(
        actor=request.auth,
        region=filters.region,
        question=filters.question or "",
        status=filters.status or "",
    )
    return paginate(runs, paging)


@router.get("/siting/{run_id}", response={200: SitingRunOut, **errors(403, 404)})
def siting_detail(request, run_id: int):
    """一次选址计算的问题、状态（queued 排队 / running 计算中 / done 完成 / failed 失败）、进度，
    完成后的结果和最优性差距。需 planning.view。"""
    return selectors.run_get(actor=request.auth, pk=run_id)
