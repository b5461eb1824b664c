"""Each rule as a pure function: an event and the elder's state in, decisions out (no database)."""

from datetime import UTC, datetime, timedelta

import pytest

from yanglao.alarms import rules
from yanglao.alarms.rules import DeviceFacts, ElderState, EventFacts, OpenAlarm

T0 = datetime(2026, 5, 1, 2, 0, tzinfo=UTC)  # 10:00 in 通辽
SOS_BUTTON = DeviceFacts(id=7, kind="sos_button", serial="SOS-7")
WATCH = DeviceFacts(id=8, kind="wearable", serial="W-8", geofence=(43.6, 121.3, 500.0))


def state(*, elder_id=1, overrides=None, open_by_cause=None, open_keys=(), alone=False) -> ElderState:
    return ElderState(
        elder_id=elder_id,
        rules=rules.effective_rules({}, overrides),
        living_alone=alone,
        open_by_cause=open_by_cause or {},
        open_keys=frozenset(open_keys),
    )


def ev(kind, *, at=T0, **kw) -> EventFacts:
    return EventFacts(id=1, kind=kind, occurred_at=at, **kw)


@pytest.mark.parametrize(
    "kind, cause", [("sos", "sos"), ("fall", "fall"), ("smoke", "smoke"), ("gas", "gas")]
)
def test_sos_fall_smoke_gas_raise_an_emergency(kind, cause):
    (decision,) = rules.evaluate(ev(kind), SOS_BUTTON, state())
    assert (decision.cause, decision.kind, decision.priority) == (cause, "emergency", 1)
    assert decision.merge_into is None and decision.open_key is None
    assert "SOS-7" in decision.summary


def test_a_heartbeat_with_a_good_battery_decides_nothing():
    assert rules.evaluate(ev("heartbeat", battery=80), SOS_BUTTON, state()) == []


def test_a_repeat_press_within_a_minute_merges():
    open_alarm = OpenAlarm(id=55, cause="sos", last_event_at=T0 - timedelta(seconds=59))
    (decision,) = rules.evaluate(ev("sos"), SOS_BUTTON, state(open_by_cause={"sos": open_alarm}))
    assert decision.merge_into == 55


def test_a_press_after_the_window_raises_a_new_alarm():
    open_alarm = OpenAlarm(id=55, cause="sos", last_event_at=T0 - timedelta(seconds=61))
    (decision,) = rules.evaluate(ev("sos"), SOS_BUTTON, state(open_by_cause={"sos": open_alarm}))
    assert decision.merge_into is None


def test_the_window_counts_from_the_latest_press_and_out_of_order_events_merge():
    open_alarm = OpenAlarm(id=55, cause="sos", last_event_at=T0 + timedelta(seconds=10))
    (decision,) = rules.evaluate(ev("sos"), SOS_BUTTON, state(open_by_cause={"sos": open_alarm}))
    assert decision.merge_into == 55


def test_a_fall_does_not_merge_into_an_open_sos():
    open_alarm = OpenAlarm(id=55, cause="sos", last_event_at=T0)
    (decision,) = rules.evaluate(ev("fall"), SOS_BUTTON, state(open_by_cause={"sos": open_alarm}))
    assert decision.merge_into is None and decision.cause == "fall"


def test_merge_window_is_a_per_elder_parameter():
    open_alarm = OpenAlarm(id=55, cause="sos", last_event_at=T0 - timedelta(seconds=100))
    longer = state(overrides={"sos": (None, {"merge_window_s": 120})}, open_by_cause={"sos": open_alarm})
    assert rules.evaluate(ev("sos"), SOS_BUTTON, longer)[0].merge_into == 55


def test_an_emergency_rule_switched_off_for_an_elder():
    assert rules.evaluate(ev("smoke"), SOS_BUTTON, state(overrides={"smoke": (False, {})})) == []


def test_low_battery_is_maintenance_once():
    (decision,) = rules.evaluate(ev("heartbeat", battery=19), SOS_BUTTON, state())
    assert (decision.cause, decision.kind, decision.open_key) == ("battery", "maintenance", "battery:7")
    assert "19%" in decision.summary
    assert rules.evaluate(ev("heartbeat", battery=20), SOS_BUTTON, state()) == []
    assert rules.evaluate(ev("heartbeat", battery=5), SOS_BUTTON, state(open_keys={"battery:7"})) == []


