from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from yanglao.core.models import Task
from yanglao.core.selectors import task_get


@login_required
@require_GET
def task_progress(request, pk):
    """The progress bar of a background task, polled by HTMX until it finishes; then the page that
    polls (with ``refresh=1``) reloads itself to show the result."""
    task = task_get(actor=request.user, pk=pk)
    response = render(request, "core/task_progress.html", {"task": task})
    if task.finished and request.GET.get("refresh") and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


def import_page(request, *, form, kind: str, title: str, intro: str, back: str, template: str, status: str):
    """The upload page shared by every spreadsheet import: template, upload form, recent runs."""
    recent = list(Task.objects.filter(kind=kind, created_by=request.user).order_by("-created_at")[:10])
    for task in recent:
        task.status_url = reverse(status, args=[task.pk])
    return render(request, "core/import_start.html", {
        "form": form, "recent": recent, "title": title, "intro": intro,
        "back_url": reverse(back), "template_url": reverse(template),
    })  # fmt: skip


def import_status_page(request, *, task: Task, title: str, back: str, errors: str):
    return render(request, "core/import_status.html", {
        "task": task, "result": task.result, "title": title, "back_url": reverse(back),
        "errors_url": reverse(errors, args=[task.pk]),
    })  # fmt: skip
