"""Leak-matrix cases for the service network (used by tests/test_leak_matrix.py)."""

import io
from datetime import date

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook
from PIL import Image

from tests.conftest import make_facility
from yanglao.core.creditcode import make_credit_code
from yanglao.core.tasks import enqueue
from yanglao.facilities import services
from yanglao.facilities.models import Facility


def _png() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, "PNG")
    return SimpleUploadedFile("p.png", buffer.getvalue())


def add_facilities(w) -> None:
    w.my_facility = make_facility("150523100000", name="开鲁镇中心", type="county_centre", actor=w.kailu,
                                  operator_name="开鲁运营", operator_code=make_credit_code("91150523MA0Q3AB03"),
                                  operating_mode="公建民营", longitude="121.3", latitude="43.6")  # fmt: skip
    w.their_facility = make_facility("150502001000", name="科尔沁中心", type="county_centre", actor=w.horqin,
                                     operator_name="科尔沁运营", operator_code=make_credit_code("91150502MA0Q3AB04"),
                                     operating_mode="公建民营", longitude="122.2", latitude="43.6")  # fmt: skip
    w.their_photo = services.photo_add(
        actor=w.horqin, facility=w.their_facility, upload=_png(), caption="科尔沁照片"
    )
    w.my_consortium = services.consortium_create(
        actor=w.kailu, name="开鲁联合体", lead=w.my_facility, established=date(2025, 1, 1)
    )
    w.their_consortium = services.consortium_create(
        actor=w.horqin, name="科尔沁联合体", lead=w.their_facility, established=date(2025, 1, 1)
    )
    w.their_facility_task = enqueue(kind="facilities.import", actor=w.horqin, params={"filename": "hq-f.xlsx"},
                                    region_code="150502000000", input_file=ContentFile(b"x", name="hq-f.xlsx"))  # fmt: skip


def _unchanged(w):
    fresh = Facility.objects.get(pk=w.their_facility.pk)
    assert (fresh.name, fresh.status, fresh.floor_area) == (
        w.their_facility.name,
        w.their_facility.status,
        w.their_facility.floor_area,
    )