def test_an_sos_with_a_low_battery_makes_the_emergency_first():
    decisions = rules.evaluate(ev("sos", battery=10), SOS_BUTTON, state())
    assert [d.cause for d in decisions] == ["sos", "battery"]


def test_geofence_is_off_unless_switched_on_for_the_elder():
    outside = ev("location", lat=43.7, lng=121.3)
    assert rules.evaluate(outside, WATCH, state()) == []
    on = state(overrides={"geofence": (True, {})})
    (decision,) = rules.evaluate(outside, WATCH, on)
    assert (decision.cause, decision.kind, decision.priority) == ("geofence", "urgent", 2)
    assert decision.open_key == "geofence:8" and "米" in decision.summary


def test_inside_the_fence_is_fine_and_one_open_alarm_is_enough():
    on = state(overrides={"geofence": (True, {})})
    assert rules.evaluate(ev("location", lat=43.6001, lng=121.3001), WATCH, on) == []
    on_open = state(overrides={"geofence": (True, {})}, open_keys={"geofence:8"})
    assert rules.evaluate(ev("location", lat=43.7, lng=121.3), WATCH, on_open) == []


def test_a_device_reported_fence_exit_needs_no_fence_of_ours():
    on = state(overrides={"geofence": (True, {})})
    (decision,) = rules.evaluate(ev("geofence_exit"), SOS_BUTTON, on)
    assert decision.cause == "geofence"


def test_distance_is_haversine():
    assert rules.distance_m(43.6, 121.3, 43.6, 121.3) == 0
    assert 11_100 < rules.distance_m(43.6, 121.3, 43.7, 121.3) < 11_130  # 0.1° of latitude


def test_offline_after_twice_the_interval():
    rule = rules.DEFAULTS["offline"]
    last = T0 - timedelta(seconds=600)
    assert not rules.offline_due(last_seen=last, interval_s=300, now=T0, rule=rule)
    assert rules.offline_due(last_seen=last - timedelta(seconds=1), interval_s=300, now=T0, rule=rule)
    factor_3 = rules.effective_rules({}, {"offline": (None, {"factor": 3})})["offline"]
    assert not rules.offline_due(last_seen=last - timedelta(seconds=1), interval_s=300, now=T0, rule=factor_3)


def test_daytime_hours_skip_the_night():
    local = rules.LOCAL
    start = datetime(2026, 5, 1, 20, 0, tzinfo=local)
    end = datetime(2026, 5, 2, 10, 0, tzinfo=local)
    assert rules.daytime_hours_between(start, end, day_start=7, day_end=21) == 4.0  # 20–21, 7–10
    assert rules.daytime_hours_between(end, start, day_start=7, day_end=21) == 0.0
    whole = rules.daytime_hours_between(
        datetime(2026, 5, 1, 0, 0, tzinfo=local),
        datetime(2026, 5, 3, 0, 0, tzinfo=local),
        day_start=0,
        day_end=24,
    )
    assert whole == 48.0


def test_inactivity_for_elders_living_alone_after_12_daytime_hours():
    rule = rules.DEFAULTS["inactivity"]
    local = rules.LOCAL
    now = datetime(2026, 5, 2, 15, 0, tzinfo=local)
    # Last seen moving yesterday at 17:00: 4 h (17–21) + 8 h (7–15) = 12 daytime hours.
    last = datetime(2026, 5, 1, 17, 0, tzinfo=local)
    assert rules.inactivity_due(last_activity=last, now=now, living_alone=True, rule=rule)
    assert not rules.inactivity_due(
        last_activity=last + timedelta(minutes=1), now=now, living_alone=True, rule=rule
    )
    assert not rules.inactivity_due(last_activity=last, now=now, living_alone=False, rule=rule)
    eight = rules.effective_rules({}, {"inactivity": (None, {"hours": 8})})["inactivity"]
    assert rules.inactivity_due(
        last_activity=last + timedelta(hours=3), now=now, living_alone=True, rule=eight
    )
    decision = rules.inactivity_decision(rule, elder_id=9, last_activity=last)
    assert (decision.kind, decision.open_key) == ("check_on", "inactivity:9")


def test_stored_defaults_sit_between_built_in_and_personal():
    stored = {"battery": rules.Rule("battery", True, "maintenance", {"below_pct": 30})}
    assert rules.effective_rules(stored)["battery"].param("below_pct") == 30
    personal = rules.effective_rules(stored, {"battery": (False, {"below_pct": 10})})["battery"]
    assert not personal.enabled and personal.param("below_pct") == 10
