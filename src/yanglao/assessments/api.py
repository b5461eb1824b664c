"""The JSON API of capability assessments (GB/T 42195-2022): the record, its workflow, and a scorer.

Item codes follow the standard's numbering ("B.1.1" … "B.4.5"). Results (subtotals, total, levels,
reasons) are always computed from the answers by ``scoring``; a client never sends them.

Status codes, as elsewhere in the API: 403 for a missing capability or a refused actor (``forbidden``,
``own_assessment``, ``approver_level``), 404 outside the reader's scope, 422 for input the rules refuse
and for a step the record's state does not allow (``assessment_not_editable``, ``wrong_status``; like
a facility's ``illegal_transition``, a state refusal is a 422 — 409 is kept for duplicates).
"""

from datetime import date, datetime
from typing import Literal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from ninja import Field, Query, Router, Schema
from ninja import Status as Respond
from pydantic import StrictInt, field_validator

from yanglao.accounts.models import User
from yanglao.accounts.roles import Cap
from yanglao.assessments import scoring, selectors, services
from yanglao.assessments.errors import AssessmentErrorCode as E
from yanglao.assessments.forms import BASIC_FIELDS
from yanglao.assessments.models import Assessment, Reason, Status
from yanglao.assessments.standard import (
    COMA_PROBLEM,
    DIMENSIONS,
    DISEASE_DIAGNOSES,
    HEALTH_PROBLEMS,
    ITEMS,
    LEVELS,
    RISK_EVENTS,
)
from yanglao.core.api import ApiError, Page, PageParams, errors, paginate
from yanglao.elders import selectors as elder_selectors

router = Router(tags=["能力评估"])
# Mounted at /elders: the routes that hang under one elder (GET /elders/{id}/assessments).
elder_router = Router(tags=["能力评估"])

DiagnosisName = Literal[tuple(d.name for d in DISEASE_DIAGNOSES)]  # type: ignore[valid-type]
RiskEventKind = Literal[RISK_EVENTS]  # type: ignore[valid-type]
_BASIC = {key: choices for key, _, choices in BASIC_FIELDS}
_PROBLEMS = {p.code: p for p in HEALTH_PROBLEMS}

ANSWERS_DOC = '评估项目编号 → 所选选项的分值，如 {"B.1.1": 4}（附录 B，共 26 项）'
RISK_DOC = "A.2.14 近30天内照护风险事件：事件 → 次数 0–3（3 表示 3 次及以上）"
COMA_DOC = "A.5.11 昏迷：true 有、false 无、null 未注明（B.3.9 意识水平为 0 分时须注明）"


# --- output -----------------------------------------------------------------------------------------


class LevelOut(Schema):
    code: int = Field(..., description="0 能力完好 … 4 能力完全丧失（C.3）")
    name: str


class ElderRef(Schema):
    id: int
    name: str


class UserRef(Schema):
    id: int
    username: str
    display_name: str


class DimensionScoreOut(Schema):
    code: str = Field(..., description="一级指标编号，B.1 … B.4")
    name: str
    score: int = Field(..., description="已评项目的得分之和")
    max_score: int
    answered: int
    items: int


class MedicationOut(Schema):
    name: str
    usage: str = ""
    dose: str = ""
    frequency: str = ""


class AssessmentEventOut(Schema):
    at: datetime
    kind: str = Field(..., description="created / submitted / returned / approved")
    note: str
    actor: str | None

    @staticmethod
    def resolve_actor(obj):
        return obj.actor.display_name if obj.actor_id else None


def _level(code: int | None) -> dict | None:
    return None if code is None else {"code": code, "name": LEVELS[code].name}


def _user(user) -> dict | None:
    return (
        None
        if user is None
        else {"id": user.pk, "username": user.username, "display_name": user.display_name}
    )


