from django.apps import AppConfig


class AlarmsConfig(AppConfig):
    name = "yanglao.alarms"
    label = "alarms"
    verbose_name = "呼叫中心与告警"

    def ready(self):
        from yanglao.alarms import tasks  # noqa: F401 - registers the device import task
        from yanglao.alarms.desk import CALLER_PHONE_CONTEXT
        from yanglao.alarms.models import SECRET_CONTEXT
        from yanglao.alarms.views import elder_panel
        from yanglao.core.crypto import register_encrypted_field
        from yanglao.elders.panels import register_panel

        register_encrypted_field("alarms.Device", "secret_enc", SECRET_CONTEXT)
        register_encrypted_field("alarms.Alarm", "caller_phone_enc", CALLER_PHONE_CONTEXT)
        register_panel(elder_panel)
