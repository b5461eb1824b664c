from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yanglao.accounts.decorators import capability_required
from yanglao.accounts.roles import Cap
from yanglao.assessments import report, selectors, services
from yanglao.assessments.forms import (
    BASIC_FIELDS,
    AssessmentFilterForm,
    DueFilterForm,
    NewAssessmentForm,
    ReturnForm,
    TriggerForm,
    parse_form,
)
from yanglao.assessments.models import Reason, Status
from yanglao.assessments.standard import (
    COMA_PROBLEM,
    DIMENSIONS,
    DISEASE_DIAGNOSES,
    HEALTH_PROBLEMS,
    RISK_EVENT_FREQUENCIES,
    RISK_EVENTS,
    STANDARD,
)
from yanglao.core.paging import page_of
from yanglao.elders import selectors as elder_selectors
from yanglao.elders.services import CAPABILITY_LEVEL_NAMES


@capability_required(Cap.ASSESSMENTS_VIEW)
@require_GET
def assessment_list(request):
    form = AssessmentFilterForm(request.GET or None, actor=request.user)
    data = form.cleaned_data if form.is_valid() else {}
    filters = selectors.AssessmentFilters(
        **{k: data.get(k) or "" for k in ("q", "region", "status", "level")}
    )
    page = page_of(request, selectors.assessment_list(actor=request.user, filters=filters))
    return render(request, "assessments/list.html", {"page": page, "form": form})


@capability_required(Cap.ASSESSMENTS_VIEW)
@require_GET
def due(request):
    form = DueFilterForm(request.GET or None, actor=request.user)
    data = form.cleaned_data if form.is_valid() else {}
    rows = selectors.due_list(actor=request.user, region=data.get("region") or "")
    counts = {kind: sum(1 for r in rows if r.kind == kind) for kind in ("immediate", "overdue", "soon")}
    truncated = rows.truncated
    if data.get("kind"):
        rows = [r for r in rows if r.kind == data["kind"]]
    return render(request, "assessments/due.html", {
        "page": page_of(request, rows), "form": form, "counts": counts, "months": selectors.reassess_interval(),
        "truncated": truncated, "limit": selectors.DUE_LIST_LIMIT,
    })  # fmt: skip