class AssessmentOut(Schema):
    id: int
    number: str
    elder: ElderRef
    region_code: str = Field(..., alias="region_id")
    region_name: str
    reference_date: date
    reason: str
    status: str
    total: int | None = Field(..., description="总分 0–90；项目未评完时为 null")
    final_level: LevelOut | None
    assessor_1: UserRef
    updated_at: datetime

    @staticmethod
    def resolve_elder(obj):
        return {"id": obj.elder_id, "name": obj.elder.name}

    @staticmethod
    def resolve_region_name(obj):
        return obj.region.full_name

    @staticmethod
    def resolve_final_level(obj):
        return _level(obj.final_level)

    @staticmethod
    def resolve_assessor_1(obj):
        return _user(obj.assessor_1)


class AssessmentDetailOut(AssessmentOut):
    reason_note: str
    answers: dict[str, int]
    subtotals: list[DimensionScoreOut] = Field(..., description="各一级指标：已评项目的得分、满分、已评项数")
    preliminary_level: LevelOut | None = Field(..., description="C.3 初步等级；项目未评完时为 null")
    level_reasons: list[str] = Field(..., description="C.4 等级变更依据（最终等级与初步等级不同的原因）")
    basic_info: dict[str, str]
    informant_name: str
    informant_relation: str
    diagnoses: list[str]
    other_diagnosis: str
    mental_disorder_by_specialist: bool
    medications: list[MedicationOut]
    health_problems: dict[str, str | list[str]]
    risk_events: dict[str, int]
    coma: bool | None
    assessors: list[UserRef] = Field(..., description="评估员（第一、第二）")
    assessor_2: UserRef | None
    created_at: datetime
    submitted_at: datetime | None
    approved_by: UserRef | None
    approved_at: datetime | None
    return_reason: str
    events: list[AssessmentEventOut]

    @staticmethod
    def resolve_subtotals(obj):
        return [
            {"code": d.code, "name": d.name, "max_score": d.max_score, "items": len(d.items),
             "score": sum(obj.answers.get(i.code, 0) for i in d.items),
             "answered": sum(1 for i in d.items if i.code in obj.answers)}
            for d in DIMENSIONS
        ]  # fmt: skip

    @staticmethod
    def resolve_preliminary_level(obj):
        return _level(obj.preliminary_level)

    @staticmethod
    def resolve_basic_info(obj):
        return {str(k): "" if v is None else str(v) for k, v in obj.basic_info.items()}

    @staticmethod
    def resolve_assessors(obj):
        return [_user(u) for u in (obj.assessor_1, obj.assessor_2) if u is not None]

    @staticmethod
    def resolve_assessor_2(obj):
        return _user(obj.assessor_2)

    @staticmethod
    def resolve_approved_by(obj):
        return _user(obj.approved_by)

    @staticmethod
    def resolve_events(obj):
        return list(obj.events.select_related("actor"))


class ScoreOut(Schema):
    dimensions: list[DimensionScoreOut]
    total: int
    preliminary_level: LevelOut
    final_level: LevelOut
    level_changed: bool
    reasons: list[str] = Field(..., description="C.4 等级变更依据，中文")
    coma: bool = Field(..., description="按 A.5.11 与 B.3.9 判定的昏迷状态")


# --- input ------------------------------------------------------------------------------------------


class AssessmentFilterIn(Schema):
    q: str = Field("", max_length=40, description="老年人姓名或评估编号")
    region: str = Field("", pattern=r"^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})?$")
    status: Status | None = None
    level: int | None = Field(None, ge=0, le=4, description="最终等级 0–4")


class MedicationIn(Schema):
    name: str = Field(..., min_length=1, max_length=50)
    usage: str = Field("", max_length=30)
    dose: str = Field("", max_length=30)
    frequency: str = Field("", max_length=30)


class BasicInfoIn(Schema):
    """A.2 items the assessor fills in; the rest (姓名、性别、出生日期…) comes from the registry."""

    education: Literal[tuple(_BASIC["education"])] | None = None  # type: ignore[valid-type]
    religion: Literal[tuple(_BASIC["religion"])] | None = None  # type: ignore[valid-type]
    payment: Literal[tuple(_BASIC["payment"])] | None = None  # type: ignore[valid-type]
    income: Literal[tuple(_BASIC["income"])] | None = None  # type: ignore[valid-type]


