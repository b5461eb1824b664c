"""Coverage and siting pages (the construction plans' pages are in plan_views.py)."""

import tempfile
from pathlib import Path

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yanglao.accounts.decorators import capability_required
from yanglao.accounts.forms import apply_service_errors
from yanglao.accounts.roles import Cap
from yanglao.core import audit
from yanglao.core.paging import page_of
from yanglao.core.sheets import SheetError, XlsxStream, build_template, xlsx_response
from yanglao.elders.models import Gender, LivingSituation
from yanglao.planning import selectors, services
from yanglao.planning.forms import (
    CandidateForm,
    CandidateImportForm,
    CoverageFilterForm,
    RunFilterForm,
    SettingForm,
    SitingForm,
    ToPlanForm,
)

# --- coverage --------------------------------------------------------------------------------------


def _outline_code(region) -> str:
    """The code whose county outlines the map draws under everything: the county (or city, province)."""
    length = {"province": 2, "city": 4}.get(region.level, 6)
    return region.code[:length]


def _coverage_query(form: CoverageFilterForm) -> selectors.CoverageQuery:
    data = form.cleaned_data if form.is_valid() else {}
    return selectors.CoverageQuery(
        region=data.get("region", ""),
        service=data.get("service", ""),
        include_planned=bool(data.get("include_planned")),
    )


@capability_required(Cap.PLANNING_VIEW)
@require_GET
def coverage(request):
    form = CoverageFilterForm(request.GET or None, actor=request.user)
    report = selectors.coverage(actor=request.user, query=_coverage_query(form)) if not form.errors else None
    map_data = None
    if report is not None:
        map_data = {
            "sites": [
                [s["lat"], s["lng"], s["radius"], s["name"], s["type"], s["status"], s["kind"]]
                for s in report.sites
            ],
            "hexes": report.hexes,
            "hex_size_m": report.hex_size_m,
            "outline_code": _outline_code(report.region),
        }
    return render(
        request,
        "planning/coverage.html",
        {
            "form": form,
            "report": report,
            "map_data": map_data,
            "query": request.GET.urlencode(),
            "weight_labels": [
                (selectors.WEIGHT_LABELS[k], v) for k, v in (report.weights.items() if report else [])
            ],
            "urban": selectors.default_circle(True),
            "rural": selectors.default_circle(False),
        },
    )


SOURCE_LABELS = {0: "本人坐标", 1: "所在村（社区）位置", 2: "所在乡镇位置"}


def _metres(value: float | None) -> int | None:
    return None if value is None or value == float("inf") else round(value)


@capability_required(Cap.PLANNING_VIEW)
@require_GET
def coverage_uncovered(request):
    form = CoverageFilterForm(request.GET or None, actor=request.user)
    report = selectors.coverage(actor=request.user, query=_coverage_query(form)) if not form.errors else None
    page, rows = None, []
    if report is not None:
        page = page_of(request, report.uncovered_ids())
        ids = list(page.object_list)
        distance = report.distance_of()
        weight = report.weight_of()
        sources = report.source_of(ids)
        rows = [
            {
                "elder": e,
                "distance": _metres(distance.get(e.pk)),
                "weight": weight.get(e.pk),
                "source": SOURCE_LABELS.get(sources.get(e.pk), ""),
            }
            for e in selectors.uncovered_elders(actor=request.user, ids=ids)
        ]
    return render(
        request,
        "planning/coverage_uncovered.html",
        {
            "form": form,
            "report": report,
            "page": page,
            "rows": rows,
            "query": request.GET.urlencode(),
            "can_export": request.user.can(Cap.ELDERS_EXPORT),
        },
    )


UNCOVERED_HEADER = [
    "档案编号", "姓名", "性别", "年龄", "身份证号", "联系电话", "现住址", "居住地区划代码", "居住地",
    "居住情况", "位置来源", "权重", "距最近设施（米）",
]  # fmt: skip


