"""The console pages: they render, bad input gets a Chinese message under its field and changes
nothing, the operator's quick attendance page works with its big buttons."""

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from tests.conftest import make_elder, make_user
from tests.residential.factories import grant_meal_subsidy, make_canteen, make_centre
from yanglao.residential import services
from yanglao.residential.models import Attendance, Enrolment, MealOrder, Menu, RespiteStay

DAY = date(2026, 3, 2)


@pytest.fixture
def canteen(db):
    return make_canteen()


@pytest.fixture
def centre(db):
    return make_centre()


def test_canteen_pages_render(client_for, kailu_officer, canteen):
    client = client_for(kailu_officer)
    body = client.get("/residential/meals/").content.decode()
    assert "开鲁镇老年食堂" in body and "达标" in body
    body = client.get(f"/residential/meals/{canteen.pk}/", {"date": "2026-03-02"}).content.decode()
    assert "日供餐能力 50 份" in body and "发布菜单" in body and "订餐" in body


def test_menu_and_order_through_the_forms(client_for, kailu_officer, canteen):
    client = client_for(kailu_officer)
    elder = make_elder(name="王秀英")
    grant_meal_subsidy(elder)
    r = client.post(f"/residential/meals/{canteen.pk}/menu/",
                    {"date": "2026-03-02", "meal": "lunch", "dishes": "饺子", "price": "12.50", "delivery_fee": "3"})  # fmt: skip
    assert r.status_code == 302
    menu = Menu.objects.get()
    assert (menu.price_fen, menu.delivery_fee_fen) == (1250, 300)
    r = client.post(f"/residential/meals/{canteen.pk}/orders/",
                    {"elder": "王秀英", "date": "2026-03-02", "meal": "lunch", "kind": "delivery", "quantity": "2"})  # fmt: skip
    assert r.status_code == 302
    order = MealOrder.objects.get()
    assert (order.amount_fen, order.subsidy_fen, order.self_fen) == (3100, 3100, 0)
    body = client.get(r.url).content.decode()
    assert "王秀英" in body and "31.00" in body


def test_menu_form_errors(client_for, kailu_officer, canteen):
    client = client_for(kailu_officer)
    r = client.post(f"/residential/meals/{canteen.pk}/menu/",
                    {"date": "2026-13-45", "meal": "supper", "dishes": "", "price": "12.345"})  # fmt: skip
    body = r.content.decode()
    assert r.status_code == 200
    for message in ("日期格式不对", "请选择餐次", "请填写菜品", "每份价格（元）应为元"):
        assert message in body, message
    services.menu_create(
        actor=kailu_officer, facility=canteen, on=DAY, meal="lunch", dishes="面", price_fen=1000
    )
    r = client.post(f"/residential/meals/{canteen.pk}/menu/",
                    {"date": "2026-03-02", "meal": "lunch", "dishes": "饭", "price": "10"})  # fmt: skip
    assert "当天这一餐已有菜单" in r.content.decode()
    assert Menu.objects.count() == 1


def test_order_form_errors(client_for, kailu_officer):
    canteen = make_canteen(capacity=1)
    client = client_for(kailu_officer)
    make_elder(name="同名")
    make_elder(name="同名")
    make_elder(name="独一")
    url = f"/residential/meals/{canteen.pk}/orders/"
    body = client.post(
        url, {"elder": "查无此人", "date": "x", "meal": "", "kind": "fly", "quantity": "0"}
    ).content.decode()
    for message in ("没有找到该老年人", "日期格式不对", "请选择餐次", "请选择堂食或送餐", "份数应为 1–10"):
        assert message in body, message
    body = client.post(url, {"elder": "同名", "date": "2026-03-02", "meal": "lunch", "kind": "dine_in",
                             "quantity": "1"}).content.decode()  # fmt: skip
    assert "找到多位老年人" in body
    body = client.post(url, {"elder": "独一", "date": "2026-03-02", "meal": "lunch", "kind": "dine_in",
                             "quantity": "1"}).content.decode()  # fmt: skip
    assert "还没有菜单" in body
    services.menu_create(
        actor=kailu_officer, facility=canteen, on=DAY, meal="lunch", dishes="面", price_fen=1000
    )
    body = client.post(url, {"elder": "独一", "date": "2026-03-02", "meal": "lunch", "kind": "dine_in",
                             "quantity": "2"}).content.decode()  # fmt: skip
    assert "超出食堂当日供餐能力" in body
    assert MealOrder.objects.count() == 0