class AssessmentPartsIn(Schema):
    """Answers and the Appendix A parts; every field optional. A field left out keeps its value."""

    answers: dict[str, StrictInt] | None = Field(
        None, max_length=60, description=ANSWERS_DOC + "。只需提交新评或改评的项目，与已保存的合并。"
    )
    assessor_2: str | None = Field(
        None, max_length=150, description="第二评估员的用户名（须有评估权限且管辖该老年人）；null 清除"
    )
    informant_name: str | None = Field(None, max_length=50, description="A.3 信息提供者姓名")
    informant_relation: str | None = Field(None, max_length=20)
    diagnoses: list[DiagnosisName] | None = Field(None, max_length=30, description="A.4.1 疾病诊断")  # type: ignore[valid-type]
    other_diagnosis: str | None = Field(None, max_length=200)
    mental_disorder_by_specialist: bool | None = Field(
        None, description="“其他精神和行为障碍”是否经精神科专科医生诊断（C.4）"
    )
    medications: list[MedicationIn] | None = Field(None, max_length=20, description="A.4.2 用药情况")
    health_problems: dict[str, str | list[str]] | None = Field(
        None,
        max_length=20,
        description="A.5 健康相关问题：编号 → 选项（可多选的为列表；A.5.12 为文字）。A.5.11 昏迷用 coma 字段。",
    )
    risk_events: dict[RiskEventKind, StrictInt] | None = Field(None, description=RISK_DOC)  # type: ignore[valid-type]
    coma: bool | None = Field(None, description=COMA_DOC)
    basic_info: BasicInfoIn | None = Field(None, description="A.2 中由评估员填写的项目，与已有信息合并")

    @field_validator("health_problems")
    @classmethod
    def _health_problems(cls, value):
        if value is None:
            return value
        clean = {}
        for code, answer in value.items():
            problem = _PROBLEMS.get(code)
            if problem is None:
                raise ValueError(f"没有健康相关问题 {code}（应为 A.5.1–A.5.12）")
            if code == COMA_PROBLEM:
                raise ValueError("A.5.11 昏迷请用 coma 字段填写")
            if not problem.choices:
                if not isinstance(answer, str) or len(answer) > 200:
                    raise ValueError(f"{code} {problem.name} 应为 200 字以内的文字")
                clean[code] = answer.strip()
                continue
            chosen = [answer] if isinstance(answer, str) else list(answer)
            wrong = [c for c in chosen if c not in problem.choices]
            if wrong:
                raise ValueError(f"{code} {problem.name} 没有选项：{'、'.join(wrong)}")
            if problem.multiple:
                clean[code] = [c for c in problem.choices if c in chosen]
            elif len(chosen) != 1:
                raise ValueError(f"{code} {problem.name} 只能选一项")
            else:
                clean[code] = chosen[0]
        return clean


class AssessmentIn(AssessmentPartsIn):
    elder_id: int
    reference_date: date = Field(..., description="评估基准日期，不能晚于今天")
    reason: Reason = Field(..., description="A.1.3 评估原因")
    reason_note: str = Field("", max_length=100, description="评估原因为“其他”时的说明")


class AssessmentPatch(AssessmentPartsIn):
    reference_date: date | None = None
    reason: Reason | None = None
    reason_note: str | None = Field(None, max_length=100)


class ReturnIn(Schema):
    reason: str = Field(..., min_length=1, max_length=200, description="退回原因，评估员据此修改")


class ScoreIn(Schema):
    answers: dict[str, StrictInt] = Field(
        ..., max_length=60, description=ANSWERS_DOC + "。须评完全部 26 项。"
    )
    diagnoses: list[DiagnosisName] = Field(default_factory=list, max_length=30)  # type: ignore[valid-type]
    mental_disorder_by_specialist: bool = False
    risk_events: dict[RiskEventKind, StrictInt] = Field(default_factory=dict, description=RISK_DOC)  # type: ignore[valid-type]
    coma: bool | None = Field(None, description=COMA_DOC)


# --- helpers ----------------------------------------------------------------------------------------


