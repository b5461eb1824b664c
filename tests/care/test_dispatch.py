"""派单建议: the PyVRP plan and the greedy baseline on fixed instances, the database side (skills,
certificates, unassigned reasons), and the page (form errors, HTMX result, applying)."""

import json
import random
import re
from datetime import date, time, timedelta

import pytest

from tests.care.factories import add_certificate, make_caregiver, make_provider, provider_user
from tests.care.settlement_factories import BATH, CLEAN, make_order
from tests.conftest import make_elder
from yanglao.care import dispatch
from yanglao.care.dispatch import SHIFT_END, SHIFT_START, Instance, Job, Worker
from yanglao.care.models import AnomalyDecision, OrderState, WorkOrder
from yanglao.regions.models import Region

LAT, LNG = 43.60, 121.30
HOUR = 3600


def fixed_instance(seed=7, jobs=24, workers=4) -> Instance:
    """Workers at the corners of a ~10 km square, jobs scattered, a few skills and windows."""
    rng = random.Random(seed)
    team = [
        Worker(i, LAT + dy, LNG + dx)
        for i, (dy, dx) in enumerate([(0, 0), (0.09, 0), (0, 0.12), (0.09, 0.12)])
    ]
    team = team[:workers]
    placed = []
    for k in range(jobs):
        early = rng.choice([8, 9, 10, 13, 14]) * HOUR
        service = rng.choice([30, 45, 60]) * 60
        needs = rng.random()
        allowed = frozenset(range(workers)) if needs < 0.6 else frozenset({k % workers, (k + 1) % workers})
        placed.append(
            Job(
                k,
                LAT + rng.uniform(0, 0.09),
                LNG + rng.uniform(0, 0.12),
                service,
                early,
                early + 3 * HOUR - service,
                allowed,
            )
        )
    return Instance.build(placed, team)


def check_plan(inst: Instance, plan: dispatch.Plan) -> None:
    seen = []
    for w, stops in plan.routes.items():
        clock = inst.shift_start
        where = w
        for stop in stops:
            job = inst.jobs[stop.job]
            assert w in job.allowed, "a caregiver was given an order it may not do"
            assert job.tw_early <= stop.start_s <= job.tw_late, "outside the time window"
            assert stop.start_s + job.service_s <= job.tw_late + job.service_s
            assert stop.arrival_s >= clock + int(inst.dur[where, inst.loc(stop.job)]) - 1
            assert stop.end_s == stop.start_s + job.service_s
            clock, where = stop.end_s, inst.loc(stop.job)
            seen.append(stop.job)
        assert clock + int(inst.dur[where, w]) <= inst.shift_end, "home after the end of the day"
    assert len(seen) == len(set(seen)), "an order appears twice"
    assert set(seen) | set(plan.unassigned) == set(range(len(inst.jobs)))
    assert not set(seen) & set(plan.unassigned)


def test_solver_respects_skills_windows_and_beats_greedy_on_a_fixed_instance():
    inst = fixed_instance()
    baseline = dispatch.greedy(inst)
    plan = dispatch.solve(inst, max_seconds=None, max_iterations=400, seed=1, baseline=dispatch.greedy(inst))
    check_plan(inst, baseline)
    check_plan(inst, plan)
    assert plan.method == "pyvrp"
    assert not baseline.unassigned and not plan.unassigned
    assert plan.distance_m <= baseline.distance_m
    assert plan.distance_m < baseline.distance_m * 0.95  # and clearly better here
    # the reported distance is the distance of the routes
    for w, stops in plan.routes.items():
        total = sum(s.distance_m for s in stops) + int(inst.dist[inst.loc(stops[-1].job), w])
        assert plan.route_distance[w] == total


def test_an_order_only_one_caregiver_may_do_goes_to_that_caregiver():
    inst = fixed_instance(seed=3, jobs=10, workers=3)
    inst.jobs[4].allowed = frozenset({2})
    inst.jobs[5].allowed = frozenset({0})
    plan = dispatch.solve(inst, max_seconds=None, max_iterations=200, seed=0)
    check_plan(inst, plan)
    owner = {s.job: w for w, stops in plan.routes.items() for s in stops}
    assert owner[4] == 2 and owner[5] == 0


