from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import PASSWORD, make_user
from yanglao.accounts.models import LoginFailure
from yanglao.core.models import AuditEntry


def post_login(client, username, password=PASSWORD, ip="10.1.1.1"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


@pytest.mark.django_db
def test_login_success_redirects_home_and_is_audited(client, kailu_officer):
    response = post_login(client, "kailu-t")
    assert response.status_code == 302 and response["Location"] == "/"
    entry = AuditEntry.objects.filter(action="login").get()
    assert entry.actor == kailu_officer and entry.ip == "10.1.1.1"


@pytest.mark.django_db
def test_username_is_case_insensitive(client, kailu_officer):
    assert post_login(client, "KAILU-T").status_code == 302


@pytest.mark.django_db
def test_wrong_password_shows_chinese_error_and_is_audited(client, kailu_officer):
    response = post_login(client, "kailu-t", "wrong-password-1A")
    assert response.status_code == 200
    assert "用户名或密码错误" in response.content.decode()
    failed = AuditEntry.objects.get(action="login_failed")
    assert failed.actor is None and failed.actor_username == "kailu-t"
    assert failed.region_code == kailu_officer.region_id


@pytest.mark.django_db
def test_five_failures_lock_the_account_even_for_the_right_password(client, kailu_officer):
    for i in range(5):
        post_login(client, "kailu-t", "wrong-password-1A", ip=f"10.0.0.{i}")
    response = post_login(client, "kailu-t", PASSWORD, ip="10.9.9.9")
    assert response.status_code == 429
    assert "锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_four_failures_do_not_lock_and_a_success_clears_them(client, kailu_officer):
    for _ in range(4):
        post_login(client, "kailu-t", "wrong-password-1A")
    assert post_login(client, "kailu-t").status_code == 302
    assert not LoginFailure.objects.filter(key="kailu-t").exists()


@pytest.mark.django_db
def test_lock_lifts_after_fifteen_minutes(client, kailu_officer):
    for _ in range(5):
        post_login(client, "kailu-t", "wrong-password-1A")
    LoginFailure.objects.update(at=timezone.now() - timedelta(minutes=15, seconds=1))
    assert post_login(client, "kailu-t").status_code == 302


@pytest.mark.django_db
def test_five_failures_from_one_address_lock_that_address_for_every_account(
    client, kailu_officer, horqin_officer
):
    for name in ["a-user", "b-user", "c-user", "d-user", "e-user"]:
        post_login(client, name, "wrong-password-1A", ip="10.7.7.7")
    assert post_login(Client(), "horqin-t", ip="10.7.7.7").status_code == 429
    assert post_login(Client(), "horqin-t", ip="10.7.7.8").status_code == 302


@pytest.mark.django_db
def test_disabled_account_cannot_log_in(client, kailu_officer):
    kailu_officer.is_active = False
    kailu_officer.save()
    assert post_login(client, "kailu-t").status_code == 200


@pytest.mark.django_db
def test_demo_accounts_are_refused_when_settings_forbid_them(client, settings):
    make_user("demo-x", "officer", "150523", is_demo=True)
    settings.YANGLAO_ALLOW_DEMO_LOGINS = False
    assert post_login(client, "demo-x").status_code == 200
    settings.YANGLAO_ALLOW_DEMO_LOGINS = True
    assert post_login(client, "demo-x").status_code == 302


@pytest.mark.django_db
def test_open_redirect_after_login_is_refused(client, kailu_officer):
    response = client.post(
        "/accounts/login/?next=https://evil.example/", {"username": "kailu-t", "password": PASSWORD}
    )
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_logout_is_post_only_and_audited(client_for, kailu_officer):
    client = client_for(kailu_officer)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert AuditEntry.objects.filter(action="logout", actor=kailu_officer).exists()


@pytest.mark.django_db
def test_csrf_is_enforced_on_forms(kailu_officer):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"username": "kailu-t", "password": PASSWORD})
    assert response.status_code == 403


def test_idle_timeout_is_thirty_minutes_and_refreshed_per_request(settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


@pytest.mark.django_db
def test_an_idle_session_expires(client, kailu_officer):
    from django.contrib.sessions.models import Session

    post_login(client, "kailu-t")
    assert client.get("/").status_code == 200
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_caregiver_lands_on_the_phone_page_of_their_orders(client, caregiver):
    client.force_login(caregiver)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/care/m/"
    assert client.get(response["Location"]).status_code == 200


def test_an_officer_still_lands_on_the_dashboard(client, kailu_officer):
    client.force_login(kailu_officer)
    assert client.get("/").status_code == 200
