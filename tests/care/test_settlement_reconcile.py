"""Totals reconcile exactly with the lines, on random orders, prices, grants and decisions.

For every generated month: each line's amount is unit price × quantity and equals
government + subsidy + self; the statement's total per source is the sum of its paid lines; the
total is the sum of the sources; excluded (no_pay) lines carry zero; the unit price is the one rule's
(``selectors.price_for``). After confirmation the settled orders carry exactly their lines' amounts.
"""

from datetime import date

import pytest
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.care.factories import make_provider
from tests.care.settlement_factories import (
    BATH,
    CHECKUP,
    CLEAN,
    DELIVERY,
    HAIRCUT,
    LUNCH,
    MONTH,
    grant,
    make_order,
    price,
)
from tests.conftest import make_elder
from yanglao.care import selectors, settlement
from yanglao.care.models import AnomalyDecision, OrderState, SettlementLine, WorkOrder
from yanglao.regions.models import Region

PRODUCTS = [CLEAN, BATH, HAIRCUT, LUNCH, DELIVERY, CHECKUP]
PREFIXES = ["150523", "150523100", "150523100001", "150523100002"]
DECISIONS = [AnomalyDecision.NONE] * 4 + [AnomalyDecision.PAY, AnomalyDecision.NO_PAY]

days = st.integers(min_value=1, max_value=30).map(lambda d: date(2026, 9, d))
orders = st.lists(
    st.tuples(
        st.integers(0, 2),  # elder
        st.sampled_from(PRODUCTS),
        days,
        st.integers(1, 3),  # quantity
        st.sampled_from(DECISIONS),
    ),
    min_size=1,
    max_size=25,
)
prices = st.lists(
    st.tuples(
        st.sampled_from(PRODUCTS),
        st.sampled_from(PREFIXES),
        st.integers(0, 99_999),  # fen
        days,
        st.one_of(st.none(), st.integers(0, 20)),  # days valid
        st.booleans(),  # the provider's contract price
    ),
    max_size=6,
)
grants = st.lists(
    st.tuples(st.integers(0, 2), st.sampled_from(["home-service-1h", "meal-subsidy"]), days, days),
    max_size=4,
)


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(orders=orders, prices=prices, grants=grants)
def test_totals_reconcile_with_lines(kailu_officer, orders, prices, grants):
    provider, elders = _world()
    with transaction.atomic():
        for code, prefix, fen, start, length, contracted in prices:
            end = None if length is None else date.fromordinal(start.toordinal() + length)
            try:
                with transaction.atomic():
                    price(code, prefix, fen, start, end, provider=provider if contracted else None)
            except IntegrityError:  # the same (product, region, start) twice: skip it
                pass
        for who, rule, first, second in grants:
            grant(elders[who], rule, min(first, second), max(first, second))
        made = [
            make_order(
                provider,
                elders[who],
                code,
                day,
                quantity=quantity,
                decision=decision,
                reason="不予结算" if decision == AnomalyDecision.NO_PAY else "",
            )
            for who, code, day, quantity, decision in orders
        ]
        statement = settlement.settlement_build(
            actor=kailu_officer,
            provider=provider,
            county=Region.objects.get(code=provider.county_id),
            month=MONTH,
        )
        lines = list(statement.lines.select_related("order", "product"))
        assert len(lines) == len(made)
        paid = [line for line in lines if line.anomaly_decision != AnomalyDecision.NO_PAY]
        for line in lines:
            assert line.amount_fen == line.government_fen + line.subsidy_fen + line.self_fen
            assert min(line.government_fen, line.subsidy_fen, line.self_fen) >= 0
            expected = selectors.price_for(
                product=line.product,
                region_code=line.order.region_code,
                on=line.service_date,
                provider=provider,
            )
            assert line.unit_price_fen == expected.price_fen
            if line.anomaly_decision == AnomalyDecision.NO_PAY:
                assert line.amount_fen == 0
            else:
                assert line.amount_fen == line.unit_price_fen * line.quantity
        assert statement.order_count == len(paid)
        assert statement.government_fen == sum(line.government_fen for line in paid)
        assert statement.subsidy_fen == sum(line.subsidy_fen for line in paid)
        assert statement.self_fen == sum(line.self_fen for line in paid)
        assert statement.total_fen == sum(line.amount_fen for line in paid)
        assert statement.total_fen == statement.government_fen + statement.subsidy_fen + statement.self_fen
        assert settlement.line_sums(statement) == {
            "total_fen": statement.total_fen,
            "government_fen": statement.government_fen,
            "subsidy_fen": statement.subsidy_fen,
            "self_fen": statement.self_fen,
        }
        if paid:
            settlement.settlement_confirm(actor=kailu_officer, settlement=statement)
            for line in SettlementLine.objects.filter(settlement=statement).exclude(
                anomaly_decision="no_pay"
            ):
                order = WorkOrder.objects.get(pk=line.order_id)
                assert order.state == OrderState.SETTLED
                assert (order.price_fen, order.government_fen, order.subsidy_fen, order.self_fen) == (
                    line.amount_fen,
                    line.government_fen,
                    line.subsidy_fen,
                    line.self_fen,
                )
        transaction.set_rollback(True)


_cache: dict = {}


def _world():
    """One provider and three elders (in two villages) per test database transaction."""
    from yanglao.care.models import Provider

    provider = Provider.objects.filter(pk=_cache.get("provider")).first()
    if provider is None:
        provider = make_provider("150523")
        _cache["provider"] = provider.pk
        _cache["elders"] = [
            make_elder("150523100001", name="甲").pk,
            make_elder("150523100001", name="乙").pk,
            make_elder("150523100002", name="丙").pk,
        ]
    from yanglao.elders.models import Elder

    elders = {e.pk: e for e in Elder.objects.filter(pk__in=_cache["elders"])}
    return provider, [elders[pk] for pk in _cache["elders"]]
