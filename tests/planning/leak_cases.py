"""Leak-matrix cases for planning (used by tests/test_leak_matrix.py).

``add_planning(w)`` gives each county a located elder, a candidate site, a service-circle setting and
a finished siting run (written directly: the solver is not what these cases prove). ``cases``
returns every coverage and siting route's case; the construction plans' cases are appended below
by their owners.
"""

import io
from decimal import Decimal

from openpyxl import load_workbook

from yanglao.elders.models import Elder
from yanglao.planning.models import CandidateSite, CoverageSetting, PlanItem, RunStatus, SitingRun
from yanglao.regions.models import Region


def _run(region_code: str, name: str, user) -> SitingRun:
    return SitingRun.objects.create(
        region_id=region_code,
        question="max_cover",
        parameters={"p": 1},
        status=RunStatus.DONE,
        objective=1.0,
        bound=1.0,
        gap=0.0,
        method="greedy",
        seconds=0.1,
        created_by=user,
        result={
            "sites": [
                {
                    "rank": 1,
                    "index": 0,
                    "candidate": None,
                    "name": name,
                    "lat": 43.6,
                    "lng": 121.3,
                    "region": region_code,
                    "radius": 865.4,
                    "cost_fen": None,
                    "newly_weight": 1.0,
                    "newly_elders": 1,
                    "cumulative_weight": 1.0,
                    "cumulative_share": 1.0,
                    "cumulative_elders": 1,
                    "cumulative_elder_share": 1.0,
                }
            ],
            "candidates": [],
            "hexes": [],
            "hex_size_m": 250,
        },
    )


def add_planning(w) -> None:
    # Locate the world's elders (a plain update: no history or audit entries to crowd other cases).
    Elder.objects.filter(pk=w.my_elder.pk).update(longitude=Decimal("121.5"), latitude=Decimal("43.9"))
    Elder.objects.filter(pk=w.their_elder.pk).update(longitude=Decimal("122.5"), latitude=Decimal("43.9"))
    w.my_site = CandidateSite.objects.create(
        region_id="150523100001", name="开鲁候选点", latitude=Decimal("43.61"), longitude=Decimal("121.31")
    )
    w.their_site = CandidateSite.objects.create(
        region_id="150502001001", name="科尔沁候选点", latitude=Decimal("43.61"), longitude=Decimal("122.21")
    )
    for code, note in (("150523000000", "开鲁设置"), ("150502000000", "科尔沁设置")):
        CoverageSetting.objects.create(region=Region.objects.get(code=code), minutes=15, mode="walk",
                                       speed_kmh=Decimal("4.5"), detour=Decimal("1.3"), note=note)  # fmt: skip
    w.my_run = _run("150523100001", "开鲁选址点", w.kailu)
    w.their_run = _run("150502001001", "科尔沁选址点", w.horqin)
    add_plans(w)


def _active_in(prefix: str) -> int:
    from yanglao.elders.models import Elder

    return Elder.objects.filter(region__code__startswith=prefix, status="active").count()


