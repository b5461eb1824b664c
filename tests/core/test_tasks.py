from datetime import timedelta

import pytest
from django.utils import timezone

from yanglao.core import tasks
from yanglao.core.models import Task

RAN = []


@tasks.handler("test.echo")
def _echo(task):
    RAN.append(task.pk)
    tasks.task_progress(task, done=1, total=2, note="一半")
    if task.params.get("fail") == "user":
        raise tasks.TaskFailed("文件格式不对")
    if task.params.get("fail") == "bug":
        raise RuntimeError("150523194503151227 broke it")
    return {"ok": True}


@pytest.mark.django_db
def test_a_queued_task_runs_once_and_records_its_result():
    task = tasks.enqueue(kind="test.echo")
    assert tasks.run_pending() == 1
    task.refresh_from_db()
    assert task.status == "done" and task.result == {"ok": True} and task.attempts == 1
    assert tasks.run_pending() == 0


@pytest.mark.django_db
def test_claim_is_a_conditional_update_so_two_workers_never_share_a_task():
    task = tasks.enqueue(kind="test.echo")
    first = tasks.claim_next("worker-a")
    assert first.pk == task.pk and first.worker == "worker-a"
    assert tasks.claim_next("worker-b") is None


@pytest.mark.django_db
def test_a_dead_workers_task_is_queued_again_and_given_up_after_three_tries():
    task = tasks.enqueue(kind="test.echo")
    tasks.claim_next("worker-a")
    Task.objects.filter(pk=task.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=6))
    again = tasks.claim_next("worker-b")
    assert again.pk == task.pk and again.attempts == 2
    Task.objects.filter(pk=task.pk).update(heartbeat_at=timezone.now() - timedelta(minutes=6), attempts=3)
    tasks.requeue_stale()
    task.refresh_from_db()
    assert task.status == "failed" and "多次中断" in task.error


@pytest.mark.django_db
def test_failures_show_the_user_message_or_a_generic_one():
    tasks.enqueue(kind="test.echo", params={"fail": "user"})
    user_failure = tasks.run(tasks.claim_next("w"))
    assert user_failure.status == "failed" and user_failure.error == "文件格式不对"
    tasks.enqueue(kind="test.echo", params={"fail": "bug"})
    bug = tasks.run(tasks.claim_next("w"))
    assert bug.status == "failed" and "150523" not in bug.error and "已记录" in bug.error


def test_unknown_kinds_are_refused_at_enqueue():
    with pytest.raises(KeyError):
        tasks.enqueue(kind="no.such.task")
