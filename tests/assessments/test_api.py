"""The assessments JSON API: create, save, the workflow, the scorer, and the specific error codes —
and that nothing changes when a request is refused."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from tests.assessments.factories import answers_with_total
from tests.conftest import KAILU_VILLAGE, make_elder, make_user
from yanglao.assessments.models import Assessment, AssessmentEvent
from yanglao.assessments.standard import CONSCIOUSNESS_ITEM, ITEMS, LEVELS
from yanglao.core.models import AuditEntry
from yanglao.elders.models import Elder
from yanglao.elders.services import elder_set_status

pytestmark = pytest.mark.django_db

REF = date(2025, 6, 1)


def full_marks():
    return {code: item.max_score for code, item in ITEMS.items()}


class Api:
    """A client speaking JSON with one user's bearer token."""

    def __init__(self, client, headers):
        self.client, self.headers = client, headers

    def get(self, url, **params):
        return self.client.get(url, params, headers=self.headers)

    def post(self, url, body=None):
        return self.client.post(url, body or {}, content_type="application/json", headers=self.headers)

    def patch(self, url, body):
        return self.client.patch(url, body, content_type="application/json", headers=self.headers)


@pytest.fixture
def as_user(client, auth_headers):
    return lambda user: Api(client, auth_headers(user))


@pytest.fixture
def elder(db):
    return make_elder(KAILU_VILLAGE, name="王秀英")


@pytest.fixture
def second(db):
    """A township officer of 开鲁镇: assessments.edit and scope over the elder."""
    return make_user("kl-second", "officer", "150523100")


@pytest.fixture
def approver(db):
    return make_user("kl-approver", "officer", "150523")


def create(api, elder, **body):
    return api.post(
        "/api/v1/assessments", {"elder_id": elder.pk, "reference_date": str(REF), "reason": "first", **body}
    )


def snapshot(pk):
    a = Assessment.objects.get(pk=pk)
    return (a.status, a.answers, a.total, a.final_level, a.assessor_2_id, a.approved_by_id, a.return_reason,
            a.updated_at, AssessmentEvent.objects.filter(assessment=a).count())  # fmt: skip


def nothing_written():
    assert not Assessment.objects.exists()
    assert not AssessmentEvent.objects.exists()
    assert not AuditEntry.objects.filter(object_type__icontains="assessment").exists()


def submitted(as_user, officer, elder, second, answers=None):
    body = create(as_user(officer), elder, answers=answers or full_marks(), assessor_2=second.username).json()
    response = as_user(officer).post(f"/api/v1/assessments/{body['id']}/submit")
    assert response.status_code == 200, response.json()
    return body["id"]


# --- create -----------------------------------------------------------------------------------------


def test_create_a_draft_returns_the_detail(as_user, kailu_officer, elder):
    response = create(as_user(kailu_officer), elder, reason_note="")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"].startswith("PG1505232025")
    assert body["elder"] == {"id": elder.pk, "name": "王秀英"}
    assert body["region_code"] == KAILU_VILLAGE and "开鲁" in body["region_name"]
    assert (body["status"], body["reason"], body["reference_date"]) == ("draft", "first", "2025-06-01")
    assert body["total"] is None and body["preliminary_level"] is None and body["final_level"] is None
    assert [s["code"] for s in body["subtotals"]] == ["B.1", "B.2", "B.3", "B.4"]
    assert [s["max_score"] for s in body["subtotals"]] == [32, 15, 28, 15]
    assert all(s["answered"] == 0 and s["score"] == 0 for s in body["subtotals"])
    assert [u["username"] for u in body["assessors"]] == [kailu_officer.username]
    assert body["basic_info"]["name"] == "王秀英"
    assert [e["kind"] for e in body["events"]] == ["created"]


