"""Pages of the construction plans (附件1/附件2), their monthly progress, and the policy targets."""

from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from yanglao.accounts.decorators import capability_required
from yanglao.accounts.roles import Cap
from yanglao.core.masking import mask_phone
from yanglao.core.paging import page_of
from yanglao.core.sheets import xlsx_response
from yanglao.planning import plans, targets
from yanglao.planning.models import ProgressStatus
from yanglao.planning.plan_forms import (
    LinkFacilityForm,
    PlanFilterForm,
    PlanImportForm,
    PlanItemForm,
    ProgressForm,
    RegionFilterForm,
    apply_errors,
)


def _filters(data: dict) -> plans.PlanFilters:
    return plans.PlanFilters(
        q=data.get("q") or "",
        region=data.get("region") or "",
        kind=data.get("kind") or "",
        status=data.get("status") or "",
        overdue="1" if data.get("overdue") else "",
        year=str(data.get("year") or ""),
    )


@capability_required(Cap.PLANNING_VIEW)
@require_GET
def plan_list(request):
    form = PlanFilterForm(request.GET or None, actor=request.user)
    data = form.cleaned_data if form.is_valid() else {}
    page = page_of(request, plans.plan_items(actor=request.user, filters=_filters(data)))
    today = timezone.localdate()
    for item in page.object_list:
        item.overdue = plans.is_overdue(item.deadline, item.latest_status, today)
        item.latest_label = ProgressStatus(item.latest_status).label if item.latest_status else "未报送"
    return render(request, "planning/plans/list.html", {
        "page": page, "form": form, "reminder": plans.report_reminder(actor=request.user),
        "can_file": plans.can_file(request.user),
    })  # fmt: skip


@capability_required(Cap.PLANNING_VIEW)
@require_GET
def plan_detail(request, pk):
    item = plans.plan_item_get(actor=request.user, pk=pk)
    today = timezone.localdate()
    item.overdue = plans.is_overdue(item.deadline, item.latest_status, today)
    history = list(plans.item_history(item=item))
    for report in history:
        report.late = plans.is_late(report.month, report.reported_at)
    # The responsible person's phone: in full for those who edit or report on the plan, masked otherwise.
    show_phone = request.user.can(Cap.PLANNING_EDIT) or request.user.can(Cap.PLANNING_REPORT)
    source_row = dict(item.source_row)
    if "联系电话" in source_row and not show_phone:
        source_row["联系电话"] = mask_phone(source_row["联系电话"])
    return render(request, "planning/plans/detail.html", {
        "item": item, "history": history, "events": plans.item_events(item=item)[:50], "source_row": source_row,
        "phone": item.phone if show_phone else mask_phone(item.phone),
        "phone_text": item.phone_text if show_phone else mask_phone(item.phone_text),
        "budget_yuan": Decimal(item.budget_fen) / 100 if item.budget_fen is not None else None,
        # A township officer reads the items sited in its township; the county files them.
        "can_write": plans.can_write_item(request.user, item),
    })  # fmt: skip


def _plan_year(item=None) -> int:
    """The year a deadline without one (年底前) is read in when the form gives no plan year."""
    if item is not None:
        return item.plan_year
    return timezone.localdate().year


@capability_required(Cap.PLANNING_EDIT)
@require_http_methods(["GET", "POST"])
def plan_new(request):
    form = PlanItemForm(request.POST or None, actor=request.user, plan_year=_plan_year())
    if request.method == "POST" and form.is_valid():
        try:
            item = plans.plan_item_create(actor=request.user, **form.values())
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "建设计划项目已新建。")
            return redirect("planning:plan_detail", pk=item.pk)
    return render(request, "planning/plans/form.html", {"form": form, "item": None})


def _item_to_file(request, pk):
    """An item the reader may change: a township officer reads the items sited in its township, the
    county files them (403 rather than a form whose county list is empty)."""
    item = plans.plan_item_get(actor=request.user, pk=pk)
    if not plans.can_write_item(request.user, item):
        raise PermissionDenied("该项目由旗县填报，不在您的填报范围内。")
    return item


@capability_required(Cap.PLANNING_EDIT)
@require_http_methods(["GET", "POST"])
def plan_edit(request, pk):
    item = _item_to_file(request, pk)
    form = PlanItemForm(request.POST or None, instance=item, actor=request.user, plan_year=_plan_year(item))
    if request.method == "POST" and form.is_valid():
        try:
            plans.plan_item_update(actor=request.user, item=plans.plan_item_get(actor=request.user, pk=pk),
                                   **form.values())  # fmt: skip
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "已保存。")
            return redirect("planning:plan_detail", pk=pk)
    return render(request, "planning/plans/form.html", {"form": form, "item": item})


