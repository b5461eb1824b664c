from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.conftest import HORQIN_TOWN, make_elder, make_user
from tests.residential.factories import grant_meal_subsidy, make_canteen
from yanglao.residential import selectors, services
from yanglao.residential.models import MealOrder, ResidentialEvent

DAY = date(2026, 3, 2)


@pytest.fixture
def canteen(db):
    return make_canteen()


def _menu(actor, canteen, day=DAY, meal="lunch", price=1200, fee=300):
    return services.menu_create(actor=actor, facility=canteen, on=day, meal=meal, dishes="米饭、炖菜", price_fen=price,
                                delivery_fee_fen=fee)  # fmt: skip


def _order(actor, canteen, elder, day=DAY, meal="lunch", kind="dine_in", quantity=1):
    return services.meal_order_create(actor=actor, facility=canteen, elder=elder, on=day, meal=meal, kind=kind,
                                      quantity=quantity)  # fmt: skip


def test_order_without_subsidy_is_self_paid(kailu_officer, canteen):
    elder = make_elder()
    _menu(kailu_officer, canteen)
    order = _order(kailu_officer, canteen, elder, kind="delivery", quantity=2)
    assert (order.unit_price_fen, order.amount_fen, order.subsidy_fen, order.self_fen) == (
        1500,
        3000,
        0,
        3000,
    )
    assert ResidentialEvent.objects.filter(kind="order", elder=elder).count() == 1


def test_subsidy_cap_splits_the_crossing_order(kailu_officer, canteen):
    """100 yuan a month: 8 lunches of 12 yuan use 96 yuan; the 9th is 4 yuan subsidy + 8 self; the 10th
    is all self-paid; next month the allowance is whole again."""
    elder = make_elder()
    grant_meal_subsidy(elder)
    orders = []
    for n in range(1, 11):
        day = date(2026, 3, n)
        _menu(kailu_officer, canteen, day=day)
        orders.append(_order(kailu_officer, canteen, elder, day=day))
    assert [o.subsidy_fen for o in orders[:8]] == [1200] * 8
    assert (orders[8].subsidy_fen, orders[8].self_fen) == (400, 800)
    assert (orders[9].subsidy_fen, orders[9].self_fen) == (0, 1200)
    assert sum(o.subsidy_fen for o in orders) == 10000
    _menu(kailu_officer, canteen, day=date(2026, 4, 1))
    april = _order(kailu_officer, canteen, elder, day=date(2026, 4, 1))
    assert april.subsidy_fen == 1200


def test_subsidy_exactly_at_the_cap(kailu_officer, canteen):
    elder = make_elder()
    grant_meal_subsidy(elder)
    _menu(kailu_officer, canteen, price=2500)
    first = _order(kailu_officer, canteen, elder, quantity=4)  # exactly 100 yuan
    assert (first.subsidy_fen, first.self_fen) == (10000, 0)
    _menu(kailu_officer, canteen, meal="dinner", price=1)
    after = _order(kailu_officer, canteen, elder, meal="dinner")
    assert (after.subsidy_fen, after.self_fen) == (0, 1)


def test_subsidy_needs_a_grant_valid_on_the_day(kailu_officer, canteen):
    elder = make_elder()
    grant_meal_subsidy(elder, valid_from=date(2026, 3, 5))
    _menu(kailu_officer, canteen)
    assert _order(kailu_officer, canteen, elder).subsidy_fen == 0


def test_split_subsidy_never_negative():
    assert services.split_subsidy(amount_fen=500, allowance_fen=10000, used_fen=12000) == (0, 500)
    assert services.split_subsidy(amount_fen=500, allowance_fen=0, used_fen=0) == (0, 500)


def test_over_capacity_refused_and_nothing_written(kailu_officer):
    canteen = make_canteen(capacity=3)
    elder = make_elder()
    _menu(kailu_officer, canteen)
    _menu(kailu_officer, canteen, meal="dinner")
    _order(kailu_officer, canteen, elder, quantity=2)
    _order(kailu_officer, canteen, elder, meal="dinner")  # 3 of 3: at capacity is allowed
    with pytest.raises(ValidationError) as exc:
        _order(kailu_officer, canteen, elder)
    assert exc.value.error_dict["quantity"][0].code == "over_capacity"
    assert MealOrder.objects.count() == 2
    day = selectors.canteen_day(facility=canteen, day=DAY)
    assert (day.portions, day.capacity, day.left, day.over) == (3, 3, 0, False)


