import pytest


@pytest.mark.django_db
def test_region_api_returns_node_path_and_children(client_for, city_officer, auth_headers):
    response = client_for(city_officer).get("/api/v1/regions/150523", headers=auth_headers(city_officer))
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "开鲁县"
    assert body["code"] == "150523000000"
    assert [r["name"] for r in body["path"]] == ["内蒙古自治区", "通辽市", "开鲁县"]
    assert len(body["children"]) == 13
    assert body["children"][0]["level"] == "township"


@pytest.mark.django_db
def test_county_user_sees_only_its_own_branch_above_it(client, kailu_officer, auth_headers):
    headers = auth_headers(kailu_officer)
    city = client.get("/api/v1/regions/150500", headers=headers).json()
    assert [c["name"] for c in city["children"]] == ["开鲁县"]
    assert client.get("/api/v1/regions/150502", headers=headers).status_code == 404
    assert client.get("/api/v1/regions/150502001", headers=headers).json()["code"] == "not_found"


@pytest.mark.django_db
def test_malformed_code_is_a_json_404(client, kailu_officer, auth_headers):
    response = client.get("/api/v1/regions/abc", headers=auth_headers(kailu_officer))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.django_db
def test_picker_loads_children_of_the_chosen_region(client_for, city_officer):
    client = client_for(city_officer)
    first = client.get("/regions/picker/", {"name": "region"}).content.decode()
    assert "开鲁县" in first and "开鲁镇" not in first
    chosen = client.get("/regions/picker/", {"name": "region", "region__pick": "150523"}).content.decode()
    assert 'value="150523000000"' in chosen
    assert "开鲁镇" in chosen  # the township select appears for the chosen county
    assert "科尔沁街道" not in chosen


@pytest.mark.django_db
def test_picker_ignores_a_foreign_choice(client_for, kailu_officer):
    html = (
        client_for(kailu_officer)
        .get("/regions/picker/", {"name": "region", "region__pick": "150502"})
        .content.decode()
    )
    assert "科尔沁" not in html
    assert 'value="150523000000"' in html


@pytest.mark.django_db
def test_region_page_lists_children_with_counts(client_for, city_officer):
    html = client_for(city_officer).get("/regions/150523/").content.decode()
    assert "开鲁镇" in html and "内蒙古自治区" in html
