"""Background tasks: durable rows in the database, run by a worker.

Domains register a handler per kind (``@handler("elders.import")``) in their ``tasks`` module,
which their AppConfig imports. ``enqueue`` stores a row; a worker (``yanglao worker``, or the thread
``yanglao serve`` starts) claims rows one at a time with a conditional UPDATE and runs them.
A handler reports progress through ``task_progress`` and returns the result dict, or raises
``TaskFailed`` with a message for the user (never personal data).
"""

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from datetime import timedelta

from django.db import close_old_connections
from django.db.models import F
from django.utils import timezone

from yanglao.core.models import Task

log = logging.getLogger(__name__)

HANDLERS: dict[str, Callable[[Task], dict]] = {}
STALE_AFTER = timedelta(minutes=5)
MAX_ATTEMPTS = 3


class TaskFailed(Exception):
    """A failure to show the user as it is (Chinese, no personal data)."""


def handler(kind: str):
    def register(function):
        HANDLERS[kind] = function
        return function

    return register


def enqueue(
    *, kind: str, actor=None, params: dict | None = None, region_code: str = "", input_file=None
) -> Task:
    if kind not in HANDLERS:
        raise KeyError(f"no task handler for {kind!r}")
    task = Task(kind=kind, params=params or {}, created_by=actor, region_code=region_code)
    if input_file is not None:
        task.input_file.save(input_file.name, input_file, save=False)
    task.save()
    return task


PROGRESS_EVERY = 0.5  # seconds: what a progress bar polled every second needs, and no more writes


def task_progress(
    task: Task, *, done: int, total: int | None = None, note: str | None = None, force: bool = False
) -> None:
    """Record progress (and a heartbeat) outside of any transaction the handler holds open.
    Calls closer together than PROGRESS_EVERY are skipped unless they change the total or the note."""
    now = time.monotonic()
    last = getattr(task, "_progress_written", 0.0)
    changes_phase = (total is not None and total != task.progress_total) or (
        note is not None and note != task.progress_note
    )
    if not (force or changes_phase) and now - last < PROGRESS_EVERY:
        return
    task._progress_written = now
    fields = {"progress_done": done, "heartbeat_at": timezone.now()}
    if total is not None:
        fields["progress_total"] = total
    if note is not None:
        fields["progress_note"] = note[:200]
    Task.objects.filter(pk=task.pk).update(**fields)
    for name, value in fields.items():
        setattr(task, name, value)


def requeue_stale(now=None) -> int:
    """Tasks whose worker stopped beating: queue again, or fail after MAX_ATTEMPTS."""
    now = now or timezone.now()
    stale = Task.objects.filter(status=Task.Status.RUNNING, heartbeat_at__lt=now - STALE_AFTER)
    failed = stale.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=Task.Status.FAILED, finished_at=now, error="任务多次中断，已停止重试。"
    )
    return failed + stale.update(status=Task.Status.QUEUED, worker="")


def claim_next(worker: str) -> Task | None:
    requeue_stale()
    for pk in (
        Task.objects.filter(status=Task.Status.QUEUED)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:5]
    ):
        now = timezone.now()
        claimed = Task.objects.filter(pk=pk, status=Task.Status.QUEUED).update(
            status=Task.Status.RUNNING,
            worker=worker,
            started_at=now,
            heartbeat_at=now,
            attempts=F("attempts") + 1,
        )
        if claimed:
            return Task.objects.get(pk=pk)
    return None


def run(task: Task) -> Task:
    function = HANDLERS.get(task.kind)
    try:
        if function is None:
            raise TaskFailed(f"未知的任务类型 {task.kind}")
        result = function(task)
    except TaskFailed as failure:
        Task.objects.filter(pk=task.pk).update(
            status=Task.Status.FAILED, error=str(failure)[:500], finished_at=timezone.now()
        )
    except Exception:
        log.exception("task %s #%s failed", task.kind, task.pk)
        Task.objects.filter(pk=task.pk).update(
            status=Task.Status.FAILED,
            error="任务执行出错，已记录，请联系系统管理员。",
            finished_at=timezone.now(),
        )
    else:
        Task.objects.filter(pk=task.pk).update(
            status=Task.Status.DONE, result=result or {}, finished_at=timezone.now()
        )
    task.refresh_from_db()
    return task


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def run_pending(*, limit: int | None = None) -> int:
    """Run queued tasks until none is left (or ``limit``); returns how many ran."""
    ran = 0
    name = worker_name()
    while limit is None or ran < limit:
        task = claim_next(name)
        if task is None:
            break
        run(task)
        ran += 1
    return ran


def work_forever(*, poll_seconds: float = 0.5, stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    while not stop.is_set():
        try:
            close_old_connections()
            if not run_pending(limit=1):
                stop.wait(poll_seconds)
        except Exception:  # the loop must outlive a database hiccup
            log.exception("task worker loop error")
            time.sleep(poll_seconds * 4)
        finally:
            close_old_connections()


def start_worker_thread() -> threading.Thread:
    thread = threading.Thread(target=work_forever, name="yanglao-task-worker", daemon=True)
    thread.start()
    return thread
