"""Leak-matrix cases for capability assessments and entitlements (used by tests/test_leak_matrix.py).

``add_assessments(w)`` puts an assessment in each county: 开鲁县's a complete draft, 科尔沁区's
submitted and waiting for approval (so approving or returning it across the border would change
something if it were allowed), and entitlement grants for both elders. ``cases`` returns every case,
the console's (``html_cases``) and the API's (``api_cases``).
"""

from datetime import date

from tests.conftest import make_user
from yanglao.assessments import services
from yanglao.assessments.models import Assessment, AssessmentEvent, ReassessmentTrigger
from yanglao.assessments.standard import ITEMS
from yanglao.benefits.models import EntitlementGrant
from yanglao.benefits.services import entitlements_refresh
from yanglao.elders.models import Elder

REFERENCE_DATE = date(2025, 6, 1)


def full_marks() -> dict[str, int]:
    return {code: item.max_score for code, item in ITEMS.items()}


def add_assessments(w) -> None:
    my_second = make_user("kl-assessor", "officer", "150523100")
    their_second = make_user("hq-assessor", "officer", "150502")
    w.my_assessment = services.assessment_create(
        actor=w.kailu, elder=w.my_elder, reference_date=REFERENCE_DATE
    )
    services.assessment_save(actor=w.kailu, assessment=w.my_assessment, answers=full_marks(), assessor_2=my_second,
                             informant_name="开鲁家属")  # fmt: skip
    w.their_assessment = services.assessment_create(
        actor=w.horqin, elder=w.their_elder, reference_date=REFERENCE_DATE
    )
    services.assessment_save(actor=w.horqin, assessment=w.their_assessment, answers=full_marks(), assessor_2=their_second,
                             informant_name="科尔沁家属")  # fmt: skip
    services.assessment_submit(actor=w.horqin, assessment=w.their_assessment)
    # The change signal runs on commit, which a test transaction never reaches: refresh by hand.
    for elder in (w.my_elder, w.their_elder):
        entitlements_refresh(elder=elder)
    assert EntitlementGrant.objects.filter(elder=w.their_elder).exists()


def _their_state(w) -> tuple:
    a = Assessment.objects.get(pk=w.their_assessment.pk)
    elder = Elder.objects.get(pk=w.their_elder.pk)
    return (a.status, a.answers, a.informant_name, a.assessor_2_id, a.approved_by_id, a.return_reason, a.updated_at,
            AssessmentEvent.objects.filter(assessment=a).count(), elder.capability_level)  # fmt: skip


def _unchanged(w, before: tuple) -> None:
    assert _their_state(w) == before


def cases(assert_list, api) -> dict:
    return {**html_cases(assert_list), **api_cases(assert_list, api)}


