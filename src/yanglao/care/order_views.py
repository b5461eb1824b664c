"""Work-order pages: the list, a new order, the order page with its action forms, the anomaly
decision, the month's plan, the provider's day, and the caregiver's phone page (/care/m/)."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yanglao.accounts.decorators import capability_required
from yanglao.accounts.roles import Cap
from yanglao.care import order_selectors as reads
from yanglao.care import orders as services
from yanglao.care.models import Anomaly, AnomalyDecision, OrderState, Provider, ServiceProduct
from yanglao.care.order_forms import (
    AnomalyForm,
    CheckInForm,
    CheckOutForm,
    DispatchForm,
    GenerateForm,
    LooseDateField,
    OrderFilterForm,
    OrderForm,
    ReasonForm,
    ReviewForm,
    apply_errors,
)
from yanglao.care.validation import format_fen
from yanglao.core.paging import page_of
from yanglao.core.parsing import parse_date
from yanglao.elders import selectors as elder_selectors

ORDER_COUNT_CAP = 10_000
CONSOLE_ACTIONS = ("accept", "refuse", "dispatch", "review", "cancel", "fail")
EVENT_LABELS = {
    "created": "新建",
    **{t.action: t.label for t in services.TRANSITIONS.values()},
    "anomaly_decided": "异常处理",
    "settled": "结算",
    "settlement_excluded": "不予结算",
}
STATE_BADGES = {
    OrderState.REQUESTED: "badge-warn",
    OrderState.ACCEPTED: "badge-warn",
    OrderState.DISPATCHED: "",
    OrderState.CHECKED_IN: "",
    OrderState.CHECKED_OUT: "badge-ok",
    OrderState.REVIEWED: "badge-ok",
    OrderState.SETTLED: "badge-ok",
    OrderState.CANCELLED: "badge-off",
    OrderState.REFUSED: "badge-off",
    OrderState.FAILED: "badge-bad",
}


def care_reader(view):
    """Officers, providers and auditors (care.view) and caregivers (care.visit)."""

    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not (request.user.can(Cap.CARE_VIEW) or request.user.can(Cap.CARE_VISIT)):
            raise PermissionDenied("您没有查看服务工单的权限。")
        return view(request, *args, **kwargs)

    return wrapped


def _messages_of(exc) -> str:
    if isinstance(exc, ValidationError):
        return "；".join(exc.messages)
    return str(exc)


# --- the list ------------------------------------------------------------------------------------


@care_reader
@require_GET
def order_list(request):
    form = OrderFilterForm(request.GET or None, actor=request.user)
    # Counting a city's millions of orders costs more than the page itself: past the cap the
    # pager says "more than".
    page = page_of(
        request, reads.order_list(actor=request.user, filters=form.filters()), count_cap=ORDER_COUNT_CAP
    )
    return render(request, "care/orders/list.html", {
        "form": form, "page": page, "badges": STATE_BADGES,
        "can_create": request.user.can(Cap.CARE_EDIT),
        "can_generate": request.user.can(Cap.CARE_EDIT) and len(request.user.scope.prefix) <= 6,
        "can_dispatch": request.user.can(Cap.CARE_DISPATCH),
        "pending": reads.anomalies_pending_count(actor=request.user) if request.user.can(Cap.CARE_EDIT) else 0,
    })  # fmt: skip


# --- a new order -------------------------------------------------------------------------------------


def _chosen_elder(request, value):
    if not value:
        return None
    try:
        return elder_selectors.elder_get(actor=request.user, pk=int(value))
    except (ValueError, Http404):
        return None


@capability_required(Cap.CARE_EDIT)
@require_http_methods(["GET", "POST"])
def order_create(request):
    if request.method == "POST":
        elder = _chosen_elder(request, request.POST.get("elder"))
        form = OrderForm(request.POST, actor=request.user, elder=elder)
        if form.is_valid() and elder is None:
            form.add_error("elder", "请搜索并选择老年人。")
        if form.is_valid():
            data = form.cleaned_data
            try:
                order = services.order_create(
                    actor=request.user,
                    elder=elder,
                    product=ServiceProduct.objects.select_related("item").filter(pk=data["product"]).first(),
                    provider=Provider.objects.select_related("operator").filter(pk=data["provider"]).first(),
                    scheduled_date=data["scheduled_date"],
                    window_start=data["window_start"],
                    window_end=data["window_end"],
                    quantity=data["quantity"],
                    source=data["source"],
                    request_note=data["request_note"],
                )
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, f"已新建工单 {order.number}，等待服务商受理。")
                return redirect("care:order_detail", pk=order.pk)
        status = 422
    else:
        elder = _chosen_elder(request, request.GET.get("elder"))
        form = OrderForm(
            actor=request.user,
            elder=elder,
            initial={
                "scheduled_date": timezone.localdate().isoformat(),
                "elder": elder.pk if elder else None,
            },
        )
        status = 200
    providers = _providers_for(request, elder, form.data.get("product"), form.data.get("scheduled_date"))
    return render(
        request,
        "care/orders/new.html",
        {
            "form": form,
            "elder": elder,
            "providers": providers,
            "chosen_provider": form.data.get("provider", ""),
        },
        status=status,
    )


@capability_required(Cap.CARE_EDIT)
@require_GET
def order_elder_search(request):
    """HTMX: up to 20 elders in the officer's scope matching the search, as radio buttons."""
    text = request.GET.get("elder_q", "").strip()[:40]
    elders = []
    if text:
        filters = elder_selectors.ElderFilters(q=text)
        elders = list(elder_selectors.elder_list(actor=request.user, filters=filters)[:20])
    return render(request, "care/orders/_elder_options.html", {"elders": elders, "q": text})


