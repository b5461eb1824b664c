from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yanglao.accounts.decorators import capability_required
from yanglao.accounts.forms import apply_service_errors
from yanglao.accounts.roles import Cap
from yanglao.core import sheets, uploads
from yanglao.core.paging import page_of
from yanglao.core.selectors import task_get
from yanglao.core.tasks import enqueue
from yanglao.core.views import import_page, import_status_page
from yanglao.facilities import catalogue, checks, exports, imports, selectors, services
from yanglao.facilities.forms import (
    ConsortiumForm,
    FacilityFilterForm,
    FacilityForm,
    ImportForm,
    MemberForm,
    OperatorForm,
    PhotoForm,
    StatusForm,
    facility_raw,
)
from yanglao.facilities.models import ConsortiumMember, FacilityPhoto
from yanglao.facilities.services import TRANSITIONS
from yanglao.regions.resolver import RegionResolver


def _filters(form: FacilityFilterForm) -> selectors.FacilityFilters:
    data = form.cleaned_data if form.is_valid() else {}
    return selectors.FacilityFilters(
        **{k: data.get(k) or "" for k in ("q", "region", "type", "status", "operating_mode", "failing")},
        sort=data.get("sort") or "region",
    )


@capability_required(Cap.FACILITIES_VIEW)
@require_GET
def facility_list(request):
    form = FacilityFilterForm(request.GET or None, actor=request.user)
    page = page_of(request, selectors.facility_list(actor=request.user, filters=_filters(form)))
    today = timezone.localdate()
    rows = [(f, checks.summary(checks.evaluate(f, today))) for f in page.object_list]
    return render(
        request,
        "facilities/list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "query": request.GET.urlencode(),
            "status_labels": checks.STATUS_LABELS,
        },
    )


@capability_required(Cap.FACILITIES_VIEW)
@require_GET
def facility_map(request):
    form = FacilityFilterForm(request.GET or None, actor=request.user)
    # The points API gets the cleaned filters only (not the picker's helper fields or empty values).
    data = form.cleaned_data if form.is_valid() else {}
    query = urlencode({k: v for k, v in data.items() if v and k != "sort"})
    return render(request, "facilities/map.html", {"form": form, "query": query})


@capability_required(Cap.FACILITIES_EXPORT)
@require_GET
def facility_export(request):
    form = FacilityFilterForm(request.GET or None, actor=request.user)
    return exports.export_response(actor=request.user, filters=_filters(form))


@capability_required(Cap.FACILITIES_VIEW)
@require_GET
def facility_detail(request, pk):
    facility = selectors.facility_get(actor=request.user, pk=pk)
    can_edit = request.user.can(Cap.FACILITIES_EDIT)
    manages_status = can_edit and not request.user.scope.facility_id
    status_form = StatusForm()
    status_form.fields["status"].choices = [(s.value, s.label) for s in TRANSITIONS[facility.status]]
    return render(request, "facilities/detail.html", {
        "facility": facility,
        "results": checks.evaluate(facility, timezone.localdate()),
        "events": selectors.facility_events(facility=facility)[:100],
        "photos": facility.photos.all(),
        "memberships": facility.consortium_memberships.select_related("consortium"),
        "can_edit": can_edit,
        "manages_status": manages_status and bool(TRANSITIONS[facility.status]),
        "status_form": status_form,
        "photo_form": PhotoForm(),
        "services": sorted((catalogue.NUMBERS.get(code, ""), catalogue.LABELS.get(code, code)) for code in facility.services),
    })  # fmt: skip


@capability_required(Cap.FACILITIES_EDIT)
@require_http_methods(["GET", "POST"])
def facility_create(request):
    if request.user.scope.facility_id:
        raise PermissionDenied("机构运营人员不能新建设施。")
    form = FacilityForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            facility = services.facility_create(actor=request.user, data=form.parsed)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已登记 {facility.name}。")
            return redirect("facilities:detail", pk=facility.pk)
    return render(request, "facilities/form.html", {"form": form, "title": "新建养老服务设施"})


@capability_required(Cap.FACILITIES_EDIT)
@require_http_methods(["GET", "POST"])
def facility_edit(request, pk):
    facility = selectors.facility_get(actor=request.user, pk=pk)
    initial = facility_raw(facility)
    for flag in ("has_medical", "is_destitute_home", "natural_village"):
        initial[flag] = getattr(facility, flag)
    form = FacilityForm(request.POST or None, actor=request.user, facility=facility, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.facility_update(actor=request.user, facility=facility, data=form.parsed)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "已保存。")
            return redirect("facilities:detail", pk=facility.pk)
    return render(
        request,
        "facilities/form.html",
        {"form": form, "facility": facility, "title": f"修改：{facility.name}"},
    )


@capability_required(Cap.FACILITIES_EDIT)
@require_POST
def facility_status(request, pk):
    facility = selectors.facility_get(actor=request.user, pk=pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "；".join(f"{form.fields[f].label}：{' '.join(e)}" for f, e in form.errors.items())
        )
        return redirect("facilities:detail", pk=pk)
    try:
        services.facility_set_status(
            actor=request.user,
            facility=facility,
            status=form.cleaned_data["status"],
            reason=form.cleaned_data["reason"],
            on=form.cleaned_data["on"],
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"状态已改为“{facility.get_status_display()}”。")
    return redirect("facilities:detail", pk=pk)


@capability_required(Cap.FACILITIES_EDIT)
@require_POST
def photo_add(request, pk):
    facility = selectors.facility_get(actor=request.user, pk=pk)
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.photo_add(
                actor=request.user,
                facility=facility,
                upload=form.cleaned_data["image"],
                caption=form.cleaned_data["caption"],
            )
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, "照片已上传。")
    else:
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
    return redirect("facilities:detail", pk=pk)