def cases(assert_list, api) -> dict:
    def coverage(w, login, client):
        response = login(w.kailu).get("/planning/coverage/")
        assert response.status_code == 200
        names = [s[3] for s in response.context["map_data"]["sites"]]
        assert "开鲁镇中心" in names and "科尔沁中心" not in names
        assert "科尔沁" not in response.content.decode()
        assert response.context["report"].total == _active_in("150523")  # 开鲁's elders only
        foreign = login(w.kailu).get("/planning/coverage/", {"region": "150502"})
        assert foreign.context["report"] is None and "超出您的管辖范围" in foreign.content.decode()

    def uncovered(w, login, client):
        body = login(w.kailu).get("/planning/coverage/uncovered/").content.decode()
        assert "开鲁老人" in body and "科尔沁" not in body
        body = login(w.kailu).get("/planning/coverage/uncovered/", {"region": "150502"}).content.decode()
        assert "科尔沁老人" not in body

    def export(w, login, client):
        response = login(w.kailu).get("/planning/coverage/uncovered/export.xlsx")
        rows = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.iter_rows(
            values_only=True
        )
        names = {r[1] for r in rows}
        assert "开鲁老人" in names and "科尔沁老人" not in names

    def settings_page(w, login, client):
        assert_list(login(w.kailu).get("/planning/coverage/settings/"), "开鲁设置", "科尔沁设置")
        response = login(w.kailu).post(
            "/planning/coverage/settings/",
            {"region": "150502", "minutes": 20, "mode": "walk", "speed_kmh": "4", "detour": "1.2"},
        )
        assert response.status_code == 200 and "超出您的管辖范围" in response.content.decode()
        assert CoverageSetting.objects.get(region_id="150502000000").minutes == 15

    def siting_page(w, login, client):
        body = login(w.kailu).get("/planning/siting/").content.decode()
        assert "开鲁候选点" in body and "科尔沁候选点" not in body and "科尔沁" not in body
        body = login(w.kailu).get("/planning/siting/", {"region": "150502"}).content.decode()
        assert "科尔沁候选点" not in body

    def siting_run(w, login, client):
        before = SitingRun.objects.count()
        response = login(w.kailu).post(
            "/planning/siting/run/", {"region": "150502", "question": "max_cover", "p": 1}
        )
        assert response.status_code == 200 and "超出您的管辖范围" in response.content.decode()
        assert SitingRun.objects.count() == before

    def candidate_create(w, login, client):
        response = login(w.kailu).post(
            "/planning/siting/candidates/new/",
            {"name": "越界点", "region": "150502001001", "longitude": "122.2", "latitude": "43.6"},
        )
        assert response.status_code == 200 and "超出您的管辖范围" in response.content.decode()
        assert not CandidateSite.objects.filter(name="越界点").exists()

    def candidate_import(w, login, client):
        from django.core.files.uploadedfile import SimpleUploadedFile

        csv = "名称,所在区划,经度,纬度\n越界导入,150502001001,122.2,43.6\n".encode()
        response = login(w.kailu).post(
            "/planning/siting/candidates/import/", {"file": SimpleUploadedFile("c.csv", csv)}, follow=True
        )
        assert "超出您的管辖范围" in response.content.decode()
        assert not CandidateSite.objects.filter(name="越界导入").exists()

    def candidate_template(w, login, client):
        assert (
            login(w.kailu).get("/planning/siting/candidates/template.xlsx").status_code == 200
        )  # blank for all

    def candidate_toggle(w, login, client):
        assert (
            login(w.kailu).post(f"/planning/siting/candidates/{w.their_site.pk}/toggle/").status_code == 404
        )
        assert CandidateSite.objects.get(pk=w.their_site.pk).active

    def run_detail(w, login, client):
        assert login(w.kailu).get(f"/planning/siting/runs/{w.my_run.pk}/").status_code == 200
        assert login(w.kailu).get(f"/planning/siting/runs/{w.their_run.pk}/").status_code == 404

    def run_list(w, login, client):
        ids = [r.pk for r in login(w.kailu).get("/planning/siting/runs/").context["page"].object_list]
        assert w.my_run.pk in ids and w.their_run.pk not in ids
        foreign = login(w.kailu).get("/planning/siting/runs/", {"region": "150502"})
        assert w.their_run.pk not in [r.pk for r in foreign.context["page"].object_list]
        assert "科尔沁选址点" not in foreign.content.decode()

    def run_status(w, login, client):
        assert login(w.kailu).get(f"/planning/siting/runs/{w.my_run.pk}/status/").status_code == 200
        assert login(w.kailu).get(f"/planning/siting/runs/{w.their_run.pk}/status/").status_code == 404

    def run_export(w, login, client):
        assert login(w.kailu).get(f"/planning/siting/runs/{w.my_run.pk}/export.xlsx").status_code == 200
        assert login(w.kailu).get(f"/planning/siting/runs/{w.their_run.pk}/export.xlsx").status_code == 404

    def run_to_plan(w, login, client):
        response = login(w.kailu).post(
            f"/planning/siting/runs/{w.their_run.pk}/plan/", {"ranks": [1], "kind": "community_station"}
        )
        assert response.status_code == 404
        assert not PlanItem.objects.filter(siting_run=w.their_run).exists()

    def api_coverage(w, login, client):
        body = api(w.kailu, client, "get", "/api/v1/coverage", detail="true").json()
        assert body["region_code"] == "150523000000" and body["total"] == _active_in("150523")
        assert "科尔沁" not in str(body)
        assert api(w.kailu, client, "get", "/api/v1/coverage", region="150502").status_code == 404

    def api_siting_create(w, login, client):
        before = SitingRun.objects.count()
        response = api(w.kailu, client, "post", "/api/v1/siting", region="150502", question="max_cover", p=1)
        assert response.status_code == 422 and response.json()["code"] == "region_out_of_scope"
        assert SitingRun.objects.count() == before

    def api_siting_list(w, login, client):
        ids = [r["id"] for r in api(w.kailu, client, "get", "/api/v1/siting").json()["items"]]
        assert w.my_run.pk in ids and w.their_run.pk not in ids
        foreign = api(w.kailu, client, "get", "/api/v1/siting", region="150502").json()
        assert foreign["total"] == 0 and "科尔沁" not in str(foreign)

    def api_siting_detail(w, login, client):
        assert api(w.kailu, client, "get", f"/api/v1/siting/{w.my_run.pk}").status_code == 200
        assert api(w.kailu, client, "get", f"/api/v1/siting/{w.their_run.pk}").status_code == 404

    return {
        "planning:coverage": coverage,
        "planning:coverage_uncovered": uncovered,
        "planning:coverage_export": export,
        "planning:coverage_settings": settings_page,
        "planning:siting": siting_page,
        "planning:siting_run": siting_run,
        "planning:candidate_create": candidate_create,
        "planning:candidate_import": candidate_import,
        "planning:candidate_template": candidate_template,
        "planning:candidate_toggle": candidate_toggle,
        "planning:run_list": run_list,
        "planning:run_detail": run_detail,
        "planning:run_status": run_status,
        "planning:run_export": run_export,
        "planning:run_to_plan": run_to_plan,
        "api:coverage": api_coverage,
        "api:siting_create": api_siting_create,
        "api:siting_list": api_siting_list,
        "api:siting_detail": api_siting_detail,
        **plan_cases(assert_list, api),
    }


