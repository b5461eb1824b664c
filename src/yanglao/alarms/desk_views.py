"""The desk's pages: the live board, an alarm's panel and page, the action forms, the alarm list,
the hotline registration and the service-level report. Thin: parse, call a selector or a service,
render. The action forms post with HTMX and get the alarm's panel back (with the form's errors,
status 422 — or 409 when another operator claimed the alarm first); without HTMX they redirect."""

import contextlib

from asgiref.sync import sync_to_async
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yanglao.accounts.decorators import capability_required
from yanglao.accounts.forms import apply_service_errors
from yanglao.accounts.roles import Cap
from yanglao.alarms import desk, desk_selectors, escalation, sla, stream
from yanglao.alarms.desk_errors import DeskErrorCode
from yanglao.alarms.desk_forms import (
    AlarmFilterForm,
    CallContactForm,
    CallElderForm,
    DispatchForm,
    HotlineForm,
    NoteForm,
    ResolveForm,
    SlaFilterForm,
)
from yanglao.core import audit, sheets
from yanglao.core.paging import page_of
from yanglao.core.phones import PhoneError, parse_phone
from yanglao.elders import selectors as elder_selectors


def _htmx(request) -> bool:
    return request.headers.get("HX-Request") == "true"


# --- the board -----------------------------------------------------------------------------------


@capability_required(Cap.ALARMS_VIEW)
@require_GET
def desk_board(request):
    context = {"board": desk_selectors.board(actor=request.user)}
    selected = request.GET.get("alarm", "")
    if selected.isdigit():  # the alarm being worked on stays open across a reload
        with contextlib.suppress(Http404):
            context.update(
                panel_context(request, desk_selectors.alarm_get(actor=request.user, pk=int(selected)))
            )
    return render(request, "alarms/desk/board.html", context)


async def desk_stream(request):
    """The board's live feed (Server-Sent Events, see ``alarms.stream``)."""
    if request.method != "GET":
        return HttpResponse(status=405, headers={"Allow": "GET"})
    user = await request.auser()
    if not user.is_authenticated:
        return HttpResponse("未登录。", status=401, content_type="text/plain; charset=utf-8")
    user = await sync_to_async(stream.load_user)(user)
    if not user.can(Cap.ALARMS_VIEW) or user.must_change_password:
        return HttpResponseForbidden("您没有查看告警的权限。", content_type="text/plain; charset=utf-8")
    # (under WSGI the response reads its snapshot at once: off the event loop)
    return await sync_to_async(stream.response)(request, user)


# --- one alarm -----------------------------------------------------------------------------------


def panel_context(request, alarm, *, forms: dict | None = None, full: bool = False) -> dict:
    """What the alarm's panel shows; ``forms`` replaces a fresh form by one with errors."""
    user = request.user
    desk_selectors.decorate([alarm])
    contacts = desk_selectors.elder_contacts(actor=user, alarm=alarm)
    location = desk_selectors.alarm_location(alarm)
    nearby = desk_selectors.nearest_stations(actor=user, location=location)
    actions = list(desk_selectors.alarm_actions(alarm=alarm))
    context = {
        "alarm": alarm,
        "elder": alarm.elder,
        "contacts": contacts,
        "location": location,
        "nearby": nearby,
        "map_points_id": f"alarm-points-{alarm.pk}",
        "map_points": [
            {
                "name": n.facility.name,
                "lat": float(n.facility.latitude),
                "lng": float(n.facility.longitude),
                "metres": round(n.distance_m),
            }
            for n in nearby
        ],
        "earlier": desk_selectors.earlier_alarms(actor=user, alarm=alarm),
        "device_events": desk_selectors.recent_device_events(alarm=alarm),
        "actions": actions if full else actions[-8:],
        "actions_hidden": 0 if full else max(len(actions) - 8, 0),
        "can_handle": user.can(Cap.ALARMS_HANDLE),
        "can_reveal": user.can(Cap.ELDERS_REVEAL),
        "escalation_due": escalation.next_due(
            escalation.AlarmFacts(alarm.kind, alarm.state, alarm.opened_at, alarm.escalation_level)
        ),
        "now": timezone.now(),
        "call_elder_form": CallElderForm(alarm=alarm),
        "call_contact_form": CallContactForm(contacts=contacts),
        "dispatch_form": DispatchForm(),
        "note_form": NoteForm(),
        "resolve_form": ResolveForm(alarm=alarm),
        "open_form": "",
    }
    for name, form in (forms or {}).items():
        context[name] = form
        context["open_form"] = name
    return context


@capability_required(Cap.ALARMS_VIEW)
@require_GET
def alarm_panel(request, pk):
    alarm = desk_selectors.alarm_get(actor=request.user, pk=pk)
    return render(request, "alarms/desk/_panel.html", panel_context(request, alarm))


