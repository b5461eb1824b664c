"""Siting as a background task: the question is queued in the request, the task worker computes it,
and the run's page shows queued → running → done (or failed) and then the map and the table."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.conftest import KAILU_VILLAGE, make_elder
from yanglao.core import tasks
from yanglao.core.models import Task
from yanglao.planning import services
from yanglao.planning.models import CandidateSite, CoverageSetting, SitingRun
from yanglao.regions.models import Region

LAT, LNG = 43.6, 121.3


@pytest.fixture
def world(db, kailu_officer):
    """Two elders 5.5 km apart, 1000 m circles, a candidate at each."""
    CoverageSetting.objects.create(
        region=Region.objects.get(code="150523100000"), minutes=15, mode="walk",
        speed_kmh=Decimal("4.0"), detour=Decimal("1.00"),
    )  # fmt: skip
    village = Region.objects.get(code=KAILU_VILLAGE)
    for name, lat in (("甲", LAT), ("乙", LAT + 0.05)):
        make_elder(KAILU_VILLAGE, name=name, latitude=f"{lat:.6f}", longitude=f"{LNG:.6f}")
        services.candidate_create(actor=kailu_officer, region=village, name=f"{name}地活动室", latitude=lat,
                                  longitude=LNG)  # fmt: skip


def _ask(client, **data):
    return client.post("/planning/siting/run/", {"region": "150523", "question": "max_cover", "p": 1, **data})


def test_the_request_only_queues_the_question(client_for, kailu_officer, world):
    response = _ask(client_for(kailu_officer))
    assert response.status_code == 302
    run = SitingRun.objects.get()
    assert run.status == "queued" and run.result == {} and run.task.kind == "planning.siting"
    assert (run.task.status, run.task.params, run.task.region_code) == (
        "queued",
        {"run": run.pk},
        "150523000000",
    )


def test_run_page_shows_the_queue_then_the_result(client_for, kailu_officer, world):
    client = client_for(kailu_officer)
    url = _ask(client)["Location"]
    body = client.get(url).content.decode()
    assert "排队等待计算" in body and 'id="run-status"' in body and 'hx-trigger="every 1s"' in body
    assert 'id="siting-map"' not in body
    assert tasks.run_pending() == 1
    body = client.get(url).content.decode()
    assert 'id="siting-map"' in body and 'id="run-status"' not in body and "地活动室" in body


def test_status_partial_polls_until_done_then_reloads_the_page(client_for, kailu_officer, world):
    client = client_for(kailu_officer)
    _ask(client)
    run = SitingRun.objects.get()
    status_url = f"/planning/siting/runs/{run.pk}/status/"
    waiting = client.get(status_url, headers={"HX-Request": "true"})
    assert "HX-Refresh" not in waiting and 'data-status="queued"' in waiting.content.decode()
    # Mid-run: the task's step is shown.
    Task.objects.filter(pk=run.task_id).update(status="running", progress_done=2, progress_total=4,
                                               progress_note="求解")  # fmt: skip
    SitingRun.objects.filter(pk=run.pk).update(status="running")
    body = client.get(status_url, headers={"HX-Request": "true"}).content.decode()
    assert 'data-status="running"' in body and "计算中：求解（50%）" in body
    Task.objects.filter(pk=run.task_id).update(status="queued")
    SitingRun.objects.filter(pk=run.pk).update(status="queued")
    tasks.run_pending()
    done = client.get(status_url, headers={"HX-Request": "true"})
    assert done["HX-Refresh"] == "true" and 'data-status="done"' in done.content.decode()


def test_the_task_records_each_step(kailu_officer, world):
    run = services.siting_submit(actor=kailu_officer, region=Region.objects.get(code="150523000000"),
                                 question="max_cover", p=2)  # fmt: skip
    tasks.run_pending()
    run.refresh_from_db()
    task = Task.objects.get(pk=run.task_id)
    assert (task.status, task.progress_total, task.progress_done, task.progress_note) == (
        "done",
        4,
        3,
        "整理结果",
    )
    assert task.result["run"] == run.pk and task.result["url"] == f"/planning/siting/runs/{run.pk}/"
    assert run.status == "done" and len(run.result["sites"]) == 2 and run.seconds is not None


def test_a_question_without_answer_fails_with_its_reason(client_for, kailu_officer, world):
    client = client_for(kailu_officer)
    url = _ask(client, question="set_cover", share="100", p="")["Location"]
    CandidateSite.objects.filter(name="乙地活动室").update(active=False)  # 甲's station alone reaches 50%
    tasks.run_pending()
    run = SitingRun.objects.get()
    assert (run.status, run.error_code) == ("failed", "share_unreachable")
    assert Task.objects.get().error == run.error
    body = client.get(url).content.decode()
    assert "计算失败：全部候选点建成也只能覆盖" in body and "hx-trigger" not in body


def test_a_task_given_up_by_the_worker_shows_as_failed(client_for, kailu_officer, world):
    client = client_for(kailu_officer)
    url = _ask(client)["Location"]
    run = SitingRun.objects.get()
    # The worker died three times mid-run: the queue fails the task; the run must not spin forever.
    Task.objects.filter(pk=run.task_id).update(
        status="running", attempts=3, heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    SitingRun.objects.filter(pk=run.pk).update(status="running")
    assert tasks.run_pending() == 0
    body = client.get(url).content.decode()
    assert "计算失败：任务多次中断" in body and "hx-trigger" not in body


def test_other_counties_cannot_poll_a_run(client_for, horqin_officer, kailu_officer, world):
    _ask(client_for(kailu_officer))
    run = SitingRun.objects.get()
    assert client_for(horqin_officer).get(f"/planning/siting/runs/{run.pk}/status/").status_code == 404


def test_siting_page_lists_runs_with_their_state(client_for, kailu_officer, world):
    client = client_for(kailu_officer)
    _ask(client)
    assert "排队中" in client.get("/planning/siting/").content.decode()
    tasks.run_pending()
    _ask(client, question="set_cover", share="100", p="")
    CandidateSite.objects.filter(name="乙地活动室").update(active=False)
    tasks.run_pending()
    body = client.get("/planning/siting/").content.decode()
    assert "已完成" in body and "失败（全部候选点建成也只能覆盖" in body
