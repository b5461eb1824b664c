from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "yanglao.assessments"
    label = "assessments"
    verbose_name = "老年人能力评估"

    def ready(self):
        from yanglao.assessments.views import elder_panel
        from yanglao.elders.panels import register_panel

        register_panel(elder_panel)
