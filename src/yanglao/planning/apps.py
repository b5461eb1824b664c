from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "yanglao.planning"
    label = "planning"
    verbose_name = "规划：覆盖、选址、目标与建设计划"

    def ready(self):
        from yanglao.planning import tasks  # noqa: F401 - registers the siting task
