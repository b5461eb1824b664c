"""The leak matrix: every list, detail, export and API route, proven not to leak across counties.

Routes are discovered from the URLconf (which includes every django-ninja operation). Each must
appear in CASES (with a proof) or in EXEMPT (with the reason it holds no region-scoped data), so a
new route without a scope case fails this suite. The world: real rows in 开鲁县 (150523) and
科尔沁区 (150502); the user of one must find nothing of the other — not in lists, exports or counts,
and 404 on details.
"""

from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.alarms.desk_leak_cases import add_desk
from tests.alarms.desk_leak_cases import cases as desk_cases
from tests.alarms.leak_cases import add_alarms
from tests.alarms.leak_cases import cases as alarm_cases
from tests.assessments.leak_cases import add_assessments
from tests.assessments.leak_cases import cases as assessment_cases
from tests.care.leak_cases import add_care
from tests.care.leak_cases import cases as care_cases
from tests.care.order_leak_cases import add_orders
from tests.care.order_leak_cases import cases as order_cases
from tests.care.settlement_leak_cases import add_settlements
from tests.care.settlement_leak_cases import cases as settlement_cases
from tests.conftest import make_user
from tests.facilities.leak_cases import add_facilities
from tests.facilities.leak_cases import cases as facility_cases
from tests.planning.leak_cases import add_planning
from tests.planning.leak_cases import cases as planning_cases
from tests.residential.leak_cases import add_residential
from tests.residential.leak_cases import cases as residential_cases
from yanglao.accounts.services import token_create
from yanglao.core import audit

EXEMPT = {
    "accounts:login": "the login form itself",
    "accounts:logout": "ends the caller's own session",
    "accounts:password_change": "changes the caller's own password",
    "api:token_obtain": "exchanges the caller's own credentials",
    "api:openapi-json": "the schema, no data",
    "api:openapi-view": "the interactive docs, no data",
    "api:api-root": "an index, no data",
    "api-unknown": "answers 404 for every unknown API path",
}


@dataclass
class World:
    kailu: object  # 开鲁县 officer: the reader in every case
    kailu_auditor: object
    mine: object  # a user in 开鲁县
    theirs: object  # a user in 科尔沁区
    my_token: object
    their_token: object
    horqin: object = None  # 科尔沁区 officer
    my_elder: object = None
    their_elder: object = None
    my_flag: object = None
    their_flag: object = None
    their_task: object = None
    my_facility: object = None
    their_facility: object = None
    their_photo: object = None
    my_consortium: object = None
    their_consortium: object = None
    their_facility_task: object = None
    my_assessment: object = None
    their_assessment: object = None


@pytest.fixture
def world(db):
    kailu = make_user("kl-officer", "officer", "150523")
    kailu_auditor = make_user("kl-auditor", "auditor", "150523")
    mine = make_user("kl-mine", "caregiver", "150523100001")
    theirs = make_user("hq-theirs", "caregiver", "150502001001")
    my_token, _ = token_create(user=mine)
    their_token, _ = token_create(user=theirs)
    for user in (mine, theirs):
        audit.record(
            actor=None,
            username="setup",
            action=audit.Action.UPDATE,
            obj=user,
            summary=f"touch {user.username}",
        )
    horqin = make_user("hq-officer", "officer", "150502")
    world = World(kailu, kailu_auditor, mine, theirs, my_token, their_token, horqin=horqin)
    _add_elders(world)
    add_facilities(world)
    add_assessments(world)
    add_alarms(world)
    add_desk(world)
    add_planning(world)
    add_care(world)
    add_orders(world)
    add_settlements(world)
    add_residential(world)
    return world


def _add_elders(w):
    from datetime import date

    from django.core.files.base import ContentFile

    from tests.conftest import make_elder
    from yanglao.core.idnumber import make
    from yanglao.core.tasks import enqueue
    from yanglao.elders.models import DuplicateFlag, Elder
    from yanglao.elders.services import elder_move
    from yanglao.regions.models import Region

    w.my_elder = make_elder("150523100001", name="开鲁老人", phone="13800000001", actor=w.kailu)
    w.their_elder = make_elder("150502001001", name="科尔沁老人", phone="13800000002", actor=w.horqin)
    for region, name, actor in (
        ("150523100001", "开鲁重名", w.kailu),
        ("150502001001", "科尔沁重名", w.horqin),
    ):
        for seq in (880, 882):
            make_elder(region, name=name, id_number=make(region[:6], date(1940, 1, 1), seq, "F"), actor=actor)
    w.my_flag = DuplicateFlag.objects.get(elder__name="开鲁重名")
    w.their_flag = DuplicateFlag.objects.get(elder__name="科尔沁重名")
    moved = make_elder("150502001001", name="科尔沁迁移", actor=w.horqin)
    elder_move(actor=w.horqin, elder=moved, region=Region.objects.get(code="150502001002"), reason="内部迁移")
    w.their_task = enqueue(
        kind="elders.import",
        actor=w.horqin,
        params={"filename": "hq.xlsx"},
        region_code="150502000000",
        input_file=ContentFile(b"x", name="hq.xlsx"),
    )
    assert Elder.objects.count() == 7


