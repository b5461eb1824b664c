"""Monthly settlement: what a statement takes in, its prices and funding split, confirmation and
immutability, and who sees which statement."""

from datetime import date, time, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from tests.care.factories import make_provider, provider_user
from tests.care.settlement_factories import (
    BATH,
    CHECKUP,
    CLEAN,
    HAIRCUT,
    LUNCH,
    MONTH,
    grant,
    make_order,
    price,
)
from tests.conftest import make_elder
from yanglao.care import selectors, settlement
from yanglao.care import settlement_selectors as reads
from yanglao.care.models import (
    AnomalyDecision,
    OrderState,
    ServicePrice,
    ServiceProduct,
    Settlement,
    SettlementLine,
    SettlementState,
    WorkOrder,
    WorkOrderEvent,
)
from yanglao.care.settlement import SettlementErrorCode as E
from yanglao.core.models import AuditEntry
from yanglao.regions.models import Region

KAILU_COUNTY = "150523000000"


def county(code=KAILU_COUNTY) -> Region:
    return Region.objects.get(code=code)


def codes(exc: ValidationError) -> set[str]:
    return {e.code for errors in exc.error_dict.values() for e in errors}


@pytest.fixture
def provider(db):
    return make_provider("150523")


@pytest.fixture
def elder(db):
    return make_elder("150523100001", name="结算老人")


def build(actor, provider, month=MONTH) -> Settlement:
    return settlement.settlement_build(
        actor=actor, provider=provider, county=county(provider.county_id), month=month
    )


# --- what goes in -----------------------------------------------------------------------------------


def test_a_statement_takes_the_reviewed_payable_orders_of_its_provider_and_month(
    kailu_officer, provider, elder
):
    paid = make_order(provider, elder, CLEAN, date(2026, 9, 3))
    checked = make_order(provider, elder, CLEAN, date(2026, 9, 4), decision=AnomalyDecision.PAY)
    excluded = make_order(
        provider, elder, CLEAN, date(2026, 9, 5), decision=AnomalyDecision.NO_PAY, reason="签到位置不符"
    )
    pending = make_order(provider, elder, CLEAN, date(2026, 9, 6), decision=AnomalyDecision.PENDING)
    make_order(provider, elder, CLEAN, date(2026, 9, 7), state=OrderState.CHECKED_OUT)  # not yet reviewed
    make_order(provider, elder, CLEAN, date(2026, 10, 1))  # next month
    make_order(provider, elder, CLEAN, date(2026, 8, 31))  # last month
    make_order(make_provider("150523"), elder, CLEAN, date(2026, 9, 3))  # another provider

    statement = build(kailu_officer, provider)

    lines = {line.order_id: line for line in statement.lines.all()}
    assert set(lines) == {paid.pk, checked.pk, excluded.pk}
    assert lines[excluded.pk].anomaly_decision == AnomalyDecision.NO_PAY
    assert lines[excluded.pk].amount_fen == 0 and lines[excluded.pk].unit_price_fen == 3500
    assert lines[checked.pk].anomaly_decision == AnomalyDecision.PAY
    assert (statement.order_count, statement.total_fen) == (2, 7000)
    assert [o.pk for o in reads.pending_anomalies(settlement=statement)] == [pending.pk]
    assert statement.number == f"JS150523202609{provider.pk:06d}"
    assert statement.state == SettlementState.DRAFT


def test_price_is_the_one_valid_on_the_service_date_most_specific_and_contracted_first(
    kailu_officer, provider, elder
):
    # 通辽 default 助洁 3500 (from 2025-01-01); 开鲁县 4000 from 09-16 to 09-25; the provider's contract
    # price for 开鲁镇 3800 from 09-21.
    price(CLEAN, "150523", 4000, date(2026, 9, 16), date(2026, 9, 25))
    price(CLEAN, "150523100", 3800, date(2026, 9, 21), provider=provider)
    days = [date(2026, 9, d) for d in (15, 16, 20, 21, 25, 26)]
    orders = [make_order(provider, elder, CLEAN, day) for day in days]

    statement = build(kailu_officer, provider)

    unit = dict(statement.lines.values_list("order_id", "unit_price_fen"))
    assert [unit[o.pk] for o in orders] == [3500, 4000, 4000, 3800, 3800, 3800]
    # the same answers as the one price rule of the catalogue
    for order in orders:
        row = selectors.price_for(
            product=order.product, region_code=order.region_code, on=order.scheduled_date, provider=provider
        )
        assert row.price_fen == unit[order.pk]


