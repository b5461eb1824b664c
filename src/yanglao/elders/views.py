from datetime import date

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yanglao.accounts.decorators import capability_required
from yanglao.accounts.forms import apply_service_errors
from yanglao.accounts.roles import Cap
from yanglao.core import sheets, uploads
from yanglao.core.paging import page_of
from yanglao.core.selectors import task_get
from yanglao.core.tasks import enqueue
from yanglao.core.views import import_page, import_status_page
from yanglao.elders import exports, imports, selectors, services
from yanglao.elders.forms import (
    CategoryEndForm,
    CategoryForm,
    DismissForm,
    ElderFilterForm,
    ElderForm,
    ImportForm,
    MoveForm,
    StatusForm,
    elder_raw,
)
from yanglao.elders.models import CategoryMembership, Status
from yanglao.elders.panels import render_panels
from yanglao.elders.validation import parse_region
from yanglao.regions.resolver import RegionResolver

SEARCH_COUNT_CAP = 1000


def _filters(form: ElderFilterForm) -> selectors.ElderFilters:
    data = form.cleaned_data if form.is_valid() else {}
    return selectors.ElderFilters(
        q=data.get("q", ""),
        region=data.get("region", ""),
        age_band=data.get("age_band", ""),
        gender=data.get("gender", ""),
        category=data.get("category", ""),
        living_situation=data.get("living_situation", ""),
        status=data.get("status") or Status.ACTIVE,
        sort=data.get("sort") or "region",
    )


@capability_required(Cap.ELDERS_VIEW)
@require_GET
def elder_list(request):
    form = ElderFilterForm(request.GET or None, actor=request.user)
    filters = _filters(form)
    elders = selectors.elder_list(actor=request.user, filters=filters)
    page = page_of(request, elders, count_cap=SEARCH_COUNT_CAP if filters.q else None)
    return render(
        request,
        "elders/list.html",
        {"form": form, "page": page, "query": request.GET.urlencode()},
    )


@capability_required(Cap.ELDERS_EXPORT)
@require_GET
def elder_export(request):
    form = ElderFilterForm(request.GET or None, actor=request.user)
    return exports.export_response(actor=request.user, filters=_filters(form))


@capability_required(Cap.ELDERS_EDIT)
@require_http_methods(["GET", "POST"])
def elder_create(request):
    form = ElderForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            elder = services.elder_create(actor=request.user, data=form.parsed)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已为 {elder.name} 建档。")
            return redirect("elders:detail", pk=elder.pk)
    return render(request, "elders/form.html", {"form": form, "title": "新建老年人档案"})


@capability_required(Cap.ELDERS_VIEW)
@require_GET
def elder_detail(request, pk):
    elder = selectors.elder_get(actor=request.user, pk=pk)
    can_edit = request.user.can(Cap.ELDERS_EDIT)
    return render(
        request,
        "elders/detail.html",
        {
            "elder": elder,
            "contacts": elder.contacts.all(),
            "current_categories": selectors.current_categories(elder=elder),
            "memberships": selectors.elder_categories(elder=elder),
            "timeline": selectors.elder_timeline(elder=elder)[:200],
            "can_edit": can_edit and elder.status != Status.MERGED,
            "can_reveal": request.user.can(Cap.ELDERS_REVEAL),
            "category_form": CategoryForm(initial={"valid_from": date.today()}),
            "status_form": StatusForm(initial={"status_date": date.today()}),
            "end_form": CategoryEndForm(initial={"valid_to": date.today()}),
            "panels": render_panels(request, elder),
        },
    )


@capability_required(Cap.ELDERS_EDIT)
@require_http_methods(["GET", "POST"])
def elder_edit(request, pk):
    elder = selectors.elder_get(actor=request.user, pk=pk)
    initial = {
        k: v
        for k, v in elder_raw(elder).items()
        if k not in ("id_number", "phone", "phone_alt", "guardian_phone", "contact_phone")
    }
    form = ElderForm(request.POST or None, actor=request.user, elder=elder, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.elder_update(actor=request.user, elder=elder, data=form.parsed)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "档案已保存。")
            return redirect("elders:detail", pk=elder.pk)
    return render(
        request, "elders/form.html", {"form": form, "elder": elder, "title": f"修改档案：{elder.name}"}
    )


