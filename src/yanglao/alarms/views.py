"""The device registry and the device-errors page. Thin: parse, call a selector or service, render."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yanglao.accounts.decorators import capability_required
from yanglao.accounts.forms import apply_service_errors
from yanglao.accounts.roles import Cap
from yanglao.alarms import imports, selectors, services
from yanglao.alarms.errors import IngestErrorCode
from yanglao.alarms.forms import (
    DeviceFilterForm,
    DeviceForm,
    ErrorFilterForm,
    ImportForm,
    OverrideForm,
    RetireForm,
)
from yanglao.alarms.models import AlarmCause, DeviceStatus
from yanglao.alarms.validation import device_raw, parse_device
from yanglao.core import sheets, uploads
from yanglao.core.paging import page_of
from yanglao.core.selectors import task_get
from yanglao.core.tasks import enqueue
from yanglao.core.views import import_page, import_status_page
from yanglao.elders import selectors as elder_selectors
from yanglao.regions.resolver import RegionResolver


@capability_required(Cap.ALARMS_VIEW)
@require_GET
def device_list(request):
    form = DeviceFilterForm(request.GET or None, actor=request.user)
    data = form.cleaned_data if form.is_valid() else {}
    filters = selectors.DeviceFilters(**{k: data.get(k) or "" for k in ("q", "kind", "status", "region")})
    page = page_of(request, selectors.device_list(actor=request.user, filters=filters))
    return render(request, "alarms/device_list.html", {
        "page": page, "form": form, "counts": selectors.device_counts(actor=request.user),
        "can_edit": request.user.can(Cap.DEVICES_EDIT),
    })  # fmt: skip


@capability_required(Cap.ALARMS_VIEW)
@require_GET
def device_detail(request, pk):
    device = selectors.device_get(actor=request.user, pk=pk)
    return render(request, "alarms/device_detail.html", {
        "device": device, "events": selectors.device_events(device=device),
        "region_name": selectors.region_name(code=device.region_code),
        "alarms": selectors.device_alarms(device=device), "retire_form": RetireForm(),
        "can_edit": request.user.can(Cap.DEVICES_EDIT) and device.status != DeviceStatus.RETIRED,
    })  # fmt: skip


def _secret_page(request, device, secret, *, title):
    response = render(
        request, "alarms/device_secret.html", {"device": device, "secret": secret, "title": title}
    )
    response["Cache-Control"] = "no-store"
    return response


def _save_device(request, form, *, device=None):
    """Parse the form and call the service; field errors go back on the form. Returns (device, secret)."""
    try:
        data = parse_device(form.cleaned_data, scope=request.user.scope, resolver=RegionResolver())
        if device is None:
            return services.device_register(actor=request.user, data=data)
        return services.device_update(actor=request.user, device=device, data=data), None
    except ValidationError as exc:
        apply_service_errors(form, exc)
    except PermissionDenied as exc:
        form.add_error(None, str(exc))
    return None, None


@capability_required(Cap.DEVICES_EDIT)
@require_http_methods(["GET", "POST"])
def device_new(request):
    initial = {"heartbeat_interval_s": "300"}
    elder_pk = request.GET.get("elder", "")
    if elder_pk.isdigit():
        initial["elder"] = elder_pk
    form = DeviceForm(request.POST or None, actor=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        device, secret = _save_device(request, form)
        if device is not None:
            return _secret_page(request, device, secret, title="设备已登记")
    if request.method == "POST":
        return render(request, "alarms/device_form.html", {"form": form, "title": "登记告警设备"}, status=422)
    return render(request, "alarms/device_form.html", {"form": form, "title": "登记告警设备"})


@capability_required(Cap.DEVICES_EDIT)
@require_http_methods(["GET", "POST"])
def device_edit(request, pk):
    device = selectors.device_get(actor=request.user, pk=pk)
    if device.status == DeviceStatus.RETIRED:
        messages.error(request, "设备已停用，不能修改。")
        return redirect("alarms:device_detail", pk=pk)
    form = DeviceForm(request.POST or None, actor=request.user, initial=device_raw(device))
    if request.method == "POST" and form.is_valid():
        saved, _ = _save_device(request, form, device=device)
        if saved is not None:
            messages.success(request, "已保存。")
            return redirect("alarms:device_detail", pk=pk)
    context = {"form": form, "device": device, "title": f"修改设备 {device.serial}"}
    return render(
        request, "alarms/device_form.html", context, status=422 if request.method == "POST" else 200
    )


@capability_required(Cap.DEVICES_EDIT)
@require_POST
def device_retire(request, pk):
    device = selectors.device_get(actor=request.user, pk=pk)
    form = RetireForm(request.POST)
    if form.is_valid():
        try:
            services.device_retire(actor=request.user, device=device, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"设备 {device.serial} 已停用。")
            return redirect("alarms:device_detail", pk=pk)
    return render(request, "alarms/device_detail.html", {
        "device": device, "events": selectors.device_events(device=device),
        "alarms": selectors.device_alarms(device=device), "retire_form": form, "can_edit": True, "retire_open": True,
        "region_name": selectors.region_name(code=device.region_code),
    }, status=422)  # fmt: skip


@capability_required(Cap.DEVICES_EDIT)
@require_POST
def device_secret_reset(request, pk):
    device = selectors.device_get(actor=request.user, pk=pk)
    try:
        secret = services.device_rotate_secret(actor=request.user, device=device)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("alarms:device_detail", pk=pk)
    return _secret_page(request, device, secret, title="设备密钥已重置")


# --- errors ----------------------------------------------------------------------------------------


@capability_required(Cap.ALARMS_VIEW)
@require_GET
def device_errors(request):
    form = ErrorFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    filters = selectors.ErrorFilters(
        code=data.get("code") or "",
        channel=data.get("channel") or "",
        q=data.get("q") or "",
        days=data.get("days") or 7,
    )
    counts = [
        (code, IngestErrorCode(code).label if code in IngestErrorCode.values else code, n)
        for code, n in selectors.ingest_error_counts(actor=request.user, days=filters.days)
    ]
    page = page_of(request, selectors.ingest_errors(actor=request.user, filters=filters))
    return render(request, "alarms/device_errors.html", {
        "page": page, "form": form, "counts": counts, "total": sum(n for *_, n in counts), "days": filters.days,
    })  # fmt: skip


# --- import ---------------------------------------------------------------------------------------


@capability_required(Cap.DEVICES_EDIT)
@require_GET
def import_template(request):
    return sheets.xlsx_response(imports.template_bytes(), "告警设备导入模板.xlsx")


@capability_required(Cap.DEVICES_EDIT)
@require_http_methods(["GET", "POST"])
def import_start(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        task = enqueue(
            kind=imports.KIND,
            actor=request.user,
            params={"mode": form.cleaned_data["mode"], "filename": upload.name[-100:]},
            region_code=request.user.region_id,
            input_file=uploads.seal_upload(upload.read(), upload.name),
        )
        return redirect("alarms:import_status", pk=task.pk)
    return import_page(
        request,
        form=form,
        kind=imports.KIND,
        title="批量导入告警设备",
        intro="设备编号识别同一设备：再次导入同一编号会更新它，不会重复登记。",
        back="alarms:device_list",
        template="alarms:import_template",
        status="alarms:import_status",
    )


@capability_required(Cap.DEVICES_EDIT)
@require_GET
def import_status(request, pk):
    task = task_get(actor=request.user, pk=pk)
    if task.kind != imports.KIND:
        raise Http404("任务不存在")
    return import_status_page(
        request, task=task, title="导入告警设备", back="alarms:import", errors="alarms:import_errors"
    )


@capability_required(Cap.DEVICES_EDIT)
@require_GET
def import_errors(request, pk):
    task = task_get(actor=request.user, pk=pk)
    if task.kind != imports.KIND or not task.output_file:
        raise Http404("没有错误文件")
    return imports.error_report_response(task)


# --- the elder page -------------------------------------------------------------------------------


@capability_required(Cap.DEVICES_EDIT)
@require_POST
def elder_rules(request, elder_pk):
    """An elder's own alarm settings: the fence rule on or off, the inactivity hours."""
    elder = elder_selectors.elder_get(actor=request.user, pk=elder_pk)
    form = OverrideForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            messages.error(
                request, f"{form.fields[field].label if field in form.fields else ''}：{'；'.join(errors)}"
            )
        return redirect(reverse("elders:detail", args=[elder.pk]) + "#alarm-devices")
    fence = form.cleaned_data["geofence"]
    hours = form.cleaned_data["inactivity_hours"]
    try:
        services.rule_override_set(actor=request.user, elder=elder, cause=AlarmCause.GEOFENCE,
                                   enabled={"on": True, "off": False}.get(fence))  # fmt: skip
        services.rule_override_set(actor=request.user, elder=elder, cause=AlarmCause.INACTIVITY, enabled=None,
                                   params={"hours": hours} if hours else {})  # fmt: skip
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "告警设置已保存。")
    return redirect(reverse("elders:detail", args=[elder.pk]) + "#alarm-devices")


def elder_panel(request, elder) -> str:
    """The devices panel on an elder's page (registered in AppConfig.ready)."""
    if not request.user.can(Cap.ALARMS_VIEW):
        return ""
    overrides = {o.cause: o for o in selectors.elder_overrides(actor=request.user, elder=elder)}
    fence = overrides.get(AlarmCause.GEOFENCE)
    inactivity = overrides.get(AlarmCause.INACTIVITY)
    form = OverrideForm(initial={
        "geofence": "" if fence is None or fence.enabled is None else ("on" if fence.enabled else "off"),
        "inactivity_hours": (inactivity.params or {}).get("hours") if inactivity else None,
    })  # fmt: skip
    return render_to_string("alarms/_elder_panel.html", {
        "elder": elder, "devices": selectors.elder_devices(actor=request.user, elder=elder),
        "can_edit": request.user.can(Cap.DEVICES_EDIT) and elder.status == "active", "rules_form": form,
    }, request=request)  # fmt: skip