def test_capacity_check_five_percent():
    from yanglao.facilities.models import Facility

    assert selectors.capacity_check(Facility(meal_capacity=50, residents_65_served=1000)).status == "ok"
    assert selectors.capacity_check(Facility(meal_capacity=50, residents_65_served=1001)).required == 51
    assert selectors.capacity_check(Facility(meal_capacity=50, residents_65_served=1001)).status == "short"
    assert selectors.capacity_check(Facility(meal_capacity=None, residents_65_served=10)).status == "unknown"


def test_order_needs_a_menu_and_one_menu_per_meal(kailu_officer, canteen):
    elder = make_elder()
    with pytest.raises(ValidationError) as exc:
        _order(kailu_officer, canteen, elder)
    assert exc.value.error_dict["meal"][0].code == "no_menu"
    _menu(kailu_officer, canteen)
    with pytest.raises(ValidationError) as exc:
        _menu(kailu_officer, canteen)
    assert exc.value.error_dict["meal"][0].code == "menu_exists"


def test_not_a_canteen_refused(kailu_officer):
    from tests.residential.factories import make_centre

    centre = make_centre()
    with pytest.raises(ValidationError) as exc:
        _menu(kailu_officer, centre)
    assert exc.value.error_dict["facility"][0].code == "not_canteen"


def test_other_county_cannot_write(horqin_officer, kailu_officer, canteen):
    elder = make_elder()
    with pytest.raises(PermissionDenied):
        _menu(horqin_officer, canteen)
    _menu(kailu_officer, canteen)
    with pytest.raises(PermissionDenied):
        _order(horqin_officer, canteen, elder)
    foreign = make_elder(HORQIN_TOWN + "001", name="科尔沁老人")
    with pytest.raises(PermissionDenied):  # an elder outside the officer's scope
        _order(kailu_officer, canteen, foreign)
    assert MealOrder.objects.count() == 0


def test_operator_sees_only_its_own_canteen(kailu_officer, canteen):
    other = make_canteen(name="另一食堂")
    operator = make_user("canteen-op", "operator", canteen.region_id, facility=canteen)
    assert [c.pk for c in selectors.canteen_list(actor=operator, day=DAY)] == [canteen.pk]
    _menu(kailu_officer, other)
    _menu(operator, canteen)
    assert {m.facility_id for m in selectors.menu_list(actor=operator)} == {canteen.pk}
    with pytest.raises(PermissionDenied):
        _menu(operator, other, meal="dinner")
    # it orders for the elders of its township
    elder = make_elder("150523100001")
    assert _order(operator, canteen, elder).pk


def test_statement_reconciles(kailu_officer, canteen):
    a, b = make_elder(name="甲"), make_elder(name="乙")
    grant_meal_subsidy(a)
    for n in range(1, 10):
        day = date(2026, 3, n)
        _menu(kailu_officer, canteen, day=day, price=1300)
        _order(kailu_officer, canteen, a, day=day)
        _order(kailu_officer, canteen, b, day=day, kind="delivery")
    s = selectors.meal_statement(facility=canteen, month=date(2026, 3, 17))
    orders = MealOrder.objects.filter(facility=canteen)
    assert s.totals["amount"] == sum(o.amount_fen for o in orders) == 9 * 1300 + 9 * 1600
    assert s.totals["subsidy"] == 10000 and s.totals["self_paid"] == s.totals["amount"] - 10000
    assert sum(r["amount"] for r in s.elders) == sum(r["amount"] for r in s.days) == s.totals["amount"]
    assert s.totals["elders"] == 2 and s.totals["portions"] == 18
    empty = selectors.meal_statement(facility=canteen, month=date(2026, 2, 1))
    assert empty.totals["amount"] == 0 and empty.elders == []