def _providers_for(request, elder, product_id, day_text):
    if elder is None or not str(product_id or "").isdigit():
        return None
    product = ServiceProduct.objects.filter(pk=int(product_id)).first()
    if product is None:
        return None
    try:
        day = parse_date(str(day_text or "")) or timezone.localdate()
    except ValueError:
        day = timezone.localdate()
    return list(
        reads.provider_choices_for(
            actor=request.user, region_code=elder.region_id, item_id=product.item_id, on=day
        )
    )


@capability_required(Cap.CARE_EDIT)
@require_GET
def order_provider_options(request):
    """HTMX: the providers covering the chosen elder for the product's item on the date."""
    elder = _chosen_elder(request, request.GET.get("elder"))
    if request.GET.get("elder") and elder is None:
        raise Http404("老年人档案不存在")
    providers = _providers_for(request, elder, request.GET.get("product"), request.GET.get("scheduled_date"))
    return render(
        request,
        "care/orders/_provider_options.html",
        {"providers": providers, "chosen_provider": request.GET.get("provider", "")},
    )


# --- the order page ----------------------------------------------------------------------------------


def _detail_context(request, order, forms=None):
    user = request.user
    actions = services.actions_for(user, order)
    forms = forms or {}
    allowed, refused = [], []
    if "dispatch" in actions:
        from yanglao.care.selectors import caregiver_can_do

        for caregiver in reads.dispatchable_caregivers(
            actor=user, provider_ids=[order.provider_id], on=order.scheduled_date
        ):
            verdict = caregiver_can_do(caregiver, order.product, on=order.scheduled_date)
            if verdict:
                allowed.append((caregiver, verdict))
            elif verdict.code != "skill_missing":  # only those trained for it but blocked (certificate…)
                refused.append((caregiver, verdict))
    allowed_caregivers = [c for c, _ in allowed]
    visit = reads.order_visit(order=order)
    labels = dict(OrderState.choices)
    events = [
        {"at": e.at, "label": EVENT_LABELS.get(e.kind, e.kind), "note": e.note, "actor": e.actor, "data": e.data,
         "from_label": labels.get(e.from_state, ""),
         "to_label": labels.get(e.to_state, "") if e.to_state != e.from_state else ""}
        for e in reads.order_events(order=order)
    ]  # fmt: skip
    return {
        "order": order,
        "visit": visit,
        "events": events,
        "actions": actions,
        "badges": STATE_BADGES,
        "anomalies": [
            (code, Anomaly(code).label if code in Anomaly.values else code) for code in order.anomalies or []
        ],
        "price": format_fen(order.price_fen),
        "unit_price": format_fen(order.unit_price_fen),
        "allowed_caregivers": allowed,
        "refused_caregivers": refused,
        "can_see_elder": user.can(Cap.ELDERS_VIEW),
        "can_decide": user.can(Cap.CARE_EDIT)
        and order.anomaly_decision == AnomalyDecision.PENDING
        and reads.can_see(user, order),
        "is_caregiver": reads.is_caregiver(user),
        "forms": {
            "refuse": forms.get("refuse") or ReasonForm(prefix="refuse"),
            "cancel": forms.get("cancel") or ReasonForm(prefix="cancel"),
            "fail": forms.get("fail") or ReasonForm(prefix="fail"),
            "dispatch": forms.get("dispatch")
            or DispatchForm(
                prefix="dispatch",
                allowed=allowed_caregivers,
                initial={"window_start": order.window_start, "window_end": order.window_end},
            ),
            "review": forms.get("review") or ReviewForm(prefix="review", initial={"channel": "phone"}),
            "anomaly": forms.get("anomaly") or AnomalyForm(prefix="anomaly"),
        },
        "map_url": _map_url(visit),
    }


