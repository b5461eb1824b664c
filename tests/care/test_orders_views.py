"""The work-order pages: the list (filters, scope, a pinned query count), a new order (each field's
error in Chinese, nothing written), the order page and its action forms, the anomaly decision, the
provider's day, and the caregiver's phone page (check-in, check-out with photos, failure, phone)."""

import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.care import order_factories as f
from tests.care.factories import add_certificate, make_caregiver
from tests.conftest import HORQIN_TOWN, make_elder
from yanglao.care import orders
from yanglao.care.models import OrderState, VisitPhoto, WorkOrder
from yanglao.core.models import AuditEntry

TODAY = timezone.localdate()


@pytest.fixture
def w(db):
    return f.build()


def html(response) -> str:
    return response.content.decode()


# --- the list -------------------------------------------------------------------------------------


def test_list_shows_the_county_and_filters(w, kailu_officer, client_for):
    requested = f.officer_order(w, kailu_officer)
    done = f.order_in(w, kailu_officer, "checked_out")
    flagged = f.order_in(w, kailu_officer, "dispatched")
    orders.order_check_out(actor=w.caregiver_user, order=f.fresh(flagged))  # no check-in: pending
    client = client_for(kailu_officer)
    page = html(client.get(reverse("care:order_list")))
    assert all(o.number in page for o in (requested, done, flagged))
    only = html(client.get(reverse("care:order_list"), {"state": "requested"}))
    assert requested.number in only and done.number not in only
    pending = html(client.get(reverse("care:order_list"), {"anomaly": "pending"}))
    assert flagged.number in pending and done.number not in pending and "待处理" in pending
    by_number = html(client.get(reverse("care:order_list"), {"q": done.number.lower()}))
    assert done.number in by_number and requested.number not in by_number
    assert requested.number in html(client.get(reverse("care:order_list"), {"q": "王秀兰"}))
    assert requested.number not in html(client.get(reverse("care:order_list"), {"q": "无此人"}))
    assert requested.number in html(
        client.get(reverse("care:order_list"), {"category": "01", "provider": w.provider.pk})
    )
    assert requested.number not in html(client.get(reverse("care:order_list"), {"category": "02"}))
    future = html(
        client.get(reverse("care:order_list"), {"date_from": f"{TODAY + timedelta(days=1):%Y-%m-%d}"})
    )
    assert requested.number not in future
    by_caregiver = html(client.get(reverse("care:order_list"), {"caregiver": w.caregiver.pk}))
    assert done.number in by_caregiver and requested.number not in by_caregiver
    backwards = html(
        client.get(reverse("care:order_list"), {"date_from": "2026-05-02", "date_to": "2026-05-01"})
    )
    assert "结束日期不能早于开始日期" in backwards


def test_list_of_another_county_is_empty(w, kailu_officer, horqin_officer, client_for):
    order = f.officer_order(w, kailu_officer)
    page = html(client_for(horqin_officer).get(reverse("care:order_list")))
    assert order.number not in page and "没有符合条件的工单" in page
    assert order.number not in html(
        client_for(kailu_officer).get(reverse("care:order_list"), {"region": "150502"})
    )


def test_provider_and_caregiver_see_only_their_own(w, kailu_officer, client_for):
    other = f.build(elder_name="赵淑珍")
    mine = f.order_in(w, kailu_officer, "dispatched")
    theirs = f.order_in(other, kailu_officer, "dispatched")
    page = html(client_for(w.staff).get(reverse("care:order_list")))
    assert mine.number in page and theirs.number not in page
    page = html(client_for(w.caregiver_user).get(reverse("care:order_list")))
    assert mine.number in page and theirs.number not in page
    assert client_for(w.staff).get(reverse("care:order_detail", args=[theirs.pk])).status_code == 404
    assert client_for(w.caregiver_user).get(reverse("care:order_detail", args=[theirs.pk])).status_code == 404


