"""Siting from the officer's side: candidates (entered, imported, or a grid), the three questions, the
result page, export, turning sites into plan items, the form and API errors."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from tests.conftest import KAILU_TOWN, KAILU_VILLAGE, make_elder, make_user
from yanglao.core.models import Task
from yanglao.core.tasks import run_pending
from yanglao.planning import services
from yanglao.planning.models import CandidateSite, CoverageSetting, PlanItem, PlanItemEvent, SitingRun
from yanglao.regions.models import Region

LAT, LNG = 43.6, 121.3
FAR = 0.05  # about 5.5 km north: far outside a 1000 m circle


@pytest.fixture
def world(db, kailu_officer):
    """Three elders at P1, one at P2 (5.5 km apart), 1000 m circles, no facilities, a candidate at each."""
    CoverageSetting.objects.create(
        region=Region.objects.get(code="150523100000"), minutes=15, mode="walk",
        speed_kmh=Decimal("4.0"), detour=Decimal("1.00"),
    )  # fmt: skip
    for i in range(3):
        make_elder(KAILU_VILLAGE, name=f"甲{i}", latitude=f"{LAT + i * 0.001:.6f}", longitude=f"{LNG:.6f}")
    make_elder(KAILU_VILLAGE, name="乙", latitude=f"{LAT + FAR:.6f}", longitude=f"{LNG:.6f}")
    region = Region.objects.get(code=KAILU_VILLAGE)
    p1 = services.candidate_create(actor=kailu_officer, region=region, name="甲地活动室", latitude=LAT,
                                   longitude=LNG, cost_fen=50_000_00)  # fmt: skip
    p2 = services.candidate_create(actor=kailu_officer, region=region, name="乙地闲置房", latitude=LAT + FAR,
                                   longitude=LNG, cost_fen=10_000_00)  # fmt: skip
    return p1, p2


def run(user, **kwargs):
    kwargs.setdefault("region", Region.objects.get(code="150523100000"))
    return services.siting_run(actor=user, **kwargs)


def test_max_cover_picks_the_site_covering_most(kailu_officer, world):
    result = run(kailu_officer, question="max_cover", p=1)
    assert result.status == "done" and result.gap == 0.0
    (site,) = result.result["sites"]
    assert (site["name"], site["newly_elders"], site["cumulative_elder_share"]) == ("甲地活动室", 3, 0.75)
    assert result.result["share_before"] == 0.0 and result.result["candidate_source"] == "stored"
    two = run(kailu_officer, question="max_cover", p=2)
    assert [s["name"] for s in two.result["sites"]] == ["甲地活动室", "乙地闲置房"]
    assert two.result["sites"][1]["cumulative_share"] == 1.0


def test_set_cover_finds_the_fewest_and_says_when_unreachable(kailu_officer, world):
    _p1, p2 = world
    all_of_them = run(kailu_officer, question="set_cover", share=100)
    assert len(all_of_them.result["sites"]) == 2
    some = run(kailu_officer, question="set_cover", share=60)
    assert [s["name"] for s in some.result["sites"]] == ["甲地活动室"]
    services.candidate_set_active(actor=kailu_officer, site=p2, active=False)
    unreachable = run(kailu_officer, question="set_cover", share=100)
    assert (unreachable.status, unreachable.error_code) == ("failed", "share_unreachable")
    assert unreachable.error.startswith("全部候选点建成也只能覆盖 75.0%") and unreachable.result == {}


def test_budget_question_respects_costs(kailu_officer, world):
    cheap = run(kailu_officer, question="budget", budget_fen=20_000_00)
    assert [s["name"] for s in cheap.result["sites"]] == ["乙地闲置房"]
    assert cheap.result["total_cost_fen"] == 10_000_00
    rich = run(kailu_officer, question="budget", budget_fen=60_000_00)
    assert {s["name"] for s in rich.result["sites"]} == {"甲地活动室", "乙地闲置房"}


def test_budget_needs_a_cost_on_every_candidate(kailu_officer, world):
    CandidateSite.objects.filter(name="乙地闲置房").update(cost_fen=None)
    failed = run(kailu_officer, question="budget", budget_fen=100)
    assert (failed.status, failed.error_code) == ("failed", "candidate_cost_missing")
    assert "每个候选点都填写建设成本" in failed.error


def test_without_candidates_a_grid_over_the_uncovered_is_used(kailu_officer, world):
    CandidateSite.objects.all().delete()
    result = run(kailu_officer, question="max_cover", p=2)
    assert result.result["candidate_source"] == "grid"
    assert result.result["sites"][-1]["cumulative_elder_share"] == 1.0
    assert all(s["candidate"] is None and s["name"].startswith("网格点") for s in result.result["sites"])


# --- pages -----------------------------------------------------------------------------------------


def test_siting_form_errors_are_per_field_and_store_nothing(client_for, kailu_officer, world):
    client = client_for(kailu_officer)
    cases = [
        ({"region": "150523", "question": "max_cover"}, "最大覆盖问题须填写新建站点数"),
        ({"region": "150523", "question": "set_cover"}, "集合覆盖问题须填写目标覆盖率"),
        ({"region": "150523", "question": "budget"}, "预算问题须填写预算"),
        ({"region": "", "question": "max_cover", "p": 1}, "请选择区划"),
        ({"region": "150523", "question": "max_cover", "p": 0}, "确保该值大于或等于1"),
        ({"region": "150523", "question": "nope", "p": 1}, "选择一个有效的选项"),
        ({"region": "150523", "question": "max_cover", "p": 1, "time_limit": 600}, "确保该值小于或等于60"),
        ({"region": "150523", "question": "set_cover", "share": "200"}, "确保该值小于或等于100"),
    ]
    for data, message in cases:
        response = client.post("/planning/siting/run/", data)
        assert response.status_code == 200 and message in response.content.decode(), data
    assert not SitingRun.objects.exists()


def test_run_page_table_export_and_plan_items(client_for, kailu_officer, world):
    client = client_for(kailu_officer)
    response = client.post(
        "/planning/siting/run/", {"region": "150523", "question": "max_cover", "p": 2, "time_limit": 5}
    )
    assert response.status_code == 302
    run_url = response["Location"]
    assert run_pending() == 1
    body = client.get(run_url).content.decode()
    assert (
        "甲地活动室" in body
        and "乙地闲置房" in body
        and "0（已证明最优）" in body
        and 'id="siting-map"' in body
    )
    assert "75.0%" in body and "100.0%" in body
    pk = SitingRun.objects.get().pk
    sheet = load_workbook(
        io.BytesIO(b"".join(client.get(f"/planning/siting/runs/{pk}/export.xlsx").streaming_content))
    )
    rows = list(sheet.active.iter_rows(values_only=True))
    assert rows[1][:2] == (1, "甲地活动室") and rows[1][8] == 3 and rows[1][7] == 50000
    # Nothing picked: a message, nothing created.
    response = client.post(f"/planning/siting/runs/{pk}/plan/", {"kind": "community_station"})
    assert "请至少选择一个站点" in response.content.decode() and not PlanItem.objects.exists()
    response = client.post(f"/planning/siting/runs/{pk}/plan/", {"kind": "community_station", "ranks": ["1"]})
    assert response.status_code == 302
    item = PlanItem.objects.get()
    assert (item.name, item.region_id, item.site_region_id, item.budget_fen) == (
        "甲地活动室", "150523000000", KAILU_VILLAGE, 50_000_00,
    )  # fmt: skip
    assert item.siting_run_id == pk and item.latitude == Decimal("43.600000")
    assert PlanItemEvent.objects.filter(item=item, kind="created").exists()
    body = client.get(run_url).content.decode()
    assert "已转为计划：甲地活动室" in body
    response = client.post(f"/planning/siting/runs/{pk}/plan/", {"kind": "community_station", "ranks": ["1"]})
    assert "已转为建设计划" in response.content.decode() and PlanItem.objects.count() == 1


def test_candidate_form_errors_and_create(client_for, kailu_officer, db):
    client = client_for(kailu_officer)
    response = client.post(
        "/planning/siting/candidates/new/", {"name": "", "region": "", "longitude": "200", "latitude": "x"}
    )
    body = response.content.decode()
    assert (
        "这个字段是必填项" in body
        and "请选择区划" in body
        and "确保该值小于或等于180" in body
        and "输入一个数字" in body
    )
    assert not CandidateSite.objects.exists()
    response = client.post(
        "/planning/siting/candidates/new/",
        {
            "name": "新点",
            "region": KAILU_VILLAGE,
            "longitude": "121.3",
            "latitude": "43.6",
            "cost_yuan": "1234.5",
        },
    )
    assert response.status_code == 302
    site = CandidateSite.objects.get()
    assert (site.name, site.cost_fen, site.source) == ("新点", 123450, "entered")
    client.post(f"/planning/siting/candidates/{site.pk}/toggle/")
    site.refresh_from_db()
    assert not site.active


def test_candidate_import_creates_good_rows_and_reports_bad_ones(client_for, kailu_officer, db):
    book = Workbook()
    sheet = book.active
    sheet.append(["名称", "所在区划", "经度", "纬度", "建设成本（元）"])
    sheet.append(["好点", KAILU_VILLAGE, 121.3, 43.6, 1000])
    sheet.append(["坏点", "不存在的地方", "东经", 43.6, ""])
    buffer = io.BytesIO()
    book.save(buffer)
    upload = SimpleUploadedFile("c.xlsx", buffer.getvalue())
    response = client_for(kailu_officer).post(
        "/planning/siting/candidates/import/", {"file": upload}, follow=True
    )
    body = response.content.decode()
    assert "新增 1 个候选点，1 行未导入" in body and "第 3 行：所在区划无法识别；经度不是数字" in body
    site = CandidateSite.objects.get()
    assert (site.name, site.cost_fen, site.source) == ("好点", 100000, "imported")
    bad = client_for(kailu_officer).post(
        "/planning/siting/candidates/import/", {"file": SimpleUploadedFile("c.txt", b"x")}
    )
    assert "请上传 .xlsx 或 .csv 文件" in bad.content.decode()


def test_template_downloads(client_for, kailu_officer):
    response = client_for(kailu_officer).get("/planning/siting/candidates/template.xlsx")
    header = [c.value for c in load_workbook(io.BytesIO(response.content)).active[1]]
    assert header[:4] == ["名称*", "所在区划*", "经度*", "纬度*"]


def test_viewers_cannot_ask(client_for, db):
    auditor = make_user("kl-aud", "auditor", "150523")
    client = client_for(auditor)
    assert client.get("/planning/siting/").status_code == 200
    assert (
        client.post(
            "/planning/siting/run/", {"region": "150523", "question": "max_cover", "p": 1}
        ).status_code
        == 403
    )


def test_township_officer_cannot_ask_for_the_county(client_for, township_officer, world):
    response = client_for(township_officer).post(
        "/planning/siting/run/", {"region": "150523", "question": "max_cover", "p": 1}
    )
    assert "超出您的管辖范围" in response.content.decode() and not SitingRun.objects.exists()
    response = client_for(township_officer).post(
        "/planning/siting/run/", {"region": KAILU_TOWN, "question": "max_cover", "p": 1}
    )
    assert response.status_code == 302
    run_pending()
    # Plan items are the county's: a township officer cannot file them.
    response = client_for(township_officer).post(
        response["Location"] + "plan/", {"kind": "community_station", "ranks": ["1"]}
    )
    assert "须由旗县及以上干部转为计划" in response.content.decode() and not PlanItem.objects.exists()


# --- API -------------------------------------------------------------------------------------------


def test_api_siting(client, auth_headers, kailu_officer, world):
    headers = auth_headers(kailu_officer)
    response = client.post(
        "/api/v1/siting", {"region": "150523", "question": "max_cover", "p": 1}, content_type="application/json",
        headers=headers,
    )  # fmt: skip
    assert response.status_code == 202
    queued = response.json()
    assert (queued["status"], queued["sites"], queued["progress"]) == ("queued", [], 0)
    assert run_pending() == 1
    body = client.get(f"/api/v1/siting/{queued['id']}", headers=headers).json()
    assert body["status"] == "done" and body["progress"] == 100 and body["error_code"] == ""
    assert body["gap"] == 0.0 and body["bound"] == body["objective"] == 6.0  # 3 elders over 80: weight 2 each
    assert [s["name"] for s in body["sites"]] == ["甲地活动室"] and body["sites"][0]["newly_elders"] == 3


@pytest.mark.parametrize(
    ("payload", "code", "field"),
    [
        ({"question": "max_cover"}, "p_required", "p"),
        ({"question": "set_cover", "share": 150}, "share_required", "share"),
        ({"question": "budget"}, "budget_required", "budget_fen"),
        ({"question": "max_cover", "p": 1, "time_limit": 0}, "time_limit_invalid", "time_limit"),
        ({"question": "max_cover", "p": 1, "service": "x"}, "question_invalid", "service"),
        ({"question": "max_cover", "p": 1, "region": "1"}, "region_invalid", "region"),
        ({"question": "what", "p": 1}, "validation_error", "question"),
    ],
)
def test_api_siting_rejects_bad_input(client, auth_headers, kailu_officer, world, payload, code, field):
    response = client.post(
        "/api/v1/siting", {"region": "150523", **payload}, content_type="application/json",
        headers=auth_headers(kailu_officer),
    )  # fmt: skip
    assert response.status_code == 422
    assert response.json()["code"] == code and field in response.json()["fields"]
    assert not SitingRun.objects.exists()


def test_api_siting_when_everyone_is_covered(client, auth_headers, kailu_officer, db):
    make_elder(KAILU_VILLAGE, name="无坐标")
    headers = auth_headers(kailu_officer)
    response = client.post(
        "/api/v1/siting", {"region": "150523", "question": "max_cover", "p": 1}, content_type="application/json",
        headers=headers,
    )  # fmt: skip
    assert response.status_code == 202
    run_pending()
    body = client.get(f"/api/v1/siting/{response.json()['id']}", headers=headers).json()
    assert (body["status"], body["error_code"]) == ("failed", "no_uncovered_demand") and body["sites"] == []
    assert "都在服务圈内" in body["error"]
    assert Task.objects.get().status == "failed"