def test_the_price_book_agrees_with_price_for_everywhere(provider, elder):
    other = make_provider("150523")
    price(CLEAN, "150523", 4000, date(2026, 9, 16), date(2026, 9, 25))
    price(CLEAN, "150523100001", 4100, date(2026, 9, 10), date(2026, 9, 18))
    price(CLEAN, "150523100", 3900, date(2026, 9, 12), provider=other)
    price(CLEAN, "150523", 3700, date(2026, 9, 20), provider=provider)
    book = settlement.PriceBook(
        county_prefix="150523", first=MONTH, last=date(2026, 9, 30), providers=[provider.pk, other.pk]
    )
    clean = ServiceProduct.objects.get(code=CLEAN)
    for code in ("150523100001", "150523100002", "150523200001"):
        for who in (provider, other):
            for day in range(1, 31):
                on = date(2026, 9, day)
                expected = selectors.price_for(product=clean, region_code=code, on=on, provider=who)
                got = book.unit_price(product_id=clean.pk, provider_id=who.pk, code=code, on=on)
                assert got == expected.price_fen, (code, who.pk, on)


def test_quantity_multiplies_the_unit_price(kailu_officer, provider, elder):
    order = make_order(provider, elder, CLEAN, quantity=3)
    statement = build(kailu_officer, provider)
    line = statement.lines.get(order=order)
    assert (line.unit_price_fen, line.amount_fen, statement.total_fen) == (3500, 10500, 10500)


# --- funding ----------------------------------------------------------------------------------------


def test_home_service_allowance_pays_whole_visits_that_fit_the_day(kailu_officer, provider, elder):
    grant(elder, "home-service-1h")
    day = date(2026, 9, 8)
    haircut = make_order(provider, elder, HAIRCUT, day, window=(time(8), time(9)))  # 30 min, fits
    clean = make_order(provider, elder, CLEAN, day, window=(time(10), time(11)))  # 60 min, 30 left
    next_day = make_order(provider, elder, CLEAN, day + timedelta(days=1))  # a new day's hour
    checkup = make_order(provider, elder, CHECKUP, day + timedelta(days=2))  # not a home-care item

    statement = build(kailu_officer, provider)

    split = {
        line.order_id: (line.government_fen, line.subsidy_fen, line.self_fen)
        for line in statement.lines.all()
    }
    assert split[haircut.pk] == (2000, 0, 0)
    assert split[clean.pk] == (0, 0, 3500)
    assert split[next_day.pk] == (3500, 0, 0)
    assert split[checkup.pk] == (0, 0, 5000)
    assert (statement.government_fen, statement.subsidy_fen, statement.self_fen) == (5500, 0, 8500)


def test_no_grant_no_government_money_and_grant_dates_count(kailu_officer, provider, elder):
    grant(elder, "home-service-1h", valid_from=date(2026, 9, 10), valid_to=date(2026, 9, 12))
    before, first, last, after = (
        make_order(provider, elder, CLEAN, date(2026, 9, d)) for d in (9, 10, 12, 13)
    )
    statement = build(kailu_officer, provider)
    government = dict(statement.lines.values_list("order_id", "government_fen"))
    assert [government[o.pk] for o in (before, first, last, after)] == [0, 3500, 3500, 0]