@capability_required(Cap.ALARMS_VIEW)
@require_GET
def alarm_detail(request, pk):
    alarm = desk_selectors.alarm_get(actor=request.user, pk=pk)
    return render(request, "alarms/desk/detail.html", panel_context(request, alarm, full=True))


def _act(request, pk, *, form_name: str, make_form, handle, done: str):
    """Run one action form: the panel comes back (HTMX) or the alarm's page (plain POST)."""
    alarm = desk_selectors.alarm_for_update(actor=request.user, pk=pk)
    form = make_form(alarm, request.POST)
    status, refused = 200, []
    if form is None or form.is_valid():
        try:
            handle(alarm, form.cleaned_data if form is not None else {})
        except ValidationError as exc:
            errors = exc.error_dict.values() if hasattr(exc, "error_dict") else [exc.error_list]
            codes = {e.code for group in errors for e in group}
            status = 409 if DeskErrorCode.ALREADY_CLAIMED in codes else 422
            if form is not None:
                apply_service_errors(form, exc)
            else:
                refused = exc.messages
    else:
        status = 422
    failed = status != 200
    if not _htmx(request):
        if failed:
            for error in refused or [e for errors in form.errors.values() for e in errors]:
                messages.error(request, error)
        else:
            messages.success(request, done)
        return redirect("alarms:alarm_detail", pk=pk)
    alarm = desk_selectors.alarm_get(actor=request.user, pk=pk)
    context = panel_context(request, alarm, forms={form_name: form} if failed and form is not None else None)
    context["flash"] = "" if failed else done
    context["panel_error"] = "；".join(refused)
    return render(request, "alarms/desk/_panel.html", context, status=status)


@capability_required(Cap.ALARMS_HANDLE)
@require_POST
def alarm_ack(request, pk):
    return _act(
        request,
        pk,
        form_name="note_form",
        make_form=lambda alarm, data: None,
        handle=lambda alarm, _: desk.acknowledge(actor=request.user, alarm=alarm),
        done="已受理。",
    )


@capability_required(Cap.ALARMS_HANDLE)
@require_POST
def alarm_call_elder(request, pk):
    return _act(
        request,
        pk,
        form_name="call_elder_form",
        make_form=lambda alarm, data: CallElderForm(data, alarm=alarm),
        handle=lambda alarm, d: desk.call_elder(
            actor=request.user, alarm=alarm, line=d["line"], result=d["result"], note=d["note"]
        ),
        done="已记录呼叫老人。",
    )


@capability_required(Cap.ALARMS_HANDLE)
@require_POST
def alarm_call_contact(request, pk):
    def make(alarm, data):
        return CallContactForm(data, contacts=desk_selectors.elder_contacts(actor=request.user, alarm=alarm))

    return _act(
        request,
        pk,
        form_name="call_contact_form",
        make_form=make,
        handle=lambda alarm, d: desk.call_contact(
            actor=request.user, alarm=alarm, contact_id=d["contact"], result=d["result"], note=d["note"]
        ),
        done="已记录呼叫联系人。",
    )


@capability_required(Cap.ALARMS_HANDLE)
@require_POST
def alarm_dispatch(request, pk):
    return _act(
        request,
        pk,
        form_name="dispatch_form",
        make_form=lambda alarm, data: DispatchForm(data),
        handle=lambda alarm, d: desk.dispatch(actor=request.user, alarm=alarm, **d),
        done="已记录派遣。",
    )


@capability_required(Cap.ALARMS_HANDLE)
@require_POST
def alarm_note(request, pk):
    return _act(
        request,
        pk,
        form_name="note_form",
        make_form=lambda alarm, data: NoteForm(data),
        handle=lambda alarm, d: desk.add_note(actor=request.user, alarm=alarm, note=d["note"]),
        done="已记录。",
    )


@capability_required(Cap.ALARMS_HANDLE)
@require_POST
def alarm_resolve(request, pk):
    return _act(
        request,
        pk,
        form_name="resolve_form",
        make_form=lambda alarm, data: ResolveForm(data, alarm=alarm),
        handle=lambda alarm, d: desk.resolve(
            actor=request.user, alarm=alarm, outcome=d["outcome"], note=d["note"]
        ),
        done="已结案。",
    )


@capability_required(Cap.ALARMS_HANDLE)
@require_POST
def alarm_caller(request, pk):
    """HTMX: the hotline caller's number in clear, audited (to call back)."""
    alarm = desk_selectors.alarm_get(actor=request.user, pk=pk)
    try:
        value = desk.reveal_caller_phone(actor=request.user, alarm=alarm)
    except PermissionDenied as exc:
        return render(request, "elders/_revealed.html", {"error": str(exc)}, status=403)
    response = render(request, "elders/_revealed.html", {"value": value})
    response["Cache-Control"] = "no-store"
    return response