def _require(actor, capability, message="您没有此项权限。"):
    if not actor.can(capability):
        raise PermissionDenied(message)


def _second_assessor(username: str | None):
    """The user named as second assessor. An unknown name gets the same refusal as an ineligible
    one, so the answer says nothing about accounts outside the caller's scope."""
    if username is None or not username.strip():
        return None
    user = User.objects.select_related("region").filter(username__iexact=username.strip()).first()
    if user is None:
        message = "第二评估员须是本地区有评估权限的在岗人员。"
        raise ApiError(422, E.SECOND_ASSESSOR, message, {"assessor_2": [message]})
    return user


def _parts(payload: AssessmentPartsIn, assessment: Assessment | None, *, skip=()) -> tuple[dict | None, dict]:
    """(answers, parts) for ``services.assessment_save`` from the fields the client sent."""
    given = payload.dict(exclude_unset=True)
    for name in skip:
        given.pop(name, None)
    answers = given.pop("answers", None)
    parts: dict = {}
    for name, value in given.items():
        if name == "assessor_2":
            parts[name] = _second_assessor(value)
        elif name == "basic_info":
            # merged: the registry's part (姓名、性别…) stays; an explicit null clears an item
            current = dict(assessment.basic_info) if assessment is not None else {}
            current.update({k: v or "" for k, v in (value or {}).items()})
            parts[name] = current
        elif name == "diagnoses":
            parts[name] = [d.name for d in DISEASE_DIAGNOSES if d.name in (value or [])]
        elif name in ("reference_date", "reason"):
            if value is not None:
                parts[name] = value
        elif name == "coma":
            parts[name] = value
        elif name == "mental_disorder_by_specialist":
            parts[name] = bool(value)
        elif name in ("medications", "health_problems", "risk_events"):
            parts[name] = value or ({} if name != "medications" else [])
        else:
            parts[name] = (value or "").strip()
    return answers, parts


def _item_message(code: str, error_code: str, answers: dict) -> str:
    item = ITEMS.get(code)
    if item is None:
        return E.UNKNOWN_ITEM.label
    if error_code == E.INCOMPLETE:
        return f"{item.label} 未评估"
    return f"{item.label} 得分 {answers.get(code)!r} 超出范围（应为 {item.min_score}–{item.max_score}）"


def _offending(error_code: str, answers: dict) -> list[str]:
    if error_code == E.UNKNOWN_ITEM:
        return [c for c in answers if c not in ITEMS]
    if error_code == E.OUT_OF_RANGE:
        return [c for c, v in answers.items() if c in ITEMS and v not in ITEMS[c].scores]
    if error_code == E.INCOMPLETE:
        return [c for c in ITEMS if c not in answers]
    return []


def _answers_error(exc: ValidationError, answers: dict) -> None:
    """Re-raise a service refusal of the answers with ``fields`` naming each offending item
    (``answers.B.1.1``), the code unchanged."""
    errors = getattr(exc, "error_dict", {}).get("answers")
    if not errors:
        return
    error = errors[0]
    message = error.messages[0]
    items = _offending(error.code, answers)
    if items:
        fields = {f"answers.{code}": [_item_message(code, error.code, answers)] for code in items}
        raise ApiError(422, error.code, message, fields) from None


# Refusals of *who* acts, not of what was sent: a 403 with the specific code (as accounts does for
# disabling oneself).
_ACTOR_REFUSALS = (E.OWN_ASSESSMENT, E.APPROVER_LEVEL)


def _actor_refusal(exc: ValidationError) -> None:
    if not hasattr(exc, "error_dict") and exc.error_list and exc.error_list[0].code in _ACTOR_REFUSALS:
        raise ApiError(403, exc.error_list[0].code, exc.messages[0]) from None


def _detail(request, pk: int) -> Assessment:
    return selectors.assessment_get(actor=request.auth, pk=pk)


def _renamed(exc: ValidationError) -> ValidationError:
    """The service names the elder ``elder``; the client sent ``elder_id``."""
    if hasattr(exc, "error_dict") and "elder" in exc.error_dict:
        exc.error_dict["elder_id"] = exc.error_dict.pop("elder")
    return exc