@capability_required(Cap.ASSESSMENTS_EDIT)
@require_http_methods(["GET", "POST"])
def assessment_new(request, elder_pk):
    elder = elder_selectors.elder_get(actor=request.user, pk=elder_pk)
    reason = request.GET.get("reason", "")
    if reason not in Reason.values:
        reason = Reason.ROUTINE if elder.capability_level is not None else Reason.FIRST
    form = NewAssessmentForm(request.POST or None, initial={"reason": reason})
    if request.method == "POST" and form.is_valid():
        try:
            assessment = services.assessment_create(actor=request.user, elder=elder, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.error_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            return redirect("assessments:edit", pk=assessment.pk)
    return render(request, "assessments/new.html", {"form": form, "elder": elder})


def _form_context(assessment, *, post=None, actor=None, errors=None):
    """The form as saved, or — after a refused save — as the assessor left it, so nothing typed is lost."""
    chosen = {code: str(v) for code, v in assessment.answers.items()}
    values = {name: getattr(assessment, name) for name in (
        "basic_info", "informant_name", "informant_relation", "diagnoses", "other_diagnosis",
        "mental_disorder_by_specialist", "medications", "health_problems", "risk_events", "coma")}  # fmt: skip
    second = assessment.assessor_2.username if assessment.assessor_2_id else ""
    if post is not None:
        answers, parts, _ = parse_form(post, actor=actor)
        chosen = {code: value for code, value in answers.items() if value}
        values.update({k: v for k, v in parts.items() if k in values})
        second = post.get("assessor_2", "").strip()[:150]
    dims = [
        {"dimension": d, "items": [
            {"item": item, "chosen": chosen.get(item.code, ""),
             "options": [(o.score, o.text, str(o.score) == chosen.get(item.code, "")) for o in item.options]}
            for item in d.items]}
        for d in DIMENSIONS
    ]  # fmt: skip
    problems = []
    for problem in HEALTH_PROBLEMS:
        if problem.code == COMA_PROBLEM:
            continue
        current = values["health_problems"].get(problem.code, [] if problem.multiple else "")
        picked = current if isinstance(current, list) else [current]
        problems.append(
            {"problem": problem, "picked": picked, "text": current if not problem.choices else ""}
        )
    medications = list(values["medications"]) + [{}] * (5 - len(values["medications"]))
    return {
        "assessment": assessment, "dims": dims, "errors": errors or {}, "second_assessor": second,
        "values": values, "problems": problems, "medications": list(enumerate(medications[:5], start=1)),
        "diagnoses": [(d, d.name in values["diagnoses"]) for d in DISEASE_DIAGNOSES],
        "basic_rows": [(key, label, choices, values["basic_info"].get(key, "")) for key, label, choices in BASIC_FIELDS],
        "risk_rows": [(i, kind, int(values["risk_events"].get(kind, 0) or 0)) for i, kind in enumerate(RISK_EVENTS)],
        "frequencies": RISK_EVENT_FREQUENCIES,
        "preview": services.preview(answers=chosen, diagnoses=values["diagnoses"],
                                    mental_disorder_by_specialist=values["mental_disorder_by_specialist"],
                                    risk_events=values["risk_events"], coma=values["coma"]),
    }  # fmt: skip


@capability_required(Cap.ASSESSMENTS_EDIT)
@require_http_methods(["GET", "POST"])
def assessment_edit(request, pk):
    assessment = selectors.assessment_get(actor=request.user, pk=pk)
    if assessment.status not in (Status.DRAFT, Status.RETURNED):
        return redirect("assessments:detail", pk=pk)
    errors = {}
    if request.method == "POST":
        answers, parts, errors = parse_form(request.POST, actor=request.user)
        if not errors:
            try:
                services.assessment_save(actor=request.user, assessment=assessment, answers=answers, **parts)
                if request.POST.get("action") == "submit":
                    services.assessment_submit(actor=request.user, assessment=assessment)
                    messages.success(request, f"评估 {assessment.number} 已提交审核。")
                    return redirect("assessments:detail", pk=pk)
            except ValidationError as exc:
                errors = (
                    {k: "；".join(m for e in v for m in e.messages) for k, v in exc.error_dict.items()}
                    if hasattr(exc, "error_dict")
                    else {"__all__": "；".join(exc.messages)}
                )
            except PermissionDenied as exc:
                errors = {"__all__": str(exc)}
            else:
                messages.success(request, "已保存。")
                return redirect("assessments:edit", pk=pk)
        assessment.refresh_from_db()
        return render(
            request,
            "assessments/form.html",
            _form_context(assessment, post=request.POST, actor=request.user, errors=errors),
            status=422,
        )
    return render(request, "assessments/form.html", _form_context(assessment))


@capability_required(Cap.ASSESSMENTS_EDIT)
@require_POST
def assessment_score(request, pk):
    """HTMX: the score panel recomputed from the form as it stands, nothing saved."""
    assessment = selectors.assessment_get(actor=request.user, pk=pk)
    answers, parts, _ = parse_form(request.POST, actor=request.user)
    view = services.preview(
        answers=answers,
        diagnoses=parts["diagnoses"],
        mental_disorder_by_specialist=parts["mental_disorder_by_specialist"],
        risk_events=parts["risk_events"],
        coma=parts["coma"],
    )
    return render(request, "assessments/_score.html", {"preview": view, "assessment": assessment})


EVENT_LABELS = {"created": "新建", "submitted": "提交审核", "returned": "退回修改", "approved": "审核通过"}


@capability_required(Cap.ASSESSMENTS_VIEW)
@require_GET
def assessment_detail(request, pk):
    assessment = selectors.assessment_get(actor=request.user, pk=pk)
    answered = []
    for d in DIMENSIONS:
        rows = []
        for item in d.items:
            score = assessment.answers.get(item.code)
            text = next((o.text for o in item.options if o.score == score), "")
            rows.append((item, text, score))
        d_view = {
            "code": d.code,
            "name": d.name,
            "max_score": d.max_score,
            "subtotal": assessment.subtotals.get(d.code),
        }
        answered.append((d_view, rows))
    user = request.user
    is_assessor = user.pk in (assessment.assessor_1_id, assessment.assessor_2_id)
    editable = assessment.status in (Status.DRAFT, Status.RETURNED) and user.can(Cap.ASSESSMENTS_EDIT)
    events = [
        {"at": e.at, "label": EVENT_LABELS.get(e.kind, e.kind), "note": e.note, "actor": e.actor}
        for e in assessment.events.select_related("actor")
    ]
    return render(request, "assessments/detail.html", {
        "assessment": assessment, "answered": answered, "events": events, "standard": STANDARD,
        "can_edit": editable, "can_submit": editable and is_assessor and assessment.total is not None,
        "may_approve": user.can(Cap.ASSESSMENTS_APPROVE) and not is_assessor and assessment.status == Status.SUBMITTED,
        "return_form": ReturnForm(),
    })  # fmt: skip


def _workflow(request, pk, action):
    assessment = selectors.assessment_get(actor=request.user, pk=pk)
    try:
        if action == "submit":
            services.assessment_submit(actor=request.user, assessment=assessment)
            messages.success(request, "已提交审核。")
        elif action == "approve":
            services.assessment_approve(actor=request.user, assessment=assessment)
            messages.success(request, f"已审核通过：{assessment.final_level_name}。")
        else:
            form = ReturnForm(request.POST)
            if not form.is_valid():
                raise ValidationError({"reason": ValidationError("请填写退回原因。")})
            services.assessment_return(
                actor=request.user, assessment=assessment, reason=form.cleaned_data["reason"]
            )
            messages.success(request, "已退回评估员修改。")
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
    return redirect("assessments:detail", pk=pk)


@capability_required(Cap.ASSESSMENTS_EDIT)
@require_POST
def assessment_submit(request, pk):
    return _workflow(request, pk, "submit")


@capability_required(Cap.ASSESSMENTS_APPROVE)
@require_POST
def assessment_approve(request, pk):
    return _workflow(request, pk, "approve")


@capability_required(Cap.ASSESSMENTS_APPROVE)
@require_POST
def assessment_return(request, pk):
    return _workflow(request, pk, "return")


@capability_required(Cap.ASSESSMENTS_VIEW)
@require_GET
def assessment_pdf(request, pk):
    assessment = selectors.assessment_get(actor=request.user, pk=pk)
    if assessment.final_level is None:
        raise Http404("评估未完成，还不能出具报告")
    try:
        content = report.render_pdf(assessment)
    except report.PdfUnavailable as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="assessment-{assessment.number}.pdf"'
    return response


@capability_required(Cap.ASSESSMENTS_EDIT)
@require_POST
def trigger_add(request, elder_pk):
    elder = elder_selectors.elder_get(actor=request.user, pk=elder_pk)
    form = TriggerForm(request.POST)
    if form.is_valid():
        try:
            services.trigger_create(actor=request.user, elder=elder, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, "已登记，需即时评估。")
    else:
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
    return redirect("elders:detail", pk=elder_pk)


def elder_panel(request, elder) -> str:
    """The assessments panel on an elder's page (registered in AppConfig.ready)."""
    if not request.user.can(Cap.ASSESSMENTS_VIEW):
        return ""
    from yanglao.benefits.services import entitlements_for

    today = timezone.localdate()
    next_due = selectors.next_routine_due(elder)
    return render_to_string("assessments/_elder_panel.html", {
        "elder": elder, "assessments": selectors.elder_assessments(actor=request.user, elder=elder)[:10],
        "level_name": CAPABILITY_LEVEL_NAMES[elder.capability_level] if elder.capability_level is not None else "",
        "entitlements": entitlements_for(elder, today),
        "can_edit": request.user.can(Cap.ASSESSMENTS_EDIT) and elder.status == "active",
        "trigger_form": TriggerForm(initial={"occurred_on": today.isoformat()}),
        "next_due": next_due, "overdue": next_due is not None and next_due < today,
        "open_triggers": selectors.open_triggers(actor=request.user, elder=elder),
    }, request=request)  # fmt: skip