@capability_required(Cap.FACILITIES_EDIT)
@require_POST
def photo_remove(request, pk, photo_pk):
    facility = selectors.facility_get(actor=request.user, pk=pk)
    services.photo_remove(
        actor=request.user, photo=get_object_or_404(FacilityPhoto, pk=photo_pk, facility=facility)
    )
    messages.success(request, "照片已删除。")
    return redirect("facilities:detail", pk=pk)


# --- import -------------------------------------------------------------------------------------


@capability_required(Cap.FACILITIES_IMPORT)
@require_GET
def import_template(request):
    return sheets.xlsx_response(imports.template_bytes(), "养老服务设施导入模板.xlsx")


@capability_required(Cap.FACILITIES_IMPORT)
@require_http_methods(["GET", "POST"])
def import_start(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        task = enqueue(
            kind="facilities.import",
            actor=request.user,
            params={"mode": form.cleaned_data["mode"], "filename": upload.name[-100:]},
            region_code=request.user.region_id,
            input_file=uploads.seal_upload(upload.read(), upload.name),
        )
        return redirect("facilities:import_status", pk=task.pk)
    return import_page(
        request,
        form=form,
        kind="facilities.import",
        title="批量导入养老服务设施",
        intro="名称加所在区划识别同一设施：再次导入同一设施会更新它，不会重复登记。",
        back="facilities:list",
        template="facilities:import_template",
        status="facilities:import_status",
    )


@capability_required(Cap.FACILITIES_IMPORT)
@require_GET
def import_status(request, pk):
    task = task_get(actor=request.user, pk=pk)
    if task.kind != "facilities.import":
        raise Http404("任务不存在")
    return import_status_page(
        request,
        task=task,
        title="导入养老服务设施",
        back="facilities:import",
        errors="facilities:import_errors",
    )


@capability_required(Cap.FACILITIES_IMPORT)
@require_GET
def import_errors(request, pk):
    task = task_get(actor=request.user, pk=pk)
    if task.kind != "facilities.import" or not task.output_file:
        raise Http404("没有错误文件")
    return imports.error_report_response(task)


# --- operators and consortia ----------------------------------------------------------------------


@capability_required(Cap.FACILITIES_VIEW)
@require_http_methods(["GET", "POST"])
def operator_list(request):
    form = OperatorForm(request.POST or None, actor=request.user)
    if request.method == "POST":
        if not request.user.can(Cap.FACILITIES_EDIT) or request.user.scope.facility_id:
            raise PermissionDenied("您没有登记运营主体的权限。")
        if form.is_valid():
            try:
                operator = services.operator_create_from_form(
                    actor=request.user, data=form.cleaned_data, resolver=RegionResolver()
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"已登记运营主体 {operator.name}。")
                return redirect("facilities:operator_detail", pk=operator.pk)
    page = page_of(request, selectors.operator_list(actor=request.user, q=request.GET.get("q", "")[:60]))
    return render(request, "facilities/operators.html", {"form": form, "page": page})


@capability_required(Cap.FACILITIES_VIEW)
@require_GET
def operator_detail(request, pk):
    operator = selectors.operator_get(actor=request.user, pk=pk)
    facilities = selectors.scoped(request.user.scope).filter(operator=operator).select_related("region")
    return render(
        request, "facilities/operator_detail.html", {"operator": operator, "facilities": facilities}
    )


@capability_required(Cap.FACILITIES_VIEW)
@require_http_methods(["GET", "POST"])
def consortium_list(request):
    form = ConsortiumForm(request.POST or None)
    if request.method == "POST":
        if not request.user.can(Cap.FACILITIES_EDIT) or request.user.scope.facility_id:
            raise PermissionDenied("您没有成立联合体的权限。")
        if form.is_valid():
            try:
                lead = selectors.facility_get(actor=request.user, pk=form.cleaned_data["lead"])
                consortium = services.consortium_create(
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    lead=lead,
                    established=form.cleaned_data["established"],
                    note=form.cleaned_data["note"],
                )
            except Http404:
                form.add_error("lead", "设施不存在或不在您的管辖范围内。")
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                return redirect("facilities:consortium_detail", pk=consortium.pk)
    return render(
        request,
        "facilities/consortia.html",
        {"form": form, "consortia": selectors.consortium_list(actor=request.user)},
    )


@capability_required(Cap.FACILITIES_VIEW)
@require_http_methods(["GET", "POST"])
def consortium_detail(request, pk):
    consortium = selectors.consortium_get(actor=request.user, pk=pk)
    form = MemberForm(request.POST or None)
    if request.method == "POST":
        if not request.user.can(Cap.FACILITIES_EDIT) or request.user.scope.facility_id:
            raise PermissionDenied("您没有调整联合体成员的权限。")
        try:
            if "leave" in request.POST:
                member = get_object_or_404(ConsortiumMember, pk=request.POST["leave"], consortium=consortium)
                services.consortium_leave(actor=request.user, member=member, left=timezone.localdate())
                return redirect("facilities:consortium_detail", pk=pk)
            if form.is_valid():
                facility = selectors.facility_get(actor=request.user, pk=form.cleaned_data["facility"])
                services.consortium_join(
                    actor=request.user,
                    consortium=consortium,
                    facility=facility,
                    joined=form.cleaned_data["joined"],
                )
                return redirect("facilities:consortium_detail", pk=pk)
        except Http404:
            form.add_error("facility", "设施不存在或不在您的管辖范围内。")
        except ValidationError as exc:
            apply_service_errors(form, exc)
    members = consortium.members.select_related("facility__region").order_by("left", "joined")
    return render(
        request,
        "facilities/consortium_detail.html",
        {"consortium": consortium, "members": members, "form": form},
    )
