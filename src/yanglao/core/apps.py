from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "yanglao.core"
    label = "core"
    verbose_name = "基础"
