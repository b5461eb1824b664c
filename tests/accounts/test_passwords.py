import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from tests.conftest import PASSWORD, make_user
from yanglao.core.models import AuditEntry


@pytest.mark.parametrize(
    "password",
    ["Short-1a", "alllowercaseletters", "lowercase123456", "UPPERlowerx"],
)
def test_weak_passwords_are_refused_in_chinese(password):
    with pytest.raises(ValidationError) as error:
        validate_password(password)
    assert any(("密码" in m) for m in error.value.messages)


@pytest.mark.parametrize("password", ["Grass-land-2026", "mongol-steppe-77", "QUIET#river99"])
def test_strong_passwords_pass(password):
    validate_password(password)


@pytest.mark.django_db
def test_new_user_must_change_initial_password_before_anything_else(client):
    make_user("newbie", "officer", "150523", must_change=True)
    client.post("/accounts/login/", {"username": "newbie", "password": PASSWORD})
    response = client.get("/accounts/users/")
    assert response.status_code == 302 and response["Location"] == "/accounts/password/"
    api = client.get("/api/v1/auth/me")
    assert api.status_code == 403 and api.json()["code"] == "password_change_required"


@pytest.mark.django_db
def test_password_change_form_errors_are_beside_the_fields(client_for):
    user = make_user("newbie", "officer", "150523", must_change=True)
    client = client_for(user)
    response = client.post(
        "/accounts/password/",
        {"old_password": "wrong", "new_password": "short", "new_password2": "short"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "原密码错误" in html and "至少需要 10 个字符" in html


@pytest.mark.django_db
def test_password_change_refuses_mismatch_and_reuse(client_for):
    user = make_user("newbie", "officer", "150523", must_change=True)
    client = client_for(user)
    mismatch = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password": "Grass-land-2026", "new_password2": "Grass-land-2027"},
    )
    assert "两次输入的新密码不一致" in mismatch.content.decode()
    reuse = client.post(
        "/accounts/password/", {"old_password": PASSWORD, "new_password": PASSWORD, "new_password2": PASSWORD}
    )
    assert "不能与原密码相同" in reuse.content.decode()
    user.refresh_from_db()
    assert user.must_change_password


@pytest.mark.django_db
def test_password_change_lifts_the_requirement_and_keeps_the_session(client_for):
    user = make_user("newbie", "officer", "150523", must_change=True)
    client = client_for(user)
    response = client.post(
        "/accounts/password/",
        {"old_password": PASSWORD, "new_password": "Grass-land-2026", "new_password2": "Grass-land-2026"},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.must_change_password and user.check_password("Grass-land-2026")
    assert client.get("/accounts/users/").status_code == 200
    assert AuditEntry.objects.filter(action="password_change", actor=user).exists()
