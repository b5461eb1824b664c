"""The assessment workflow: draft → submitted (two assessors) → approved by a county officer, or
returned with a reason. An approved assessment is never changed: a correction is a new assessment.
Every result is recomputed from the answers by ``scoring`` — levels are never typed."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from yanglao.accounts.roles import Cap
from yanglao.assessments import scoring
from yanglao.assessments.errors import AssessmentErrorCode as E
from yanglao.assessments.models import Assessment, AssessmentEvent, Reason, ReassessmentTrigger, Status
from yanglao.assessments.standard import DEMENTIA, ITEMS, OTHER_MENTAL_DISORDER, RISK_EVENTS
from yanglao.core import audit
from yanglao.elders import services as elder_services
from yanglao.elders.models import Elder
from yanglao.elders.models import Status as ElderStatus

EDITABLE = (Status.DRAFT, Status.RETURNED)
APPROVER_LEVELS = ("province", "city", "county")


def _check_scope(actor, elder_or_assessment) -> None:
    code = elder_or_assessment.region_id
    if actor is not None and not actor.scope.contains(code):
        raise PermissionDenied("该老年人不在您的管辖范围内。")


def _event(assessment, kind, actor, note=""):
    AssessmentEvent.objects.create(
        assessment=assessment,
        kind=kind,
        note=note[:300],
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )


def _next_number(elder: Elder, on: date) -> str:
    prefix = f"PG{elder.region_id[:6]}{on:%Y}"
    last = (
        Assessment.objects.filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return f"{prefix}{(int(last[len(prefix) :]) + 1 if last else 1):05d}"


@transaction.atomic
def assessment_create(
    *, actor, elder: Elder, reference_date: date, reason: str = Reason.FIRST, reason_note: str = ""
) -> Assessment:
    """A numbered draft. Open re-assessment triggers stay open until an assessment is approved: a
    draft that is abandoned or returned must not take the person off the immediate list."""
    _check_scope(actor, elder)
    if not actor.can(Cap.ASSESSMENTS_EDIT):
        raise PermissionDenied("您没有开展能力评估的权限。")
    errors = {}
    if elder.status != ElderStatus.ACTIVE:
        errors["elder"] = ValidationError(
            f"{elder.name}的档案状态为“{elder.get_status_display()}”，不能评估。", code=E.ELDER_NOT_ACTIVE
        )
    if reference_date > timezone.localdate():
        errors["reference_date"] = ValidationError("评估基准日期不能晚于今天。", code="future_date")
    open_one = (
        Assessment.objects.filter(elder=elder, status__in=(*EDITABLE, Status.SUBMITTED))
        .values_list("number", flat=True)
        .first()
    )
    if open_one:  # two drafts for one person would be two truths about the same day
        errors["elder"] = ValidationError(
            f"{elder.name}已有未完成的评估 {open_one}，请先完成或退回后再新建。", code=E.OPEN_EXISTS
        )
    if reason not in Reason.values:
        errors["reason"] = ValidationError("评估原因无效。", code="invalid_choice")
    elif reason == Reason.OTHER and not reason_note.strip():
        # The report prints the reason; "其他" alone tells a reader of the report nothing.
        errors["reason_note"] = ValidationError("评估原因为“其他”时请写明原因。", code="reason_note_required")
    if errors:
        raise ValidationError(errors)
    for _ in range(3):  # two assessors numbering at the same moment: the unique number decides
        try:
            with transaction.atomic():
                assessment = Assessment.objects.create(
                    number=_next_number(elder, reference_date),
                    elder=elder,
                    region_id=elder.region_id,
                    reference_date=reference_date,
                    reason=reason,
                    reason_note=reason_note.strip()[:100],
                    assessor_1=actor,
                    basic_info=_basic_info(elder),
                )
            break
        except IntegrityError:
            continue
    else:  # pragma: no cover
        raise ValidationError("评估编号冲突，请重试。", code="number_conflict")
    _event(assessment, "created", actor, f"{assessment.get_reason_display()}，基准日期 {reference_date}")
    audit.record(
        actor=actor,
        action=audit.Action.CREATE,
        obj=assessment,
        summary=f"新建能力评估 {assessment.number}（{elder.name}）",
    )
    return assessment


def _basic_info(elder: Elder) -> dict:
    """A.2 as the registry knows it on the day; the assessor completes the rest on the form."""
    return {
        "name": elder.name,
        "gender": elder.get_gender_display(),
        "birth_date": str(elder.birth_date),
        "id_number_masked": elder.id_number_masked,
        "ethnicity": elder.get_ethnicity_display(),
        "marital_status": elder.get_marital_status_display(),
        "living_situation": elder.get_living_situation_display(),
    }


def _basic_info_keys() -> set[str]:
    return {
        "name",
        "gender",
        "birth_date",
        "id_number_masked",
        "ethnicity",
        "marital_status",
        "living_situation",
    }


def check_answers(answers: dict) -> dict[str, int]:
    """Partial answers are fine while drafting; an unknown item or a score the item does not have is not."""
    clean, unknown, bad = {}, [], []
    for code, value in answers.items():
        item = ITEMS.get(code)
        if item is None:
            unknown.append(code)
            continue
        if value in (None, ""):
            continue
        try:
            score = None if isinstance(value, bool) else int(value)
        except (TypeError, ValueError):
            score = None
        if score is None or score not in item.scores:
            bad.append(f"{code} {item.name}")
            continue
        clean[code] = score
    if unknown:
        raise ValidationError(
            {"answers": ValidationError(f"没有这些评估项目：{'、'.join(unknown)}。", code=E.UNKNOWN_ITEM)}
        )
    if bad:
        raise ValidationError(
            {"answers": ValidationError(f"分值超出范围：{'、'.join(bad)}。", code=E.OUT_OF_RANGE)}
        )
    return clean


def risk_event_count(risk_events: dict) -> int:
    return sum(int(risk_events.get(kind, 0) or 0) for kind in RISK_EVENTS)


def has_mental_disorder_basis(assessment: Assessment) -> bool:
    """C.4: dementia (F00–F03), or another mental or behavioural disorder diagnosed by a specialist."""
    diagnoses = assessment.diagnoses or []
    return DEMENTIA.name in diagnoses or (
        OTHER_MENTAL_DISORDER.name in diagnoses and assessment.mental_disorder_by_specialist
    )


def level_change_bases(assessment: Assessment) -> tuple[bool, bool, bool]:
    """Which of C.4's three bases exist (coma, mental disorder, 2+ risk events in 30 days), read from
    the answers the scoring uses — also when a coma makes the other two raise nothing."""
    return (
        assessment.coma is True,
        has_mental_disorder_basis(assessment),
        risk_event_count(assessment.risk_events or {}) >= scoring.RISK_EVENT_THRESHOLD,
    )


def compute(assessment: Assessment) -> scoring.Result | None:
    """The results of a complete answer set; None while items are missing."""
    if len(assessment.answers) < len(ITEMS):
        return None
    return scoring.score(
        assessment.answers,
        coma=assessment.coma,
        dementia_or_mental_disorder=has_mental_disorder_basis(assessment),
        risk_events_30d=risk_event_count(assessment.risk_events),
    )


def _store_results(assessment: Assessment, result: scoring.Result | None) -> None:
    if result is None:
        assessment.subtotals, assessment.total = {}, None
        assessment.preliminary_level = assessment.final_level = None
        assessment.level_reasons = []
        return
    assessment.subtotals = dict(result.subtotals)
    assessment.total = result.total
    assessment.preliminary_level = result.preliminary_level.code
    assessment.final_level = result.final_level.code
    assessment.level_reasons = list(result.reasons)


def _require_editable(assessment: Assessment) -> None:
    if assessment.status not in EDITABLE:
        message = (
            "已审核的评估不能修改，如需更正请新建评估。"
            if assessment.status == Status.APPROVED
            else "评估已提交，等待审核，不能修改。"
        )
        raise ValidationError(message, code=E.NOT_EDITABLE)


def _require_editor(actor) -> None:
    if actor is not None and not actor.can(Cap.ASSESSMENTS_EDIT):
        raise PermissionDenied("您没有开展能力评估的权限。")


def _require_active(elder: Elder) -> None:
    if elder.status != ElderStatus.ACTIVE:
        raise ValidationError(
            f"{elder.name}的档案状态为“{elder.get_status_display()}”，不能评估。", code=E.ELDER_NOT_ACTIVE
        )


@transaction.atomic
def assessment_save(*, actor, assessment: Assessment, answers: dict | None = None, **parts) -> Assessment:
    """Save a draft: any subset of the answers and of the Appendix A parts; results follow the answers."""
    _check_scope(actor, assessment)
    _require_editable(assessment)
    _require_editor(actor)
    _update(actor, assessment, answers, parts)
    note = f"已评 {len(assessment.answers)}/{len(ITEMS)} 项" + (
        f"，总分 {assessment.total}" if assessment.total is not None else ""
    )
    _event(assessment, "saved", actor, note)
    audit.record(
        actor=actor,
        action=audit.Action.UPDATE,
        obj=assessment,
        summary=f"保存能力评估 {assessment.number}：{note}",
    )
    return assessment


def _update(actor, assessment: Assessment, answers: dict | None, parts: dict) -> None:
    if answers is not None:
        assessment.answers = {**assessment.answers, **check_answers(answers)}
    allowed = {"basic_info", "informant_name", "informant_relation", "diagnoses", "other_diagnosis",
               "mental_disorder_by_specialist", "medications", "health_problems", "risk_events", "coma", "assessor_2",
               "reference_date", "reason", "reason_note"}  # fmt: skip
    unknown = set(parts) - allowed
    if unknown:
        raise ValueError(f"unknown parts {sorted(unknown)}")
    if "reference_date" in parts and parts["reference_date"] > timezone.localdate():
        raise ValidationError(
            {"reference_date": ValidationError("评估基准日期不能晚于今天。", code="future_date")}
        )
    if "risk_events" in parts:
        parts["risk_events"] = _check_risk_events(parts["risk_events"])
    if "assessor_2" in parts and parts["assessor_2"] is not None:
        _check_second_assessor(actor, assessment, parts["assessor_2"])
    if "basic_info" in parts:  # the form adds to the registry's snapshot taken on creation, never replaces it
        parts["basic_info"] = {
            **assessment.basic_info,
            **{k: v for k, v in (parts["basic_info"] or {}).items() if k not in _basic_info_keys()},
        }
    for name, value in parts.items():
        setattr(assessment, name, value)
    try:
        result = compute(assessment)
    except scoring.ScoringError as exc:
        if exc.code in ("coma_unspecified", "coma_conflict"):
            raise ValidationError({"coma": ValidationError(exc.message, code=exc.code)}) from None
        raise ValidationError({"answers": ValidationError(exc.message, code=exc.code)}) from None
    _store_results(assessment, result)
    assessment.updated_at = timezone.now()
    assessment.full_clean(exclude=["assessor_1", "answers"])
    assessment.save()


def _check_risk_events(events: dict) -> dict:
    clean = {}
    for kind, count in (events or {}).items():
        if kind not in RISK_EVENTS:
            raise ValidationError(
                {"risk_events": ValidationError(f"没有这种照护风险事件：{kind}。", code="invalid_choice")}
            )
        try:
            value = int(count or 0)
        except (TypeError, ValueError):
            value = -1
        if not 0 <= value <= 3:
            raise ValidationError(
                {
                    "risk_events": ValidationError(
                        f"{kind}的次数应为 0–3（3 表示 3 次及以上）。", code=E.OUT_OF_RANGE
                    )
                }
            )
        clean[kind] = value
    return clean


def _check_second_assessor(actor, assessment: Assessment, second) -> None:
    if second.pk == assessment.assessor_1_id:
        raise ValidationError(
            {"assessor_2": ValidationError("第二评估员应是另一个人。", code=E.SECOND_ASSESSOR)}
        )
    if (
        not second.is_active
        or not second.can(Cap.ASSESSMENTS_EDIT)
        or not second.scope.contains(assessment.region_id)
    ):
        raise ValidationError(
            {
                "assessor_2": ValidationError(
                    "第二评估员须是本地区有评估权限的在岗人员。", code=E.SECOND_ASSESSOR
                )
            }
        )


@transaction.atomic
def assessment_submit(*, actor, assessment: Assessment) -> Assessment:
    _check_scope(actor, assessment)
    _require_editable(assessment)
    if actor.pk not in (assessment.assessor_1_id, assessment.assessor_2_id):
        raise PermissionDenied("只有本评估的评估员可以提交。")
    missing = [f"{code} {item.name}" for code, item in ITEMS.items() if code not in assessment.answers]
    if missing:
        raise ValidationError(
            {
                "answers": ValidationError(
                    f"还有 {len(missing)} 项未评估：{'、'.join(missing[:6])}{'…' if len(missing) > 6 else ''}。",
                    code=E.INCOMPLETE,
                )
            }
        )
    if assessment.assessor_2_id is None:
        raise ValidationError(
            {
                "assessor_2": ValidationError(
                    "提交前须填写第二评估员（评估报告须两名评估员签字）。", code=E.SECOND_ASSESSOR
                )
            }
        )
    _require_active(assessment.elder)
    _update(actor, assessment, None, {})  # recompute, refusing an inconsistent coma answer
    assessment.status, assessment.submitted_at, assessment.return_reason = (
        Status.SUBMITTED,
        timezone.now(),
        "",
    )
    assessment.save(update_fields=["status", "submitted_at", "return_reason"])
    _event(assessment, "submitted", actor, f"总分 {assessment.total}，最终等级 {assessment.final_level_name}")
    audit.record(
        actor=actor, action=audit.Action.UPDATE, obj=assessment, summary=f"提交能力评估 {assessment.number}"
    )
    return assessment


def _check_approver(actor, assessment: Assessment) -> None:
    if not actor.can(Cap.ASSESSMENTS_APPROVE):
        raise PermissionDenied("您没有审核能力评估的权限。")
    if actor.region.level not in APPROVER_LEVELS:
        raise ValidationError("能力评估须由旗县及以上民政干部审核。", code=E.APPROVER_LEVEL)
    if actor.pk in (assessment.assessor_1_id, assessment.assessor_2_id):
        raise ValidationError("不能审核本人参与的评估。", code=E.OWN_ASSESSMENT)
    if assessment.status != Status.SUBMITTED:
        raise ValidationError(f"“{assessment.get_status_display()}”的评估不能审核。", code=E.WRONG_STATUS)


@transaction.atomic
def assessment_approve(*, actor, assessment: Assessment) -> Assessment:
    _check_scope(actor, assessment)
    _check_approver(actor, assessment)
    elder = Elder.objects.select_for_update().get(pk=assessment.elder_id)
    _require_active(elder)
    assessment.status, assessment.approved_at, assessment.approved_by = Status.APPROVED, timezone.now(), actor
    assessment.save(update_fields=["status", "approved_at", "approved_by"])
    _event(assessment, "approved", actor)
    latest = (
        Assessment.objects.filter(elder=elder, status=Status.APPROVED)
        .exclude(pk=assessment.pk)
        .order_by("-reference_date", "-pk")
        .first()
    )
    # An older assessment approved late does not overwrite a newer level.
    if latest is None or latest.reference_date <= assessment.reference_date:
        elder_services.capability_record(
            elder=elder,
            level=assessment.final_level,
            on=assessment.reference_date,
            reference=assessment.number,
            actor=actor,
        )
    ReassessmentTrigger.objects.filter(
        elder=elder, resolved_by__isnull=True, occurred_on__lte=assessment.reference_date
    ).update(resolved_by=assessment)
    audit.record(
        actor=actor,
        action=audit.Action.UPDATE,
        obj=assessment,
        summary=f"审核通过能力评估 {assessment.number}：{assessment.final_level_name}",
    )
    return assessment


@transaction.atomic
def assessment_return(*, actor, assessment: Assessment, reason: str) -> Assessment:
    _check_scope(actor, assessment)
    _check_approver(actor, assessment)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ValidationError("请填写退回原因。", code="required")})
    assessment.status, assessment.return_reason = Status.RETURNED, reason[:200]
    assessment.save(update_fields=["status", "return_reason"])
    _event(assessment, "returned", actor, reason)
    audit.record(
        actor=actor,
        action=audit.Action.UPDATE,
        obj=assessment,
        summary=f"退回能力评估 {assessment.number}：{reason}"[:500],
    )
    return assessment


@transaction.atomic
def trigger_create(
    *, actor, elder: Elder, kind: str, occurred_on: date, note: str = ""
) -> ReassessmentTrigger:
    """A fall, a discharge from hospital, a caregiver's report: the person needs 即时评估."""
    _check_scope(actor, elder)
    _require_editor(actor)
    if occurred_on > timezone.localdate():
        raise ValidationError({"occurred_on": ValidationError("日期不能晚于今天。", code="future_date")})
    trigger = ReassessmentTrigger(
        elder=elder,
        region_id=elder.region_id,
        kind=kind,
        occurred_on=occurred_on,
        note=(note or "").strip()[:200],
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    trigger.full_clean(exclude=["created_by", "resolved_by"])
    trigger.save()
    elder_services.elder_event_record(
        elder=elder,
        kind="reassessment_needed",
        source="assessments",
        actor=actor,
        summary=f"需即时评估：{trigger.get_kind_display()}（{occurred_on}）{('，' + trigger.note) if trigger.note else ''}",
    )
    return trigger


def preview(
    *, answers: dict, diagnoses: list, mental_disorder_by_specialist: bool, risk_events: dict, coma
) -> dict:
    """What the form shows while items are being chosen: running subtotals, and the levels once
    every item is answered. Saves nothing."""
    from yanglao.assessments.standard import DIMENSIONS

    clean = {}
    for code, value in answers.items():
        item = ITEMS.get(code)
        if item is not None and str(value).isdigit() and int(value) in item.scores:
            clean[code] = int(value)
    draft = Assessment(
        answers=clean,
        diagnoses=diagnoses,
        mental_disorder_by_specialist=mental_disorder_by_specialist,
        risk_events={k: int(v or 0) for k, v in (risk_events or {}).items() if str(v or 0).isdigit()},
        coma=coma,
    )
    view = {
        "dimensions": [
            {"code": d.code, "name": d.name, "score": sum(clean.get(i.code, 0) for i in d.items),
             "max": d.max_score, "answered": sum(1 for i in d.items if i.code in clean), "items": len(d.items)}
            for d in DIMENSIONS
        ],
        "answered": len(clean), "items": len(ITEMS), "remaining": len(ITEMS) - len(clean), "result": None, "error": "",
    }  # fmt: skip
    try:
        view["result"] = compute(draft)
    except scoring.ScoringError as exc:
        view["error"] = exc.message
    return view
