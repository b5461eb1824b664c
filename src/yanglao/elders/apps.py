from django.apps import AppConfig


class EldersConfig(AppConfig):
    name = "yanglao.elders"
    label = "elders"
    verbose_name = "老年人档案"

    def ready(self):
        from yanglao.core.crypto import register_encrypted_field
        from yanglao.elders import tasks  # noqa: F401 - registers the import task
        from yanglao.elders.privacy import ID_CONTEXT, PHONE_CONTEXT

        register_encrypted_field("elders.Elder", "id_number_enc", ID_CONTEXT)
        register_encrypted_field("elders.Elder", "phone_enc", PHONE_CONTEXT)
        register_encrypted_field("elders.Elder", "phone_alt_enc", PHONE_CONTEXT)
        register_encrypted_field("elders.ElderContact", "phone_enc", PHONE_CONTEXT)
