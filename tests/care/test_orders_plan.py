"""The month's plan: orders generated from home-service entitlements, one per elder per day, with
the provider covering the elder's township — idempotent, bulk, and refused outside the officer's
county; the management command and the officer's button."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.care import order_factories as f
from tests.conftest import KAILU_VILLAGE, make_elder
from yanglao.benefits.models import EntitlementGrant, EntitlementRule
from yanglao.care import orders
from yanglao.care.models import OrderSource, WorkOrder, WorkOrderEvent
from yanglao.elders.services import category_add

TODAY = timezone.localdate()
NEXT = (TODAY.replace(day=28) + timedelta(days=4)).replace(day=1)  # the first of next month
DAYS_NEXT = ((NEXT.replace(day=28) + timedelta(days=4)).replace(day=1) - NEXT).days


def entitled(name, *, village=KAILU_VILLAGE, born=date(1940, 5, 5)):
    """An elder the default rule gives one hour a day (低保, aged 80+)."""
    elder = make_elder(village, name=name, born=born)
    category_add(actor=None, elder=elder, category="subsistence", valid_from=date(2024, 1, 1))
    rule = EntitlementRule.objects.get(code="home-service-1h")
    EntitlementGrant.objects.create(
        elder=elder, rule=rule, region_code=elder.region_id, valid_from=date(2024, 1, 1)
    )
    return elder


@pytest.fixture
def w(db):
    return f.build()


def test_generates_one_order_per_elder_per_day(w, kailu_officer):
    a, b = entitled("甲老人"), entitled("乙老人")
    make_elder(KAILU_VILLAGE, name="无待遇")
    result = orders.orders_generate_month(actor=kailu_officer, county="150523", month=NEXT)
    assert (result.elders, result.created, result.existing) == (2, 2 * DAYS_NEXT, 0)
    made = WorkOrder.objects.filter(source=OrderSource.PLAN)
    assert made.count() == 2 * DAYS_NEXT
    assert set(made.values_list("elder_id", flat=True)) == {a.pk, b.pk}
    order = made.filter(elder=a, scheduled_date=NEXT).get()
    assert order.product.code == "01.03.06" and order.quantity == 1 and order.provider_id == w.provider.pk
    assert order.plan_key == f"plan:{a.pk}:{NEXT:%Y%m%d}" and order.grant_id is not None
    assert order.region_code == KAILU_VILLAGE and order.number.startswith(f"GD150523{NEXT:%Y%m%d}")
    assert (
        WorkOrderEvent.objects.filter(order__source=OrderSource.PLAN, kind="created").count() == 2 * DAYS_NEXT
    )
    assert "新生成工单" in result.message


def test_running_again_creates_no_duplicates(w, kailu_officer):
    entitled("甲老人")
    first = orders.orders_generate_month(actor=kailu_officer, county="150523", month=NEXT)
    again = orders.orders_generate_month(actor=kailu_officer, county="150523", month=NEXT)
    assert again.created == 0 and again.existing == first.created == DAYS_NEXT
    assert WorkOrder.objects.filter(source=OrderSource.PLAN).count() == DAYS_NEXT
    # a new entitled elder later in the month: only that elder's orders are added
    entitled("丙老人")
    third = orders.orders_generate_month(actor=kailu_officer, county="150523", month=NEXT)
    assert (third.created, third.existing) == (DAYS_NEXT, DAYS_NEXT)


def test_the_current_month_starts_today(w, kailu_officer):
    entitled("甲老人")
    result = orders.orders_generate_month(actor=kailu_officer, county="150523", month=f"{TODAY:%Y-%m}")
    days = {o.scheduled_date for o in WorkOrder.objects.filter(source=OrderSource.PLAN)}
    assert min(days) == TODAY and result.created == len(days)


def test_generation_is_a_few_queries_whatever_the_number_of_elders(w, kailu_officer):
    for i in range(6):
        entitled(f"老人{i}")
    with CaptureQueriesContext(connection) as queries:
        result = orders.orders_generate_month(actor=kailu_officer, county="150523", month=NEXT)
    assert result.created == 6 * DAYS_NEXT
    # region, product, grants, coverage, existing keys, last numbers, audit, savepoints — and bulk
    # inserts (several on SQLite, whose statements hold at most 999 parameters; one on PostgreSQL)
    others = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith('INSERT INTO "care_')]
    assert len(others) <= 11, others


def test_elders_without_a_covering_provider_are_reported(w, kailu_officer):
    entitled("乡下老人", village="150523101200")  # 大榆树镇: not covered
    result = orders.orders_generate_month(actor=kailu_officer, county="150523", month=NEXT)
    assert result.created == 0 and len(result.without_provider) == 1
    assert "没有签约服务商" in result.message


def test_refusals(w, kailu_officer, township_officer, horqin_officer):
    with pytest.raises(PermissionDenied):
        orders.orders_generate_month(actor=township_officer, county="150523", month=NEXT)
    with pytest.raises(PermissionDenied):
        orders.orders_generate_month(actor=horqin_officer, county="150523", month=NEXT)
    with pytest.raises(PermissionDenied):
        orders.orders_generate_month(actor=w.staff, county="150523", month=NEXT)
    last_month = (TODAY.replace(day=1) - timedelta(days=1)).replace(day=1)
    for county, month, code in (("150523", last_month, "month_past"), ("150523", "2026-13", "month_invalid"),
                                ("150523100", NEXT, "county_required"), ("xx", NEXT, "county_required")):  # fmt: skip
        with pytest.raises(ValidationError) as caught:
            orders.orders_generate_month(actor=kailu_officer, county=county, month=month)
        assert next(iter(caught.value.error_dict.values()))[0].code == code


def test_the_command(w, capsys):
    entitled("甲老人")
    call_command("generate_orders", "--county", "150523", "--month", f"{NEXT:%Y-%m}")
    assert f"新生成工单 {DAYS_NEXT} 张" in capsys.readouterr().out
    call_command("generate_orders", "--county", "150523", "--month", f"{NEXT:%Y-%m}")
    assert "新生成工单 0 张" in capsys.readouterr().out
    assert WorkOrder.objects.filter(source=OrderSource.PLAN).count() == DAYS_NEXT


def test_the_button(w, kailu_officer, township_officer, client_for):
    entitled("甲老人")
    client = client_for(kailu_officer)
    page = client.get(reverse("care:order_generate")).content.decode()
    assert "开鲁县" in page and "生成工单" in page
    response = client.post(
        reverse("care:order_generate"), {"county": "150523", "month": f"{NEXT:%Y-%m}"}, follow=True
    )
    assert f"新生成工单 {DAYS_NEXT} 张" in response.content.decode()
    bad = client.post(reverse("care:order_generate"), {"county": "150523", "month": "下个月"})
    assert bad.status_code == 422 and "月份格式不对" in bad.content.decode()
    empty = client.post(reverse("care:order_generate"), {"county": "", "month": ""})
    body = empty.content.decode()
    assert "请选择旗县" in body and "请填写月份" in body
    # a township officer has no county to choose
    refused = client_for(township_officer).post(
        reverse("care:order_generate"), {"county": "150523", "month": f"{NEXT:%Y-%m}"}
    )
    assert refused.status_code == 422
    assert WorkOrder.objects.filter(source=OrderSource.PLAN).count() == DAYS_NEXT