# --- routes -----------------------------------------------------------------------------------------


@router.get("", response={200: Page[AssessmentOut], **errors(403)})
def assessment_list(request, filters: Query[AssessmentFilterIn], paging: Query[PageParams]):
    """能力评估列表（您管辖范围内），按姓名或评估编号、区划、状态、最终等级筛选。需 assessments.view。"""
    values = selectors.AssessmentFilters(
        q=filters.q,
        region=filters.region,
        status=filters.status.value if filters.status is not None else "",
        level="" if filters.level is None else str(filters.level),
    )
    return paginate(selectors.assessment_list(actor=request.auth, filters=values), paging)


@router.post("", response={201: AssessmentDetailOut, **errors(403, 404)})
def assessment_create(request, payload: AssessmentIn):
    """新建能力评估（草稿），可同时提交已评项目和附录 A 各部分。需 assessments.edit。

    老年人不在册（已故、已迁出）返回 422 `elder_not_active`；分值不在该项目选项内 `out_of_range`，
    没有的项目 `unknown_item`（`fields` 逐项列出 `answers.B.x.x`）。出错时不会留下任何记录。"""
    _require(request.auth, Cap.ASSESSMENTS_EDIT, "您没有开展能力评估的权限。")
    elder = elder_selectors.elder_get(actor=request.auth, pk=payload.elder_id)
    answers, parts = _parts(payload, None, skip=("elder_id", "reference_date", "reason", "reason_note"))
    try:
        with transaction.atomic():
            assessment = services.assessment_create(
                actor=request.auth,
                elder=elder,
                reference_date=payload.reference_date,
                reason=payload.reason.value,
                reason_note=payload.reason_note,
            )
            if answers is not None or parts:
                if "basic_info" in parts:
                    parts["basic_info"] = {**assessment.basic_info, **parts["basic_info"]}
                services.assessment_save(actor=request.auth, assessment=assessment, answers=answers, **parts)
    except ValidationError as exc:
        _answers_error(exc, answers or {})
        raise _renamed(exc) from None
    return Respond(201, _detail(request, assessment.pk))


@router.post("/score", response={200: ScoreOut, **errors(403)})
def assessment_score(request, payload: ScoreIn):
    """评分计算器：按 GB/T 42195-2022 计算一组完整评估结果的各维度得分、总分、初步等级和最终等级
    及等级变更依据，不保存任何数据。需 assessments.view（有评估权限的角色均有此权限）。

    26 项须全部评完：缺项 422 `incomplete`，没有的项目 `unknown_item`，分值不在选项内 `out_of_range`，
    `fields` 逐项列出（`answers.B.1.1`）；B.3.9 为 0 分而未注明是否昏迷 `coma_unspecified`，
    注明昏迷而 B.3.9 不为 0 分 `coma_conflict`。"""
    _require(request.auth, Cap.ASSESSMENTS_VIEW, "您没有查看能力评估的权限。")
    risk_events = services._check_risk_events(payload.risk_events)  # the service's rule: 0–3 each
    draft = Assessment(
        answers=payload.answers,
        diagnoses=list(payload.diagnoses),
        mental_disorder_by_specialist=payload.mental_disorder_by_specialist,
        risk_events=risk_events,
        coma=payload.coma,
    )
    try:
        result = services.compute(draft)
        if result is None:  # fewer than 26 answers: let the scorer say which are missing or unknown
            scoring.score(
                payload.answers, coma=payload.coma, dementia_or_mental_disorder=False, risk_events_30d=0
            )
            raise AssertionError("an incomplete answer set was scored")  # pragma: no cover
    except scoring.ScoringError as exc:
        if exc.code in ("coma_unspecified", "coma_conflict"):
            fields = {"coma": [exc.message]}
        else:
            fields = {
                f"answers.{code}": [_item_message(code, exc.code, payload.answers)] for code in exc.items
            }
        raise ApiError(422, exc.code, exc.message, fields or {"answers": [exc.message]}) from None
    return {
        "dimensions": [
            {"code": d.code, "name": d.name, "score": result.subtotals[d.code], "max_score": d.max_score,
             "answered": len(d.items), "items": len(d.items)}
            for d in DIMENSIONS
        ],
        "total": result.total,
        "preliminary_level": _level(result.preliminary_level.code),
        "final_level": _level(result.final_level.code),
        "level_changed": result.changed,
        "reasons": list(result.reasons),
        "coma": result.coma,
    }  # fmt: skip


