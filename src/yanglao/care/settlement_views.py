"""Console pages of 资金结算 (monthly statements) and 派单建议 (the dispatch suggestion). Thin: parse,
call ``settlement`` / ``dispatch``, render. Reads go through ``settlement_selectors`` and the
scoped readers of ``dispatch``."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yanglao.accounts.decorators import capability_required
from yanglao.accounts.roles import Cap
from yanglao.care import dispatch, selectors, settlement, settlement_report
from yanglao.care import settlement_selectors as reads
from yanglao.care.forms import county_choices
from yanglao.care.models import SettlementState
from yanglao.care.validation import format_fen
from yanglao.core import audit
from yanglao.core.paging import page_of
from yanglao.core.parsing import parse_date
from yanglao.core.sheets import xlsx_response
from yanglao.regions.models import Region

MONTH_INPUT = forms.TextInput(attrs={"type": "month", "placeholder": "2026-03"})


def _provider_choices(actor) -> list[tuple[str, str]]:
    return [(str(p.pk), f"{p.name}（{p.county.name}）") for p in selectors.provider_choices(actor=actor)]


class SettlementFilterForm(forms.Form):
    provider = forms.ChoiceField(label="服务商", required=False)
    county = forms.ChoiceField(label="旗县", required=False)
    month = forms.CharField(label="月份", required=False, widget=MONTH_INPUT)
    state = forms.ChoiceField(label="状态", required=False, choices=[("", "全部"), *SettlementState.choices])

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = [("", "全部"), *_provider_choices(actor)]
        self.fields["county"].choices = [("", "全部"), *county_choices(actor)]
        if actor.scope.operator_id:
            del self.fields["county"]

    def clean_month(self):
        text = self.cleaned_data.get("month", "")
        if not text:
            return None
        try:
            return settlement.parse_month(text)
        except ValidationError:
            raise forms.ValidationError("月份格式不对，应为 2026-03。", code="invalid_month") from None

    def filters(self) -> reads.SettlementFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return reads.SettlementFilters(
            provider=int(data["provider"]) if data.get("provider") else None,
            county=data.get("county") or "",
            month=data.get("month"),
            state=data.get("state") or "",
        )


class BuildForm(forms.Form):
    provider = forms.ChoiceField(label="服务商")
    month = forms.CharField(label="结算月份", widget=MONTH_INPUT)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["provider"].choices = [("", "请选择"), *_provider_choices(actor)]
        self.fields["provider"].error_messages = {
            "required": "请选择服务商。",
            "invalid_choice": "服务商不存在或不在您的管辖范围内。",
        }
        self.fields["month"].error_messages = {"required": "请选择结算月份。"}
        if not self.is_bound:
            previous = timezone.localdate().replace(day=1) - timedelta(days=1)
            self.initial.setdefault("month", f"{previous:%Y-%m}")

    def clean_month(self):
        try:
            return settlement.parse_month(self.cleaned_data["month"])
        except ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["month"][0], code="invalid_month") from None

    def clean_provider(self):
        try:
            return selectors.provider_get(actor=self.actor, pk=int(self.cleaned_data["provider"]))
        except Http404:
            raise forms.ValidationError("服务商不存在或不在您的管辖范围内。", code="invalid_choice") from None


def _apply_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, problems in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, problems)
    else:
        form.add_error(None, exc)


@capability_required(Cap.CARE_VIEW)
@require_GET
def settlement_list(request):
    form = SettlementFilterForm(request.GET or None, actor=request.user)
    statements = reads.settlement_list(actor=request.user, filters=form.filters())
    page = page_of(request, statements)
    can_build = settlement.may_settle(request.user)
    return render(
        request,
        "care/settlement/list.html",
        {
            "form": form,
            "page": page,
            "can_build": can_build,
            "build_form": BuildForm(actor=request.user) if can_build else None,
        },
    )


@capability_required(Cap.CARE_SETTLE)
@require_POST
def settlement_build(request):
    form = BuildForm(request.POST, actor=request.user)
    if form.is_valid():
        provider = form.cleaned_data["provider"]
        try:
            statement = settlement.settlement_build(
                actor=request.user,
                provider=provider,
                county=Region.objects.get(code=provider.county_id),
                month=form.cleaned_data["month"],
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"已生成结算单 {statement.number}。")
            return redirect("care:settlement_detail", pk=statement.pk)
    filters = SettlementFilterForm(None, actor=request.user)
    page = page_of(request, reads.settlement_list(actor=request.user, filters=filters.filters()))
    return render(
        request,
        "care/settlement/list.html",
        {"form": filters, "page": page, "can_build": True, "build_form": form, "build_open": True},
        status=422,
    )


def _detail_context(request, statement) -> dict:
    draft = statement.state == SettlementState.DRAFT
    may = settlement.may_settle(request.user, statement)
    pending = list(reads.pending_anomalies(settlement=statement)[:200]) if draft else []
    left_out = list(reads.left_out(settlement=statement)[:200]) if draft else []
    page = page_of(request, reads.settlement_lines(settlement=statement))
    return {
        "s": statement,
        "draft": draft,
        "may_settle": may and draft,
        "figures": [
            ("合计", format_fen(statement.total_fen)),
            ("政府购买", format_fen(statement.government_fen)),
            ("补贴", format_fen(statement.subsidy_fen)),
            ("个人自付", format_fen(statement.self_fen)),
        ],
        "pending": [(o, reads.order_url(o.pk), settlement_report.anomaly_text(o.anomalies)) for o in pending],
        "left_out": [(o, reads.order_url(o.pk)) for o in left_out],
        "states": reads.month_states(settlement=statement),
        "products": reads.lines_by_product(settlement=statement),
        "page": page,
        "rows": [
            {
                "line": line,
                "url": reads.order_url(line.order_id),
                "reason": line.order.anomaly_reason or settlement_report.anomaly_text(line.order.anomalies),
            }
            for line in page.object_list
        ],
    }


@capability_required(Cap.CARE_VIEW)
@require_GET
def settlement_detail(request, pk):
    statement = reads.settlement_get(actor=request.user, pk=pk)
    return render(request, "care/settlement/detail.html", _detail_context(request, statement))


class ConfirmForm(forms.Form):
    checked = forms.BooleanField(
        label="我已核对本结算单的工单明细和金额；确认后结算单不能修改，工单将标记为已结算。",
        error_messages={"required": "请勾选确认已核对结算单。"},
    )


@capability_required(Cap.CARE_SETTLE)
@require_http_methods(["GET", "POST"])
def settlement_confirm(request, pk):
    statement = reads.settlement_get(actor=request.user, pk=pk)
    if statement.state == SettlementState.CONFIRMED:
        messages.info(request, f"结算单 {statement.number} 已确认。")
        return redirect("care:settlement_detail", pk=pk)
    if not settlement.may_settle(request.user, statement):
        raise PermissionDenied("结算单须由旗县及以上民政干部确认。")
    form = ConfirmForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                settlement.settlement_confirm(actor=request.user, settlement=statement)
            except ValidationError as exc:
                _apply_errors(form, exc)
            else:
                messages.success(request, f"结算单 {statement.number} 已确认，相关工单已标记为已结算。")
                return redirect("care:settlement_detail", pk=pk)
        status = 422
    context = {
        "s": statement,
        "form": form,
        "pending_count": reads.pending_anomalies(settlement=statement).count(),
        "left_out_count": reads.left_out(settlement=statement).count(),
        "excluded_count": reads.settlement_lines(settlement=statement, paid=False).count(),
        "figures": [
            ("合计", format_fen(statement.total_fen)),
            ("政府购买服务", format_fen(statement.government_fen)),
            ("补贴", format_fen(statement.subsidy_fen)),
            ("个人自付", format_fen(statement.self_fen)),
        ],
    }
    return render(request, "care/settlement/confirm.html", context, status=status)


@capability_required(Cap.CARE_SETTLE)
@require_POST
def settlement_rebuild(request, pk):
    statement = reads.settlement_get(actor=request.user, pk=pk)
    try:
        settlement.settlement_build(
            actor=request.user,
            provider=statement.provider,
            county=statement.county,
            month=statement.month,
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已重新生成结算单 {statement.number}。")
    return redirect("care:settlement_detail", pk=pk)


def _export_audit(request, statement, kind: str) -> None:
    audit.record(
        actor=request.user,
        action=audit.Action.EXPORT,
        obj=statement,
        region_code=statement.county_id,
        summary=f"导出结算单 {statement.number}（{kind}）",
    )


@capability_required(Cap.CARE_VIEW)
@require_GET
def settlement_xlsx(request, pk):
    statement = reads.settlement_get(actor=request.user, pk=pk)
    content = settlement_report.build_xlsx(statement)
    _export_audit(request, statement, "Excel")
    return xlsx_response(content, settlement_report.filename(statement, "xlsx"))


@capability_required(Cap.CARE_VIEW)
@require_GET
def settlement_pdf(request, pk):
    statement = reads.settlement_get(actor=request.user, pk=pk)
    try:
        content = settlement_report.render_pdf(statement)
    except settlement_report.PdfUnavailable as exc:
        return HttpResponse(str(exc), status=503, content_type="text/plain; charset=utf-8")
    _export_audit(request, statement, "PDF")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="settlement-{statement.number}.pdf"'
    return response


# --- 派单建议 -------------------------------------------------------------------------------------------


class DispatchForm(forms.Form):
    township = forms.ChoiceField(
        label="苏木乡镇（街道）", error_messages={"required": "请选择苏木乡镇（街道）。"}
    )
    date = forms.CharField(
        label="服务日期",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "请选择服务日期。"},
    )
    provider = forms.ChoiceField(label="服务商", required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.townships = {t.code: t for t in dispatch.township_choices(actor=actor)}
        self.fields["township"].choices = [("", "请选择"), *[(c, t.name) for c, t in self.townships.items()]]
        self.fields["township"].error_messages["invalid_choice"] = "该苏木乡镇不存在或不在您的管辖范围内。"
        code = (self.data.get("township") if self.is_bound else self.initial.get("township")) or ""
        township = self.townships.get(code)
        self.providers = dispatch.provider_choices(actor=actor, township=township) if township else []
        choices = [(str(p.pk), p.name) for p in self.providers]
        self.fields["provider"].choices = choices if len(choices) == 1 else [("", "请选择"), *choices]
        self.fields["provider"].error_messages["invalid_choice"] = (
            "该服务商没有与此旗县签约或不在您的管辖范围内。"
        )
        if not self.is_bound:
            self.initial.setdefault("date", timezone.localdate().isoformat())

    def clean_township(self):
        return self.townships[self.cleaned_data["township"]]

    def clean_date(self):
        try:
            day = parse_date(self.cleaned_data["date"])
        except ValueError:
            day = None
        if day is None:
            raise forms.ValidationError("服务日期格式不对，应为 2026-03-01。", code="invalid_date")
        return day

    def clean(self):
        data = super().clean()
        if "township" in data and not self.errors.get("provider"):
            chosen = data.get("provider")
            if not chosen and len(self.providers) == 1:
                chosen = str(self.providers[0].pk)
            if not chosen:
                self.add_error("provider", forms.ValidationError("请选择服务商。", code="required"))
            else:
                data["provider"] = next(p for p in self.providers if str(p.pk) == chosen)
        return data


def _dispatch_allowed(request) -> None:
    if not (request.user.can(Cap.CARE_DISPATCH) or request.user.can(Cap.CARE_EDIT)):
        raise PermissionDenied("您没有派单的权限。")


def _dispatch_service():
    """care-2's dispatch service (``care.orders``), if it is installed."""
    try:
        from yanglao.care import orders
    except ImportError:
        return None
    return getattr(orders, "order_dispatch", None)


