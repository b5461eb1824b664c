import pytest
from django.core.exceptions import ValidationError

from tests.conftest import make_user
from yanglao.accounts import services
from yanglao.accounts.models import ApiToken, User
from yanglao.core.models import AuditEntry


def codes(exc: ValidationError) -> dict[str, list[str]]:
    return {field: [e.code for e in errors] for field, errors in exc.error_dict.items()}


@pytest.mark.django_db
def test_officer_creates_a_user_inside_its_scope_with_an_initial_password(kailu_officer):
    user, initial = services.user_create(
        actor=kailu_officer,
        username="kl-care",
        display_name="王护理",
        role="caregiver",
        region_code="150523100001",
    )
    assert user.must_change_password and user.check_password(initial)
    assert user.created_by == kailu_officer
    entry = AuditEntry.objects.get(action="create", object_id=str(user.pk))
    assert entry.region_code == "150523100001"
    assert initial not in str(entry.changes) and initial not in entry.summary


@pytest.mark.django_db
def test_officer_cannot_create_outside_its_scope(kailu_officer):
    with pytest.raises(ValidationError) as error:
        services.user_create(
            actor=kailu_officer, username="hq-x", display_name="x", role="caregiver", region_code="150502001"
        )
    assert codes(error.value) == {"region": ["region_out_of_scope"]}
    assert not User.objects.filter(username="hq-x").exists()


@pytest.mark.django_db
def test_officer_cannot_give_a_wider_scope_than_its_own(township_officer):
    with pytest.raises(ValidationError) as error:
        services.user_create(
            actor=township_officer, username="wider", display_name="x", role="officer", region_code="150523"
        )
    assert codes(error.value) == {"region": ["region_out_of_scope"]}


@pytest.mark.django_db
def test_officer_cannot_make_auditors_or_admins(kailu_officer):
    for role in ("auditor", "admin"):
        with pytest.raises(ValidationError) as error:
            services.user_create(
                actor=kailu_officer, username=f"r-{role}", display_name="x", role=role, region_code="150523"
            )
        assert codes(error.value) == {"role": ["role_not_assignable"]}


@pytest.mark.django_db
def test_officers_are_not_placed_at_village_level(kailu_officer):
    with pytest.raises(ValidationError) as error:
        services.user_create(
            actor=kailu_officer,
            username="v-off",
            display_name="x",
            role="officer",
            region_code="150523100001",
        )
    assert codes(error.value) == {"region": ["region_level_invalid"]}


@pytest.mark.django_db
def test_every_field_error_is_reported_at_once(kailu_officer):
    make_user("taken", "caregiver", "150523")
    with pytest.raises(ValidationError) as error:
        services.user_create(
            actor=kailu_officer, username="TAKEN", display_name=" ", role="boss", region_code="99"
        )
    assert codes(error.value) == {
        "username": ["username_taken"],
        "display_name": ["required"],
        "region": ["region_unknown"],
    }


@pytest.mark.django_db
def test_a_caregiver_cannot_create_users(caregiver):
    with pytest.raises(ValidationError):
        services.user_create(
            actor=caregiver, username="c2", display_name="x", role="caregiver", region_code="150523"
        )


@pytest.mark.django_db
def test_disable_inside_scope_revokes_tokens_and_is_audited(kailu_officer):
    worker = make_user("kl-w", "caregiver", "150523100001")
    token, _ = services.token_create(user=worker)
    services.user_disable(actor=kailu_officer, user=worker, reason="离职")
    worker.refresh_from_db()
    token.refresh_from_db()
    assert not worker.is_active and worker.disabled_reason == "离职"
    assert token.revoked_at is not None
    assert AuditEntry.objects.filter(action="disable", object_id=str(worker.pk)).exists()


@pytest.mark.django_db
def test_cannot_disable_outside_scope_or_wider_or_self(kailu_officer, city_officer, township_officer):
    foreign = make_user("hq-w", "caregiver", "150502001")
    for target in (foreign, city_officer, kailu_officer):
        with pytest.raises(ValidationError):
            services.user_disable(actor=kailu_officer, user=target, reason="x")
    with pytest.raises(ValidationError):
        services.user_disable(actor=township_officer, user=kailu_officer, reason="x")
    assert User.objects.filter(is_active=False).count() == 0


@pytest.mark.django_db
def test_disable_requires_a_reason(kailu_officer):
    worker = make_user("kl-w", "caregiver", "150523")
    with pytest.raises(ValidationError) as error:
        services.user_disable(actor=kailu_officer, user=worker, reason="  ")
    assert "reason" in error.value.error_dict


@pytest.mark.django_db
def test_reset_password_gives_a_new_initial_password(kailu_officer):
    worker = make_user("kl-w", "caregiver", "150523")
    initial = services.user_reset_password(actor=kailu_officer, user=worker)
    worker.refresh_from_db()
    assert worker.check_password(initial) and worker.must_change_password