def test_create_with_every_part_scores_and_stores_them(as_user, kailu_officer, elder, second):
    answers = answers_with_total(70)
    response = create(
        as_user(kailu_officer),
        elder,
        answers=answers,
        assessor_2=second.username,
        informant_name="李明",
        informant_relation="儿子",
        diagnoses=["高血压病", "痴呆"],
        other_diagnosis="",
        mental_disorder_by_specialist=False,
        medications=[{"name": "硝苯地平", "usage": "口服", "dose": "10mg", "frequency": "每日 2 次"}],
        health_problems={"A.5.3": ["擦伤", "无"], "A.5.5": "轻度疼痛", "A.5.12": "便秘"},
        risk_events={"跌倒": 1},
        coma=False,
        basic_info={"education": "小学", "religion": "无"},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["answers"] == answers and body["total"] == 70
    assert [s["score"] for s in body["subtotals"]] == [
        sum(answers[i] for i in ITEMS if i.startswith(d)) for d in ("B.1.", "B.2.", "B.3.", "B.4.")
    ]
    assert body["preliminary_level"] == {"code": 1, "name": LEVELS[1].name}
    # 痴呆 raises the level by one (C.4)
    assert body["final_level"] == {"code": 2, "name": LEVELS[2].name}
    assert any("痴呆" in r for r in body["level_reasons"])
    assert [u["username"] for u in body["assessors"]] == [kailu_officer.username, "kl-second"]
    assert body["diagnoses"] == ["高血压病", "痴呆"]
    assert body["medications"][0]["name"] == "硝苯地平"
    assert body["health_problems"] == {"A.5.3": ["无", "擦伤"], "A.5.5": "轻度疼痛", "A.5.12": "便秘"}
    assert body["risk_events"] == {"跌倒": 1} and body["coma"] is False
    # the registry's part of A.2 stays beside what the assessor filled in
    assert body["basic_info"]["name"] == "王秀英" and body["basic_info"]["education"] == "小学"


@pytest.mark.parametrize(
    ("answers", "code", "field"),
    [
        ({"B.1.1": 9}, "out_of_range", "answers.B.1.1"),
        ({"B.2.4": 4}, "out_of_range", "answers.B.2.4"),  # 上下楼梯 is 0–3
        ({"B.9.9": 1}, "unknown_item", "answers.B.9.9"),
    ],
)
def test_create_with_a_bad_answer_leaves_nothing_behind(as_user, kailu_officer, elder, answers, code, field):
    response = create(as_user(kailu_officer), elder, answers=answers)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == code and list(body["fields"]) == [field]
    nothing_written()


def test_create_with_an_ineligible_second_assessor_leaves_nothing_behind(
    as_user, kailu_officer, horqin_officer, elder
):
    for username in ("no-such-user", horqin_officer.username):
        response = create(as_user(kailu_officer), elder, assessor_2=username)
        assert response.status_code == 422
        body = response.json()
        assert body["code"] == "second_assessor_required" and "assessor_2" in body["fields"]
    # the same words whether or not the account exists elsewhere
    unknown = create(as_user(kailu_officer), elder, assessor_2="no-such-user").json()["message"]
    foreign = create(as_user(kailu_officer), elder, assessor_2=horqin_officer.username).json()["message"]
    assert unknown == foreign
    nothing_written()


@pytest.mark.parametrize("value", [True, "3", 2.0, None])
def test_a_score_is_a_json_integer(as_user, kailu_officer, elder, value):
    response = create(as_user(kailu_officer), elder, answers={"B.1.1": value})
    assert response.status_code == 422
    assert response.json()["code"] == "validation_error" and "answers.B.1.1" in response.json()["fields"]
    nothing_written()


@pytest.mark.parametrize("status", ["deceased", "moved_out"])
def test_an_elder_no_longer_registered_cannot_be_assessed(as_user, kailu_officer, elder, status):
    elder_set_status(actor=kailu_officer, elder=elder, status=status, on=date(2025, 5, 1))
    response = create(as_user(kailu_officer), elder)
    assert response.status_code == 422
    assert response.json()["code"] == "elder_not_active" and "elder_id" in response.json()["fields"]
    nothing_written()


def test_create_refuses_a_future_date_and_an_unknown_reason(as_user, kailu_officer, elder):
    api = as_user(kailu_officer)
    future = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = create(api, elder, reference_date=future)
    assert response.status_code == 422 and response.json()["code"] == "future_date"
    response = create(api, elder, reason="whim")
    assert response.status_code == 422 and "reason" in response.json()["fields"]
    response = create(api, elder, diagnoses=["感冒"])
    assert response.status_code == 422 and any(f.startswith("diagnoses") for f in response.json()["fields"])
    response = create(api, elder, risk_events={"跌倒": 4})
    assert response.status_code == 422 and response.json()["code"] == "out_of_range"
    response = create(api, elder, health_problems={"A.5.11": "有"})
    assert response.status_code == 422 and "health_problems" in response.json()["fields"]
    nothing_written()


def test_create_needs_the_capability_and_the_elder_in_scope(as_user, caregiver, horqin_officer, elder):
    desk = make_user("kl-desk", "desk", "150523")
    assert create(as_user(caregiver), elder).status_code == 403
    response = create(as_user(desk), elder)
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert create(as_user(horqin_officer), elder).status_code == 404
    nothing_written()


# --- save (PATCH) -----------------------------------------------------------------------------------


def test_patch_merges_answers_and_keeps_what_is_not_sent(as_user, kailu_officer, elder):
    api = as_user(kailu_officer)
    pk = create(api, elder, informant_name="李明", basic_info={"education": "小学"}).json()["id"]
    first = dict(list(full_marks().items())[:10])
    rest = dict(list(full_marks().items())[10:])
    body = api.patch(f"/api/v1/assessments/{pk}", {"answers": first}).json()
    assert len(body["answers"]) == 10 and body["total"] is None
    assert body["subtotals"][0]["answered"] == 8 and body["subtotals"][0]["score"] == 32
    body = api.patch(f"/api/v1/assessments/{pk}", {"answers": rest, "basic_info": {"religion": "有"}}).json()
    assert body["total"] == 90 and body["final_level"] == {"code": 0, "name": "能力完好"}
    assert body["informant_name"] == "李明"
    assert body["basic_info"]["education"] == "小学" and body["basic_info"]["religion"] == "有"
    assert body["basic_info"]["name"] == "王秀英"
    assert "saved" in [e["kind"] for e in body["events"]]


def test_patch_coma_rules_and_the_reference_date(as_user, kailu_officer, elder):
    api = as_user(kailu_officer)
    answers = {**full_marks(), CONSCIOUSNESS_ITEM: 0}
    pk = create(api, elder).json()["id"]
    before = snapshot(pk)
    response = api.patch(f"/api/v1/assessments/{pk}", {"answers": answers})
    assert response.status_code == 422 and response.json()["code"] == "coma_unspecified"
    assert "coma" in response.json()["fields"]
    assert snapshot(pk) == before
    body = api.patch(f"/api/v1/assessments/{pk}", {"answers": answers, "coma": True}).json()
    assert body["final_level"]["code"] == 4 and body["preliminary_level"]["code"] == 1
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = api.patch(f"/api/v1/assessments/{pk}", {"reference_date": future})
    assert response.status_code == 422 and response.json()["code"] == "future_date"
    body = api.patch(
        f"/api/v1/assessments/{pk}", {"reference_date": "2025-05-20", "reason": "routine"}
    ).json()
    assert (body["reference_date"], body["reason"]) == ("2025-05-20", "routine")


def test_patch_a_bad_score_changes_nothing(as_user, kailu_officer, elder):
    api = as_user(kailu_officer)
    pk = create(api, elder, answers={"B.1.1": 4}).json()["id"]
    before = snapshot(pk)
    response = api.patch(
        f"/api/v1/assessments/{pk}", {"answers": {"B.1.2": 2, "B.4.1": 7}, "informant_name": "x"}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "out_of_range" and list(response.json()["fields"]) == ["answers.B.4.1"]
    assert snapshot(pk) == before and Assessment.objects.get(pk=pk).informant_name == ""


def test_patch_needs_edit_and_scope(as_user, kailu_officer, horqin_officer, elder):
    pk = create(as_user(kailu_officer), elder).json()["id"]
    before = snapshot(pk)
    desk = make_user("kl-desk", "desk", "150523")
    assert as_user(desk).get(f"/api/v1/assessments/{pk}").status_code == 200
    assert as_user(desk).patch(f"/api/v1/assessments/{pk}", {"informant_name": "x"}).status_code == 403
    assert (
        as_user(horqin_officer).patch(f"/api/v1/assessments/{pk}", {"informant_name": "x"}).status_code == 404
    )
    assert snapshot(pk) == before


# --- workflow ---------------------------------------------------------------------------------------


def test_submit_needs_every_item_and_a_second_assessor(as_user, kailu_officer, elder, second):
    api = as_user(kailu_officer)
    pk = create(api, elder, answers={"B.1.1": 4}).json()["id"]
    before = snapshot(pk)
    response = api.post(f"/api/v1/assessments/{pk}/submit")
    assert response.status_code == 422 and response.json()["code"] == "incomplete"
    fields = response.json()["fields"]
    assert len(fields) == 25 and "answers.B.1.1" not in fields and "answers.B.4.5" in fields
    api.patch(f"/api/v1/assessments/{pk}", {"answers": full_marks()})
    before = snapshot(pk)
    response = api.post(f"/api/v1/assessments/{pk}/submit")
    assert response.status_code == 422 and response.json()["code"] == "second_assessor_required"
    assert snapshot(pk) == before
    # only one of its assessors submits
    other = make_user("kl-other", "officer", "150523")
    assert as_user(other).post(f"/api/v1/assessments/{pk}/submit").status_code == 403
    api.patch(f"/api/v1/assessments/{pk}", {"assessor_2": second.username})
    body = as_user(second).post(f"/api/v1/assessments/{pk}/submit").json()
    assert body["status"] == "submitted" and body["submitted_at"]


def test_a_submitted_assessment_is_not_editable(as_user, kailu_officer, elder, second):
    pk = submitted(as_user, kailu_officer, elder, second)
    before = snapshot(pk)
    api = as_user(kailu_officer)
    response = api.patch(f"/api/v1/assessments/{pk}", {"answers": {"B.1.1": 0}})
    assert response.status_code == 422 and response.json()["code"] == "assessment_not_editable"
    response = api.post(f"/api/v1/assessments/{pk}/submit")
    assert response.status_code == 422 and response.json()["code"] == "assessment_not_editable"
    assert snapshot(pk) == before


def test_approve_records_the_level_on_the_elder(as_user, kailu_officer, elder, second, approver):
    pk = submitted(as_user, kailu_officer, elder, second, answers=answers_with_total(50))
    response = as_user(approver).post(f"/api/v1/assessments/{pk}/approve")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (
        body["status"] == "approved"
        and body["approved_by"]["username"] == "kl-approver"
        and body["approved_at"]
    )
    assert body["final_level"]["code"] == 2
    assert [e["kind"] for e in body["events"]][-1] == "approved"
    elder = Elder.objects.get(pk=body["elder"]["id"])
    assert (elder.capability_level, elder.capability_assessed_on) == (2, REF)
    # an approved assessment is never edited again
    response = as_user(kailu_officer).patch(f"/api/v1/assessments/{pk}", {"informant_name": "x"})
    assert response.status_code == 422 and response.json()["code"] == "assessment_not_editable"
    assert "新建评估" in response.json()["message"]


def test_approval_refusals_are_specific_and_change_nothing(
    as_user, kailu_officer, elder, second, approver, township_officer, caregiver
):
    pk = submitted(as_user, kailu_officer, elder, second)
    before = snapshot(pk)
    url = f"/api/v1/assessments/{pk}/approve"
    # one of its own assessors — both a county officer (assessor 1) and the township one (assessor 2)
    response = as_user(kailu_officer).post(url)
    assert response.status_code == 403 and response.json()["code"] == "own_assessment"
    # a township officer is below county level
    response = as_user(township_officer).post(url)
    assert response.status_code == 403 and response.json()["code"] == "approver_level"
    assert as_user(make_user("kl-desk", "desk", "150523")).post(url).status_code == 403
    assert as_user(caregiver).post(url).status_code == 403
    horqin = make_user("hq-approver", "officer", "150502")
    assert as_user(horqin).post(url).status_code == 404
    assert snapshot(pk) == before
    assert Elder.objects.get(pk=elder.pk).capability_level is None
    # a draft is not approved
    draft = create(as_user(kailu_officer), make_elder(KAILU_VILLAGE, name="王建国", gender="M")).json()["id"]
    response = as_user(approver).post(f"/api/v1/assessments/{draft}/approve")
    assert response.status_code == 422 and response.json()["code"] == "wrong_status"
    response = as_user(approver).post(f"/api/v1/assessments/{draft}/return", {"reason": "再看看"})
    assert response.status_code == 422 and response.json()["code"] == "wrong_status"


def test_approving_for_an_elder_who_died_meanwhile_is_refused(
    as_user, kailu_officer, elder, second, approver
):
    pk = submitted(as_user, kailu_officer, elder, second)
    elder_set_status(actor=kailu_officer, elder=elder, status="deceased", on=timezone.localdate())
    before = snapshot(pk)
    response = as_user(approver).post(f"/api/v1/assessments/{pk}/approve")
    assert response.status_code == 422 and response.json()["code"] == "elder_not_active"
    assert snapshot(pk) == before


def test_return_then_edit_and_resubmit(as_user, kailu_officer, elder, second, city_officer):
    pk = submitted(as_user, kailu_officer, elder, second)
    before = snapshot(pk)
    response = as_user(city_officer).post(f"/api/v1/assessments/{pk}/return", {"reason": "   "})
    assert response.status_code == 422 and response.json()["code"] == "required"
    assert as_user(city_officer).post(f"/api/v1/assessments/{pk}/return", {}).status_code == 422
    assert snapshot(pk) == before
    body = as_user(city_officer).post(f"/api/v1/assessments/{pk}/return", {"reason": "B.3.1 需复核"}).json()
    assert body["status"] == "returned" and body["return_reason"] == "B.3.1 需复核"
    api = as_user(kailu_officer)
    assert api.patch(f"/api/v1/assessments/{pk}", {"answers": {"B.3.1": 3}}).json()["total"] == 89
    body = api.post(f"/api/v1/assessments/{pk}/submit").json()
    assert body["status"] == "submitted" and body["return_reason"] == ""
    kinds = [e["kind"] for e in body["events"]]
    assert kinds[0] == "created" and kinds.count("submitted") == 2 and "returned" in kinds


# --- lists ------------------------------------------------------------------------------------------


def test_list_filters_and_pages(as_user, kailu_officer, horqin_officer, elder, second, approver):
    other = make_elder(KAILU_VILLAGE, name="刘凤兰")
    done = submitted(as_user, kailu_officer, elder, second, answers=answers_with_total(50))
    as_user(approver).post(f"/api/v1/assessments/{done}/approve")
    draft = create(as_user(kailu_officer), other).json()
    theirs = make_elder("150502001001", name="科尔沁人", actor=horqin_officer)
    create(as_user(horqin_officer), theirs)

    api = as_user(kailu_officer)
    body = api.get("/api/v1/assessments").json()
    assert body["total"] == 2 and {i["elder"]["name"] for i in body["items"]} == {"王秀英", "刘凤兰"}
    assert api.get("/api/v1/assessments", status="draft").json()["items"][0]["id"] == draft["id"]
    assert [i["id"] for i in api.get("/api/v1/assessments", level=2).json()["items"]] == [done]
    assert api.get("/api/v1/assessments", q="刘凤").json()["total"] == 1
    assert api.get("/api/v1/assessments", q=draft["number"].lower()).json()["total"] == 1
    assert api.get("/api/v1/assessments", q="科尔沁人").json()["total"] == 0
    assert api.get("/api/v1/assessments", region="150523100").json()["total"] == 2
    assert api.get("/api/v1/assessments", region="150502").json()["total"] == 0
    paged = api.get("/api/v1/assessments", page=2, page_size=1).json()
    assert (paged["total"], len(paged["items"]), paged["page"]) == (2, 1, 2)
    assert api.get("/api/v1/assessments", level=7).status_code == 422
    assert (
        as_user(make_user("kl-care", "caregiver", KAILU_VILLAGE)).get("/api/v1/assessments").status_code
        == 403
    )


def test_an_elders_assessments(as_user, kailu_officer, horqin_officer, elder):
    api = as_user(kailu_officer)
    first = create(api, elder).json()["id"]
    # one unfinished assessment per person at a time
    refused = create(api, elder, reference_date="2025-07-01", reason="immediate")
    assert refused.status_code == 422 and refused.json()["code"] == "open_assessment_exists"
    body = api.get(f"/api/v1/elders/{elder.pk}/assessments").json()
    assert [i["id"] for i in body["items"]] == [first]
    assert as_user(horqin_officer).get(f"/api/v1/elders/{elder.pk}/assessments").status_code == 404
    assert api.get("/api/v1/elders/999999/assessments").status_code == 404


def test_detail_is_404_outside_scope(as_user, kailu_officer, horqin_officer, elder):
    pk = create(as_user(kailu_officer), elder).json()["id"]
    assert as_user(horqin_officer).get(f"/api/v1/assessments/{pk}").status_code == 404
    assert as_user(kailu_officer).get("/api/v1/assessments/999999").json()["code"] == "not_found"


# --- the scorer -------------------------------------------------------------------------------------


def score(api, **body):
    return api.post("/api/v1/assessments/score", body)


def test_score_a_complete_set(as_user, kailu_officer):
    api = as_user(kailu_officer)
    body = score(api, answers=answers_with_total(70)).json()
    assert body["total"] == 70 and [d["max_score"] for d in body["dimensions"]] == [32, 15, 28, 15]
    assert sum(d["score"] for d in body["dimensions"]) == 70
    assert body["preliminary_level"] == body["final_level"] == {"code": 1, "name": LEVELS[1].name}
    assert body["level_changed"] is False and body["reasons"] == [] and body["coma"] is False

    raised = score(api, answers=answers_with_total(70), risk_events={"跌倒": 1, "走失": 1}).json()
    assert raised["final_level"]["code"] == 2 and raised["level_changed"] and "2次" in raised["reasons"][0]
    # 其他精神和行为障碍 counts only when a psychiatrist diagnosed it
    plain = score(api, answers=answers_with_total(70), diagnoses=["其他精神和行为障碍"]).json()
    assert plain["final_level"]["code"] == 1
    specialist = score(
        api,
        answers=answers_with_total(70),
        diagnoses=["其他精神和行为障碍"],
        mental_disorder_by_specialist=True,
    ).json()
    assert specialist["final_level"]["code"] == 2
    coma = score(api, answers={**full_marks(), CONSCIOUSNESS_ITEM: 0}, coma=True).json()
    assert coma["final_level"]["code"] == 4 and coma["coma"] is True
    assert not Assessment.objects.exists()


@pytest.mark.parametrize(
    ("change", "code", "fields"),
    [
        ({"drop": ["B.1.1", "B.4.5"]}, "incomplete", {"answers.B.1.1", "answers.B.4.5"}),
        ({"set": {"B.1.1": 5}}, "out_of_range", {"answers.B.1.1"}),
        ({"set": {"B.3.7": -1, "B.2.4": 4}}, "out_of_range", {"answers.B.3.7", "answers.B.2.4"}),
        ({"set": {"B.5.1": 1}}, "unknown_item", {"answers.B.5.1"}),
        ({"drop": ["B.1.1"], "set": {"B.0": 1}}, "unknown_item", {"answers.B.0"}),
        ({"set": {CONSCIOUSNESS_ITEM: 0}}, "coma_unspecified", {"coma"}),
        ({"coma": True}, "coma_conflict", {"coma"}),
    ],
)
def test_score_refusals_name_the_items(as_user, kailu_officer, change, code, fields):
    answers = full_marks()
    for item in change.get("drop", []):
        del answers[item]
    answers.update(change.get("set", {}))
    body = {"answers": answers}
    if "coma" in change:
        body["coma"] = change["coma"]
    response = as_user(kailu_officer).post("/api/v1/assessments/score", body)
    assert response.status_code == 422
    assert response.json()["code"] == code
    assert set(response.json()["fields"]) == fields
    assert response.json()["message"]


def test_score_needs_a_reading_capability(as_user, caregiver):
    desk = make_user("kl-desk", "desk", "150523")
    assert score(as_user(desk), answers=full_marks()).status_code == 200
    response = score(as_user(caregiver), answers=full_marks())
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


def test_the_schema_documents_the_routes(client):
    schema = client.get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for path in (
        "/api/v1/assessments",
        "/api/v1/assessments/score",
        "/api/v1/assessments/{assessment_id}",
        "/api/v1/assessments/{assessment_id}/submit",
        "/api/v1/assessments/{assessment_id}/approve",
        "/api/v1/assessments/{assessment_id}/return",
        "/api/v1/elders/{elder_id}/assessments",
    ):
        assert path in paths, path
    assert "assessments.view" in paths["/api/v1/assessments/score"]["post"]["description"]
    assert {"403", "404", "422"} <= set(
        paths["/api/v1/assessments/{assessment_id}/approve"]["post"]["responses"]
    )
    # the elder's own routes are still there beside the ones mounted at the same prefix
    assert "/api/v1/elders/{elder_id}/events" in paths and "/api/v1/elders/{elder_id}/entitlements" in paths
