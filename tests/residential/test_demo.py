from datetime import date

from tests.conftest import KAILU_TOWN, make_elder, make_facility
from tests.residential.factories import grant_meal_subsidy, make_canteen
from yanglao.demo.residential import seed_residential
from yanglao.residential.models import Attendance, Enrolment, MealOrder, Menu, RespiteStay


def test_demo_week_of_meals_and_day_care_once(db):
    make_canteen(capacity=200)
    make_canteen(name="第二食堂", capacity=100)
    make_facility(KAILU_TOWN, name="开鲁县养老服务中心", type="county_centre")
    make_facility(KAILU_TOWN, name="开鲁镇区域养老服务中心", type="township_centre")
    elders = [make_elder(f"{KAILU_TOWN}001", name=f"老人{n}") for n in range(8)]
    for elder in elders[:4]:
        grant_meal_subsidy(elder, valid_from=date(2020, 1, 1))
    orders, enrolled = seed_residential(seed=7)
    assert orders == MealOrder.objects.count() > 0
    assert Menu.objects.count() == 2 * 7 * 3
    assert MealOrder.objects.filter(subsidy_fen__gt=0).exists()
    assert enrolled == Enrolment.objects.count() == 16
    assert Attendance.objects.exists() and RespiteStay.objects.exists()
    before = (
        Menu.objects.count(),
        MealOrder.objects.count(),
        Enrolment.objects.count(),
        Attendance.objects.count(),
    )
    assert seed_residential(seed=7) == (0, 0)
    after = (
        Menu.objects.count(),
        MealOrder.objects.count(),
        Enrolment.objects.count(),
        Attendance.objects.count(),
    )
    assert after == before