@capability_required(Cap.PLANNING_VIEW)
@require_GET
def coverage_export(request):
    """The uncovered elders as .xlsx: ID numbers and phones always masked; every export is audited."""
    if not request.user.can(Cap.ELDERS_EXPORT):
        raise PermissionDenied("您没有导出老年人名单的权限。")
    form = CoverageFilterForm(request.GET or None, actor=request.user)
    if form.errors:
        return redirect(f"{request.path.replace('export.xlsx', '')}?{request.GET.urlencode()}")
    query = _coverage_query(form)
    report = selectors.coverage(actor=request.user, query=query)
    ids = report.uncovered_ids()
    distance = report.distance_of()
    weight = report.weight_of()
    sources = report.source_of(ids)
    today = timezone.localdate()
    stream = XlsxStream("服务圈外老年人", UNCOVERED_HEADER)
    genders = dict(Gender.choices)
    living = dict(LivingSituation.choices)
    for start in range(0, len(ids), 2000):
        for e in selectors.uncovered_elders(actor=request.user, ids=ids[start : start + 2000]):
            d = distance.get(e.pk)
            stream.append([
                e.pk, e.name, genders.get(e.gender, ""), e.age_on(today), e.id_number_masked, e.phone_masked,
                e.address, e.region_id, e.region.full_name, living.get(e.living_situation, ""),
                SOURCE_LABELS.get(sources.get(e.pk), ""), weight.get(e.pk),
                _metres(d),
            ])  # fmt: skip
    audit.record(
        actor=request.user,
        action=audit.Action.EXPORT,
        object_type="planning.coverage",
        object_label=report.region.name,
        region_code=report.region.code,
        summary=f"导出服务圈外老年人名单 {stream.rows} 人（脱敏）：{report.region.name}",
        changes={"filters": [None, {k: v for k, v in vars(query).items() if v}]},
    )
    return stream.response(f"服务圈外老年人-{report.region.name}-{today:%Y%m%d}.xlsx")


@capability_required(Cap.PLANNING_VIEW)
@require_http_methods(["GET", "POST"])
def coverage_settings(request):
    form = SettingForm(request.POST or None, actor=request.user)
    if request.method == "POST":
        if not request.user.can(Cap.PLANNING_EDIT):
            raise PermissionDenied("您没有修改服务圈设置的权限。")
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.coverage_setting_save(
                    actor=request.user,
                    region=data["region"],
                    minutes=data["minutes"],
                    mode=data["mode"],
                    speed_kmh=data["speed_kmh"],
                    detour=data["detour"],
                    note=data["note"],
                )
            except ValidationError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, f"已保存{data['region'].name}的服务圈设置。")
                return redirect("planning:coverage_settings")
    return render(
        request,
        "planning/coverage_settings.html",
        {
            "form": form,
            "settings": selectors.coverage_settings(actor=request.user),
            "urban": selectors.default_circle(True),
            "rural": selectors.default_circle(False),
            "can_edit": request.user.can(Cap.PLANNING_EDIT),
        },
    )


# --- siting ----------------------------------------------------------------------------------------

RECENT_RUNS = 10  # on the siting page; the run list has them all


def _siting_page(request, *, siting_form=None, candidate_form=None, import_form=None, status=200):
    region = request.GET.get("region", "")
    candidates = selectors.candidate_list(actor=request.user, region=region, q=request.GET.get("q", ""))
    runs = list(selectors.run_list(actor=request.user)[:RECENT_RUNS])
    _with_state(runs)
    return render(
        request,
        "planning/siting.html",
        {
            "siting_form": siting_form
            or SitingForm(actor=request.user, initial={"region": request.user.region_id}),
            "candidate_form": candidate_form or CandidateForm(actor=request.user),
            "import_form": import_form or CandidateImportForm(),
            "page": page_of(request, candidates),
            "runs": runs,
            "can_edit": request.user.can(Cap.PLANNING_EDIT),
        },
        status=status,
    )


