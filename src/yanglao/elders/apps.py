from django.apps import AppConfig


class EldersConfig(AppConfig):
    name = "yanglao.elders"
    label = "elders"
    verbose_name = "老年人档案"

    def ready(self):
        from yanglao.elders import tasks  # noqa: F401 - registers the import task
