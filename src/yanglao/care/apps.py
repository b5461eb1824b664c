from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "yanglao.care"
    label = "care"
    verbose_name = "居家社区养老服务"

    def ready(self):
        from yanglao.care.privacy import ID_CONTEXT, PHONE_CONTEXT
        from yanglao.core.crypto import register_encrypted_field

        register_encrypted_field("care.Caregiver", "phone_enc", PHONE_CONTEXT)
        register_encrypted_field("care.Caregiver", "id_number_enc", ID_CONTEXT)