def test_list_query_count_does_not_grow_with_rows(w, kailu_officer, client_for):
    f.order_in(w, kailu_officer, "dispatched")
    client = client_for(kailu_officer)
    client.get(reverse("care:order_list"))
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("care:order_list"), {"page_size": 50})
    for i in range(12):
        other = make_elder("150523100002", name=f"批量{i}")
        orders.order_create(actor=kailu_officer, elder=other, product=f.product(f.CLEAN), provider=w.provider,
                            scheduled_date=TODAY)  # fmt: skip
    f.order_in(w, kailu_officer, "checked_out")
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("care:order_list"), {"page_size": 50})
    assert html(response).count("<code>GD") == 14
    assert len(many) == len(few)


def test_roles_without_care_get_403(client_for, db):
    from tests.conftest import make_user

    operator = make_user("op-x", "desk", "150523")
    assert client_for(operator).get(reverse("care:order_list")).status_code == 403
    assert client_for(operator).get(reverse("care:mobile")).status_code == 403


# --- a new order ----------------------------------------------------------------------------------


def _form(w, **overrides):
    data = {
        "elder": w.elder.pk,
        "product": f.product(f.CARE).pk,
        "scheduled_date": f"{TODAY:%Y-%m-%d}",
        "window_start": "09:00",
        "window_end": "10:00",
        "quantity": "1",
        "provider": w.provider.pk,
        "source": "officer",
        "request_note": "",
    }
    data.update(overrides)
    return data


def test_create_an_order(w, kailu_officer, client_for):
    client = client_for(kailu_officer)
    page = html(client.get(reverse("care:order_create"), {"elder": w.elder.pk}))
    assert "王秀兰" in page and "新建工单" in page
    response = client.post(
        reverse("care:order_create"), _form(w, source="request", request_note="女儿来电，需要助浴")
    )
    order = WorkOrder.objects.get()
    assert response.status_code == 302 and response.url == reverse("care:order_detail", args=[order.pk])
    assert (order.source, order.request_note, order.state) == ("request", "女儿来电，需要助浴", "requested")
    assert order.window_start.hour == 9


@pytest.mark.parametrize(
    ("overrides", "field_message"),
    [
        ({"elder": ""}, "请搜索并选择老年人"),
        ({"product": ""}, "请选择服务产品"),
        ({"scheduled_date": "明天"}, "服务日期格式不对"),
        ({"scheduled_date": "2020-01-01"}, "服务日期不能早于今天"),
        ({"window_end": "08:00"}, "结束时间须晚于开始时间"),
        ({"window_end": ""}, "同时填写开始和结束时间"),
        ({"window_start": "9点"}, "时间格式不对"),
        ({"quantity": "0"}, "数量至少为 1"),
        ({"provider": ""}, "请选择服务商"),
        ({"source": "request"}, "请填写需求说明"),
        ({"product": "__meal__"}, "该服务产品不适用"),
    ],
)
def test_create_form_errors_in_chinese(w, kailu_officer, client_for, overrides, field_message):
    if overrides.get("product") == "__meal__":
        from yanglao.care.models import ServiceProduct

        overrides = {"product": ServiceProduct.objects.get(code="02.02.01").pk}  # 送餐: no provider covers it
        field_message = "不覆盖"
    response = client_for(kailu_officer).post(reverse("care:order_create"), _form(w, **overrides))
    assert response.status_code == 422
    assert field_message in html(response)
    assert not WorkOrder.objects.exists()


def test_create_refuses_a_provider_not_covering_the_elder(w, kailu_officer, client_for):
    far = make_elder("150523101200", name="大榆树老人")
    response = client_for(kailu_officer).post(reverse("care:order_create"), _form(w, elder=far.pk))
    assert response.status_code == 422 and "不覆盖该老年人所在区域" in html(response)
    assert not WorkOrder.objects.exists()