def _map_url(visit) -> str:
    if visit is None or visit.check_in_lat is None:
        return ""
    lat, lng = visit.check_in_lat, visit.check_in_lng
    return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lng}#map=17/{lat}/{lng}"


@care_reader
@require_GET
def order_detail(request, pk):
    order = reads.order_get(actor=request.user, pk=pk)
    return render(request, "care/orders/detail.html", _detail_context(request, order))


def _safe_next(request) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return ""


@care_reader
@require_POST
def order_action(request, pk, action):
    """One of the console's transitions (accept, refuse, dispatch, review, cancel, fail)."""
    if action not in CONSOLE_ACTIONS:
        raise Http404("没有这个操作")
    order = reads.order_get(actor=request.user, pk=pk)
    back = _safe_next(request)
    form = None
    params: dict = {}
    if action in ("refuse", "cancel", "fail"):
        form = ReasonForm(request.POST, prefix=action)
    elif action == "dispatch":
        # every caregiver the actor sees may be posted; the service decides (and says why not)
        choices = reads.dispatchable_caregivers(
            actor=request.user, provider_ids=[order.provider_id], on=order.scheduled_date
        )
        form = DispatchForm(request.POST, prefix="dispatch", allowed=choices)
    elif action == "review":
        form = ReviewForm(request.POST, prefix="review")
    try:
        if form is not None and not form.is_valid():
            raise ValidationError(form.errors.as_data())
        if form is not None:
            params = dict(form.cleaned_data)
        if action == "dispatch":
            params["caregiver"] = reads.caregiver_for_dispatch(actor=request.user, pk=params["caregiver"])
        services.transition(actor=request.user, order=order, action=action, **params)
    except (ValidationError, PermissionDenied) as exc:
        if back:
            messages.error(request, f"工单 {order.number}：{_messages_of(exc)}")
            return redirect(back)
        order = reads.order_get(actor=request.user, pk=pk)
        if form is None or isinstance(exc, PermissionDenied):
            messages.error(request, _messages_of(exc))
            return redirect("care:order_detail", pk=pk)
        if isinstance(exc, ValidationError) and form.is_bound and form.is_valid():
            apply_errors(form, exc)
        context = _detail_context(request, order, forms={action: form})
        context["open_form"] = action
        return render(request, "care/orders/detail.html", context, status=422)
    messages.success(
        request,
        f"工单 {order.number}：{services.TRANSITIONS[action].label}成功，当前状态“{order.get_state_display()}”。",
    )
    return redirect(back or reverse("care:order_detail", args=[pk]))


