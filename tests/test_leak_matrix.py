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

from tests.conftest import make_user
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
    return World(kailu, kailu_auditor, mine, theirs, my_token, their_token)


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
    assert_list(login(w.kailu_auditor).get("/accounts/audit/"), "touch kl-mine", "touch hq-theirs")


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
    body = api(w.kailu_auditor, client, "get", "/api/v1/audit").json()
    summaries = {e["summary"] for e in body["items"]}
    assert "touch kl-mine" in summaries and "touch hq-theirs" not in summaries
    everything = api(w.kailu_auditor, client, "get", "/api/v1/audit", page_size=200).json()
    assert everything["total"] == len(everything["items"])
    assert all(e["region_code"].startswith("150523") for e in everything["items"])


def case_api_region_detail(w, login, client):
    assert api(w.kailu, client, "get", "/api/v1/regions/150523").status_code == 200
    assert api(w.kailu, client, "get", "/api/v1/regions/150502").status_code == 404


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
}


def test_every_route_has_a_scope_case_or_a_reason():
    routes = discovered_routes()
    missing = routes - set(CASES) - set(EXEMPT)
    assert not missing, f"routes without a leak-matrix case: {sorted(missing)}"
    stale = (set(CASES) | set(EXEMPT)) - routes
    assert not stale, f"cases for routes that no longer exist: {sorted(stale)}"


@pytest.mark.parametrize("route", sorted(CASES))
def test_no_leak_between_counties(route, world, client, client_for):
    CASES[route](world, client_for, client)
