"""Background tasks of planning: a siting question is computed by the task worker, not in the request."""

from django.urls import reverse

from yanglao.core.tasks import TaskFailed, handler
from yanglao.planning import services
from yanglao.planning.models import RunStatus, SitingRun


@handler(services.SITING_TASK)
def run_siting(task) -> dict:
    run = SitingRun.objects.select_related("region", "created_by").filter(pk=task.params.get("run")).first()
    if run is None:
        raise TaskFailed("选址计算记录不存在。")
    run = services.siting_solve(run=run, task=task)
    if run.status == RunStatus.FAILED:
        # The run keeps the message and code; the task says the same so its own page agrees.
        raise TaskFailed(run.error)
    return {"run": run.pk, "url": reverse("planning:run_detail", args=[run.pk]), "gap": run.gap}