@router.get("/{assessment_id}", response={200: AssessmentDetailOut, **errors(403, 404)})
def assessment_detail(request, assessment_id: int):
    """一次评估的全部内容：各项得分、一级指标小计、总分、初步和最终等级及依据、评估员、审核和记录。"""
    return _detail(request, assessment_id)


@router.patch("/{assessment_id}", response={200: AssessmentDetailOut, **errors(403, 404)})
def assessment_update(request, assessment_id: int, payload: AssessmentPatch):
    """保存草稿：只需提交要改的字段（评估项目与已保存的合并）。需 assessments.edit。

    已提交或已审核的评估不能修改：422 `assessment_not_editable`（更正已审核的评估请新建评估）。"""
    _require(request.auth, Cap.ASSESSMENTS_EDIT, "您没有开展能力评估的权限。")
    assessment = _detail(request, assessment_id)
    answers, parts = _parts(payload, assessment)
    try:
        services.assessment_save(actor=request.auth, assessment=assessment, answers=answers, **parts)
    except ValidationError as exc:
        _answers_error(exc, answers or {})
        raise
    return _detail(request, assessment_id)


@router.post("/{assessment_id}/submit", response={200: AssessmentDetailOut, **errors(403, 404)})
def assessment_submit(request, assessment_id: int):
    """提交审核（本评估的评估员）。须评完 26 项（否则 422 `incomplete`，`fields` 列出未评项目）并填写
    第二评估员（`second_assessor_required`）。"""
    _require(request.auth, Cap.ASSESSMENTS_EDIT, "您没有开展能力评估的权限。")
    assessment = _detail(request, assessment_id)
    try:
        services.assessment_submit(actor=request.auth, assessment=assessment)
    except ValidationError as exc:
        _answers_error(exc, assessment.answers)
        raise
    return _detail(request, assessment_id)


@router.post("/{assessment_id}/approve", response={200: AssessmentDetailOut, **errors(403, 404)})
def assessment_approve(request, assessment_id: int):
    """审核通过：最终等级记入老年人档案。需 assessments.approve，旗县及以上民政干部
    （否则 403 `approver_level`），不能是本评估的评估员（403 `own_assessment`）；
    只能审核待审核的评估（422 `wrong_status`）。"""
    assessment = _detail(request, assessment_id)
    try:
        services.assessment_approve(actor=request.auth, assessment=assessment)
    except ValidationError as exc:
        _actor_refusal(exc)
        raise
    return _detail(request, assessment_id)


@router.post("/{assessment_id}/return", response={200: AssessmentDetailOut, **errors(403, 404)})
def assessment_return(request, assessment_id: int, payload: ReturnIn):
    """退回评估员修改，须写明原因。审核人的要求与审核通过相同。"""
    assessment = _detail(request, assessment_id)
    try:
        services.assessment_return(actor=request.auth, assessment=assessment, reason=payload.reason)
    except ValidationError as exc:
        _actor_refusal(exc)
        raise
    return _detail(request, assessment_id)


@elder_router.get("/{elder_id}/assessments", response={200: Page[AssessmentOut], **errors(403, 404)})
def elder_assessment_list(request, elder_id: int, paging: Query[PageParams]):
    """一位老年人的能力评估（新的在前），只含您管辖范围内的评估。需 elders.view 和 assessments.view。"""
    elder = elder_selectors.elder_get(actor=request.auth, pk=elder_id)
    assessments = selectors.elder_assessments(actor=request.auth, elder=elder).select_related(
        "elder", "region"
    )
    return paginate(assessments, paging)