# --- construction plans, monthly progress and targets (planning-3) ---------------------------------


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    return buffer.getvalue()


def add_plans(w) -> None:
    """An overdue plan item in each county, each with a report for a past month (theirs with a
    photo) and an import batch."""
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from django.core.files.base import ContentFile

    from yanglao.planning.models import PlanImport, PlanProgress, ProgressPhoto

    def item(county, name, user, site):
        batch = PlanImport.objects.create(region_id=county, kind="community_station", filename=f"{name}.xlsx",
                                          file=ContentFile(b"x", name="p.xlsx"), created_by=user,
                                          report=[{"row": 3, "status": "created", "messages": [], "name": name,
                                                   "county": "", "fields": []}])  # fmt: skip
        plan = PlanItem.objects.create(region_id=county, kind="community_station", name=name, site_region_id=site,
                                       deadline=date(2021, 12, 31), deadline_text="2021年底", import_batch=batch,
                                       responsible_person=f"{name}负责人", phone="13904751699")  # fmt: skip
        progress = PlanProgress.objects.create(item=plan, month=date(2022, 1, 1), status="construction", percent=40,
                                               problems=f"{name}问题", reported_by=user,
                                               reported_at=datetime(2022, 2, 5, tzinfo=ZoneInfo("Asia/Shanghai")))  # fmt: skip
        return batch, plan, progress

    w.my_plan_import, w.my_plan, _ = item("150523000000", "开鲁计划站", w.kailu, "150523100001")
    w.their_plan_import, w.their_plan, their_progress = item(
        "150502000000", "科尔沁计划站", w.horqin, "150502001001"
    )
    w.their_photo_plan = ProgressPhoto(progress=their_progress, uploaded_by=w.horqin)
    w.their_photo_plan.image.save("p.png", ContentFile(_png()), save=True)
    my_progress = w.my_plan.progress.get()
    w.my_photo_plan = ProgressPhoto(progress=my_progress, uploaded_by=w.kailu)
    w.my_photo_plan.image.save("p.png", ContentFile(_png()), save=True)


