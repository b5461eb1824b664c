from datetime import timedelta

import pytest
from django.utils import timezone

from tests.conftest import PASSWORD, make_user
from yanglao.accounts.models import ApiToken
from yanglao.accounts.services import hash_token


def obtain(client, username, password=PASSWORD, **extra):
    return client.post(
        "/api/v1/auth/token",
        {"username": username, "password": password},
        content_type="application/json",
        **extra,
    )


@pytest.mark.django_db
def test_token_is_issued_for_12_hours_and_stored_hashed(client, kailu_officer):
    response = obtain(client, "kailu-t")
    assert response.status_code == 200
    body = response.json()
    raw = body["token"]
    stored = ApiToken.objects.get()
    assert stored.key_hash == hash_token(raw) and raw not in (stored.key_hash, stored.key_prefix)
    assert timedelta(hours=11, minutes=59) < stored.expires_at - timezone.now() <= timedelta(hours=12)
    me = client.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {raw}"}).json()
    assert me["username"] == "kailu-t" and me["scope_prefix"] == "150523"


@pytest.mark.django_db
def test_bad_credentials_give_a_stable_code(client, kailu_officer):
    response = obtain(client, "kailu-t", "nope-Nope-1")
    assert response.status_code == 401
    assert response.json() == {"code": "invalid_credentials", "message": "用户名或密码错误。", "fields": {}}


@pytest.mark.django_db
def test_token_endpoint_locks_after_five_failures(client, kailu_officer):
    for _ in range(5):
        obtain(client, "kailu-t", "nope-Nope-1")
    response = obtain(client, "kailu-t")
    assert response.status_code == 429 and response.json()["code"] == "account_locked"


@pytest.mark.django_db
def test_initial_password_must_be_changed_before_a_token(client):
    make_user("newbie", "officer", "150523", must_change=True)
    response = obtain(client, "newbie")
    assert response.status_code == 403 and response.json()["code"] == "password_change_required"


@pytest.mark.django_db
def test_expired_and_revoked_tokens_are_refused(client, kailu_officer, auth_headers):
    headers = auth_headers(kailu_officer)
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get("/api/v1/auth/me", headers=headers)
    assert response.status_code == 401 and response.json()["code"] == "unauthorized"
    headers = auth_headers(kailu_officer)
    token = ApiToken.objects.filter(revoked_at__isnull=True, expires_at__gt=timezone.now()).get()
    assert client.post(f"/api/v1/auth/tokens/{token.pk}/revoke", headers=headers).status_code == 200
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


@pytest.mark.django_db
def test_disabled_users_tokens_stop_working(client, kailu_officer, auth_headers):
    worker = make_user("kl-w", "caregiver", "150523")
    headers = auth_headers(worker)
    client.post(
        f"/api/v1/users/{worker.pk}/disable",
        {"reason": "离职"},
        content_type="application/json",
        headers=auth_headers(kailu_officer),
    )
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


@pytest.mark.django_db
def test_token_list_shows_only_prefixes(client, kailu_officer, auth_headers):
    headers = auth_headers(kailu_officer)
    raw = headers["Authorization"].split()[1]
    body = client.get("/api/v1/auth/tokens", headers=headers).json()
    assert len(body) == 1 and raw not in str(body) and body[0]["key_prefix"] == raw[:10]


@pytest.mark.django_db
def test_console_token_page_shows_a_new_token_once(client_for, kailu_officer):
    client = client_for(kailu_officer)
    html = client.post("/accounts/tokens/", {"name": "对接"}).content.decode()
    assert "ylt_" in html and "只显示这一次" in html
    again = client.get("/accounts/tokens/").content.decode()
    assert "只显示这一次" not in again and "对接" in again


@pytest.mark.django_db
def test_user_api_create_and_list(client, kailu_officer, auth_headers):
    headers = auth_headers(kailu_officer)
    created = client.post(
        "/api/v1/users",
        {"username": "kl-api", "display_name": "李四", "role": "desk", "region": "150523100"},
        content_type="application/json",
        headers=headers,
    )
    assert created.status_code == 201
    assert created.json()["user"]["region_code"] == "150523100000"
    listing = client.get("/api/v1/users", {"q": "kl-api"}, headers=headers).json()
    assert listing["total"] == 1 and listing["page"] == 1 and listing["items"][0]["username"] == "kl-api"


@pytest.mark.django_db
def test_user_api_create_errors_name_fields_with_codes(client, kailu_officer, auth_headers):
    response = client.post(
        "/api/v1/users",
        {"username": "kl api", "display_name": "李四", "role": "desk", "region": "150502"},
        content_type="application/json",
        headers=auth_headers(kailu_officer),
    )
    assert response.status_code == 422
    body = response.json()
    assert set(body["fields"]) == {"username", "region"}
    assert body["code"] == "validation_error"


@pytest.mark.django_db
def test_disable_self_via_api_is_forbidden(client, kailu_officer, auth_headers):
    response = client.post(
        f"/api/v1/users/{kailu_officer.pk}/disable",
        {"reason": "x"},
        content_type="application/json",
        headers=auth_headers(kailu_officer),
    )
    assert response.status_code == 403 and response.json()["code"] == "cannot_disable_self"