@capability_required(Cap.CARE_EDIT)
@require_POST
def order_anomaly(request, pk):
    order = reads.order_get(actor=request.user, pk=pk)
    form = AnomalyForm(request.POST, prefix="anomaly")
    if form.is_valid():
        try:
            services.order_anomaly_decide(actor=request.user, order=order, **form.cleaned_data)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                apply_errors(form, exc)
            else:
                messages.error(request, _messages_of(exc))
                return redirect("care:order_detail", pk=pk)
        else:
            messages.success(
                request, f"工单 {order.number} 异常已处理：{order.get_anomaly_decision_display()}。"
            )
            return redirect("care:order_detail", pk=pk)
    order = reads.order_get(actor=request.user, pk=pk)
    context = _detail_context(request, order, forms={"anomaly": form})
    context["open_form"] = "anomaly"
    return render(request, "care/orders/detail.html", context, status=422)


@care_reader
@require_GET
def order_photo(request, pk, photo_pk):
    """A visit photo, served only to someone who may see the order."""
    photo = reads.visit_photo_get(actor=request.user, order_pk=pk, photo_pk=photo_pk)
    response = FileResponse(photo.image.open("rb"))
    response["Cache-Control"] = "private, no-store"
    return response


# --- the month's plan --------------------------------------------------------------------------------


