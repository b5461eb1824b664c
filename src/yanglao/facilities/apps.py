from django.apps import AppConfig


class FacilitiesConfig(AppConfig):
    name = "yanglao.facilities"
    label = "facilities"
    verbose_name = "养老服务设施"

    def ready(self):
        from yanglao.facilities import tasks  # noqa: F401 - registers the import task