def test_windows_that_cannot_be_met_leave_the_order_unassigned():
    team = [Worker(0, LAT, LNG)]
    jobs = [
        Job(0, LAT + 0.01, LNG, 3600, 9 * HOUR, 9 * HOUR, frozenset({0})),  # 09:00 sharp
        Job(1, LAT + 0.01, LNG + 0.001, 3600, 9 * HOUR, 9 * HOUR, frozenset({0})),  # also 09:00 sharp
        Job(2, LAT, LNG + 0.01, 1800, 19 * HOUR, 20 * HOUR, frozenset({0})),  # after the working day
    ]
    inst = Instance.build(jobs, team)
    for plan in (dispatch.greedy(inst), dispatch.solve(inst, max_seconds=None, max_iterations=100)):
        check_plan(inst, plan)
        assert len(plan.routes.get(0, [])) == 1
        assert 2 in plan.unassigned and len(plan.unassigned) == 2


def test_nothing_to_do():
    inst = Instance.build([], [Worker(0, LAT, LNG)])
    assert dispatch.solve(inst, max_seconds=None, max_iterations=10).routes == {}
    lonely = Instance.build(
        [Job(0, LAT, LNG, 600, SHIFT_START, SHIFT_END, frozenset())], [Worker(0, LAT, LNG)]
    )
    assert dispatch.solve(lonely, max_seconds=None, max_iterations=10).unassigned == [0]


# --- from the database ------------------------------------------------------------------------------


@pytest.fixture
def setup(db):
    provider = make_provider("150523")
    town = Region.objects.get(code="150523100000")
    day = date.today() + timedelta(days=1)
    certified = make_caregiver(
        provider, name="持证护理员", skills=[BATH, CLEAN], longitude="121.30", latitude="43.60"
    )
    add_certificate(certified, level=2)
    expired = make_caregiver(
        provider, name="过期护理员", skills=[BATH, CLEAN], longitude="121.31", latitude="43.61"
    )
    add_certificate(expired, level=2, issued=date(2020, 1, 1), expires=day - timedelta(days=1))
    cleaner = make_caregiver(
        provider, name="保洁护理员", skills=[CLEAN], longitude="121.32", latitude="43.62"
    )
    elders = [
        make_elder("150523100001", name=f"派单老人{i}", longitude=f"121.3{i}", latitude="43.605")
        for i in range(5)
    ]
    return provider, town, day, (certified, expired, cleaner), elders


def test_suggest_respects_certificates_and_explains_what_it_cannot_place(setup, kailu_officer):
    provider, town, day, (certified, expired, cleaner), elders = setup
    baths = [make_order(provider, e, BATH, day, state=OrderState.ACCEPTED) for e in elders[:2]]
    cleans = [
        make_order(provider, e, CLEAN, day, state=OrderState.ACCEPTED, window=(time(9), time(12)))
        for e in elders[2:]
    ]
    hair = make_order(provider, elders[0], "01.03.04", day, state=OrderState.ACCEPTED)  # nobody has 理发
    make_order(provider, elders[1], CLEAN, day, state=OrderState.REVIEWED)  # not waiting for dispatch
    make_order(provider, elders[1], CLEAN, day + timedelta(days=1), state=OrderState.ACCEPTED)  # another day

    result = dispatch.suggest(
        actor=kailu_officer, provider=provider, township=town, day=day, max_seconds=None, max_iterations=200
    )

    owner = {order.pk: route.caregiver for route in result.routes for _, order, _ in route.stops}
    assert {owner[o.pk] for o in baths} == {certified}
    assert all(owner[o.pk] in (certified, expired, cleaner) for o in cleans)
    assert result.order_count == 6 and result.assigned == 5
    assert [(u.order, u.code) for u in result.unassigned] == [(hair, "no_capable_caregiver")]
    assert "理发" in result.unassigned[0].reason
    for route in result.routes:
        for stop, order, _ in route.stops:
            if order.window_start:
                assert stop.start_s >= 9 * HOUR and stop.end_s <= 12 * HOUR
    assert result.distance_m <= result.greedy_distance_m
    assert sorted(result.assignments()) == sorted((pk, c.pk) for pk, c in owner.items())


def test_an_expired_certificate_blocks_the_product_that_needs_it(setup, kailu_officer):
    provider, town, day, (certified, _, _), elders = setup
    certified.status = "left"
    certified.left_on = day - timedelta(days=3)
    certified.save()
    bath = make_order(provider, elders[0], BATH, day, state=OrderState.ACCEPTED)
    result = dispatch.suggest(
        actor=kailu_officer, provider=provider, township=town, day=day, max_seconds=None, max_iterations=50
    )
    assert [(u.order, u.code) for u in result.unassigned] == [(bath, "no_capable_caregiver")]
    assert "证书" in result.unassigned[0].reason