def _their_plan_state(w) -> tuple:
    from yanglao.planning.models import PlanItem as Item

    item = Item.objects.get(pk=w.their_plan.pk)
    return (item.name, item.region_id, item.facility_id, item.deadline, item.updated_at,
            list(item.progress.values_list("month", "status", "percent")), item.events.count())  # fmt: skip


def plan_cases(assert_list, api) -> dict:
    from pathlib import Path

    from django.core.files.uploadedfile import SimpleUploadedFile

    def plan_list(w, login, client):
        assert_list(login(w.kailu).get("/planning/plans/"), "开鲁计划站", "科尔沁计划站")
        for params in ({"region": "150502"}, {"q": "科尔沁"}, {"overdue": "on"}, {"status": "construction"}):
            assert "科尔沁计划站" not in login(w.kailu).get("/planning/plans/", params).content.decode(), (
                params
            )

    def plan_new(w, login, client):
        before = PlanItem.objects.count()
        response = login(w.kailu).post("/planning/plans/new/", {
            "region": "150502000000", "kind": "community_station", "name": "越界计划", "deadline_text": "2026年底"})  # fmt: skip
        assert response.status_code == 200 and "请选择您管辖范围内的旗县" in response.content.decode()
        assert PlanItem.objects.count() == before

    def plan_import(w, login, client):
        content = (Path(__file__).parent / "fixtures" / "plan_attachment2.xlsx").read_bytes()
        response = login(w.kailu).post("/planning/plans/import/", {
            "kind": "community_station", "file": SimpleUploadedFile("a2.xlsx", content)}, follow=True)  # fmt: skip
        body = response.content.decode()
        assert response.status_code == 200 and "不在您的管辖范围内" in body
        assert not PlanItem.objects.filter(region_id="150502000000").exclude(pk=w.their_plan.pk).exists()
        assert PlanItem.objects.filter(region_id="150523000000", name__startswith="开鲁镇").count() == 4
        assert "科尔沁计划站.xlsx" not in login(w.kailu).get("/planning/plans/import/").content.decode()

    def plan_import_detail(w, login, client):
        assert login(w.kailu).get(f"/planning/plans/imports/{w.my_plan_import.pk}/").status_code == 200
        assert login(w.kailu).get(f"/planning/plans/imports/{w.their_plan_import.pk}/").status_code == 404

    def plan_reports(w, login, client):
        response = login(w.kailu).get("/planning/plans/progress/", {"month": "2022-01-01"})
        assert_list(response, "开鲁计划站", "科尔沁计划站")
        assert "科尔沁区" not in response.content.decode()
        body = login(w.kailu).get("/planning/plans/progress/", {"region": "150502"}).content.decode()
        assert "科尔沁计划站" not in body and "开鲁计划站" not in body

    def plan_export(w, login, client):
        response = login(w.kailu).get("/planning/plans/export.xlsx")
        book = load_workbook(io.BytesIO(response.content))
        names = {r[2] for sheet in book.worksheets for r in sheet.iter_rows(values_only=True)}
        assert "开鲁计划站" in names and "科尔沁计划站" not in names
        response = login(w.kailu).get("/planning/plans/export.xlsx", {"region": "150502"})
        names = {r[2] for sheet in load_workbook(io.BytesIO(response.content)).worksheets
                 for r in sheet.iter_rows(values_only=True)}  # fmt: skip
        assert "科尔沁计划站" not in names

    def progress_photo(w, login, client):
        assert login(w.kailu).get(f"/planning/plans/photos/{w.my_photo_plan.pk}/").status_code == 200
        assert login(w.kailu).get(f"/planning/plans/photos/{w.their_photo_plan.pk}/").status_code == 404

    def plan_detail(w, login, client):
        assert "开鲁计划站问题" in login(w.kailu).get(f"/planning/plans/{w.my_plan.pk}/").content.decode()
        assert login(w.kailu).get(f"/planning/plans/{w.their_plan.pk}/").status_code == 404

    def plan_edit(w, login, client):
        before = _their_plan_state(w)
        assert login(w.kailu).get(f"/planning/plans/{w.their_plan.pk}/edit/").status_code == 404
        response = login(w.kailu).post(f"/planning/plans/{w.their_plan.pk}/edit/", {
            "region": "150523000000", "kind": "community_station", "name": "抢走", "deadline_text": "2026年底"})  # fmt: skip
        assert response.status_code == 404 and _their_plan_state(w) == before

    def plan_link(w, login, client):
        before = _their_plan_state(w)
        response = login(w.kailu).post(
            f"/planning/plans/{w.their_plan.pk}/facility/", {"facility": w.my_facility.pk}
        )
        assert response.status_code == 404 and _their_plan_state(w) == before
        response = login(w.kailu).post(
            f"/planning/plans/{w.my_plan.pk}/facility/", {"facility": w.their_facility.pk}
        )
        assert response.status_code == 200 and "请从本旗县的养老服务设施中选择" in response.content.decode()
        assert PlanItem.objects.get(pk=w.my_plan.pk).facility_id is None

    def plan_progress(w, login, client):
        before = _their_plan_state(w)
        response = login(w.kailu).post(f"/planning/plans/{w.their_plan.pk}/progress/",
                                       {"month": "2022-01-01", "status": "completed", "percent": 100})  # fmt: skip
        assert response.status_code == 404 and _their_plan_state(w) == before

    def targets(w, login, client):
        response = login(w.kailu).get("/planning/targets/")
        assert response.status_code == 200
        assert response.context["board"].elders == _active_in("150523")
        assert "科尔沁" not in response.content.decode()
        foreign = login(w.kailu).get("/planning/targets/", {"region": "150502"})
        assert foreign.context["board"].elders == 0 and "科尔沁" not in foreign.content.decode()

    def api_plan_list(w, login, client):
        body = api(w.kailu, client, "get", "/api/v1/plans").json()
        assert [i["name"] for i in body["items"]] == ["开鲁计划站"] and body["total"] == 1
        assert api(w.kailu, client, "get", "/api/v1/plans", region="150502").json()["total"] == 0
        assert api(w.kailu, client, "get", "/api/v1/plans", q="科尔沁").json()["total"] == 0

    def api_plan_create(w, login, client):
        before = PlanItem.objects.count()
        response = api(w.kailu, client, "post", "/api/v1/plans", county_code="150502", kind="community_station",
                       name="越界计划", deadline="2026年底")  # fmt: skip
        assert response.status_code == 422 and response.json()["code"] == "plan_out_of_scope"
        assert PlanItem.objects.count() == before

    def api_plan_detail(w, login, client):
        assert api(w.kailu, client, "get", f"/api/v1/plans/{w.my_plan.pk}").status_code == 200
        assert api(w.kailu, client, "get", f"/api/v1/plans/{w.their_plan.pk}").status_code == 404

    def api_plan_progress(w, login, client):
        before = _their_plan_state(w)
        response = api(w.kailu, client, "post", f"/api/v1/plans/{w.their_plan.pk}/progress", month="2022-01-01",
                       status="completed", percent=100)  # fmt: skip
        assert response.status_code == 404 and _their_plan_state(w) == before

    def api_targets(w, login, client):
        body = api(w.kailu, client, "get", "/api/v1/targets").json()
        assert body["region_code"] == "150523000000" and body["elders"] == _active_in("150523")
        assert "科尔沁" not in str(body)
        body = api(w.kailu, client, "get", "/api/v1/targets", region="150502").json()
        assert body["elders"] == 0 and "科尔沁" not in str(body)

    return {
        "planning:plan_list": plan_list,
        "planning:plan_new": plan_new,
        "planning:plan_import": plan_import,
        "planning:plan_import_detail": plan_import_detail,
        "planning:plan_reports": plan_reports,
        "planning:plan_export": plan_export,
        "planning:progress_photo": progress_photo,
        "planning:plan_detail": plan_detail,
        "planning:plan_edit": plan_edit,
        "planning:plan_link": plan_link,
        "planning:plan_progress": plan_progress,
        "planning:targets": targets,
        "api:plan_list": api_plan_list,
        "api:plan_create": api_plan_create,
        "api:plan_detail": api_plan_detail,
        "api:plan_progress": api_plan_progress,
        "api:targets_get": api_targets,
    }
