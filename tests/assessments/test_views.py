"""The assessment console: the list, the form with its live score panel, the workflow buttons, the due
list, the elder page's panel, and the errors a user sees in Chinese with nothing lost."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.assessments.factories import TOTAL_FOR_LEVEL, answers_with_total, make_assessment
from tests.conftest import HORQIN_TOWN, KAILU_VILLAGE, make_elder
from yanglao.assessments.models import Assessment, ReassessmentTrigger, Status
from yanglao.assessments.standard import ITEMS
from yanglao.elders.services import elder_set_status

TODAY = timezone.localdate()


@pytest.fixture
def elder(db):
    return make_elder(KAILU_VILLAGE, name="李秀英", born=date(1941, 5, 2))


@pytest.fixture
def horqin_elder(db):
    return make_elder(HORQIN_TOWN + "001", name="包玉兰", born=date(1943, 1, 9))


def form_data(answers: dict, **extra) -> dict:
    return {**{f"item_{code}": str(score) for code, score in answers.items()}, "coma": "no", **extra}


def html(response) -> str:
    return response.content.decode()


# --- list ---------------------------------------------------------------------------------------


def test_list_shows_the_county_and_hides_the_neighbour(
    client_for, kailu_officer, horqin_officer, elder, horqin_elder
):
    mine = make_assessment(elder, kailu_officer)
    theirs = make_assessment(horqin_elder, horqin_officer)
    page = html(client_for(kailu_officer).get(reverse("assessments:list")))
    assert mine.number in page and theirs.number not in page


def test_list_filters_by_status_and_level(client_for, kailu_officer, township_officer, city_officer, elder):
    other = make_elder(KAILU_VILLAGE, name="王建国", gender="M")
    approved = make_assessment(elder, kailu_officer, second=township_officer, approver=city_officer, level=3)
    draft = make_assessment(other, kailu_officer)
    client = client_for(kailu_officer)
    page = html(client.get(reverse("assessments:list"), {"status": "approved"}))
    assert approved.number in page and draft.number not in page
    page = html(client.get(reverse("assessments:list"), {"level": "3"}))
    assert approved.number in page and draft.number not in page
    page = html(client.get(reverse("assessments:list"), {"q": "王建国"}))
    assert draft.number in page and approved.number not in page


def test_list_makes_a_fixed_number_of_queries(
    client_for, kailu_officer, township_officer, django_assert_max_num_queries
):
    for i in range(12):
        make_assessment(
            make_elder(KAILU_VILLAGE, name=f"测试{i}"), kailu_officer, second=township_officer, level=i % 5
        )
    client = client_for(kailu_officer)
    client.get(reverse("assessments:list"))  # session and caches warm
    with django_assert_max_num_queries(12):
        response = client.get(reverse("assessments:list"))
    assert response.content.decode().count("/assessments/") >= 12


# --- starting one -------------------------------------------------------------------------------


def test_new_assessment_opens_the_form(client_for, kailu_officer, elder):
    client = client_for(kailu_officer)
    response = client.post(
        reverse("assessments:new", args=[elder.pk]), {"reference_date": TODAY.isoformat(), "reason": "first"}
    )
    assessment = Assessment.objects.get(elder=elder)
    assert response.status_code == 302 and response["Location"] == reverse(
        "assessments:edit", args=[assessment.pk]
    )
    page = html(client.get(response["Location"]))
    assert page.count('class="item') == len(ITEMS) and "还有 26 项未评" in page


def test_new_assessment_of_a_dead_elder_is_refused_in_chinese(client_for, kailu_officer, elder):
    elder_set_status(actor=kailu_officer, elder=elder, status="deceased", on=TODAY, reason="病故")
    response = client_for(kailu_officer).post(
        reverse("assessments:new", args=[elder.pk]), {"reference_date": TODAY.isoformat(), "reason": "first"}
    )
    assert response.status_code == 200 and "不能评估" in html(response)
    assert not Assessment.objects.exists()


def test_new_assessment_with_a_future_date_is_refused(client_for, kailu_officer, elder):
    response = client_for(kailu_officer).post(
        reverse("assessments:new", args=[elder.pk]),
        {"reference_date": (TODAY + timedelta(days=1)).isoformat(), "reason": "first"},
    )
    assert "不能晚于今天" in html(response) and not Assessment.objects.exists()


def test_new_assessment_outside_the_scope_is_not_found(client_for, horqin_officer, elder):
    response = client_for(horqin_officer).post(
        reverse("assessments:new", args=[elder.pk]), {"reference_date": TODAY.isoformat(), "reason": "first"}
    )
    assert response.status_code == 404 and not Assessment.objects.exists()


def test_a_caregiver_cannot_start_one(client_for, caregiver, elder):
    assert client_for(caregiver).get(reverse("assessments:new", args=[elder.pk])).status_code == 403


# --- the form -----------------------------------------------------------------------------------


def test_saving_part_of_the_form_keeps_it(client_for, kailu_officer, elder):
    assessment = make_assessment(elder, kailu_officer)
    answers = dict(list(answers_with_total(90).items())[:5])
    response = client_for(kailu_officer).post(
        reverse("assessments:edit", args=[assessment.pk]),
        form_data(answers, basic_education="小学", diagnoses=["糖尿病"], action="save"),
    )
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.answers == answers and assessment.total is None
    assert assessment.diagnoses == ["糖尿病"] and assessment.basic_info["education"] == "小学"
    assert assessment.basic_info["name"] == "李秀英"  # the registry's snapshot is kept


def test_submitting_an_incomplete_form_says_how_many_are_missing_and_keeps_the_answers(
    client_for, kailu_officer, township_officer, elder
):
    assessment = make_assessment(elder, kailu_officer)
    answers = dict(list(answers_with_total(60).items())[:20])
    response = client_for(kailu_officer).post(
        reverse("assessments:edit", args=[assessment.pk]),
        form_data(answers, assessor_2=township_officer.username, action="submit"),
    )
    page = html(response)
    assert response.status_code == 422 and "还有 6 项未评估" in page
    code, score = next(iter(answers.items()))
    assert f'name="item_{code}" value="{score}" checked' in page
    assessment.refresh_from_db()
    assert assessment.status == Status.DRAFT


def test_an_unknown_second_assessor_is_refused_and_nothing_is_saved(client_for, kailu_officer, elder):
    assessment = make_assessment(elder, kailu_officer)
    response = client_for(kailu_officer).post(
        reverse("assessments:edit", args=[assessment.pk]),
        form_data(answers_with_total(75), assessor_2="nobody-here", action="save"),
    )
    page = html(response)
    assert response.status_code == 422 and "第二评估员须是本地区有评估权限的在岗人员" in page
    assert 'value="nobody-here"' in page  # what was typed stays in the field
    assessment.refresh_from_db()
    assert assessment.answers == {}


def test_an_out_of_range_score_is_refused(client_for, kailu_officer, elder):
    assessment = make_assessment(elder, kailu_officer)
    response = client_for(kailu_officer).post(
        reverse("assessments:edit", args=[assessment.pk]), form_data({"B.2.4": 4}, action="save")
    )  # 上下楼梯 is 0–3
    assert response.status_code == 422 and "分值超出范围" in html(response)
    assessment.refresh_from_db()
    assert assessment.answers == {}


def test_the_form_submits_with_two_assessors(client_for, kailu_officer, township_officer, elder):
    assessment = make_assessment(elder, kailu_officer)
    response = client_for(kailu_officer).post(
        reverse("assessments:edit", args=[assessment.pk]),
        form_data(answers_with_total(40), assessor_2=township_officer.username, action="submit"),
    )
    assert response.status_code == 302 and response["Location"] == reverse(
        "assessments:detail", args=[assessment.pk]
    )
    assessment.refresh_from_db()
    assert (assessment.status, assessment.total, assessment.final_level, assessment.assessor_2) == (
        Status.SUBMITTED,
        40,
        3,
        township_officer,
    )


def test_the_score_panel_follows_the_form_without_saving(client_for, kailu_officer, elder):
    assessment = make_assessment(elder, kailu_officer)
    client = client_for(kailu_officer)
    url = reverse("assessments:score", args=[assessment.pk])
    partial = html(client.post(url, form_data(dict(list(answers_with_total(90).items())[:10]))))
    assert "还有 16 项未评" in partial and 'id="final-level"' not in partial
    full = html(client.post(url, form_data(answers_with_total(TOTAL_FOR_LEVEL[1]))))
    assert '<span id="score-total">75</span>' in full and "能力轻度受损" in full
    raised = html(client.post(url, form_data(answers_with_total(TOTAL_FOR_LEVEL[1]), risk_0="2")))
    assert "能力中度受损" in raised and "照护风险事件" in raised
    assessment.refresh_from_db()
    assert assessment.answers == {}
    assert client.get(url).status_code == 405


def test_an_approved_assessment_cannot_be_edited(
    client_for, kailu_officer, township_officer, city_officer, elder
):
    assessment = make_assessment(
        elder, kailu_officer, second=township_officer, approver=city_officer, level=2
    )
    client = client_for(kailu_officer)
    edit = reverse("assessments:edit", args=[assessment.pk])
    assert client.get(edit)["Location"] == reverse("assessments:detail", args=[assessment.pk])
    client.post(edit, form_data(answers_with_total(90), action="save"))
    assessment.refresh_from_db()
    assert (assessment.total, assessment.status) == (TOTAL_FOR_LEVEL[2], Status.APPROVED)


# --- workflow buttons ---------------------------------------------------------------------------


def test_the_approve_button_shows_only_to_an_approver_who_did_not_assess(
    client_for, kailu_officer, township_officer, city_officer, elder
):
    assessment = make_assessment(elder, kailu_officer, second=township_officer, level=1, submit=True)
    url = reverse("assessments:detail", args=[assessment.pk])
    assert "审核通过</button>" not in html(client_for(kailu_officer).get(url))
    assert "审核通过</button>" in html(client_for(city_officer).get(url))


def test_approving_ones_own_assessment_is_refused(client_for, kailu_officer, township_officer, elder):
    assessment = make_assessment(elder, kailu_officer, second=township_officer, level=1, submit=True)
    client = client_for(kailu_officer)
    response = client.post(reverse("assessments:approve", args=[assessment.pk]), follow=True)
    assert "不能审核本人参与的评估" in html(response)
    assessment.refresh_from_db()
    assert assessment.status == Status.SUBMITTED


def test_approval_sets_the_elders_level_and_the_page_shows_it(
    client_for, kailu_officer, township_officer, city_officer, elder
):
    assessment = make_assessment(elder, kailu_officer, second=township_officer, level=3, submit=True)
    client = client_for(city_officer)
    client.post(reverse("assessments:approve", args=[assessment.pk]))
    assessment.refresh_from_db()
    assert assessment.status == Status.APPROVED and assessment.approved_by == city_officer
    page = html(client.get(reverse("elders:detail", args=[elder.pk])))
    assert "能力重度受损" in page and assessment.number in page and "失能" in page


def test_returning_needs_a_reason(client_for, kailu_officer, township_officer, city_officer, elder):
    assessment = make_assessment(elder, kailu_officer, second=township_officer, level=1, submit=True)
    client = client_for(city_officer)
    response = client.post(reverse("assessments:return", args=[assessment.pk]), {"reason": ""}, follow=True)
    assert "请填写退回原因" in html(response)
    assessment.refresh_from_db()
    assert assessment.status == Status.SUBMITTED
    client.post(reverse("assessments:return", args=[assessment.pk]), {"reason": "信息提供者未签字"})
    assessment.refresh_from_db()
    assert (assessment.status, assessment.return_reason) == (Status.RETURNED, "信息提供者未签字")
    assert "信息提供者未签字" in html(
        client_for(kailu_officer).get(reverse("assessments:edit", args=[assessment.pk]))
    )


def test_a_township_officer_cannot_approve(client_for, kailu_officer, township_officer, elder):
    assessment = make_assessment(elder, kailu_officer, second=make_elder_assessor(), level=1, submit=True)
    response = client_for(township_officer).post(
        reverse("assessments:approve", args=[assessment.pk]), follow=True
    )
    assert "旗县及以上" in html(response)
    assessment.refresh_from_db()
    assert assessment.status == Status.SUBMITTED


def make_elder_assessor():
    from tests.conftest import make_user

    return make_user("kailu-pg-2", "officer", "150523")


# --- re-assessment ------------------------------------------------------------------------------


def test_registering_a_fall_puts_the_elder_on_the_due_list(client_for, kailu_officer, elder):
    client = client_for(kailu_officer)
    response = client.post(
        reverse("assessments:trigger_add", args=[elder.pk]),
        {"kind": "fall", "occurred_on": (TODAY - timedelta(days=1)).isoformat(), "note": "夜间跌倒"},
    )
    assert response.status_code == 302
    page = html(client.get(reverse("assessments:due")))
    assert elder.name in page and "需即时评估" in page and "夜间跌倒" in page
    assert elder.name not in html(client.get(reverse("assessments:due"), {"kind": "overdue"}))


def test_a_trigger_with_a_bad_date_is_refused(client_for, kailu_officer, elder):
    response = client_for(kailu_officer).post(
        reverse("assessments:trigger_add", args=[elder.pk]),
        {"kind": "fall", "occurred_on": "2026-02-30"},
        follow=True,
    )
    assert "请填写有效日期" in html(response) and not ReassessmentTrigger.objects.exists()


def test_an_overdue_routine_reassessment_is_listed(
    client_for, kailu_officer, township_officer, city_officer, elder
):
    make_assessment(
        elder,
        kailu_officer,
        second=township_officer,
        approver=city_officer,
        level=1,
        on=TODAY - timedelta(days=400),
    )
    page = html(client_for(kailu_officer).get(reverse("assessments:due"), {"kind": "overdue"}))
    assert elder.name in page and "已逾期" in page


# --- elder page ---------------------------------------------------------------------------------


def test_the_elder_page_shows_entitlements_with_their_reasons(client_for, kailu_officer, elder):
    page = html(client_for(kailu_officer).get(reverse("elders:detail", args=[elder.pk])))
    assert "能力评估与享受待遇" in page and "助餐补贴" in page and "高龄" in page  # born 1941: 80+


def test_the_alarm_desk_sees_the_level_but_cannot_start_an_assessment(client_for, elder):
    from tests.conftest import make_user

    desk = make_user("desk-1", "desk", "150523")
    page = html(client_for(desk).get(reverse("elders:detail", args=[elder.pk])))
    assert "能力评估与享受待遇" in page and "新建评估" not in page and "登记需即时评估" not in page


def test_a_second_unfinished_assessment_is_refused_with_its_number(client_for, kailu_officer, elder):
    first = make_assessment(elder, kailu_officer)
    response = client_for(kailu_officer).post(
        reverse("assessments:new", args=[elder.pk]),
        {"reference_date": TODAY.isoformat(), "reason": "routine"},
    )
    assert "已有未完成的评估" in html(response) and first.number in html(response)
    assert Assessment.objects.filter(elder=elder).count() == 1