def test_meal_subsidy_covers_a_month_up_to_its_amount_the_last_meal_in_part(kailu_officer, provider, elder):
    grant(elder, "meal-subsidy")  # 10000 fen a month
    meals = [make_order(provider, elder, LUNCH, date(2026, 9, d)) for d in range(1, 11)]  # 10 × 1200
    statement = build(kailu_officer, provider)
    split = {line.order_id: (line.subsidy_fen, line.self_fen) for line in statement.lines.all()}
    assert [split[m.pk] for m in meals[:8]] == [(1200, 0)] * 8
    assert split[meals[8].pk] == (400, 800)
    assert split[meals[9].pk] == (0, 1200)
    assert (statement.subsidy_fen, statement.self_fen, statement.total_fen) == (10000, 2000, 12000)


def test_an_allowance_used_by_another_providers_confirmed_statement_is_not_paid_twice(
    kailu_officer, provider, elder
):
    grant(elder, "home-service-1h")
    other = make_provider("150523")
    day = date(2026, 9, 15)
    theirs = make_order(other, elder, CLEAN, day)
    settlement.settlement_confirm(actor=kailu_officer, settlement=build(kailu_officer, other))
    assert SettlementLine.objects.get(order=theirs).government_fen == 3500

    mine = make_order(provider, elder, CLEAN, day)
    statement = build(kailu_officer, provider)
    assert statement.lines.get(order=mine).government_fen == 0


def test_two_drafts_cannot_both_spend_one_allowance(kailu_officer, provider, elder):
    grant(elder, "home-service-1h")
    other = make_provider("150523")
    day = date(2026, 9, 15)
    make_order(other, elder, CLEAN, day)
    make_order(provider, elder, CLEAN, day)
    theirs, mine = build(kailu_officer, other), build(kailu_officer, provider)
    assert theirs.government_fen == mine.government_fen == 3500  # both drafts counted on the hour
    settlement.settlement_confirm(actor=kailu_officer, settlement=theirs)
    with pytest.raises(ValidationError) as refused:
        settlement.settlement_confirm(actor=kailu_officer, settlement=mine)
    assert codes(refused.value) == {E.STALE}
    assert build(kailu_officer, provider).government_fen == 0  # rebuilt: the hour is spent


def test_allocate_splits_always_sum_to_the_amount():
    day = date(2026, 9, 1)
    charges = [
        settlement.Charge(1, 7, day, "home", 60, 3500),
        settlement.Charge(2, 7, day, "home", 30, 2000),
        settlement.Charge(3, 7, day, "meal", 0, 1500),
        settlement.Charge(4, 7, day, "other", 60, 5000),
        settlement.Charge(5, 7, day, "meal", 0, 0),
    ]
    splits = settlement.allocate(charges, home_minutes={(7, day): 60}, meal_fen={(7, day): 1000})
    assert splits[1] == settlement.Split(3500, 0, 0)
    assert splits[2] == settlement.Split(0, 0, 2000)
    assert splits[3] == settlement.Split(0, 1000, 500)
    assert splits[4] == settlement.Split(0, 0, 5000)
    assert splits[5] == settlement.Split(0, 0, 0)


# --- confirmation -----------------------------------------------------------------------------------


def test_confirm_settles_orders_freezes_amounts_and_records_events_and_audit(kailu_officer, provider, elder):
    grant(elder, "home-service-1h")
    paid = make_order(provider, elder, CLEAN, date(2026, 9, 3))
    excluded = make_order(
        provider, elder, BATH, date(2026, 9, 4), decision=AnomalyDecision.NO_PAY, reason="未上门"
    )
    statement = build(kailu_officer, provider)

    confirmed = settlement.settlement_confirm(actor=kailu_officer, settlement=statement)

    assert confirmed.state == SettlementState.CONFIRMED
    assert confirmed.confirmed_by == kailu_officer and confirmed.confirmed_at is not None
    paid.refresh_from_db()
    assert paid.state == OrderState.SETTLED and paid.settlement_id == statement.pk
    assert (paid.unit_price_fen, paid.price_fen, paid.government_fen, paid.self_fen) == (3500, 3500, 3500, 0)
    assert paid.closed_at is not None
    excluded.refresh_from_db()
    assert excluded.state == OrderState.REVIEWED and excluded.settlement_id == statement.pk
    assert WorkOrderEvent.objects.filter(order=paid, kind="settled", to_state="settled").count() == 1
    assert WorkOrderEvent.objects.filter(order=excluded, kind="settlement_excluded").count() == 1
    entry = AuditEntry.objects.filter(object_id=str(statement.pk), summary__startswith="确认结算单").get()
    assert entry.region_code == KAILU_COUNTY and entry.actor == kailu_officer