def test_statement_page_and_xlsx(client_for, kailu_officer, canteen):
    elder = make_elder(name="赵大妈")
    grant_meal_subsidy(elder)
    services.menu_create(
        actor=kailu_officer, facility=canteen, on=DAY, meal="lunch", dishes="面", price_fen=1000
    )
    services.meal_order_create(
        actor=kailu_officer, facility=canteen, elder=elder, on=DAY, meal="lunch", quantity=3
    )
    client = client_for(kailu_officer)
    body = client.get(f"/residential/meals/{canteen.pk}/statement/", {"month": "2026-03"}).content.decode()
    assert "赵大妈" in body and "30.00" in body
    assert (
        "月份格式不对"
        in client.get(f"/residential/meals/{canteen.pk}/statement/", {"month": "2026-13"}).content.decode()
    )
    r = client.get(f"/residential/meals/{canteen.pk}/statement.xlsx", {"month": "2026-03"})
    book = load_workbook(io.BytesIO(r.content))
    rows = list(book["按老年人"].iter_rows(values_only=True))
    assert rows[2][:3] == ("赵大妈", 1, 3) and rows[-1][0] == "合计" and rows[-1][4] == "30.00"


def test_operator_quick_attendance(client_for, centre):
    operator = make_user("centre-op", "operator", centre.region_id, facility=centre)
    elder = make_elder(name="孙奶奶")
    services.enrol(actor=operator, facility=centre, elder=elder, start_date=date(2026, 1, 1))
    client = client_for(operator)
    body = client.get(f"/residential/daycare/{centre.pk}/").content.decode()
    assert "孙奶奶" in body and "btn-big" in body and "签到" in body
    url = f"/residential/daycare/{centre.pk}/attendance/"
    assert client.post(url, {"elder": elder.pk, "action": "in"}).status_code == 302
    r = client.post(url, {"elder": elder.pk, "action": "in"}, follow=True)
    assert "今天已签到，不能重复签到" in r.content.decode()
    assert Attendance.objects.count() == 1
    client.post(url, {"elder": elder.pk, "action": "out"})
    assert Attendance.objects.get().check_out_at is not None
    body = client.get(f"/residential/daycare/{centre.pk}/").content.decode()
    assert "已离开" in body
    assert "请选择老年人" in client.post(url, {"action": "jump"}, follow=True).content.decode()


def test_enrol_and_respite_forms(client_for, kailu_officer, centre):
    client = client_for(kailu_officer)
    make_elder(name="钱爷爷")
    body = client.post(
        f"/residential/daycare/{centre.pk}/enrol/", {"elder": "", "start_date": ""}
    ).content.decode()
    assert "请填写老年人" in body and "请填写开始日期" in body
    assert (
        client.post(
            f"/residential/daycare/{centre.pk}/enrol/", {"elder": "钱爷爷", "start_date": "2026-01-01"}
        ).status_code
        == 302
    )
    assert Enrolment.objects.count() == 1
    body = client.post(
        f"/residential/daycare/{centre.pk}/enrol/", {"elder": "钱爷爷", "start_date": "2026-01-01"}
    ).content.decode()
    assert "已在本中心登记日间照料" in body
    url = f"/residential/daycare/{centre.pk}/respite/"
    body = client.post(
        url, {"elder": "钱爷爷", "start_date": "2026-03-05", "end_date": "2026-03-01"}
    ).content.decode()
    assert "结束日期不能早于开始日期" in body
    assert (
        client.post(
            url, {"elder": "钱爷爷", "start_date": "2026-03-01", "end_date": "2026-03-05"}
        ).status_code
        == 302
    )
    body = client.post(
        url, {"elder": "钱爷爷", "start_date": "2026-03-04", "end_date": "2026-03-06"}
    ).content.decode()
    assert "时间重叠" in body
    assert RespiteStay.objects.count() == 1
    body = client.get(f"/residential/daycare/{centre.pk}/", {"month": "2026-03"}).content.decode()
    assert "喘息服务 1 次、5 天" in body
    assert 'data-label="在托人数">1<' in client.get("/residential/daycare/").content.decode()


def test_list_query_count_is_flat(client_for, kailu_officer, django_assert_max_num_queries):
    for n in range(5):
        make_canteen(name=f"食堂{n}")
        make_centre(name=f"中心{n}")
    client = client_for(kailu_officer)
    client.get("/residential/meals/")  # warm the session/user caches
    with django_assert_max_num_queries(12):
        assert client.get("/residential/meals/").status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get("/residential/daycare/").status_code == 200


def test_caregiver_has_no_access(client_for, caregiver, canteen):
    assert client_for(caregiver).get("/residential/meals/").status_code == 403
    assert client_for(caregiver).get(f"/residential/meals/{canteen.pk}/").status_code == 403
