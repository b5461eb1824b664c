"""The siting run list: every run in the reader's scope, filtered by region, question and status, paged."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import HORQIN, KAILU, KAILU_TOWN
from yanglao.core.models import Task
from yanglao.planning.models import RunStatus, SitingQuestion, SitingRun
from yanglao.regions.codes import canonical
from yanglao.regions.models import Region


def make_run(code, *, question=SitingQuestion.MAX_COVER, status=RunStatus.DONE, task_status=None, by=None):
    task = Task.objects.create(kind="planning.siting", status=task_status) if task_status else None
    return SitingRun.objects.create(
        region=Region.objects.get(code=canonical(code)), question=question, status=status, task=task, created_by=by,
        parameters={"p": 2}, result={"sites": []}, gap=0.0, seconds=0.5,
    )  # fmt: skip


def run_ids(response):
    return [run.pk for run in response.context["page"].object_list]


def test_the_list_shows_only_runs_in_scope(client_for, kailu_officer, city_officer, db):
    mine = make_run(KAILU, by=kailu_officer)
    theirs = make_run(HORQIN)
    assert run_ids(client_for(kailu_officer).get("/planning/siting/runs/")) == [mine.pk]
    assert set(run_ids(client_for(city_officer).get("/planning/siting/runs/"))) == {mine.pk, theirs.pk}
    # A region outside the reader's scope is no way around it.
    response = client_for(kailu_officer).get("/planning/siting/runs/", {"region": HORQIN})
    assert theirs.pk not in run_ids(response)


def test_filters_by_region_question_and_status(client_for, city_officer, db):
    county = make_run(KAILU)
    town = make_run(KAILU_TOWN, question=SitingQuestion.SET_COVER)
    failed = make_run(HORQIN, status=RunStatus.FAILED)
    died = make_run(HORQIN, status=RunStatus.RUNNING, task_status="failed")  # its worker's task failed
    running = make_run(HORQIN, status=RunStatus.RUNNING, task_status="running")
    queued = make_run(HORQIN, status=RunStatus.QUEUED, task_status="queued")
    client = client_for(city_officer)

    def ids(**query):
        return set(run_ids(client.get("/planning/siting/runs/", query)))

    assert ids(region=KAILU_TOWN) == {town.pk}
    assert ids(region=KAILU) == {county.pk, town.pk}
    assert ids(question=SitingQuestion.SET_COVER) == {town.pk}
    assert ids(status=RunStatus.FAILED) == {failed.pk, died.pk}
    assert ids(status=RunStatus.RUNNING) == {running.pk}
    assert ids(status=RunStatus.QUEUED) == {queued.pk}
    assert ids(status=RunStatus.DONE) == {county.pk, town.pk}
    page = client.get("/planning/siting/runs/", {"status": RunStatus.FAILED}).content.decode()
    assert "失败" in page
    # The filter and the state each row shows are one rule.
    for status in RunStatus.values:
        for run in client.get("/planning/siting/runs/", {"status": status}).context["page"].object_list:
            assert run.state.status == status


def test_a_bad_filter_value_says_so_and_lists_everything(client_for, city_officer, db):
    make_run(KAILU)
    response = client_for(city_officer).get("/planning/siting/runs/", {"status": "bogus"})
    assert response.status_code == 200
    assert response.context["form"].errors["status"]
    assert "选择一个有效的选项" in response.content.decode()
    assert len(run_ids(response)) == 1


def test_an_unreadable_region_code_says_so(client_for, city_officer, db):
    make_run(KAILU)
    response = client_for(city_officer).get("/planning/siting/runs/", {"region": "abc"})
    assert response.status_code == 200
    assert "区划代码无效" in response.content.decode()
    assert len(run_ids(response)) == 1  # the bad filter is dropped, not turned into an empty list


def test_pages_newest_first(client_for, city_officer, db):
    runs = [make_run(KAILU) for _ in range(25)]
    client = client_for(city_officer)
    first = client.get("/planning/siting/runs/", {"page_size": 20})
    assert run_ids(first) == [run.pk for run in reversed(runs)][:20]
    second = client.get("/planning/siting/runs/", {"page_size": 20, "page": 2})
    assert run_ids(second) == [run.pk for run in reversed(runs)][20:]
    assert "共 25 条" in first.content.decode()


def test_the_list_makes_the_same_number_of_queries_for_few_and_many(client_for, city_officer, db):
    client = client_for(city_officer)
    make_run(KAILU, task_status="running")
    client.get("/planning/siting/runs/")  # warm the session and the caches
    with CaptureQueriesContext(connection) as few:
        client.get("/planning/siting/runs/")
    for _ in range(15):
        make_run(HORQIN, task_status="running", by=city_officer)
    with CaptureQueriesContext(connection) as many:
        client.get("/planning/siting/runs/")
    assert len(many) == len(few)


def test_the_siting_page_shows_the_latest_ten_and_links_to_the_list(client_for, kailu_officer, db):
    runs = [make_run(KAILU) for _ in range(12)]
    response = client_for(kailu_officer).get("/planning/siting/")
    shown = [run.pk for run in response.context["runs"]]
    assert shown == [run.pk for run in reversed(runs)][:10]
    assert "/planning/siting/runs/" in response.content.decode()


@pytest.mark.parametrize("user_fixture", ["caregiver"])
def test_readers_without_planning_rights_are_refused(client_for, request, user_fixture, db):
    user = request.getfixturevalue(user_fixture)
    assert client_for(user).get("/planning/siting/runs/").status_code == 403


def test_api_lists_runs_in_scope_with_filters_and_paging(client, auth_headers, kailu_officer, db):
    done = make_run(KAILU)
    died = make_run(KAILU_TOWN, status=RunStatus.RUNNING, task_status="failed")
    make_run(HORQIN)  # another county's
    headers = auth_headers(kailu_officer)
    body = client.get("/api/v1/siting", headers=headers).json()
    assert body["total"] == 2 and [r["id"] for r in body["items"]] == [died.pk, done.pk]
    assert body["items"][0]["status"] == "failed" and body["items"][0]["error_code"] == "solver_failed"
    failed = client.get("/api/v1/siting", {"status": "failed"}, headers=headers).json()
    assert [r["id"] for r in failed["items"]] == [died.pk]
    paged = client.get("/api/v1/siting", {"page_size": 1, "page": 2}, headers=headers).json()
    assert [r["id"] for r in paged["items"]] == [done.pk] and paged["total"] == 2


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ({"status": "bogus"}, "validation_error"),
        ({"question": "nope"}, "validation_error"),
        ({"page_size": 0}, "validation_error"),
        ({"region": "abc"}, "region_invalid"),
    ],
)
def test_api_list_rejects_bad_filters(client, auth_headers, kailu_officer, db, query, code):
    response = client.get("/api/v1/siting", query, headers=auth_headers(kailu_officer))
    assert response.status_code == 422
    assert response.json()["code"] == code
