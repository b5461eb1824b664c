"""The work-order state machine: every legal transition of the table and every illegal one, who may
perform each, the conditional update (two clicks, one winner), dispatch refused on an expired
certificate (the expiry day itself still allowed), and the history each step leaves."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.care import order_factories as f
from tests.care.factories import add_certificate, make_caregiver, make_provider
from yanglao.care import orders
from yanglao.care.models import OrderState, WorkOrder, WorkOrderEvent
from yanglao.core.models import AuditEntry
from yanglao.elders.models import ElderEvent

S = OrderState
ALL_STATES = list(S.values)
LEGAL = sorted((action, source) for action, t in orders.TRANSITIONS.items() for source in t.sources)
ILLEGAL = sorted(
    (action, state)
    for action, t in orders.TRANSITIONS.items()
    for state in ALL_STATES
    if state not in t.sources
)


@pytest.fixture
def w(db):
    return f.build()


def _in_state(w, officer, state):
    """An order in ``state``; the states the transitions cannot reach from a fresh order are set."""
    return f.order_in(w, officer, state)


@pytest.mark.parametrize(("action", "source"), LEGAL)
def test_every_legal_transition(w, kailu_officer, action, source):
    order = _in_state(w, kailu_officer, source)
    if action == "dispatch" and source == "dispatched":
        other = make_caregiver(w.provider, name="改派护理员", skills=[f.CARE])
        add_certificate(other, level=3)
        w.caregiver = other
    before_events = WorkOrderEvent.objects.filter(order=order).count()
    moved = f.step(w, order, action, officer=kailu_officer)
    target = orders.TRANSITIONS[action].target
    assert moved.state == target
    stored = WorkOrder.objects.get(pk=order.pk)
    assert stored.state == target
    event = WorkOrderEvent.objects.filter(order=order).order_by("-pk").first()
    assert WorkOrderEvent.objects.filter(order=order).count() == before_events + 1
    assert (event.kind, event.from_state, event.to_state) == (action, source, target)
    assert AuditEntry.objects.filter(
        object_type="care.workorder",
        object_id=str(order.pk),
        summary__contains=orders.TRANSITIONS[action].label,
    ).exists()
    if target in orders.TERMINAL:
        assert stored.closed_at is not None


@pytest.mark.parametrize(("action", "state"), ILLEGAL)
def test_every_illegal_transition_is_refused_and_changes_nothing(w, kailu_officer, action, state):
    order = f.officer_order(w, kailu_officer)
    WorkOrder.objects.filter(pk=order.pk).update(state=state, caregiver=w.caregiver)
    events = WorkOrderEvent.objects.filter(order=order).count()
    with pytest.raises(ValidationError) as caught:
        f.step(w, order, action, officer=kailu_officer)
    assert caught.value.code == "illegal_transition"
    message = caught.value.messages[0]
    assert orders.state_label(state) in message and orders.TRANSITIONS[action].label in message
    assert WorkOrder.objects.get(pk=order.pk).state == state
    assert WorkOrderEvent.objects.filter(order=order).count() == events


def test_the_table_matches_the_model_notes():
    assert orders.TRANSITIONS["check_out"].sources == (S.DISPATCHED, S.CHECKED_IN)
    assert orders.TRANSITIONS["cancel"].sources == (S.REQUESTED, S.ACCEPTED, S.DISPATCHED)
    assert all(orders.TRANSITIONS[a].reason_required for a in ("refuse", "cancel", "fail"))
    reachable = {t.target for t in orders.TRANSITIONS.values()} | {S.REQUESTED}
    assert reachable == set(ALL_STATES)


def test_two_clicks_on_the_same_state_one_wins(w, kailu_officer):
    order = f.officer_order(w, kailu_officer)
    first, second = f.fresh(order), f.fresh(order)  # both read "requested"
    orders.order_accept(actor=w.staff, order=first)
    with pytest.raises(ValidationError) as caught:
        orders.order_cancel(actor=kailu_officer, order=second, reason="重复")
    assert caught.value.code == "illegal_transition"
    assert "已受理" in caught.value.messages[0]
    assert WorkOrder.objects.get(pk=order.pk).state == S.ACCEPTED
    assert list(WorkOrderEvent.objects.filter(order=order).values_list("kind", flat=True)) == [
        "created",
        "accept",
    ]


def test_two_accepts_one_wins(w, kailu_officer):
    order = f.officer_order(w, kailu_officer)
    first, second = f.fresh(order), f.fresh(order)
    orders.order_accept(actor=w.staff, order=first)
    with pytest.raises(ValidationError):
        orders.order_accept(actor=w.staff, order=second)
    assert WorkOrderEvent.objects.filter(order=order, kind="accept").count() == 1


def test_reasons_are_required(w, kailu_officer):
    order = f.officer_order(w, kailu_officer)
    with pytest.raises(ValidationError) as caught:
        orders.order_refuse(actor=w.staff, order=f.fresh(order), reason="  ")
    assert caught.value.error_dict["reason"][0].code == "reason_required"
    with pytest.raises(ValidationError) as caught:
        orders.order_cancel(actor=kailu_officer, order=f.fresh(order), reason="")
    assert "取消" in caught.value.messages[0]
    assert WorkOrder.objects.get(pk=order.pk).state == S.REQUESTED


# --- who may do what ------------------------------------------------------------------------------


def test_capabilities_decide_who_acts(w, kailu_officer, caregiver):
    order = f.officer_order(w, kailu_officer)
    with pytest.raises(PermissionDenied):
        orders.order_accept(actor=kailu_officer, order=f.fresh(order))  # officers do not dispatch
    with pytest.raises(PermissionDenied):
        orders.order_accept(actor=w.caregiver_user, order=f.fresh(order))
    orders.order_accept(actor=w.staff, order=f.fresh(order))
    orders.order_dispatch(actor=w.staff, order=f.fresh(order), caregiver=w.caregiver)
    with pytest.raises(PermissionDenied):  # another caregiver's login
        orders.order_check_in(actor=caregiver, order=f.fresh(order), lat=f.HOME_LAT, lng=f.HOME_LNG)
    with pytest.raises(PermissionDenied):  # the provider does not check in for its caregiver
        orders.order_check_in(actor=w.staff, order=f.fresh(order), lat=f.HOME_LAT, lng=f.HOME_LNG)
    orders.order_check_in(actor=w.caregiver_user, order=f.fresh(order), lat=f.HOME_LAT, lng=f.HOME_LNG)
    assert f.fresh(order).state == S.CHECKED_IN


def test_another_provider_cannot_touch_the_order(w, kailu_officer):
    other = f.build(elder_name="李桂英")
    order = f.officer_order(w, kailu_officer)
    with pytest.raises(PermissionDenied):
        orders.order_accept(actor=other.staff, order=f.fresh(order))
    with pytest.raises(PermissionDenied):
        orders.order_cancel(actor=other.staff, order=f.fresh(order), reason="越权")


def test_an_officer_of_another_county_cannot_cancel(w, kailu_officer, horqin_officer):
    order = f.officer_order(w, kailu_officer)
    with pytest.raises(PermissionDenied):
        orders.order_cancel(actor=horqin_officer, order=f.fresh(order), reason="越界")
    assert f.fresh(order).state == S.REQUESTED


def test_actions_for_lists_what_the_user_may_do(w, kailu_officer):
    order = f.officer_order(w, kailu_officer)
    assert orders.actions_for(w.staff, order) == ["accept", "refuse", "cancel"]
    assert orders.actions_for(kailu_officer, order) == ["cancel"]
    assert orders.actions_for(w.caregiver_user, order) == []
    order = f.order_in(w, kailu_officer, "dispatched")
    assert orders.actions_for(w.caregiver_user, order) == ["check_in", "check_out", "fail"]
    assert orders.actions_for(w.staff, order) == ["dispatch", "cancel", "fail"]


# --- dispatch and certificates --------------------------------------------------------------------


def test_dispatch_refuses_a_caregiver_of_another_provider(w, kailu_officer):
    other = make_provider("150523")
    stranger = make_caregiver(other, name="外单位护理员", skills=[f.CARE])
    add_certificate(stranger, level=3)
    order = f.order_in(w, kailu_officer, "accepted")
    with pytest.raises(ValidationError) as caught:
        orders.order_dispatch(actor=w.staff, order=f.fresh(order), caregiver=stranger)
    assert caught.value.error_dict["caregiver"][0].code == "caregiver_other_provider"
    assert f.fresh(order).caregiver_id is None


@pytest.mark.parametrize(
    ("expires_offset", "allowed"),
    [(0, True), (1, True), (-1, False)],
    ids=["expires-that-day", "day-after", "day-before"],
)
def test_certificate_expiry_on_the_boundary_day(kailu_officer, expires_offset, allowed):
    day = timezone.localdate() + timedelta(days=5)
    w = f.build(certificate_expires=day + timedelta(days=expires_offset))
    order = f.officer_order(w, kailu_officer, day=day)
    orders.order_accept(actor=w.staff, order=f.fresh(order))
    if allowed:
        orders.order_dispatch(actor=w.staff, order=f.fresh(order), caregiver=w.caregiver)
        assert f.fresh(order).state == S.DISPATCHED
    else:
        with pytest.raises(ValidationError) as caught:
            orders.order_dispatch(actor=w.staff, order=f.fresh(order), caregiver=w.caregiver)
        assert caught.value.error_dict["caregiver"][0].code == "certificate_expired"
        assert "过期" in caught.value.messages[0]
        assert f.fresh(order).state == S.ACCEPTED


def test_dispatch_refused_without_a_certificate(kailu_officer):
    w = f.build(certificate_level=None)
    order = f.order_in(w, kailu_officer, "accepted")
    with pytest.raises(ValidationError) as caught:
        orders.order_dispatch(actor=w.staff, order=f.fresh(order), caregiver=w.caregiver)
    assert caught.value.error_dict["caregiver"][0].code == "certificate_missing"
    # a product that needs no certificate may still be dispatched
    clean = f.officer_order(w, kailu_officer, code=f.CLEAN)
    orders.order_accept(actor=w.staff, order=f.fresh(clean))
    orders.order_dispatch(actor=w.staff, order=f.fresh(clean), caregiver=w.caregiver)
    assert f.fresh(clean).state == S.DISPATCHED


def test_redispatch_records_the_previous_caregiver(w, kailu_officer):
    order = f.order_in(w, kailu_officer, "dispatched")
    other = make_caregiver(w.provider, name="接替护理员", skills=[f.CARE])
    add_certificate(other, level=1)
    orders.order_dispatch(actor=w.staff, order=f.fresh(order), caregiver=other)
    event = WorkOrderEvent.objects.filter(order=order, kind="dispatch").order_by("-pk").first()
    assert event.data["previous_caregiver"] == w.caregiver.pk
    assert f.fresh(order).caregiver_id == other.pk


# --- timeline and price ---------------------------------------------------------------------------


def test_delivered_and_failed_services_go_on_the_elder_timeline(w, kailu_officer):
    done = f.order_in(w, kailu_officer, "checked_out")
    failed = f.order_in(w, kailu_officer, "failed")
    events = list(ElderEvent.objects.filter(elder=w.elder, source="care").values_list("kind", "summary"))
    kinds = [k for k, _ in events]
    assert kinds.count("care_service_done") == 1 and kinds.count("care_service_failed") == 1
    assert any(done.number in s and "已完成" in s for _, s in events)
    assert any(failed.number in s and "老人不在家" in s for _, s in events)


def test_price_is_frozen_at_check_out(w, kailu_officer):
    order = f.order_in(w, kailu_officer, "checked_out")
    stored = WorkOrder.objects.get(pk=order.pk)
    assert stored.unit_price_fen == 4000 and stored.price_fen == 4000  # 生活照料, 通辽 default, 1 hour
    assert stored.government_fen + stored.subsidy_fen + stored.self_fen == stored.price_fen


def test_review_checks_rating_and_channel(w, kailu_officer):
    order = f.order_in(w, kailu_officer, "checked_out")
    for rating, channel, field in (
        (0, "phone", "rating"),
        (6, "phone", "rating"),
        ("x", "phone", "rating"),
        (3, "fax", "channel"),
    ):
        with pytest.raises(ValidationError) as caught:
            orders.order_review(actor=kailu_officer, order=f.fresh(order), rating=rating, channel=channel)
        assert field in caught.value.error_dict
    orders.order_review(actor=w.staff, order=f.fresh(order), rating=4, channel="family", comment="很好")
    stored = f.fresh(order)
    assert (stored.state, stored.rating, stored.review_channel) == (S.REVIEWED, 4, "family")