def test_scope_of_the_readers(setup, horqin_officer, kailu_officer):
    provider, town, day, _, elders = setup
    make_order(provider, elders[0], CLEAN, day, state=OrderState.ACCEPTED)
    assert (
        dispatch.pending_orders(actor=horqin_officer, provider=provider, township=town, day=day).count() == 0
    )
    assert all(t.code.startswith("150502") for t in dispatch.township_choices(actor=horqin_officer))
    staff = provider_user(make_provider("150523"), "fws-other")
    assert dispatch.pending_orders(actor=staff, provider=provider, township=town, day=day).count() == 0
    assert (
        dispatch.pending_orders(actor=kailu_officer, provider=provider, township=town, day=day).count() == 1
    )


# --- the page ---------------------------------------------------------------------------------------


def test_page_form_errors(setup, client_for, kailu_officer):
    provider, town, day, _, _ = setup
    client = client_for(kailu_officer)
    cases = [
        ({"date": f"{day}", "provider": provider.pk}, "请选择苏木乡镇（街道）。"),
        ({"township": "150502001000", "date": f"{day}"}, "该苏木乡镇不存在或不在您的管辖范围内。"),
        (
            {"township": town.code, "date": "明天", "provider": provider.pk},
            "服务日期格式不对，应为 2026-03-01。",
        ),
        ({"township": town.code, "date": ""}, "请选择服务日期。"),
        (
            {"township": town.code, "date": f"{day}", "provider": "999999"},
            "该服务商没有与此旗县签约或不在您的管辖范围内。",
        ),
    ]
    make_provider("150523")  # two providers: the officer must choose
    cases.append(({"township": town.code, "date": f"{day}"}, "请选择服务商。"))
    for params, message in cases:
        response = client.get("/care/dispatch/plan/", params)
        assert response.status_code == 422, params
        assert message in response.content.decode(), params
    ok = client.get(
        "/care/dispatch/plan/", {"township": town.code, "date": f"{day}", "provider": provider.pk}
    )
    assert ok.status_code == 200 and "生成派单建议" in ok.content.decode()
    refused = client.post(
        "/care/dispatch/plan/suggest/", {"township": town.code, "date": "x", "provider": provider.pk}
    )
    assert refused.status_code == 422 and "服务日期格式不对" in refused.content.decode()


def test_suggest_and_apply_through_the_page(setup, client_for):
    provider, town, day, (certified, _, _), elders = setup
    staff = provider_user(provider)
    orders = [make_order(provider, e, CLEAN, day, state=OrderState.ACCEPTED) for e in elders[:3]]
    client = client_for(staff)
    page = client.get("/care/dispatch/plan/", {"township": town.code, "date": f"{day}"})
    assert page.status_code == 200 and 'data-testid="order-count">3<' in page.content.decode()
    result = client.post("/care/dispatch/plan/suggest/", {"township": town.code, "date": f"{day}"})
    body = result.content.decode()
    assert result.status_code == 200 and "按建议派单（3 张）" in body
    data = json.loads(body.split('id="dispatch-routes" type="application/json">')[1].split("</script>")[0])
    assert sum(len(r["stops"]) for r in data["routes"]) == 3
    pairs = re.findall(r'name="assign" value="(\d+:\d+)"', body)
    assert len(pairs) == 3
    applied = client.post(
        "/care/dispatch/plan/apply/",
        {"township": town.code, "date": f"{day}", "provider": provider.pk, "assign": pairs},
    )
    assert applied.status_code == 302
    for order in orders:
        order.refresh_from_db()
        assert order.state == OrderState.DISPATCHED and order.caregiver_id is not None
    # an order from another provider cannot be slipped in
    foreign = make_order(make_provider("150523"), elders[4], CLEAN, day, state=OrderState.ACCEPTED)
    client.post(
        "/care/dispatch/plan/apply/",
        {
            "township": town.code,
            "date": f"{day}",
            "provider": provider.pk,
            "assign": [f"{foreign.pk}:{certified.pk}"],
        },
    )
    foreign.refresh_from_db()
    assert foreign.state == OrderState.ACCEPTED and foreign.caregiver_id is None


def test_caregivers_cannot_open_the_page(setup, client_for, caregiver):
    assert client_for(caregiver).get("/care/dispatch/plan/").status_code == 403
    assert WorkOrder.objects.filter(anomaly_decision=AnomalyDecision.PENDING).count() == 0