@capability_required(Cap.PLANNING_VIEW)
@require_GET
def siting(request):
    return _siting_page(request)


def _with_state(runs) -> None:
    for run in runs:  # queued / running (with its step) / done / failed, as on the run's own page
        run.state = selectors.run_state(run=run)


@capability_required(Cap.PLANNING_VIEW)
@require_GET
def run_list(request):
    """Every siting run in scope, filtered and paged (the siting page shows the latest few)."""
    form = RunFilterForm(request.GET or None, actor=request.user)
    data = form.cleaned_data if form.is_valid() else {}
    runs = selectors.run_list(
        actor=request.user,
        region=data.get("region", ""),
        question=data.get("question", ""),
        status=data.get("status", ""),
    )
    page = page_of(request, runs)
    _with_state(page.object_list)
    return render(request, "planning/siting_runs.html", {"page": page, "form": form})


@capability_required(Cap.PLANNING_EDIT)
@require_POST
def siting_run(request):
    form = SitingForm(request.POST, actor=request.user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            run = services.siting_submit(
                actor=request.user,
                region=data["region"],
                question=data["question"],
                p=data.get("p"),
                share=float(data["share"]) if data.get("share") is not None else None,
                budget_fen=form.budget_fen,
                service=data.get("service", ""),
                include_planned=bool(data.get("include_planned")),
                time_limit=data.get("time_limit"),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect("planning:run_detail", pk=run.pk)
    return _siting_page(request, siting_form=form)


@capability_required(Cap.PLANNING_EDIT)
@require_POST
def candidate_create(request):
    form = CandidateForm(request.POST, actor=request.user)
    if form.is_valid():
        data = form.cleaned_data
        try:
            site = services.candidate_create(
                actor=request.user,
                region=data["region"],
                name=data["name"],
                latitude=data["latitude"],
                longitude=data["longitude"],
                address=data["address"],
                cost_fen=form.cost_fen,
                area_m2=data.get("area_m2"),
                note=data["note"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已新增候选站点：{site.name}")
            return redirect("planning:siting")
    return _siting_page(request, candidate_form=form)


@capability_required(Cap.PLANNING_EDIT)
@require_POST
def candidate_import(request):
    form = CandidateImportForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        suffix = Path(upload.name).suffix.lower()
        with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
            for chunk in upload.chunks():
                handle.write(chunk)
            handle.flush()
            try:
                result = services.candidates_import(actor=request.user, path=Path(handle.name))
            except SheetError as exc:
                form.add_error("file", exc.message)
                return _siting_page(request, import_form=form)
        audit.record(
            actor=request.user,
            action=audit.Action.IMPORT,
            object_type="planning.candidatesite",
            summary=f"导入候选站点：新增 {result.created}，未导入 {len(result.failed)}",
        )
        if result.failed:
            lines = [f"第 {row} 行：{'；'.join(problems)}" for row, _, problems in result.failed[:20]]
            more = f"（另有 {len(result.failed) - 20} 行）" if len(result.failed) > 20 else ""
            messages.warning(
                request,
                f"新增 {result.created} 个候选点，{len(result.failed)} 行未导入{more}：" + " ".join(lines),
            )
        else:
            messages.success(request, f"已导入 {result.created} 个候选点。")
        return redirect("planning:siting")
    return _siting_page(request, import_form=form)


@capability_required(Cap.PLANNING_VIEW)
@require_GET
def candidate_template(request):
    content = build_template(
        title="候选站点",
        columns=services.CANDIDATE_COLUMNS,
        instructions=[
            "每行一个候选站点：社区用房、闲置楼宇，或可增设服务的现有设施。",
            "所在区划填 12 位代码或完整名称；经纬度为 WGS-84 十进制度。",
            "建设成本（元）用于“预算约束”选址问题。",
        ],
    )
    return xlsx_response(content, "候选站点导入模板.xlsx")


@capability_required(Cap.PLANNING_EDIT)
@require_POST
def candidate_toggle(request, pk):
    site = selectors.candidate_get(actor=request.user, pk=pk)
    services.candidate_set_active(actor=request.user, site=site, active=not site.active)
    messages.success(request, f"候选站点“{site.name}”{'参与' if site.active else '不参与'}选址。")
    return redirect("planning:siting")


def _run_page(request, run, plan_form=None, status=200):
    return render(
        request,
        "planning/siting_run.html",
        {
            "run": run,
            "state": selectors.run_state(run=run),
            "result": run.result,
            "planned": selectors.run_plan_items(run=run),
            "plan_form": plan_form or ToPlanForm(run=run),
            "service_label": dict(selectors.SERVICE_CHOICES).get(run.parameters.get("service") or "", ""),
            "can_edit": request.user.can(Cap.PLANNING_EDIT),
            "map_data": {
                "sites": [
                    [s["lat"], s["lng"], s["radius"], s["name"], s["rank"]]
                    for s in run.result.get("sites", [])
                ],
                "candidates": run.result.get("candidates", []),
                "hexes": run.result.get("hexes", []),
                "hex_size_m": run.result.get("hex_size_m"),
                "outline_code": _outline_code(run.region),
            },
        },
        status=status,
    )


@capability_required(Cap.PLANNING_VIEW)
@require_GET
def run_detail(request, pk):
    return _run_page(request, selectors.run_get(actor=request.user, pk=pk))


@capability_required(Cap.PLANNING_VIEW)
@require_GET
def run_status(request, pk):
    """The progress of a queued or running run, polled by its page every second; once the run has
    finished the polling request reloads the page (``HX-Refresh``), which then shows the result."""
    run = selectors.run_get(actor=request.user, pk=pk)
    state = selectors.run_state(run=run)
    response = render(request, "planning/_run_status.html", {"run": run, "state": state})
    if state.finished and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


RUN_HEADER = [
    "序号", "站点", "候选点编号", "纬度", "经度", "区划代码", "服务半径（米）", "建设成本（元）",
    "新增覆盖老年人", "新增覆盖（加权）", "累计覆盖（加权）", "累计覆盖率（加权）", "累计覆盖率（人数）",
]  # fmt: skip


@capability_required(Cap.PLANNING_VIEW)
@require_GET
def run_export(request, pk):
    run = selectors.run_get(actor=request.user, pk=pk)
    stream = XlsxStream("选址结果", RUN_HEADER)
    for s in run.result.get("sites", []):
        stream.append([
            s["rank"], s["name"], s["candidate"], s["lat"], s["lng"], s["region"], s["radius"],
            None if s["cost_fen"] is None else s["cost_fen"] / 100, s["newly_elders"], s["newly_weight"],
            s["cumulative_weight"], s["cumulative_share"], s["cumulative_elder_share"],
        ])  # fmt: skip
    stream.append([])
    stream.append(["最优性差距", run.gap, "算法", run.method, "用时（秒）", run.seconds])
    audit.record(actor=request.user, action=audit.Action.EXPORT, obj=run, summary=f"导出选址结果 #{run.pk}")
    return stream.response(f"选址结果-{run.pk}.xlsx")


@capability_required(Cap.PLANNING_EDIT)
@require_POST
def run_to_plan(request, pk):
    run = selectors.run_get(actor=request.user, pk=pk)
    form = ToPlanForm(request.POST, run=run)
    if form.is_valid():
        try:
            items = services.plan_items_from_run(
                actor=request.user, run=run, ranks=form.cleaned_data["ranks"], kind=form.cleaned_data["kind"]
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已生成 {len(items)} 个建设计划项目。")
            return redirect("planning:run_detail", pk=run.pk)
    return _run_page(request, run, plan_form=form)