def _names(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _names(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}"


def discovered_routes() -> set[str]:
    return {name for name in _names() if not name.startswith(("admin:", "djdt:"))}


def get(client, url, headers=None, **params):
    return client.get(url, params, headers=headers or {})


def api(user, client, method, url, **data):
    from yanglao.accounts.services import token_create as make_token

    _, raw = make_token(user=user)
    headers = {"Authorization": f"Bearer {raw}"}
    if method == "get":
        return client.get(url, data, headers=headers)
    return client.post(url, data, content_type="application/json", headers=headers)


def assert_list(response, present: str, absent: str):
    body = response.content.decode()
    assert response.status_code == 200, response.status_code
    assert present in body, f"{present} missing"
    assert absent not in body, f"{absent} leaked"


# Each case: (world, logged-in client factory, plain client) -> asserts.
def case_user_list(w, login, client):
    assert_list(login(w.kailu).get("/accounts/users/"), "kl-mine", "hq-theirs")
    assert_list(login(w.kailu).get("/accounts/users/", {"region": "150502"}), "共 0 条", "hq-theirs")


def case_user_detail(w, login, client):
    assert login(w.kailu).get(f"/accounts/users/{w.mine.pk}/").status_code == 200
    assert login(w.kailu).get(f"/accounts/users/{w.theirs.pk}/").status_code == 404


def _post_404(w, login, path, data=None):
    assert login(w.kailu).post(path.format(pk=w.theirs.pk), data or {"reason": "x"}).status_code == 404
    w.theirs.refresh_from_db()
    assert w.theirs.is_active and not w.theirs.must_change_password


def case_user_disable(w, login, client):
    _post_404(w, login, "/accounts/users/{pk}/disable/")


def case_user_enable(w, login, client):
    _post_404(w, login, "/accounts/users/{pk}/enable/")


def case_user_reset_password(w, login, client):
    _post_404(w, login, "/accounts/users/{pk}/reset-password/")


def case_user_create(w, login, client):
    response = login(w.kailu).post(
        "/accounts/users/new/",
        {"username": "sneaky", "display_name": "x", "role": "caregiver", "region": "150502001"},
    )
    assert response.status_code == 200 and "超出您的管辖范围" in response.content.decode()
    page = login(w.kailu).get("/accounts/users/new/").content.decode()
    assert "科尔沁" not in page


def case_tokens(w, login, client):
    assert_list(login(w.mine).get("/accounts/tokens/"), w.my_token.key_prefix, w.their_token.key_prefix)


def case_token_revoke(w, login, client):
    assert login(w.kailu).post(f"/accounts/tokens/{w.their_token.pk}/revoke/").status_code == 404
    w.their_token.refresh_from_db()
    assert w.their_token.revoked_at is None


def case_audit_list(w, login, client):
    # Filtered to the world's own entries: every domain's setup writes audit entries of its own.
    page = login(w.kailu_auditor).get("/accounts/audit/", {"person": "setup"})
    assert_list(page, "touch kl-mine", "touch hq-theirs")


def case_home(w, login, client):
    body = login(w.kailu).get("/").content.decode()
    assert "开鲁县" in body and "科尔沁" not in body
    assert "273" in body and "2,568" not in body  # its own village count, not the city's


def case_region_detail(w, login, client):
    assert login(w.kailu).get("/regions/150523/").status_code == 200
    assert login(w.kailu).get("/regions/150502/").status_code == 404
    assert "科尔沁" not in login(w.kailu).get("/regions/150500/").content.decode()


def case_picker(w, login, client):
    body = login(w.kailu).get("/regions/picker/", {"name": "r", "r__pick": "150502"}).content.decode()
    assert "科尔沁" not in body


def case_api_user_list(w, login, client):
    body = api(w.kailu, client, "get", "/api/v1/users").json()
    names = {u["username"] for u in body["items"]}
    assert "kl-mine" in names and "hq-theirs" not in names
    assert body["total"] == len(names)
    foreign = api(w.kailu, client, "get", "/api/v1/users", region="150502").json()
    assert foreign["total"] == 0


def case_api_user_detail(w, login, client):
    assert api(w.kailu, client, "get", f"/api/v1/users/{w.mine.pk}").status_code == 200
    assert api(w.kailu, client, "get", f"/api/v1/users/{w.theirs.pk}").status_code == 404


def case_api_user_disable(w, login, client):
    response = api(w.kailu, client, "post", f"/api/v1/users/{w.theirs.pk}/disable", reason="x")
    assert response.status_code == 404
    w.theirs.refresh_from_db()
    assert w.theirs.is_active


def case_api_user_create(w, login, client):
    response = api(
        w.kailu,
        client,
        "post",
        "/api/v1/users",
        username="sneaky",
        display_name="x",
        role="caregiver",
        region="150502",
    )
    assert response.status_code == 422 and response.json()["code"] == "region_out_of_scope"


def case_api_me(w, login, client):
    assert api(w.kailu, client, "get", "/api/v1/auth/me").json()["scope_prefix"] == "150523"


def case_api_tokens(w, login, client):
    body = str(api(w.mine, client, "get", "/api/v1/auth/tokens").json())
    assert w.my_token.key_prefix in body and w.their_token.key_prefix not in body


def case_api_token_revoke(w, login, client):
    assert api(w.kailu, client, "post", f"/api/v1/auth/tokens/{w.their_token.pk}/revoke").status_code == 404
    w.their_token.refresh_from_db()
    assert w.their_token.revoked_at is None


def case_api_audit_list(w, login, client):
    body = api(w.kailu_auditor, client, "get", "/api/v1/audit", person="setup").json()
    summaries = {e["summary"] for e in body["items"]}
    assert "touch kl-mine" in summaries and "touch hq-theirs" not in summaries
    everything = api(w.kailu_auditor, client, "get", "/api/v1/audit", page_size=200).json()
    assert everything["total"] == len(everything["items"])
    assert all(e["region_code"].startswith("150523") for e in everything["items"])


def case_api_region_detail(w, login, client):
    assert api(w.kailu, client, "get", "/api/v1/regions/150523").status_code == 200
    assert api(w.kailu, client, "get", "/api/v1/regions/150502").status_code == 404


def case_api_region_outlines(w, login, client):
    body = api(w.kailu, client, "get", "/api/v1/regions/150500/outlines").json()
    assert [f["properties"]["short_code"] for f in body["features"]] == ["150523"]
    assert "科尔沁" not in str(body)
    assert api(w.kailu, client, "get", "/api/v1/regions/150502/outlines").status_code == 404


CASES = {
    "reports:home": case_home,
    "accounts:user_list": case_user_list,
    "accounts:user_create": case_user_create,
    "accounts:user_detail": case_user_detail,
    "accounts:user_disable": case_user_disable,
    "accounts:user_enable": case_user_enable,
    "accounts:user_reset_password": case_user_reset_password,
    "accounts:tokens": case_tokens,
    "accounts:token_revoke": case_token_revoke,
    "accounts:audit_list": case_audit_list,
    "regions:picker": case_picker,
    "regions:detail": case_region_detail,
    "api:me": case_api_me,
    "api:tokens": case_api_tokens,
    "api:token_revoke": case_api_token_revoke,
    "api:user_list": case_api_user_list,
    "api:user_create": case_api_user_create,
    "api:user_detail": case_api_user_detail,
    "api:user_disable": case_api_user_disable,
    "api:audit_list": case_api_audit_list,
    "api:region_detail": case_api_region_detail,
    "api:region_outlines": case_api_region_outlines,
}


# --- elders ---------------------------------------------------------------------------------------


def case_elder_list(w, login, client):
    from yanglao.elders.privacy import open_phone

    assert_list(login(w.kailu).get("/elders/"), "开鲁老人", "科尔沁老人")
    assert_list(login(w.kailu).get("/elders/", {"region": "150502"}), "共 0 条", "科尔沁老人")
    # Searching for them by name or phone finds nothing (the search box echoes the query, so the
    # table and the count are what must stay empty).
    for query in ("科尔沁老人", open_phone(w.their_elder.phone_enc)):
        body = login(w.kailu).get("/elders/", {"q": query}).content.decode()
        assert "共 0 条" in body and "科尔沁老人" not in body.split("<tbody>")[1]


def case_elder_export(w, login, client):
    import io

    from openpyxl import load_workbook

    response = login(w.kailu).get("/elders/export.xlsx")
    names = {
        r[1]
        for r in load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(
            values_only=True
        )
    }
    assert "开鲁老人" in names and "科尔沁老人" not in names and "科尔沁重名" not in names


def case_elder_detail(w, login, client):
    assert login(w.kailu).get(f"/elders/{w.my_elder.pk}/").status_code == 200
    assert login(w.kailu).get(f"/elders/{w.their_elder.pk}/").status_code == 404


def _elder_post_404(w, login, path, data):
    before = w.their_elder.__class__.objects.get(pk=w.their_elder.pk)
    assert login(w.kailu).post(path.format(pk=w.their_elder.pk), data).status_code == 404
    after = w.their_elder.__class__.objects.get(pk=w.their_elder.pk)
    assert (after.status, after.region_id, after.address, after.name) == (
        before.status,
        before.region_id,
        before.address,
        before.name,
    )


def case_elder_edit(w, login, client):
    assert login(w.kailu).get(f"/elders/{w.their_elder.pk}/edit/").status_code == 404
    _elder_post_404(
        w,
        login,
        "/elders/{pk}/edit/",
        {"name": "改名", "living_situation": "other", "marital_status": "unknown"},
    )


def case_elder_move(w, login, client):
    _elder_post_404(w, login, "/elders/{pk}/move/", {"region_text": "150523100001"})


def case_elder_status(w, login, client):
    _elder_post_404(w, login, "/elders/{pk}/status/", {"status": "deceased", "status_date": "2026-01-01"})


def case_elder_reveal(w, login, client):
    from yanglao.core.models import AuditEntry

    _elder_post_404(w, login, "/elders/{pk}/reveal/", {"field": "phone"})
    assert not AuditEntry.objects.filter(action="reveal").exists()


def case_category_add(w, login, client):
    _elder_post_404(
        w, login, "/elders/{pk}/categories/", {"category": "subsistence", "valid_from": "2025-01-01"}
    )
    assert not w.their_elder.categories.filter(category="subsistence").exists()


def case_category_end(w, login, client):
    from datetime import date

    from yanglao.elders.services import category_add

    membership = category_add(
        actor=w.horqin, elder=w.their_elder, category="subsistence", valid_from=date(2025, 1, 1)
    )
    response = login(w.kailu).post(
        f"/elders/{w.their_elder.pk}/categories/{membership.pk}/end/", {"valid_to": "2025-06-01"}
    )
    assert response.status_code == 404
    membership.refresh_from_db()
    assert membership.valid_to is None


def case_elder_create(w, login, client):
    from datetime import date

    from yanglao.core.idnumber import make

    response = login(w.kailu).post(
        "/elders/new/",
        {
            "name": "越界",
            "id_number": make("150502", date(1950, 1, 1), 11, "M"),
            "region": "150502001001",
            "living_situation": "other",
            "marital_status": "unknown",
        },
    )
    assert response.status_code == 200 and "超出您的管辖范围" in response.content.decode()
    assert "科尔沁" not in login(w.kailu).get("/elders/new/").content.decode()


def case_duplicates(w, login, client):
    assert_list(login(w.kailu).get("/elders/duplicates/"), "开鲁重名", "科尔沁重名")


def case_duplicate_detail(w, login, client):
    assert login(w.kailu).get(f"/elders/duplicates/{w.my_flag.pk}/").status_code == 200
    assert login(w.kailu).get(f"/elders/duplicates/{w.their_flag.pk}/").status_code == 404
    assert (
        login(w.kailu)
        .post(f"/elders/duplicates/{w.their_flag.pk}/", {"action": "merge", "keep": w.their_flag.elder_id})
        .status_code
        == 404
    )
    w.their_flag.refresh_from_db()
    assert w.their_flag.state == "open"


def case_moves(w, login, client):
    assert_list(login(w.horqin).get("/elders/moves/"), "迁出至", "开鲁")
    body = login(w.kailu).get("/elders/moves/").content.decode()
    assert "迁出至" not in body and "迁入" not in body.split("<tbody>")[1]


def case_import(w, login, client):
    body = login(w.kailu).get("/elders/import/").content.decode()
    assert "hq.xlsx" not in body


def case_import_template(w, login, client):
    assert (
        login(w.kailu).get("/elders/import/template.xlsx").status_code == 200
    )  # the same blank template for all


def case_import_status(w, login, client):
    assert login(w.kailu).get(f"/elders/import/{w.their_task.pk}/").status_code == 404


def case_import_errors(w, login, client):
    assert login(w.kailu).get(f"/elders/import/{w.their_task.pk}/errors.xlsx").status_code == 404


def case_task_progress(w, login, client):
    assert login(w.kailu).get(f"/core/tasks/{w.their_task.pk}/progress/").status_code == 404
    assert login(w.horqin).get(f"/core/tasks/{w.their_task.pk}/progress/").status_code == 200


def case_api_elder_list(w, login, client):
    body = api(w.kailu, client, "get", "/api/v1/elders", status="all").json()
    names = {e["name"] for e in body["items"]}
    assert "开鲁老人" in names and not any("科尔沁" in n for n in names)
    assert body["total"] == len(names) + 1  # the two 开鲁重名 records share a name
    assert api(w.kailu, client, "get", "/api/v1/elders", region="150502").json()["total"] == 0


def case_api_elder_detail(w, login, client):
    assert api(w.kailu, client, "get", f"/api/v1/elders/{w.my_elder.pk}").status_code == 200
    assert api(w.kailu, client, "get", f"/api/v1/elders/{w.their_elder.pk}").status_code == 404


def case_api_elder_events(w, login, client):
    assert api(w.kailu, client, "get", f"/api/v1/elders/{w.their_elder.pk}/events").status_code == 404


def case_api_elder_reveal(w, login, client):
    assert (
        api(w.kailu, client, "post", f"/api/v1/elders/{w.their_elder.pk}/reveal", field="phone").status_code
        == 404
    )


def case_api_elder_update(w, login, client):
    from yanglao.accounts.services import token_create as make_token

    _, raw = make_token(user=w.kailu)
    response = client.patch(
        f"/api/v1/elders/{w.their_elder.pk}",
        {"address": "x"},
        content_type="application/json",
        headers={"Authorization": f"Bearer {raw}"},
    )
    assert response.status_code == 404
    w.their_elder.refresh_from_db()
    assert w.their_elder.address != "x"


def case_api_elder_create(w, login, client):
    from datetime import date

    from yanglao.core.idnumber import make

    response = api(
        w.kailu,
        client,
        "post",
        "/api/v1/elders",
        name="越界",
        id_number=make("150502", date(1950, 1, 1), 13, "M"),
        region="150502001001",
    )
    assert response.status_code == 422 and "region" in response.json()["fields"]


ELDER_CASES = {
    "elders:list": case_elder_list,
    "elders:export": case_elder_export,
    "elders:create": case_elder_create,
    "elders:detail": case_elder_detail,
    "elders:edit": case_elder_edit,
    "elders:move": case_elder_move,
    "elders:status": case_elder_status,
    "elders:reveal": case_elder_reveal,
    "elders:category_add": case_category_add,
    "elders:category_end": case_category_end,
    "elders:import": case_import,
    "elders:import_template": case_import_template,
    "elders:import_status": case_import_status,
    "elders:import_errors": case_import_errors,
    "elders:duplicates": case_duplicates,
    "elders:duplicate_detail": case_duplicate_detail,
    "elders:moves": case_moves,
    "core:task_progress": case_task_progress,
    "api:elder_list": case_api_elder_list,
    "api:elder_create": case_api_elder_create,
    "api:elder_detail": case_api_elder_detail,
    "api:elder_update": case_api_elder_update,
    "api:elder_reveal": case_api_elder_reveal,
    "api:elder_events": case_api_elder_events,
}

CASES.update(ELDER_CASES)
CASES.update(facility_cases(assert_list, api))
CASES.update(assessment_cases(assert_list, api))
CASES.update(alarm_cases(assert_list, api))
CASES.update(desk_cases(assert_list, api))
CASES.update(planning_cases(assert_list, api))
CASES.update(care_cases(assert_list, api))
CASES.update(order_cases(assert_list, api))
CASES.update(settlement_cases(assert_list, api))
CASES.update(residential_cases(assert_list, api))


def test_every_route_has_a_scope_case_or_a_reason():
    routes = discovered_routes()
    missing = routes - set(CASES) - set(EXEMPT)
    assert not missing, f"routes without a leak-matrix case: {sorted(missing)}"
    stale = (set(CASES) | set(EXEMPT)) - routes
    assert not stale, f"cases for routes that no longer exist: {sorted(stale)}"


@pytest.mark.parametrize("route", sorted(CASES))
def test_no_leak_between_counties(route, world, client, client_for):
    CASES[route](world, client_for, client)
