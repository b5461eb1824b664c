"""Console pages of meals (助餐) and day care (日间照料): thin — parse, call a selector or service, render."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from yanglao.accounts.decorators import capability_required
from yanglao.accounts.roles import Cap
from yanglao.residential import exports, selectors, services
from yanglao.residential.forms import (
    AttendanceForm,
    DayForm,
    EnrolForm,
    MealOrderForm,
    MenuForm,
    MonthForm,
    RespiteForm,
    apply_errors,
)
from yanglao.residential.models import Meal


def _day(request):
    form = DayForm(request.GET or None)
    day = (form.cleaned_data.get("date") if form.is_valid() else None) or timezone.localdate()
    return form, day


def _month(request):
    form = MonthForm(request.GET or None)
    month = (form.cleaned_data.get("month") if form.is_valid() else None) or timezone.localdate().replace(
        day=1
    )
    if not form.is_bound:
        form = MonthForm(initial={"month": month.strftime("%Y-%m")})
    return form, month


# --- meals ---------------------------------------------------------------------------------------------


@capability_required(Cap.FACILITIES_VIEW)
@require_GET
def canteens(request):
    form, day = _day(request)
    q = request.GET.get("q", "")[:50]
    rows = selectors.canteen_list(actor=request.user, q=q, day=day)
    return render(request, "residential/canteens.html", {"rows": rows, "day": day, "form": form, "q": q})


def _canteen_page(request, facility, *, day, menu_form=None, order_form=None, status=200):
    can_edit = request.user.can(Cap.FACILITIES_EDIT)
    initial = {"date": day.isoformat()}
    context = {
        "facility": facility,
        "day": day,
        "data": selectors.canteen_day(facility=facility, day=day),
        "check": selectors.capacity_check(facility),
        "meals": Meal.choices,
        "can_edit": can_edit,
        "menu_form": menu_form or MenuForm(initial={**initial, "meal": Meal.LUNCH}),
        "order_form": order_form
        or MealOrderForm(
            initial={**initial, "meal": Meal.LUNCH, "quantity": 1}, actor=request.user, facility=facility
        ),
    }
    return render(request, "residential/canteen_day.html", context, status=status)


@capability_required(Cap.FACILITIES_VIEW)
@require_GET
def canteen_day(request, pk):
    facility = selectors.canteen_get(actor=request.user, pk=pk)
    _, day = _day(request)
    return _canteen_page(request, facility, day=day)


def _back(name, pk, day):
    return redirect(f"{reverse(name, args=[pk])}?date={day.isoformat()}")


@capability_required(Cap.FACILITIES_EDIT)
@require_POST
def menu_create(request, pk):
    facility = selectors.canteen_get(actor=request.user, pk=pk)
    form = MenuForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.menu_create(actor=request.user, facility=facility, on=d["date"], meal=d["meal"],
                                 dishes=d["dishes"], price_fen=d["price"], delivery_fee_fen=d["delivery_fee"] or 0)  # fmt: skip
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, "菜单已发布。")
            return _back("residential:canteen", pk, d["date"])
    day = form.cleaned_data.get("date") or timezone.localdate()
    return _canteen_page(request, facility, day=day, menu_form=form)


@capability_required(Cap.FACILITIES_EDIT)
@require_POST
def order_create(request, pk):
    facility = selectors.canteen_get(actor=request.user, pk=pk)
    form = MealOrderForm(request.POST, actor=request.user, facility=facility)
    if form.is_valid():
        d = form.cleaned_data
        try:
            order = services.meal_order_create(actor=request.user, facility=facility, elder=d["elder"], on=d["date"],
                                               meal=d["meal"], kind=d["kind"], quantity=d["quantity"])  # fmt: skip
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"已为{order.elder.name}订餐 {order.quantity} 份。")
            return _back("residential:canteen", pk, d["date"])
    day = form.cleaned_data.get("date") or timezone.localdate()
    return _canteen_page(request, facility, day=day, order_form=form)


@capability_required(Cap.FACILITIES_VIEW)
@require_GET
def statement(request, pk):
    facility = selectors.canteen_get(actor=request.user, pk=pk)
    form, month = _month(request)
    data = selectors.meal_statement(facility=facility, month=month)
    return render(request, "residential/statement.html", {"facility": facility, "form": form, "s": data,
                                                          "month": month})  # fmt: skip


@capability_required(Cap.FACILITIES_VIEW)
@require_GET
def statement_xlsx(request, pk):
    facility = selectors.canteen_get(actor=request.user, pk=pk)
    _, month = _month(request)
    return exports.statement_response(selectors.meal_statement(facility=facility, month=month))


# --- day care ---------------------------------------------------------------------------------------


@capability_required(Cap.FACILITIES_VIEW)
@require_GET
def centres(request):
    form, day = _day(request)
    q = request.GET.get("q", "")[:50]
    rows = selectors.centre_list(actor=request.user, q=q, day=day)
    return render(request, "residential/centres.html", {"rows": rows, "day": day, "form": form, "q": q})


def _centre_page(request, facility, *, enrol_form=None, respite_form=None, status=200):
    today = timezone.localdate()
    _, month = _month(request)
    context = {
        "facility": facility,
        "today": today,
        "enrolled": selectors.enrolled_on(facility=facility, day=today),
        "stays": selectors.respite_for(facility=facility),
        "month": selectors.daycare_month(facility=facility, month=month),
        "can_edit": request.user.can(Cap.FACILITIES_EDIT),
        "enrol_form": enrol_form
        or EnrolForm(initial={"start_date": today.isoformat()}, actor=request.user, facility=facility),
        "respite_form": respite_form or RespiteForm(actor=request.user, facility=facility),
    }
    return render(request, "residential/centre.html", context, status=status)


@capability_required(Cap.FACILITIES_VIEW)
@require_GET
def centre(request, pk):
    return _centre_page(request, selectors.centre_get(actor=request.user, pk=pk))


@capability_required(Cap.FACILITIES_EDIT)
@require_POST
def enrol(request, pk):
    facility = selectors.centre_get(actor=request.user, pk=pk)
    form = EnrolForm(request.POST, actor=request.user, facility=facility)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.enrol(actor=request.user, facility=facility, elder=d["elder"], start_date=d["start_date"],
                           note=d["note"])  # fmt: skip
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{d['elder'].name}已登记日间照料。")
            return redirect("residential:centre", pk)
    return _centre_page(request, facility, enrol_form=form)


@capability_required(Cap.FACILITIES_EDIT)
@require_POST
def attendance(request, pk):
    """The operator's big buttons: check an enrolled elder in or out now."""
    facility = selectors.centre_get(actor=request.user, pk=pk)
    form = AttendanceForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择老年人和签到或签退。")
        return redirect("residential:centre", pk)
    elder = selectors.elder_for_facility(actor=request.user, facility=facility, pk=form.cleaned_data["elder"])
    action = form.cleaned_data["action"]
    try:
        if action == "in":
            services.check_in(actor=request.user, facility=facility, elder=elder)
        else:
            services.check_out(actor=request.user, facility=facility, elder=elder)
    except ValidationError as exc:
        messages.error(request, f"{elder.name}：{exc.messages[0]}")
    else:
        messages.success(request, f"{elder.name}已{'签到' if action == 'in' else '签退'}。")
    return redirect("residential:centre", pk)


@capability_required(Cap.FACILITIES_EDIT)
@require_POST
def respite(request, pk):
    facility = selectors.centre_get(actor=request.user, pk=pk)
    form = RespiteForm(request.POST, actor=request.user, facility=facility)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.respite_create(actor=request.user, facility=facility, elder=d["elder"],
                                    start_date=d["start_date"], end_date=d["end_date"], note=d["note"])  # fmt: skip
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, f"{d['elder'].name}的喘息服务已登记。")
            return redirect("residential:centre", pk)
    return _centre_page(request, facility, respite_form=form)