def html_cases(assert_list) -> dict:
    """The console's routes under /assessments/ and /benefits/, and the elder page's panel."""

    def assessment_list(w, login, client):
        assert_list(login(w.kailu).get("/assessments/"), w.my_assessment.number, w.their_assessment.number)
        for params in ({"region": "150502"}, {"q": "科尔沁老人"}, {"q": w.their_assessment.number}):
            # (the searched number is echoed in the search box; a row would show it in <code>)
            assert (
                f"<code>{w.their_assessment.number}</code>"
                not in login(w.kailu).get("/assessments/", params).content.decode()
            ), params

    def due(w, login, client):
        services.trigger_create(actor=w.horqin, elder=w.their_elder, kind="fall", occurred_on=REFERENCE_DATE)
        services.trigger_create(actor=w.kailu, elder=w.my_elder, kind="fall", occurred_on=REFERENCE_DATE)
        assert_list(login(w.kailu).get("/assessments/due/"), "开鲁老人", "科尔沁老人")
        assert (
            "科尔沁老人" not in login(w.kailu).get("/assessments/due/", {"region": "150502"}).content.decode()
        )

    def new(w, login, client):
        count = Assessment.objects.count()
        url = f"/assessments/elder/{w.their_elder.pk}/new/"
        assert login(w.kailu).get(url).status_code == 404
        assert (
            login(w.kailu).post(url, {"reference_date": "2025-06-01", "reason": "first"}).status_code == 404
        )
        assert Assessment.objects.count() == count

    def trigger_add(w, login, client):
        url = f"/assessments/elder/{w.their_elder.pk}/trigger/"
        assert login(w.kailu).post(url, {"kind": "fall", "occurred_on": "2025-06-01"}).status_code == 404
        assert not ReassessmentTrigger.objects.filter(elder=w.their_elder).exists()

    def detail(w, login, client):
        assert login(w.kailu).get(f"/assessments/{w.my_assessment.pk}/").status_code == 200
        response = login(w.kailu).get(f"/assessments/{w.their_assessment.pk}/")
        assert response.status_code == 404 and "科尔沁" not in response.content.decode()

    def edit(w, login, client):
        before = _their_state(w)
        url = f"/assessments/{w.their_assessment.pk}/edit/"
        assert login(w.kailu).get(url).status_code == 404
        assert (
            login(w.kailu)
            .post(url, {"item_B.1.1": "0", "informant_name": "越界", "action": "save"})
            .status_code
            == 404
        )
        _unchanged(w, before)

    def score(w, login, client):
        assert (
            login(w.kailu)
            .post(f"/assessments/{w.their_assessment.pk}/score/", {"item_B.1.1": "4"})
            .status_code
            == 404
        )

    def _workflow(path, data=None):
        def case(w, login, client):
            before = _their_state(w)
            assert (
                login(w.kailu).post(f"/assessments/{w.their_assessment.pk}/{path}/", data or {}).status_code
                == 404
            )
            _unchanged(w, before)

        return case

    def pdf(w, login, client):
        response = login(w.kailu).get(f"/assessments/{w.their_assessment.pk}/report.pdf")
        assert response.status_code == 404 and "科尔沁" not in response.content.decode()

    def eligibility(w, login, client):
        assert_list(login(w.kailu).get("/benefits/"), "开鲁老人", "科尔沁老人")
        assert "科尔沁老人" not in login(w.kailu).get("/benefits/", {"region": "150502"}).content.decode()

    def eligibility_export(w, login, client):
        import io

        from openpyxl import load_workbook

        response = login(w.kailu).get("/benefits/export.xlsx")
        rows = list(
            load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(values_only=True)
        )
        names = {row[1] for row in rows[1:]}
        assert "开鲁老人" in names and "科尔沁老人" not in names

    def rules(w, login, client):
        # Rules are policy, not personal data: every officer sees those in force above them.
        assert "助餐补贴" in login(w.kailu).get("/benefits/rules/").content.decode()

    return {
        "assessments:list": assessment_list, "assessments:due": due, "assessments:new": new,
        "assessments:trigger_add": trigger_add, "assessments:detail": detail, "assessments:edit": edit,
        "assessments:score": score, "assessments:submit": _workflow("submit"), "assessments:approve": _workflow("approve"),
        "assessments:return": _workflow("return", {"reason": "越界退回"}), "assessments:pdf": pdf,
        "benefits:eligibility": eligibility, "benefits:export": eligibility_export, "benefits:rules": rules,
    }  # fmt: skip