def test_elder_search_and_provider_options(w, kailu_officer, horqin_officer, client_for):
    make_elder(HORQIN_TOWN + "001", name="王秀兰")  # same name in 科尔沁区
    client = client_for(kailu_officer)
    fragment = html(client.get(reverse("care:order_elder_search"), {"elder_q": "王秀兰"}))
    assert fragment.count('name="elder"') == 1 and f'value="{w.elder.pk}"' in fragment
    assert "没有找到" in html(client.get(reverse("care:order_elder_search"), {"elder_q": "查无此人"}))
    options = html(client.get(reverse("care:order_provider_options"),
                              {"elder": w.elder.pk, "product": f.product(f.CARE).pk, "scheduled_date": f"{TODAY:%Y-%m-%d}"}))  # fmt: skip
    assert w.provider.operator.name in options
    none = html(client.get(reverse("care:order_provider_options"),
                           {"elder": w.elder.pk, "product": f.product("02.02.01").pk}))  # fmt: skip
    assert "没有承接此项服务的签约服务商" in none


# --- the order page and its forms -----------------------------------------------------------------


def test_detail_shows_the_visit_and_the_history(w, kailu_officer, client_for):
    order = f.order_in(w, kailu_officer, "checked_out")
    page = html(client_for(kailu_officer).get(reverse("care:order_detail", args=[order.pk])))
    assert order.number in page and "已完成" in page
    assert "距老人住址" in page and "0 米" in page and "openstreetmap.org" in page
    for label in ("新建", "受理", "派单", "签到", "签退"):
        assert label in page
    assert "登记评价" in page  # the officer may enter the return visit
    assert "40.00 元" in page


def test_provider_accepts_refuses_and_dispatches_from_the_page(w, kailu_officer, client_for):
    order = f.officer_order(w, kailu_officer)
    client = client_for(w.staff)
    page = html(client.get(reverse("care:order_detail", args=[order.pk])))
    assert "受理工单" in page and "拒单" in page
    bad = client.post(reverse("care:order_action", args=[order.pk, "refuse"]), {"refuse-reason": ""})
    assert bad.status_code == 422 and "请填写原因" in html(bad)
    client.post(reverse("care:order_action", args=[order.pk, "accept"]))
    assert f.fresh(order).state == OrderState.ACCEPTED
    missing = client.post(
        reverse("care:order_action", args=[order.pk, "dispatch"]), {"dispatch-caregiver": ""}
    )
    assert missing.status_code == 422 and "请选择护理员" in html(missing)
    response = client.post(reverse("care:order_action", args=[order.pk, "dispatch"]),
                           {"dispatch-caregiver": w.caregiver.pk, "dispatch-window_start": "14:00", "dispatch-window_end": "15:00"})  # fmt: skip
    assert response.status_code == 302
    stored = f.fresh(order)
    assert stored.state == OrderState.DISPATCHED and stored.caregiver_id == w.caregiver.pk
    assert stored.window_start.hour == 14


def test_dispatch_of_an_expired_certificate_says_why(kailu_officer, client_for):
    w = f.build(certificate_expires=TODAY - timedelta(days=1))
    order = f.order_in(w, kailu_officer, "accepted")
    page = html(client_for(w.staff).get(reverse("care:order_detail", args=[order.pk])))
    assert "不可派" in page and "过期" in page
    response = client_for(w.staff).post(reverse("care:order_action", args=[order.pk, "dispatch"]),
                                        {"dispatch-caregiver": w.caregiver.pk})  # fmt: skip
    assert response.status_code == 422 and "养老护理员证书已于" in html(response)
    assert f.fresh(order).state == OrderState.ACCEPTED


def test_illegal_step_from_the_page_is_a_message(w, kailu_officer, client_for):
    order = f.order_in(w, kailu_officer, "accepted")
    response = client_for(w.staff).post(reverse("care:order_action", args=[order.pk, "accept"]), follow=True)
    assert "当前状态为“已受理”，不能受理" in html(response)
    assert (
        client_for(w.staff).post(reverse("care:order_action", args=[order.pk, "settle"])).status_code == 404
    )


