"""The anomaly rules at their thresholds (pure functions), and how check-in and check-out flag an
order for an officer's decision (pay / no pay)."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.care import order_factories as f
from yanglao.care import anomalies, orders
from yanglao.care.anomalies import Interval
from yanglao.care.models import AnomalyDecision, OrderState, Visit, WorkOrder, WorkOrderEvent

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.get_fixed_timezone(480))


# --- pure rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("metres", "far"), [(0, False), (299, False), (300, False), (301, True), (5000, True)]
)
def test_far_check_in_threshold(metres, far):
    lat = f.north_of(f.HOME_LAT, metres)
    distance = anomalies.distance_m(lat, f.HOME_LNG, f.HOME_LAT, f.HOME_LNG)
    assert distance == metres
    assert anomalies.is_far(distance) is far
    found = anomalies.at_check_in(distance=distance, at=T0, other_visits=[])
    assert (found.codes == ["far_check_in"]) is far


def test_distance_unknown_is_not_flagged():
    assert anomalies.distance_m(None, f.HOME_LNG, f.HOME_LAT, f.HOME_LNG) is None
    assert not anomalies.is_far(None)


def test_the_distance_limit_is_a_setting(settings):
    settings.YANGLAO_CHECKIN_MAX_DISTANCE_M = 100
    assert anomalies.is_far(101) and not anomalies.is_far(100)


def test_haversine_against_a_known_distance():
    # 通辽 (122.2436, 43.6525) to 开鲁 (121.3190, 43.6010): about 74.6 km
    assert (
        74_000
        < anomalies.distance_m(
            Decimal("43.6525"), Decimal("122.2436"), Decimal("43.6010"), Decimal("121.3190")
        )
        < 75_200
    )


@pytest.mark.parametrize(
    ("minutes", "standard", "quantity", "short"),
    [(30, 60, 1, False), (29, 60, 1, True), (60, 60, 2, False), (59, 60, 2, True), (0, 60, 1, True),
     (5, None, 1, False), (None, 60, 1, False)],
)  # fmt: skip
def test_short_visit_threshold(minutes, standard, quantity, short):
    assert anomalies.is_short(minutes, standard, quantity) is short


def test_short_visit_percent_is_a_setting(settings):
    settings.YANGLAO_SHORT_VISIT_PERCENT = 80
    assert anomalies.is_short(47, 60) and not anomalies.is_short(48, 60)


def test_minutes_between_rounds_down():
    assert anomalies.minutes_between(T0, T0 + timedelta(minutes=29, seconds=59)) == 29
    assert anomalies.minutes_between(T0, T0 - timedelta(minutes=5)) == 0


def test_overlap_rule():
    a = Interval("A", T0, T0 + timedelta(hours=1))
    touching = Interval("B", T0 + timedelta(hours=1), T0 + timedelta(hours=2))
    inside = Interval("C", T0 + timedelta(minutes=10), T0 + timedelta(minutes=20))
    still_open = Interval("D", T0 - timedelta(hours=3), None)
    later = Interval("E", T0 + timedelta(hours=3), T0 + timedelta(hours=4))
    found = anomalies.overlapping(a.start, a.end, [touching, inside, still_open, later])
    assert found == ["C", "D"]
    # an open visit (a check-in) overlaps any other open visit
    assert anomalies.overlapping(T0, None, [still_open, touching]) == ["D", "B"]


def test_check_out_findings():
    found = anomalies.at_check_out(
        check_in_at=None, check_out_at=T0, standard_minutes=60, quantity=1, other_visits=[]
    )
    assert found.codes == ["no_check_in"]
    found = anomalies.at_check_out(
        check_in_at=T0,
        check_out_at=T0 + timedelta(minutes=10),
        standard_minutes=60,
        quantity=1,
        other_visits=[Interval("GD1", T0 + timedelta(minutes=5), T0 + timedelta(minutes=50))],
    )
    assert found.codes == ["short_visit", "overlap"]
    assert found.details["overlap"]["orders"] == ["GD1"]
    assert found.details["short_visit"]["minutes"] == 10


# --- at check-in and check-out --------------------------------------------------------------------


@pytest.fixture
def w(db):
    return f.build()


def _dispatched(w, officer, **kwargs):
    return f.order_in(w, officer, "dispatched", **kwargs)


@pytest.mark.parametrize(("metres", "flagged"), [(299, False), (301, True)])
def test_check_in_distance_is_recorded_and_flagged(w, kailu_officer, metres, flagged):
    order = _dispatched(w, kailu_officer)
    lat = f.north_of(f.HOME_LAT, metres)
    orders.order_check_in(
        actor=w.caregiver_user, order=f.fresh(order), lat=lat, lng=f.HOME_LNG, accuracy=12.4
    )
    visit = Visit.objects.get(order=order)
    assert visit.distance_m == metres and visit.check_in_accuracy_m == 12
    stored = WorkOrder.objects.get(pk=order.pk)
    assert (stored.anomalies == ["far_check_in"]) is flagged
    assert stored.anomaly_decision == (AnomalyDecision.PENDING if flagged else AnomalyDecision.NONE)
    event = WorkOrderEvent.objects.get(order=order, kind="check_in")
    assert event.data["distance_m"] == metres


def test_elder_without_coordinates_gives_an_unknown_distance(kailu_officer):
    from yanglao.elders.models import Elder

    w = f.build()
    Elder.objects.filter(pk=w.elder.pk).update(latitude=None, longitude=None)
    order = _dispatched(w, kailu_officer)
    orders.order_check_in(actor=w.caregiver_user, order=f.fresh(order), lat=f.HOME_LAT, lng=f.HOME_LNG)
    assert Visit.objects.get(order=order).distance_m is None
    assert WorkOrder.objects.get(pk=order.pk).anomalies == []
    assert WorkOrderEvent.objects.get(order=order, kind="check_in").data["home_unknown"] is True


@pytest.mark.parametrize(("minutes", "short"), [(30, False), (29, True)])
def test_short_visit_flagged_at_check_out(w, kailu_officer, minutes, short):
    order = _dispatched(w, kailu_officer)
    start = timezone.now() - timedelta(hours=1)
    orders.order_check_in(
        actor=w.caregiver_user, order=f.fresh(order), lat=f.HOME_LAT, lng=f.HOME_LNG, at=start
    )
    orders.order_check_out(
        actor=w.caregiver_user, order=f.fresh(order), at=start + timedelta(minutes=minutes)
    )
    stored = WorkOrder.objects.get(pk=order.pk)
    assert stored.visit.duration_minutes == minutes
    assert ("short_visit" in stored.anomalies) is short


def test_overlapping_visits_of_one_caregiver(w, kailu_officer):
    first = _dispatched(w, kailu_officer)
    second = _dispatched(w, kailu_officer)
    start = timezone.now() - timedelta(hours=2)
    orders.order_check_in(
        actor=w.caregiver_user, order=f.fresh(first), lat=f.HOME_LAT, lng=f.HOME_LNG, at=start
    )
    # still in the first visit when checking in at the second
    orders.order_check_in(
        actor=w.caregiver_user,
        order=f.fresh(second),
        lat=f.HOME_LAT,
        lng=f.HOME_LNG,
        at=start + timedelta(minutes=20),
    )
    stored = WorkOrder.objects.get(pk=second.pk)
    assert stored.anomalies == ["overlap"] and stored.anomaly_decision == AnomalyDecision.PENDING
    assert WorkOrderEvent.objects.get(order=second, kind="check_in").data["overlap"]["orders"] == [
        first.number
    ]


def test_back_to_back_visits_do_not_overlap(w, kailu_officer):
    first = _dispatched(w, kailu_officer)
    second = _dispatched(w, kailu_officer)
    start = timezone.now() - timedelta(hours=3)
    orders.order_check_in(
        actor=w.caregiver_user, order=f.fresh(first), lat=f.HOME_LAT, lng=f.HOME_LNG, at=start
    )
    orders.order_check_out(actor=w.caregiver_user, order=f.fresh(first), at=start + timedelta(minutes=60))
    orders.order_check_in(
        actor=w.caregiver_user,
        order=f.fresh(second),
        lat=f.HOME_LAT,
        lng=f.HOME_LNG,
        at=start + timedelta(minutes=60),
    )
    orders.order_check_out(actor=w.caregiver_user, order=f.fresh(second), at=start + timedelta(minutes=125))
    assert WorkOrder.objects.get(pk=first.pk).anomalies == []
    assert WorkOrder.objects.get(pk=second.pk).anomalies == []


def test_check_out_without_check_in_is_recorded_and_flagged(w, kailu_officer):
    order = _dispatched(w, kailu_officer)
    orders.order_check_out(actor=w.caregiver_user, order=f.fresh(order), note="忘记签到")
    stored = WorkOrder.objects.get(pk=order.pk)
    assert stored.state == OrderState.CHECKED_OUT
    assert stored.anomalies == ["no_check_in"] and stored.anomaly_decision == AnomalyDecision.PENDING
    visit = Visit.objects.get(order=order)
    assert visit.check_in_at is None and visit.check_out_at is not None and visit.note == "忘记签到"


def test_check_in_time_window(w, kailu_officer):
    order = _dispatched(w, kailu_officer)
    now = timezone.now()
    cases = [
        (now + timedelta(minutes=11), "check_in_future"),
        (now - timedelta(hours=24, minutes=1), "check_in_stale"),
        (datetime(2026, 1, 1, 9, 0), "time_without_offset"),
    ]
    for at, code in cases:
        with pytest.raises(ValidationError) as caught:
            orders.order_check_in(
                actor=w.caregiver_user, order=f.fresh(order), lat=f.HOME_LAT, lng=f.HOME_LNG, at=at, now=now
            )
        assert caught.value.error_dict["at"][0].code == code
    for lat, lng in (
        (Decimal("91"), f.HOME_LNG),
        (f.HOME_LAT, Decimal("-181")),
        (None, None),
        ("abc", f.HOME_LNG),
    ):
        with pytest.raises(ValidationError) as caught:
            orders.order_check_in(actor=w.caregiver_user, order=f.fresh(order), lat=lat, lng=lng, now=now)
        assert "invalid_coordinate" in {e.code for errs in caught.value.error_dict.values() for e in errs}
    assert not Visit.objects.filter(order=order).exists()
    # nine minutes ahead (a phone clock slightly fast) is accepted
    orders.order_check_in(
        actor=w.caregiver_user,
        order=f.fresh(order),
        lat=f.HOME_LAT,
        lng=f.HOME_LNG,
        at=now + timedelta(minutes=9),
        now=now,
    )


def test_check_out_before_check_in_is_refused(w, kailu_officer):
    order = _dispatched(w, kailu_officer)
    start = timezone.now() - timedelta(minutes=30)
    orders.order_check_in(
        actor=w.caregiver_user, order=f.fresh(order), lat=f.HOME_LAT, lng=f.HOME_LNG, at=start
    )
    with pytest.raises(ValidationError) as caught:
        orders.order_check_out(actor=w.caregiver_user, order=f.fresh(order), at=start - timedelta(minutes=1))
    assert caught.value.error_dict["at"][0].code == "check_out_before_check_in"
    assert f.fresh(order).state == OrderState.CHECKED_IN


# --- the decision ---------------------------------------------------------------------------------


def test_officer_decides_a_flagged_order(w, kailu_officer):
    order = _dispatched(w, kailu_officer)
    orders.order_check_out(actor=w.caregiver_user, order=f.fresh(order))
    with pytest.raises(PermissionDenied):
        orders.order_anomaly_decide(actor=w.staff, order=f.fresh(order), decision="pay", reason="自己说了算")
    with pytest.raises(ValidationError) as caught:
        orders.order_anomaly_decide(actor=kailu_officer, order=f.fresh(order), decision="maybe", reason="")
    assert set(caught.value.error_dict) == {"decision", "reason"}
    orders.order_anomaly_decide(
        actor=kailu_officer, order=f.fresh(order), decision="pay", reason="电话回访核实已服务"
    )
    stored = WorkOrder.objects.get(pk=order.pk)
    assert (stored.anomaly_decision, stored.anomaly_reason, stored.anomaly_decided_by_id) == (
        "pay",
        "电话回访核实已服务",
        kailu_officer.pk,
    )
    assert stored.is_payable
    with pytest.raises(ValidationError) as caught:
        orders.order_anomaly_decide(
            actor=kailu_officer, order=f.fresh(order), decision="no_pay", reason="改主意"
        )
    assert caught.value.code == "anomaly_not_pending"
    assert WorkOrderEvent.objects.filter(order=order, kind="anomaly_decided").count() == 1


def test_two_officers_deciding_at_once(w, kailu_officer, city_officer):
    order = _dispatched(w, kailu_officer)
    orders.order_check_out(actor=w.caregiver_user, order=f.fresh(order))
    a, b = f.fresh(order), f.fresh(order)
    orders.order_anomaly_decide(actor=kailu_officer, order=a, decision="no_pay", reason="未见服务记录")
    with pytest.raises(ValidationError) as caught:
        orders.order_anomaly_decide(actor=city_officer, order=b, decision="pay", reason="核实")
    assert caught.value.code == "anomaly_not_pending"
    assert WorkOrder.objects.get(pk=order.pk).anomaly_decision == "no_pay"