@login_required
@require_GET
def dispatch_page(request):
    _dispatch_allowed(request)
    form = DispatchForm(request.GET or None, actor=request.user)
    counts = None
    county_code = request.user.region_id[:6]
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        county_code = data["township"].code[:6]
        counts = {
            "orders": dispatch.pending_orders(
                actor=request.user, provider=data["provider"], township=data["township"], day=data["date"]
            ).count(),
            "caregivers": dispatch.available_caregivers(provider=data["provider"], day=data["date"]).count(),
        }
    return render(
        request,
        "care/dispatch/page.html",
        {"form": form, "counts": counts, "county_code": county_code},
        status=422 if form.is_bound and not form.is_valid() else 200,
    )


def _routes_json(suggestion) -> dict:
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"]
    return {
        "routes": [
            {
                "caregiver": route.caregiver.name,
                "colour": colours[i % len(colours)],
                "home": list(route.home),
                "stops": [
                    {
                        "number": order.number,
                        "at": list(point),
                        "start": dispatch.clock(stop.start_s),
                        "product": order.product.name,
                    }
                    for stop, order, point in route.stops
                ],
            }
            for i, route in enumerate(suggestion.routes)
        ],
    }


@login_required
@require_POST
def dispatch_suggest(request):
    """HTMX: run the solver and return the routes, tables and the apply form."""
    _dispatch_allowed(request)
    form = DispatchForm(request.POST, actor=request.user)
    if not form.is_valid():
        return render(request, "care/dispatch/_result.html", {"form": form}, status=422)
    data = form.cleaned_data
    suggestion = dispatch.suggest(
        actor=request.user, provider=data["provider"], township=data["township"], day=data["date"]
    )
    return render(
        request,
        "care/dispatch/_result.html",
        {
            "form": form,
            "suggestion": suggestion,
            "routes_json": _routes_json(suggestion),
            "can_apply": _dispatch_service() is not None
            and request.user.can(Cap.CARE_DISPATCH)
            and bool(suggestion.routes),
            "clock": dispatch.clock,
        },
    )