def api_cases(assert_list, api) -> dict:
    def patch(user, client, url, body):
        from yanglao.accounts.services import token_create

        _, raw = token_create(user=user)
        return client.patch(
            url, body, content_type="application/json", headers={"Authorization": f"Bearer {raw}"}
        )

    def api_assessment_list(w, login, client):
        body = api(w.kailu, client, "get", "/api/v1/assessments").json()
        numbers = {a["number"] for a in body["items"]}
        assert w.my_assessment.number in numbers and w.their_assessment.number not in numbers
        assert body["total"] == len(numbers)
        for params in ({"region": "150502"}, {"q": "科尔沁老人"}, {"q": w.their_assessment.number},
                       {"status": "submitted"}):  # fmt: skip
            assert api(w.kailu, client, "get", "/api/v1/assessments", **params).json()["total"] == 0, params

    def api_assessment_detail(w, login, client):
        assert api(w.kailu, client, "get", f"/api/v1/assessments/{w.my_assessment.pk}").status_code == 200
        response = api(w.kailu, client, "get", f"/api/v1/assessments/{w.their_assessment.pk}")
        assert response.status_code == 404 and "科尔沁" not in response.content.decode()

    def api_assessment_create(w, login, client):
        count = Assessment.objects.count()
        response = api(w.kailu, client, "post", "/api/v1/assessments", elder_id=w.their_elder.pk,
                       reference_date="2025-06-01", reason="first", answers=full_marks())  # fmt: skip
        assert response.status_code == 404
        assert Assessment.objects.count() == count

    def api_assessment_update(w, login, client):
        before = _their_state(w)
        url = f"/api/v1/assessments/{w.their_assessment.pk}"
        assert (
            patch(w.kailu, client, url, {"informant_name": "越界", "answers": {"B.1.1": 0}}).status_code
            == 404
        )
        _unchanged(w, before)
        # Naming another county's user as second assessor is refused in the same words as naming
        # no one who exists: the answer says nothing of accounts outside the scope.
        mine = f"/api/v1/assessments/{w.my_assessment.pk}"
        foreign = patch(w.kailu, client, mine, {"assessor_2": "hq-assessor"})
        unknown = patch(w.kailu, client, mine, {"assessor_2": "no-such-user"})
        assert foreign.status_code == unknown.status_code == 422
        assert foreign.json() == unknown.json()

    def api_assessment_submit(w, login, client):
        before = _their_state(w)
        assert (
            api(w.kailu, client, "post", f"/api/v1/assessments/{w.their_assessment.pk}/submit").status_code
            == 404
        )
        _unchanged(w, before)

    def api_assessment_approve(w, login, client):
        before = _their_state(w)
        assert (
            api(w.kailu, client, "post", f"/api/v1/assessments/{w.their_assessment.pk}/approve").status_code
            == 404
        )
        _unchanged(w, before)

    def api_assessment_return(w, login, client):
        before = _their_state(w)
        url = f"/api/v1/assessments/{w.their_assessment.pk}/return"
        assert api(w.kailu, client, "post", url, reason="越界退回").status_code == 404
        _unchanged(w, before)

    def api_assessment_score(w, login, client):
        # A calculator: no stored data in or out, and nothing written.
        count = Assessment.objects.count()
        response = api(w.kailu, client, "post", "/api/v1/assessments/score", answers=full_marks())
        assert response.status_code == 200 and response.json()["total"] == 90
        assert "科尔沁" not in response.content.decode()
        assert Assessment.objects.count() == count

    def api_elder_assessment_list(w, login, client):
        body = api(w.kailu, client, "get", f"/api/v1/elders/{w.my_elder.pk}/assessments").json()
        assert [a["number"] for a in body["items"]] == [w.my_assessment.number]
        assert (
            api(w.kailu, client, "get", f"/api/v1/elders/{w.their_elder.pk}/assessments").status_code == 404
        )

    def api_elder_entitlements(w, login, client):
        body = api(w.kailu, client, "get", f"/api/v1/elders/{w.my_elder.pk}/entitlements").json()
        assert body["grants"] and all(g["region_code"].startswith("150523") for g in body["grants"])
        assert (
            api(w.kailu, client, "get", f"/api/v1/elders/{w.their_elder.pk}/entitlements").status_code == 404
        )

    return {
        "api:assessment_list": api_assessment_list, "api:assessment_detail": api_assessment_detail,
        "api:assessment_create": api_assessment_create, "api:assessment_update": api_assessment_update,
        "api:assessment_submit": api_assessment_submit, "api:assessment_approve": api_assessment_approve,
        "api:assessment_return": api_assessment_return, "api:assessment_score": api_assessment_score,
        "api:elder_assessment_list": api_elder_assessment_list, "api:elder_entitlements": api_elder_entitlements,
    }  # fmt: skip
