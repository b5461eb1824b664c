"""The demo orders: three months for 开鲁县, consistent with the rules, fast, made once."""

import time
from datetime import date, timedelta

from django.utils import timezone

from tests.care import order_factories as f
from tests.care.factories import add_certificate, make_caregiver
from tests.care.test_orders_plan import entitled
from tests.conftest import make_elder
from yanglao.accounts.models import User
from yanglao.care.models import AnomalyDecision, OrderState, Visit, WorkOrder, WorkOrderEvent
from yanglao.demo.care_orders import seed_orders


def test_seed_orders(db):
    w = f.build()
    User.objects.filter(pk=w.caregiver_user.pk).update(username="hl-150523-1")
    helper = make_caregiver(
        w.provider, name="另一护理员", skills=[f.CARE, f.CLEAN, "01.03.04", "01.03.05", "08.01.01"]
    )
    add_certificate(helper, level=2)
    for i in range(3):
        entitled(f"计划老人{i}")
    for i in range(6):
        make_elder(
            "150523100002", name=f"申请老人{i}", phone=f"1390000{i:04d}", longitude="121.3", latitude="43.6"
        )
    started = time.monotonic()
    made = seed_orders(seed=2026)
    assert time.monotonic() - started < 5
    today = timezone.localdate()
    orders = WorkOrder.objects.all()
    assert made == orders.count() > 3 * 60
    first = orders.order_by("scheduled_date").first().scheduled_date
    assert first.day == 1 and (today - first).days >= 59
    past = orders.filter(scheduled_date__lt=today - timedelta(days=2))
    assert past.filter(state=OrderState.REVIEWED).count() > past.count() * 0.7
    assert not past.filter(
        state__in=[OrderState.REQUESTED, OrderState.ACCEPTED, OrderState.DISPATCHED]
    ).exists()
    for order in orders.filter(state=OrderState.REVIEWED)[:50]:
        assert 1 <= order.rating <= 5
        assert [e.kind for e in WorkOrderEvent.objects.filter(order=order).order_by("at", "pk")][:4] == [
            "created",
            "accept",
            "dispatch",
            "check_in" if order.visit.check_in_at else "check_out",
        ]
    # plan orders carry the keys the generator uses: generating again adds nothing for those days
    plan = orders.filter(source="plan", scheduled_date=today).first()
    assert plan.plan_key == f"plan:{plan.elder_id}:{today:%Y%m%d}"
    # the demo caregiver's day, in time order, all dispatched
    mine = list(orders.filter(caregiver=w.caregiver, scheduled_date=today).order_by("window_start"))
    assert mine and all(o.state == OrderState.DISPATCHED for o in mine)
    # prices and visits follow the rules
    for order in orders.filter(price_fen__isnull=False)[:100]:
        assert order.price_fen == order.unit_price_fen * order.quantity
        assert order.government_fen + order.subsidy_fen + order.self_fen == order.price_fen
    assert (
        Visit.objects.filter(check_out_at__isnull=False).count()
        >= orders.filter(state__in=["checked_out", "reviewed"]).count()
    )
    flagged = orders.exclude(anomaly_decision=AnomalyDecision.NONE)
    assert all(o.anomalies for o in flagged)
    assert not flagged.filter(
        anomaly_decision=AnomalyDecision.PENDING, scheduled_date__lt=today.replace(day=1)
    ).exists()
    assert seed_orders(seed=2026) == 0  # made once
    assert isinstance(first, date)