def test_review_form_errors_and_success(w, kailu_officer, client_for):
    order = f.order_in(w, kailu_officer, "checked_out")
    client = client_for(kailu_officer)
    bad = client.post(
        reverse("care:order_action", args=[order.pk, "review"]), {"review-rating": "9", "review-channel": ""}
    )
    body = html(bad)
    assert bad.status_code == 422 and "评分须为 1–5 分" in body and "请选择评价方式" in body
    client.post(reverse("care:order_action", args=[order.pk, "review"]),
                {"review-rating": "4", "review-channel": "phone", "review-comment": "电话回访满意"})  # fmt: skip
    stored = f.fresh(order)
    assert (stored.state, stored.rating, stored.comment) == (OrderState.REVIEWED, 4, "电话回访满意")


def test_anomaly_decision_form(w, kailu_officer, client_for):
    order = f.order_in(w, kailu_officer, "dispatched")
    orders.order_check_out(actor=w.caregiver_user, order=f.fresh(order))
    client = client_for(kailu_officer)
    page = html(client.get(reverse("care:order_detail", args=[order.pk])))
    assert "未签到即签退" in page and "提交处理结果" in page
    bad = client.post(
        reverse("care:order_anomaly", args=[order.pk]), {"anomaly-decision": "", "anomaly-reason": ""}
    )
    assert (
        bad.status_code == 422
        and "请选择“予以结算”或“不予结算”" in html(bad)
        and "请填写处理理由" in html(bad)
    )
    assert f.fresh(order).anomaly_decision == "pending"
    client.post(
        reverse("care:order_anomaly", args=[order.pk]),
        {"anomaly-decision": "no_pay", "anomaly-reason": "无法核实"},
    )
    assert f.fresh(order).anomaly_decision == "no_pay"
    assert "不予结算" in html(client.get(reverse("care:order_detail", args=[order.pk])))
    # the provider cannot decide
    assert client_for(w.staff).post(reverse("care:order_anomaly", args=[order.pk]), {}).status_code == 403


# --- the provider's day ---------------------------------------------------------------------------


def test_dispatch_board(w, kailu_officer, client_for):
    requested = f.officer_order(w, kailu_officer)
    accepted = f.order_in(w, kailu_officer, "accepted")
    lapsed = make_caregiver(w.provider, name="证书过期者", skills=[f.CARE])
    add_certificate(lapsed, level=2, issued=TODAY - timedelta(days=800), expires=TODAY - timedelta(days=1))
    client = client_for(w.staff)
    page = html(client.get(reverse("care:dispatch")))
    assert requested.elder.name in page and "受理" in page and "派单" in page
    assert w.caregiver.name in page and "证书过期者 的养老护理员证书已于" in page
    here = reverse("care:dispatch")
    response = client.post(reverse("care:order_action", args=[accepted.pk, "dispatch"]),
                           {"dispatch-caregiver": lapsed.pk, "next": here})  # fmt: skip
    assert response.status_code == 302 and response.url == here
    assert "过期" in html(client.get(here))
    client.post(
        reverse("care:order_action", args=[accepted.pk, "dispatch"]),
        {"dispatch-caregiver": w.caregiver.pk, "next": here},
    )
    assert f.fresh(accepted).state == OrderState.DISPATCHED
    # an officer has no dispatch page; an unsafe "next" is ignored
    assert client_for(kailu_officer).get(reverse("care:dispatch")).status_code == 403
    response = client.post(
        reverse("care:order_action", args=[requested.pk, "accept"]), {"next": "https://evil.example/"}
    )
    assert response.url == reverse("care:order_detail", args=[requested.pk])


# --- the caregiver's phone page -------------------------------------------------------------------


def _png() -> io.BytesIO:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 80, 60)).save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = "service.png"
    return buffer


def test_phone_page_lists_the_day_in_time_order(w, kailu_officer, client_for):
    late = f.order_in(w, kailu_officer, "dispatched")
    early = f.order_in(w, kailu_officer, "dispatched")
    WorkOrder.objects.filter(pk=late.pk).update(window_start="15:00", window_end="16:00")
    WorkOrder.objects.filter(pk=early.pk).update(window_start="08:00", window_end="09:00")
    tomorrow = f.officer_order(w, kailu_officer, day=TODAY + timedelta(days=1))
    page = html(client_for(w.caregiver_user).get(reverse("care:mobile")))
    assert page.index(early.number) < page.index(late.number)
    assert tomorrow.number not in page
    assert "签到" in page and "开鲁镇民主社区 3 号楼" in page and "拨打电话" in page