@capability_required(Cap.ELDERS_EDIT)
@require_http_methods(["GET", "POST"])
def elder_move(request, pk):
    elder = selectors.elder_get(actor=request.user, pk=pk)
    form = MoveForm(request.POST or None, region_scope=request.user.scope)
    if request.method == "POST" and form.is_valid():
        errors: dict = {}
        target = form.cleaned_data["region_text"] or form.cleaned_data["region"]
        region = parse_region(
            target,
            key="region",
            label="迁入地",
            resolver=RegionResolver(),
            scope=None,
            errors=errors,
            required=True,
        )
        try:
            if errors:
                raise ValidationError(errors)
            services.elder_move(
                actor=request.user,
                elder=elder,
                region=region,
                address=form.cleaned_data["address"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"{elder.name} 已迁至 {region.full_name}。")
            if request.user.scope.contains(region.code):
                return redirect("elders:detail", pk=elder.pk)
            return redirect("elders:moves")
    return render(request, "elders/move.html", {"form": form, "elder": elder})


@capability_required(Cap.ELDERS_EDIT)
@require_POST
def elder_status(request, pk):
    elder = selectors.elder_get(actor=request.user, pk=pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择状态并填写日期。")
        return redirect("elders:detail", pk=pk)
    try:
        services.elder_set_status(
            actor=request.user,
            elder=elder,
            status=form.cleaned_data["status"],
            on=form.cleaned_data["status_date"],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "状态已更新。")
    return redirect("elders:detail", pk=pk)


@capability_required(Cap.ELDERS_EDIT)
@require_POST
def category_add(request, pk):
    elder = selectors.elder_get(actor=request.user, pk=pk)
    form = CategoryForm(request.POST)
    if form.is_valid():
        try:
            services.category_add(actor=request.user, elder=elder, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, "已新增类别。")
    else:
        messages.error(
            request, "；".join(f"{form.fields[f].label}：{' '.join(e)}" for f, e in form.errors.items())
        )
    return redirect("elders:detail", pk=pk)


@capability_required(Cap.ELDERS_EDIT)
@require_POST
def category_end(request, pk, membership_pk):
    elder = selectors.elder_get(actor=request.user, pk=pk)
    membership = get_object_or_404(CategoryMembership, pk=membership_pk, elder=elder)
    form = CategoryEndForm(request.POST)
    if form.is_valid():
        try:
            services.category_end(actor=request.user, membership=membership, **form.cleaned_data)
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, "类别已终止。")
    else:
        messages.error(request, "请填写截止日期。")
    return redirect("elders:detail", pk=pk)


@capability_required(Cap.ELDERS_VIEW)
@require_POST
def elder_reveal(request, pk):
    """HTMX: the clear value replaces the masked one in place, and the reveal is audited."""
    elder = selectors.elder_get(actor=request.user, pk=pk)
    contact = None
    if request.POST.get("contact"):
        contact = get_object_or_404(elder.contacts, pk=request.POST["contact"])
    try:
        value = services.elder_reveal(
            actor=request.user, elder=elder, field=request.POST.get("field", ""), contact=contact
        )
    except PermissionDenied as exc:
        return render(request, "elders/_revealed.html", {"error": str(exc)}, status=403)
    except ValidationError as exc:
        return render(request, "elders/_revealed.html", {"error": "；".join(exc.messages)}, status=422)
    response = render(request, "elders/_revealed.html", {"value": value})
    response["Cache-Control"] = "no-store"
    return response


# --- import -------------------------------------------------------------------------------------


@capability_required(Cap.ELDERS_IMPORT)
@require_GET
def import_template(request):
    return sheets.xlsx_response(imports.template_bytes(), "老年人档案导入模板.xlsx")


@capability_required(Cap.ELDERS_IMPORT)
@require_http_methods(["GET", "POST"])
def import_start(request):
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        task = enqueue(
            kind="elders.import",
            actor=request.user,
            params={"mode": form.cleaned_data["mode"], "filename": upload.name[-100:]},
            region_code=request.user.region_id,
            input_file=uploads.seal_upload(upload.read(), upload.name),
        )
        return redirect("elders:import_status", pk=task.pk)
    return import_page(
        request,
        form=form,
        kind="elders.import",
        title="批量导入老年人档案",
        intro="身份证号用于识别同一人：再次导入同一个人会更新其档案，不会重复建档。",
        back="elders:list",
        template="elders:import_template",
        status="elders:import_status",
    )


@capability_required(Cap.ELDERS_IMPORT)
@require_GET
def import_status(request, pk):
    task = task_get(actor=request.user, pk=pk)
    if task.kind != "elders.import":
        raise Http404("任务不存在")
    return import_status_page(
        request, task=task, title="导入老年人档案", back="elders:import", errors="elders:import_errors"
    )


@capability_required(Cap.ELDERS_IMPORT)
@require_GET
def import_errors(request, pk):
    task = task_get(actor=request.user, pk=pk)
    if task.kind != "elders.import" or not task.output_file:
        raise Http404("没有错误文件")
    return uploads.error_report_response(task, f"未导入的行-{task.pk}.xlsx")


# --- duplicates and moves -----------------------------------------------------------------------


@capability_required(Cap.ELDERS_VIEW)
@require_GET
def duplicate_list(request):
    state = request.GET.get("state", "open")
    flags = selectors.duplicate_list(
        actor=request.user, state=state if state in ("open", "merged", "dismissed") else "open"
    )
    return render(request, "elders/duplicates.html", {"page": page_of(request, flags), "state": state})


@capability_required(Cap.ELDERS_VIEW)
@require_http_methods(["GET", "POST"])
def duplicate_detail(request, pk):
    flag = selectors.duplicate_get(actor=request.user, pk=pk)
    form = DismissForm(request.POST or None)
    if request.method == "POST":
        if not request.user.can(Cap.ELDERS_EDIT):
            raise PermissionDenied("您没有处理疑似重复的权限。")
        try:
            if request.POST.get("action") == "merge":
                keep = flag.elder if request.POST.get("keep") == str(flag.elder_id) else flag.other
                services.duplicate_merge(actor=request.user, flag=flag, keep=keep)
                messages.success(request, f"已合并，保留档案 {keep.pk}。")
                return redirect("elders:detail", pk=keep.pk)
            if form.is_valid():
                services.duplicate_dismiss(actor=request.user, flag=flag, reason=form.cleaned_data["reason"])
                messages.success(request, "已标记为不是同一人。")
                return redirect("elders:duplicates")
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
    pair = [flag.elder, flag.other]
    return render(
        request,
        "elders/duplicate_detail.html",
        {
            "flag": flag,
            "pair": pair,
            "form": form,
            "categories": {e.pk: selectors.current_categories(elder=e) for e in pair},
        },
    )


@capability_required(Cap.ELDERS_VIEW)
@require_GET
def move_log(request):
    return render(
        request, "elders/moves.html", {"page": page_of(request, selectors.move_log(actor=request.user))}
    )
