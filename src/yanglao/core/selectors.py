from django.http import Http404

from yanglao.core.models import Task


def task_get(*, actor, pk: int) -> Task:
    """A background task is visible to the user who started it."""
    task = Task.objects.filter(pk=pk, created_by=actor).first()
    if task is None:
        raise Http404("任务不存在")
    return task