def test_phone_page_for_an_unlinked_caregiver(caregiver, client_for):
    assert "尚未关联护理员档案" in html(client_for(caregiver).get(reverse("care:mobile")))


def test_check_in_and_out_from_the_phone(w, kailu_officer, client_for):
    order = f.order_in(w, kailu_officer, "dispatched")
    client = client_for(w.caregiver_user)
    missing = client.post(reverse("care:mobile_check_in", args=[order.pk]), {"lat": "", "lng": ""})
    assert missing.status_code == 422 and "没有取得定位" in html(missing)
    lat = f.north_of(f.HOME_LAT, 120)
    response = client.post(
        reverse("care:mobile_check_in", args=[order.pk]),
        {"lat": str(lat), "lng": str(f.HOME_LNG), "accuracy": "8"},
    )
    assert response.status_code == 302
    page = html(client.get(response.url))
    assert "已签到" in page and "距老人住址约 120 米" in page
    bad_photo = io.BytesIO(b"not an image")
    bad_photo.name = "x.jpg"
    refused = client.post(
        reverse("care:mobile_check_out", args=[order.pk]), {"note": "助浴完成", "photos": [bad_photo]}
    )
    assert refused.status_code == 422 and "不是有效的图片" in html(refused)
    assert f.fresh(order).state == OrderState.CHECKED_IN
    done = client.post(
        reverse("care:mobile_check_out", args=[order.pk]), {"note": "协助洗澡", "photos": [_png()]}
    )
    assert done.status_code == 302
    stored = f.fresh(order)
    assert stored.state == OrderState.CHECKED_OUT and stored.visit.note == "协助洗澡"
    photo = VisitPhoto.objects.get(visit__order=order)
    # the photo is served to those who may see the order, not to another county
    assert (
        client_for(kailu_officer).get(reverse("care:order_photo", args=[order.pk, photo.pk])).status_code
        == 200
    )


def test_failure_from_the_phone(w, kailu_officer, client_for):
    order = f.order_in(w, kailu_officer, "dispatched")
    client = client_for(w.caregiver_user)
    bad = client.post(reverse("care:mobile_fail", args=[order.pk]), {"fail-reason": ""})
    assert bad.status_code == 422 and "请填写原因" in html(bad)
    client.post(reverse("care:mobile_fail", args=[order.pk]), {"fail-reason": "老人住院"})
    assert f.fresh(order).state == OrderState.FAILED and f.fresh(order).state_reason == "老人住院"


def test_phone_reveal_is_audited_and_limited(w, kailu_officer, client_for):
    order = f.order_in(w, kailu_officer, "dispatched")
    client = client_for(w.caregiver_user)
    response = client.post(reverse("care:mobile_phone", args=[order.pk]))
    assert 'href="tel:1380000' in html(response)
    assert AuditEntry.objects.filter(action="reveal", summary__contains=order.number).count() == 1
    done = f.order_in(w, kailu_officer, "checked_out")
    closed = client.post(reverse("care:mobile_phone", args=[done.pk]))
    assert closed.status_code == 422 and "工单已结束" in html(closed)
    assert client_for(kailu_officer).post(reverse("care:mobile_phone", args=[order.pk])).status_code == 422


def test_another_caregiver_cannot_post_to_my_order(w, kailu_officer, caregiver, client_for):
    order = f.order_in(w, kailu_officer, "dispatched")
    response = client_for(caregiver).post(
        reverse("care:mobile_check_in", args=[order.pk]), {"lat": "43.6", "lng": "121.3"}
    )
    assert response.status_code == 404
    assert f.fresh(order).state == OrderState.DISPATCHED