def test_pending_anomalies_block_confirmation_until_decided_and_rebuilt(kailu_officer, provider, elder):
    make_order(provider, elder, CLEAN, date(2026, 9, 3))
    pending = make_order(provider, elder, CLEAN, date(2026, 9, 4), decision=AnomalyDecision.PENDING)
    statement = build(kailu_officer, provider)
    with pytest.raises(ValidationError) as refused:
        settlement.settlement_confirm(actor=kailu_officer, settlement=statement)
    assert codes(refused.value) == {E.ANOMALIES_PENDING}
    statement.refresh_from_db()
    assert statement.state == SettlementState.DRAFT
    assert not WorkOrder.objects.filter(state=OrderState.SETTLED).exists()

    WorkOrder.objects.filter(pk=pending.pk).update(anomaly_decision=AnomalyDecision.PAY)
    with pytest.raises(ValidationError) as stale:  # decided, but the draft does not show it yet
        settlement.settlement_confirm(actor=kailu_officer, settlement=statement)
    assert codes(stale.value) == {E.STALE}
    settlement.settlement_confirm(actor=kailu_officer, settlement=build(kailu_officer, provider))
    assert WorkOrder.objects.filter(state=OrderState.SETTLED).count() == 2


def test_unpriced_orders_block_confirmation(kailu_officer, provider, elder):
    make_order(provider, elder, CLEAN, date(2026, 9, 3))
    lonely = make_order(provider, elder, HAIRCUT, date(2026, 9, 4))
    ServicePrice.objects.filter(product__code=HAIRCUT).delete()
    statement = build(kailu_officer, provider)
    assert [o.pk for o in reads.left_out(settlement=statement)] == [lonely.pk]
    with pytest.raises(ValidationError) as refused:
        settlement.settlement_confirm(actor=kailu_officer, settlement=statement)
    assert codes(refused.value) == {E.UNPRICED}


def test_a_statement_changed_underneath_is_stale(kailu_officer, provider, elder):
    make_order(provider, elder, CLEAN, date(2026, 9, 3))
    statement = build(kailu_officer, provider)
    late = make_order(provider, elder, CLEAN, date(2026, 9, 9))  # reviewed after the draft was built
    with pytest.raises(ValidationError) as refused:
        settlement.settlement_confirm(actor=kailu_officer, settlement=statement)
    assert codes(refused.value) == {E.STALE}
    late.refresh_from_db()
    assert late.state == OrderState.REVIEWED
    price(CLEAN, "150523", 4200, date(2026, 9, 1))  # a price edited after the build
    statement = build(kailu_officer, provider)
    price(CLEAN, "150523100", 4300, date(2026, 9, 1))
    with pytest.raises(ValidationError) as again:
        settlement.settlement_confirm(actor=kailu_officer, settlement=statement)
    assert codes(again.value) == {E.STALE}


def test_a_confirmed_statement_is_immutable(kailu_officer, provider, elder):
    make_order(provider, elder, CLEAN, date(2026, 9, 3))
    statement = settlement.settlement_confirm(actor=kailu_officer, settlement=build(kailu_officer, provider))
    make_order(provider, elder, CLEAN, date(2026, 9, 9))
    for attempt in (
        lambda: build(kailu_officer, provider),
        lambda: settlement.settlement_confirm(actor=kailu_officer, settlement=statement),
    ):
        with pytest.raises(ValidationError) as refused:
            attempt()
        assert codes(refused.value) == {E.CONFIRMED}
    statement.total_fen = 1
    with pytest.raises(PermissionError):
        statement.save()
    with pytest.raises(PermissionError):
        statement.delete()
    line = statement.lines.first()
    line.amount_fen = line.self_fen = 1
    with pytest.raises(PermissionError):
        line.save()
    with pytest.raises(PermissionError):
        line.delete()
    statement.refresh_from_db()
    assert (statement.total_fen, statement.lines.count()) == (3500, 1)


