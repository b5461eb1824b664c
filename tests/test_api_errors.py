"""Bad input to the API gets JSON {code, message, fields} with a stable code — never HTML, never a 500."""

import pytest


@pytest.mark.django_db
def test_unauthenticated_requests_get_401_json(client):
    response = client.get("/api/v1/users")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"


@pytest.mark.django_db
def test_malformed_json_body_is_a_422(client):
    response = client.post("/api/v1/auth/token", "{not json", content_type="application/json")
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "malformed_body"


@pytest.mark.django_db
def test_missing_and_wrong_typed_fields_are_named(client):
    response = client.post("/api/v1/auth/token", {"username": 5}, content_type="application/json")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error"
    assert {"username", "password"} <= set(body["fields"])


@pytest.mark.django_db
def test_bad_query_parameters_are_named(client, kailu_officer, auth_headers):
    response = client.get(
        "/api/v1/users", {"page": "zero", "page_size": 5000}, headers=auth_headers(kailu_officer)
    )
    assert response.status_code == 422
    assert {"page", "page_size"} <= set(response.json()["fields"])


@pytest.mark.django_db
def test_unknown_api_path_is_json_404(client):
    response = client.get("/api/v1/no/such/thing")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_forbidden_capability_is_json_403(client, caregiver, auth_headers):
    response = client.get("/api/v1/audit", headers=auth_headers(caregiver))
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


def test_openapi_schema_is_served_and_documents_errors(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert schema["info"]["title"].startswith("yanglao")
    users = schema["paths"]["/api/v1/users"]["get"]["responses"]
    assert {"200", "401", "403", "422"} <= set(users)
    assert client.get("/api/v1/docs").status_code == 200


@pytest.mark.django_db
def test_nul_characters_are_refused_before_any_query(client, kailu_officer, auth_headers):
    headers = auth_headers(kailu_officer)
    body = client.post(
        "/api/v1/elders",
        '{"name": "a", "id_number": "1", "region": "\\u0000"}',
        content_type="application/json",
        headers=headers,
    )
    assert body.status_code == 422 and body.json()["code"] == "invalid_characters"
    query = client.get("/api/v1/elders?q=%00", headers=headers)
    assert query.status_code == 422