# --- the list ------------------------------------------------------------------------------------


@capability_required(Cap.ALARMS_VIEW)
@require_GET
def alarm_list(request):
    form = AlarmFilterForm(request.GET or None, actor=request.user)
    data = form.cleaned_data if form.is_valid() else {}
    filters = desk_selectors.AlarmFilters(
        q=data.get("q") or "",
        region=data.get("region") or "",
        kind=data.get("kind") or "",
        cause=data.get("cause") or "",
        state=data.get("state") or "",
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
    )
    page = page_of(request, desk_selectors.alarm_list(actor=request.user, filters=filters), count_cap=10_000)
    return render(request, "alarms/desk/list.html", {"page": page, "form": form})


# --- the hotline ---------------------------------------------------------------------------------


def _matches(request, raw: str) -> tuple[list, str]:
    """(matches, message) for a number as typed so far."""
    text = (raw or "").strip()
    if not text:
        return [], ""
    try:
        phone = parse_phone(text)
    except PhoneError as exc:
        return [], exc.message if len(text) >= 7 else ""
    found = desk_selectors.caller_matches(actor=request.user, phone=phone)
    return found, "" if found else "未找到使用该号码的老年人或联系人。"


@capability_required(Cap.ALARMS_HANDLE)
@require_http_methods(["GET", "POST"])
def hotline(request):
    form = HotlineForm(request.POST or None, actor=request.user)
    matches, lookup_message = (
        _matches(request, request.POST.get("caller_phone", "")) if request.method == "POST" else ([], "")
    )
    chosen = request.POST.get("elder", "")
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            elder = None
            if data.get("elder"):
                try:
                    elder = elder_selectors.elder_get(actor=request.user, pk=data["elder"])
                except Http404:
                    form.add_error(
                        "elder", ValidationError("老年人不存在或不在您的管辖范围内。", code="elder_not_found")
                    )
            if not form.errors:
                how = next((m.how for m in matches if elder is not None and m.elder.pk == elder.pk), "")
                try:
                    alarm = desk.hotline_register(
                        actor=request.user,
                        caller_phone=data["caller_phone"],
                        kind=data["kind"],
                        summary=data["summary"],
                        elder=elder,
                        region=data.get("region") or "",
                        matched_as=how,
                    )
                except ValidationError as exc:
                    apply_service_errors(form, exc)
                else:
                    messages.success(request, f"已登记来电，告警 #{alarm.pk}，请继续处置。")
                    return redirect("alarms:alarm_detail", pk=alarm.pk)
        status = 422
    else:
        status = 200
    return render(
        request,
        "alarms/desk/hotline.html",
        {"form": form, "matches": matches, "lookup_message": lookup_message, "chosen": chosen},
        status=status,
    )


@capability_required(Cap.ALARMS_HANDLE)
@require_POST
def hotline_lookup(request):
    """HTMX: who may be calling, as the operator types the number."""
    matches, message = _matches(request, request.POST.get("caller_phone", ""))
    return render(
        request,
        "alarms/desk/_hotline_matches.html",
        {"matches": matches, "lookup_message": message, "chosen": request.POST.get("elder", "")},
    )


# --- the service level ---------------------------------------------------------------------------


def _sla_report(request):
    form = SlaFilterForm(request.GET or None, actor=request.user)
    data = form.cleaned_data if form.is_valid() else {}
    try:
        report = sla.report(
            actor=request.user,
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            region=data.get("region") or "",
        )
    except ValidationError as exc:
        apply_service_errors(form, exc)
        report = sla.report(actor=request.user, region=data.get("region") or "")
    return form, report


@capability_required(Cap.ALARMS_VIEW)
@require_GET
def sla_page(request):
    form, report = _sla_report(request)
    return render(
        request,
        "alarms/desk/sla.html",
        {
            "form": form,
            "report": report,
            "query": request.GET.urlencode(),
            "tables": [("按类别", report.by_kind), ("按区划（呼叫类告警）", report.by_region)],
        },
        status=200 if not form.errors else 422,
    )


@capability_required(Cap.ALARMS_VIEW)
@require_GET
def sla_export(request):
    form, report = _sla_report(request)
    if form.errors:
        return HttpResponse("；".join(e for errors in form.errors.values() for e in errors), status=422,
                            content_type="text/plain; charset=utf-8")  # fmt: skip
    audit.record(
        actor=request.user,
        action=audit.Action.EXPORT,
        object_type="alarms.sla",
        region_code=report.region_code or None,
        summary=f"导出呼叫中心服务水平 {report.region_name} {report.date_from}–{report.date_to}",
    )
    return sheets.xlsx_response(
        sla.xlsx(report), f"呼叫中心服务水平-{report.date_from}-{report.date_to}.xlsx"
    )