def cases(assert_list, api):
    def facility_list(w, login, client):
        assert_list(login(w.kailu).get("/facilities/"), "开鲁镇中心", "科尔沁中心")
        body = login(w.kailu).get("/facilities/", {"region": "150502"}).content.decode()
        assert "共 0 条" in body and "科尔沁中心" not in body.split("<tbody>")[1]

    def facility_map_page(w, login, client):
        assert "科尔沁中心" not in login(w.kailu).get("/facilities/map/").content.decode()

    def facility_export(w, login, client):
        rows = load_workbook(
            io.BytesIO(b"".join(login(w.kailu).get("/facilities/export.xlsx").streaming_content))
        ).active
        names = {r[1] for r in rows.iter_rows(values_only=True)}
        assert "开鲁镇中心" in names and "科尔沁中心" not in names

    def facility_detail(w, login, client):
        assert login(w.kailu).get(f"/facilities/{w.my_facility.pk}/").status_code == 200
        assert login(w.kailu).get(f"/facilities/{w.their_facility.pk}/").status_code == 404

    def facility_edit(w, login, client):
        assert login(w.kailu).get(f"/facilities/{w.their_facility.pk}/edit/").status_code == 404
        assert (
            login(w.kailu).post(f"/facilities/{w.their_facility.pk}/edit/", {"name": "改名"}).status_code
            == 404
        )
        _unchanged(w)

    def facility_status(w, login, client):
        assert (
            login(w.kailu)
            .post(f"/facilities/{w.their_facility.pk}/status/", {"status": "closed", "reason": "x"})
            .status_code
            == 404
        )
        _unchanged(w)

    def photo_add(w, login, client):
        assert (
            login(w.kailu).post(f"/facilities/{w.their_facility.pk}/photos/", {"image": _png()}).status_code
            == 404
        )
        assert w.their_facility.photos.count() == 1

    def photo_remove(w, login, client):
        url = f"/facilities/{w.their_facility.pk}/photos/{w.their_photo.pk}/delete/"
        assert login(w.kailu).post(url).status_code == 404
        assert w.their_facility.photos.count() == 1

    def facility_create(w, login, client):
        response = login(w.kailu).post(
            "/facilities/new/",
            {
                "name": "越界",
                "type": "station",
                "region": "150502001000",
                "operating_mode": "public",
                "status": "operating",
            },
        )
        assert response.status_code == 200 and "超出您的管辖范围" in response.content.decode()

    def facility_import(w, login, client):
        assert "hq-f.xlsx" not in login(w.kailu).get("/facilities/import/").content.decode()

    def facility_import_template(w, login, client):
        assert (
            login(w.kailu).get("/facilities/import/template.xlsx").status_code == 200
        )  # one blank template for all

    def facility_import_status(w, login, client):
        assert login(w.kailu).get(f"/facilities/import/{w.their_facility_task.pk}/").status_code == 404

    def facility_import_errors(w, login, client):
        assert (
            login(w.kailu).get(f"/facilities/import/{w.their_facility_task.pk}/errors.xlsx").status_code
            == 404
        )

    def operators(w, login, client):
        assert_list(login(w.kailu).get("/facilities/operators/"), "开鲁运营", "科尔沁运营")

    def operator_detail(w, login, client):
        assert login(w.kailu).get(f"/facilities/operators/{w.my_facility.operator_id}/").status_code == 200
        assert login(w.kailu).get(f"/facilities/operators/{w.their_facility.operator_id}/").status_code == 404

    def consortia(w, login, client):
        assert_list(login(w.kailu).get("/facilities/consortia/"), "开鲁联合体", "科尔沁联合体")

    def consortium_detail(w, login, client):
        assert login(w.kailu).get(f"/facilities/consortia/{w.my_consortium.pk}/").status_code == 200
        assert login(w.kailu).get(f"/facilities/consortia/{w.their_consortium.pk}/").status_code == 404
        # nor can their facility be pulled into my consortium
        response = login(w.kailu).post(
            f"/facilities/consortia/{w.my_consortium.pk}/",
            {"facility": w.their_facility.pk, "joined": "2025-02-01"},
        )
        assert "不在您的管辖范围" in response.content.decode()

    def network(w, login, client):
        body = login(w.kailu).get("/network/").content.decode()
        assert "开鲁县" in body and "科尔沁" not in body

    def network_region(w, login, client):
        assert login(w.kailu).get("/network/150523/").status_code == 200
        assert login(w.kailu).get("/network/150502/").status_code == 404

    def api_facility_list(w, login, client):
        names = {f["name"] for f in api(w.kailu, client, "get", "/api/v1/facilities").json()["items"]}
        assert "开鲁镇中心" in names and "科尔沁中心" not in names
        assert api(w.kailu, client, "get", "/api/v1/facilities", region="150502").json()["total"] == 0

    def api_facility_map(w, login, client):
        names = {p[5] for p in api(w.kailu, client, "get", "/api/v1/facilities/map").json()["points"]}
        assert names == {"开鲁镇中心"}

    def api_facility_detail(w, login, client):
        assert api(w.kailu, client, "get", f"/api/v1/facilities/{w.their_facility.pk}").status_code == 404

    def api_facility_checks(w, login, client):
        assert (
            api(w.kailu, client, "get", f"/api/v1/facilities/{w.their_facility.pk}/checks").status_code == 404
        )

    def api_facility_status(w, login, client):
        response = api(
            w.kailu,
            client,
            "post",
            f"/api/v1/facilities/{w.their_facility.pk}/status",
            status="closed",
            reason="x",
        )
        assert response.status_code == 404
        _unchanged(w)

    def api_facility_update(w, login, client):
        from yanglao.accounts.services import token_create

        _, raw = token_create(user=w.kailu)
        response = client.patch(
            f"/api/v1/facilities/{w.their_facility.pk}",
            {"name": "改"},
            content_type="application/json",
            headers={"Authorization": f"Bearer {raw}"},
        )
        assert response.status_code == 404
        _unchanged(w)

    def api_facility_create(w, login, client):
        response = api(
            w.kailu, client, "post", "/api/v1/facilities", name="越界", type="station", region="150502001000"
        )
        assert response.status_code == 422 and "region" in response.json()["fields"]

    def api_operator_list(w, login, client):
        names = {o["name"] for o in api(w.kailu, client, "get", "/api/v1/operators").json()["items"]}
        assert "开鲁运营" in names and "科尔沁运营" not in names

    def api_operator_detail(w, login, client):
        assert (
            api(w.kailu, client, "get", f"/api/v1/operators/{w.their_facility.operator_id}").status_code
            == 404
        )

    def api_region_network(w, login, client):
        assert api(w.kailu, client, "get", "/api/v1/regions/150523/network").status_code == 200
        assert api(w.kailu, client, "get", "/api/v1/regions/150502/network").status_code == 404
        body = api(w.kailu, client, "get", "/api/v1/regions/150500/network").json()
        assert (
            sum(r["total"] for r in body["facilities"]) == 1
        )  # the city seen from 开鲁县: its own facility only

    return {
        "facilities:list": facility_list, "facilities:map": facility_map_page, "facilities:export": facility_export,
        "facilities:detail": facility_detail, "facilities:edit": facility_edit, "facilities:status": facility_status,
        "facilities:photo_add": photo_add, "facilities:photo_remove": photo_remove, "facilities:create": facility_create,
        "facilities:import": facility_import, "facilities:import_template": facility_import_template,
        "facilities:import_status": facility_import_status, "facilities:import_errors": facility_import_errors,
        "facilities:operators": operators, "facilities:operator_detail": operator_detail, "facilities:consortia": consortia,
        "facilities:consortium_detail": consortium_detail, "reports:network": network, "reports:network_region": network_region,
        "api:facility_list": api_facility_list, "api:facility_map": api_facility_map, "api:facility_detail": api_facility_detail,
        "api:facility_checks": api_facility_checks, "api:facility_status": api_facility_status,
        "api:facility_update": api_facility_update, "api:facility_create": api_facility_create,
        "api:operator_list": api_operator_list, "api:operator_detail": api_operator_detail,
        "api:region_network_summary": api_region_network,
    }  # fmt: skip