def test_months_the_empty_and_the_future(kailu_officer, provider, elder):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as future:
        build(kailu_officer, provider, month=(today.replace(day=28) + timedelta(days=5)))
    assert codes(future.value) == {E.MONTH_IN_FUTURE}
    make_order(provider, elder, CLEAN, today.replace(day=1))
    current = build(kailu_officer, provider, month=today)
    with pytest.raises(ValidationError) as not_over:
        settlement.settlement_confirm(actor=kailu_officer, settlement=current)
    assert codes(not_over.value) == {E.MONTH_NOT_OVER}
    with pytest.raises(ValidationError) as empty:
        settlement.settlement_confirm(actor=kailu_officer, settlement=build(kailu_officer, provider))
    assert codes(empty.value) == {E.EMPTY}
    with pytest.raises(ValidationError) as bad:
        settlement.parse_month("2026/9")
    assert codes(bad.value) == {E.INVALID_MONTH}
    assert settlement.parse_month("2026-09") == settlement.parse_month("2026-09-17") == MONTH


def test_provider_and_county_must_match(kailu_officer, provider):
    with pytest.raises(ValidationError) as refused:
        settlement.settlement_build(
            actor=kailu_officer, provider=provider, county=county("150502000000"), month=MONTH
        )
    assert codes(refused.value) == {E.PROVIDER_COUNTY}


def test_only_county_officers_and_above_in_scope_build_and_confirm(
    kailu_officer, horqin_officer, township_officer, city_officer, provider, elder
):
    make_order(provider, elder, CLEAN, date(2026, 9, 3))
    staff = provider_user(provider)
    for actor in (township_officer, horqin_officer, staff):
        with pytest.raises(PermissionDenied):
            build(actor, provider)
    statement = build(city_officer, provider)  # the city is above the county
    for actor in (township_officer, horqin_officer, staff):
        with pytest.raises(PermissionDenied):
            settlement.settlement_confirm(actor=actor, settlement=statement)
    assert Settlement.objects.get().state == SettlementState.DRAFT


# --- who sees which statement -------------------------------------------------------------------------


def test_a_provider_sees_only_its_own_statements_and_another_county_nothing(
    kailu_officer, horqin_officer, township_officer, city_officer, provider, elder
):
    other = make_provider("150523")
    make_order(provider, elder, CLEAN, date(2026, 9, 3))
    make_order(other, elder, CLEAN, date(2026, 9, 3))
    mine, theirs = build(kailu_officer, provider), build(kailu_officer, other)
    horqin_provider = make_provider("150502")
    horqin_elder = make_elder("150502001001", name="科尔沁老人")
    make_order(horqin_provider, horqin_elder, CLEAN, date(2026, 9, 3))
    far = build(horqin_officer, horqin_provider)

    staff = provider_user(provider)
    assert list(reads.settlement_list(actor=staff)) == [mine]
    assert reads.settlement_get(actor=staff, pk=mine.pk) == mine
    with pytest.raises(Http404):
        reads.settlement_get(actor=staff, pk=theirs.pk)
    assert set(reads.settlement_list(actor=kailu_officer)) == {mine, theirs}
    with pytest.raises(Http404):
        reads.settlement_get(actor=kailu_officer, pk=far.pk)
    assert set(reads.settlement_list(actor=horqin_officer)) == {far}
    assert set(reads.settlement_list(actor=city_officer)) == {mine, theirs, far}
    assert list(reads.settlement_list(actor=township_officer)) == []
    filtered = reads.settlement_list(actor=city_officer, filters=reads.SettlementFilters(county="150502"))
    assert list(filtered) == [far]