@pytest.mark.django_db
def test_create_form_shows_errors_beside_fields_in_chinese(client_for, kailu_officer):
    response = client_for(kailu_officer).post(
        "/accounts/users/new/", {"username": "ab", "display_name": "", "role": "auditor", "region": "150502"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "用户名为 3–64 位" in html
    assert "这个字段是必填项" in html
    assert not User.objects.filter(username="ab").exists()


@pytest.mark.django_db
def test_create_form_out_of_scope_region_is_explained(client_for, kailu_officer):
    response = client_for(kailu_officer).post(
        "/accounts/users/new/",
        {"username": "abc", "display_name": "张三", "role": "caregiver", "region": "150502001"},
    )
    assert "超出您的管辖范围" in response.content.decode()


@pytest.mark.django_db
def test_create_page_shows_the_initial_password_once(client_for, kailu_officer):
    client = client_for(kailu_officer)
    response = client.post(
        "/accounts/users/new/",
        {"username": "kl-new", "display_name": "张三", "role": "caregiver", "region": "150523100001"},
    )
    assert response.status_code == 302
    first = client.get(response["Location"]).content.decode()
    assert "初始密码" in first and "只显示这一次" in first
    second = client.get(response["Location"]).content.decode()
    assert "只显示这一次" not in second


@pytest.mark.django_db
def test_user_list_filters_and_searches(client_for, city_officer):
    make_user("kl-a", "caregiver", "150523100001")
    make_user("hq-b", "desk", "150502001")
    client = client_for(city_officer)
    by_region = client.get("/accounts/users/", {"region": "150523"}).content.decode()
    assert "kl-a" in by_region and "hq-b" not in by_region
    by_role = client.get("/accounts/users/", {"role": "desk"}).content.decode()
    assert "hq-b" in by_role and "kl-a" not in by_role
    by_text = client.get("/accounts/users/", {"q": "HQ-"}).content.decode()
    assert "hq-b" in by_text and "kl-a" not in by_text


@pytest.mark.django_db
def test_user_list_query_count_does_not_grow_with_rows(client_for, city_officer, django_assert_num_queries):
    client = client_for(city_officer)
    client.get("/accounts/users/")
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get("/accounts/users/")
    for i in range(30):
        make_user(f"bulk-{i}", "caregiver", "150523100001")
    with CaptureQueriesContext(connection) as many:
        client.get("/accounts/users/", {"page_size": 50})
    assert len(many) == len(few)


@pytest.mark.django_db
def test_roles_without_user_capability_get_403(client_for, caregiver):
    assert client_for(caregiver).get("/accounts/users/").status_code == 403
    assert client_for(caregiver).get("/accounts/audit/").status_code == 403


@pytest.mark.django_db
def test_token_revoked_by_its_owner_or_an_admin_in_scope_only(kailu_officer, horqin_officer):
    worker = make_user("kl-w", "caregiver", "150523")
    token, _ = services.token_create(user=worker)
    with pytest.raises(ValidationError):
        services.token_revoke(actor=horqin_officer, token=token)
    services.token_revoke(actor=kailu_officer, token=token)
    assert ApiToken.objects.get(pk=token.pk).revoked_by == kailu_officer


@pytest.mark.django_db
def test_provider_staff_work_for_one_operator_and_see_only_its_rows(kailu_officer, horqin_officer):
    from yanglao.core.creditcode import make_credit_code
    from yanglao.facilities.services import operator_create
    from yanglao.regions.models import Region

    county = Region.objects.get(code="150523000000")
    operator = operator_create(
        actor=None,
        name="开鲁县康养服务公司",
        credit_code=make_credit_code("91150523MA0Q3AB01"),
        kind="enterprise",
        region=county,
    )
    with pytest.raises(ValidationError) as missing:
        services.user_create(
            actor=kailu_officer, username="kl-prov", display_name="李", role="provider", region_code="150523"
        )
    assert codes(missing.value) == {"operator": ["operator_required"]}
    with pytest.raises(ValidationError) as foreign:
        services.user_create(
            actor=horqin_officer,
            username="kl-prov",
            display_name="李",
            role="provider",
            region_code="150502",
            operator_id=operator.pk,
        )
    assert codes(foreign.value) == {"operator": ["operator_unknown"]}
    user, _ = services.user_create(
        actor=kailu_officer,
        username="kl-prov",
        display_name="李",
        role="provider",
        region_code="150523",
        operator_id=operator.pk,
    )
    assert user.scope.operator_id == operator.pk and user.scope.prefix == "150523"
    assert user.can("care.dispatch") and not user.can("care.settle")