@login_required
@require_POST
def dispatch_apply(request):
    """Dispatch the suggested pairs through the orders service (each checked again there)."""
    _dispatch_allowed(request)
    service = _dispatch_service()
    if service is None or not request.user.can(Cap.CARE_DISPATCH):
        raise Http404("派单服务不可用")
    form = DispatchForm(request.POST, actor=request.user)
    if not form.is_valid():
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
        return redirect("care:dispatch_plan")
    data = form.cleaned_data
    orders = {
        o.pk: o
        for o in dispatch.pending_orders(
            actor=request.user, provider=data["provider"], township=data["township"], day=data["date"]
        )
    }
    caregivers = {c.pk: c for c in dispatch.available_caregivers(provider=data["provider"], day=data["date"])}
    done, problems = 0, []
    for pair in request.POST.getlist("assign"):
        order_id, _, caregiver_id = pair.partition(":")
        order = orders.get(int(order_id)) if order_id.isdigit() else None
        caregiver = caregivers.get(int(caregiver_id)) if caregiver_id.isdigit() else None
        if order is None or caregiver is None:
            problems.append(f"工单 {order_id} 已不在待派单列表中。")
            continue
        try:
            service(actor=request.user, order=order, caregiver=caregiver)
        except (ValidationError, PermissionDenied) as exc:
            text = "；".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            problems.append(f"{order.number}：{text}")
        else:
            done += 1
    if done:
        messages.success(request, f"已按建议派单 {done} 张。")
    for problem in problems[:20]:
        messages.error(request, problem)
    query = f"?township={data['township'].code}&date={data['date']:%Y-%m-%d}&provider={data['provider'].pk}"
    return redirect(reverse("care:dispatch_plan") + query)