@capability_required(Cap.PLANNING_EDIT)
@require_http_methods(["GET", "POST"])
def plan_link(request, pk):
    item = _item_to_file(request, pk)
    form = LinkFacilityForm(request.POST or None, actor=request.user, item=item)
    if request.method == "POST" and form.is_valid():
        try:
            plans.plan_item_link_facility(
                actor=request.user, item=item, facility=form.cleaned_data["facility"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "已更新对应设施。")
            return redirect("planning:plan_detail", pk=pk)
    return render(request, "planning/plans/link.html", {"form": form, "item": item})


@capability_required(Cap.PLANNING_REPORT)
@require_http_methods(["GET", "POST"])
def plan_progress(request, pk):
    item = _item_to_file(request, pk)
    now = timezone.now()
    form = ProgressForm(request.POST or None, request.FILES or None, actor=request.user, item=item, now=now)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plans.progress_report(
                actor=request.user, item=item, month=data["month"], status=data["status"], percent=data["percent"],
                problems=data["problems"], photos=data["photos"], facility=data["facility"], now=now,
            )  # fmt: skip
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{data['month'].year}年{data['month'].month}月进度已报送。")
            return redirect("planning:plan_detail", pk=pk)
    month = plans.reporting_month(now)
    return render(request, "planning/plans/progress.html", {
        "form": form, "item": item, "month": month, "due": plans.report_due_at(month),
    })  # fmt: skip


@capability_required(Cap.PLANNING_VIEW)
@require_GET
def progress_photo(request, pk):
    photo = plans.photo_get(actor=request.user, pk=pk)
    return FileResponse(photo.image.open("rb"))


@capability_required(Cap.PLANNING_EDIT)
@require_http_methods(["GET", "POST"])
def plan_import(request):
    form = PlanImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            batch = plans.plan_import(
                actor=request.user, kind=form.cleaned_data["kind"], filename=upload.name, content=upload.read(),
                plan_year=form.cleaned_data.get("plan_year"),
            )  # fmt: skip
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            return redirect("planning:plan_import_detail", pk=batch.pk)
    recent = plans.import_list(actor=request.user)[:10]
    return render(request, "planning/plans/import.html", {"form": form, "recent": recent})


@capability_required(Cap.PLANNING_VIEW)
@require_GET
def plan_import_detail(request, pk):
    batch = plans.import_get(actor=request.user, pk=pk)
    show = request.GET.get("show", "")
    rows = batch.report
    if show == "problems":
        rows = [r for r in rows if r["status"] in ("error", "skipped") or r["messages"]]
    return render(request, "planning/plans/import_detail.html", {"batch": batch, "rows": rows, "show": show})


@capability_required(Cap.PLANNING_VIEW)
@require_GET
def plan_reports(request):
    """The city's view of the monthly report: who has not reported last month, which items are overdue."""
    form = RegionFilterForm(request.GET or None, actor=request.user)
    data = form.cleaned_data if form.is_valid() else {}
    region = data.get("region") or ""
    now = timezone.now()
    month = plans.reporting_month(now)
    try:
        chosen = date.fromisoformat(request.GET.get("month", ""))
        month = plans.month_start(chosen) if chosen <= month else month
    except ValueError:
        pass
    counties = plans.report_status(actor=request.user, month=month, region=region)
    overdue = page_of(request, plans.overdue_items(actor=request.user, region=region))
    for item in overdue.object_list:
        item.latest_label = ProgressStatus(item.latest_status).label if item.latest_status else "未报送"
    return render(request, "planning/plans/reports.html", {
        "form": form, "month": month, "counties": counties, "overdue": overdue,
        "opens": plans.report_opens_at(month), "due": plans.report_due_at(month),
        "past_due": now > plans.report_due_at(month), "months": plans.month_choices(now),
        "missing_counties": sum(1 for c in counties if c.missing), "region": region,
    })  # fmt: skip


@capability_required(Cap.PLANNING_VIEW)
@require_GET
def plan_export(request):
    # The list page's filters (its export link carries them): what is exported is what was listed.
    form = PlanFilterForm(request.GET or None, actor=request.user)
    data = form.cleaned_data if form.is_valid() else {}
    content = plans.export_workbook(actor=request.user, filters=_filters(data))
    return xlsx_response(content, f"建设计划进度-{timezone.localdate():%Y%m%d}.xlsx")


@capability_required(Cap.PLANNING_VIEW)
@require_GET
def targets_page(request):
    data = request.GET.copy()
    data.setdefault("year", str(timezone.localdate().year))
    form = targets.TargetsForm(data, actor=request.user)
    region, year = form.chosen()
    board = targets.targets_for(actor=request.user, region=region, year=year)
    return render(request, "planning/targets.html", {"form": form, "board": board})
