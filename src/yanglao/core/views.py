from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

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