@capability_required(Cap.CARE_EDIT)
@require_http_methods(["GET", "POST"])
def order_generate(request):
    form = GenerateForm(request.POST or None, actor=request.user, initial={"month": _next_month()})
    if request.method == "POST" and form.is_valid():
        try:
            result = services.orders_generate_month(
                actor=request.user, county=form.cleaned_data["county"], month=form.cleaned_data["month"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, result.message)
            month = result.month
            return redirect(
                f"{reverse('care:order_list')}?source=plan&date_from={month:%Y-%m-%d}"
                f"&date_to={services._month_end(month):%Y-%m-%d}"
            )
    return render(
        request,
        "care/orders/generate.html",
        {"form": form, "product": services.DEFAULT_PLAN_PRODUCT},
        status=422 if form.errors else 200,
    )


def _next_month() -> str:
    today = timezone.localdate()
    return f"{today.year + (today.month == 12)}-{today.month % 12 + 1:02d}"


# --- the provider's day ------------------------------------------------------------------------------


@capability_required(Cap.CARE_DISPATCH)
@require_GET
def dispatch_day(request):
    field = LooseDateField(label="日期", required=False)
    try:
        day = field.clean(request.GET.get("date")) or timezone.localdate()
    except ValidationError:
        day = timezone.localdate()
        messages.error(request, "日期格式不对，已显示今天。")
    township = request.GET.get("township", "").strip()[:12]
    rows = reads.dispatch_board(actor=request.user, on=day, township=township)
    from yanglao.regions.widgets import RegionPickerWidget

    picker = RegionPickerWidget(scope=request.user.scope).render("township", township)
    return render(request, "care/orders/dispatch.html", {
        "rows": rows, "day": day, "township": township, "picker": picker, "badges": STATE_BADGES,
        "counts": {s: sum(1 for r in rows if r.order.state == s) for s in OrderState.values},
        "here": request.get_full_path(),
    })  # fmt: skip


# --- the caregiver's phone page ----------------------------------------------------------------------


def _mobile_context(request, **extra):
    day = timezone.localdate()
    caregiver = reads.caregiver_of(request.user)
    orders = list(reads.caregiver_day(actor=request.user, on=day)) if caregiver else []
    return {"caregiver": caregiver, "orders": orders, "day": day, "badges": STATE_BADGES, **extra}


@capability_required(Cap.CARE_VISIT)
@require_GET
def mobile_today(request):
    return render(request, "care/mobile/today.html", _mobile_context(request))


def _mobile_order(request, pk):
    order = reads.order_get(actor=request.user, pk=pk)
    if not reads.is_caregiver(request.user):
        raise Http404("工单不存在")
    return order


def _mobile_order_page(request, order, *, check_in=None, check_out=None, fail=None, status=200):
    visit = reads.order_visit(order=order)
    return render(request, "care/mobile/order.html", {
        "order": order, "visit": visit, "badges": STATE_BADGES,
        "actions": services.actions_for(request.user, order),
        "check_in_form": check_in or CheckInForm(), "check_out_form": check_out or CheckOutForm(),
        "fail_form": fail or ReasonForm(prefix="fail"),
        "anomalies": [Anomaly(c).label for c in order.anomalies or [] if c in Anomaly.values],
        "max_photos": services.MAX_PHOTOS,
    }, status=status)  # fmt: skip


@capability_required(Cap.CARE_VISIT)
@require_GET
def mobile_order(request, pk):
    return _mobile_order_page(request, _mobile_order(request, pk))


def _field_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            target = name if name in form.fields else None
            if name == "at":
                target = None
            form.add_error(target, errors)
    else:
        form.add_error(None, exc)


@capability_required(Cap.CARE_VISIT)
@require_POST
def mobile_check_in(request, pk):
    order = _mobile_order(request, pk)
    form = CheckInForm(request.POST)
    if form.is_valid():
        try:
            order = services.order_check_in(actor=request.user, order=order, **form.cleaned_data)
        except ValidationError as exc:
            _field_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            distance = order.visit.distance_m
            where = f"距老人住址约 {distance} 米" if distance is not None else "老人住址未登记坐标，距离未知"
            text = f"已签到（{timezone.localtime(order.visit.check_in_at):%H:%M}），{where}。"
            if order.anomalies:
                text += (
                    "已标记待核查：" + "、".join(services.anomaly_label(c) for c in order.anomalies) + "。"
                )
            messages.success(request, text)
            return redirect("care:mobile_order", pk=pk)
    return _mobile_order_page(request, order, check_in=form, status=422)


@capability_required(Cap.CARE_VISIT)
@require_POST
def mobile_check_out(request, pk):
    order = _mobile_order(request, pk)
    form = CheckOutForm(request.POST)
    photos = request.FILES.getlist("photos")
    if form.is_valid():
        try:
            order = services.order_check_out(
                actor=request.user, order=order, photos=photos, **form.visit_data()
            )
        except ValidationError as exc:
            _field_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            minutes = order.visit.duration_minutes
            text = "已签退" + (f"，服务 {minutes} 分钟" if minutes is not None else "（未签到）") + "。"
            if order.anomalies:
                text += (
                    "已标记待核查：" + "、".join(services.anomaly_label(c) for c in order.anomalies) + "。"
                )
            messages.success(request, text)
            return redirect("care:mobile")
    return _mobile_order_page(request, order, check_out=form, status=422)


@capability_required(Cap.CARE_VISIT)
@require_POST
def mobile_fail(request, pk):
    order = _mobile_order(request, pk)
    form = ReasonForm(request.POST, prefix="fail")
    if form.is_valid():
        try:
            services.order_fail(actor=request.user, order=order, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            _field_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"已登记服务未完成：{form.cleaned_data['reason']}。")
            return redirect("care:mobile")
    return _mobile_order_page(request, order, fail=form, status=422)


@care_reader
@require_POST
def mobile_phone(request, pk):
    """HTMX: the elder's phone as a tel: link for the caregiver on its way (audited)."""
    order = reads.order_get(actor=request.user, pk=pk)
    try:
        value = services.elder_phone_for_visit(actor=request.user, order=order)
    except (ValidationError, PermissionDenied) as exc:
        return render(request, "care/mobile/_phone.html", {"error": _messages_of(exc)}, status=422)
    response = render(request, "care/mobile/_phone.html", {"value": value})
    response["Cache-Control"] = "no-store"
    return response
