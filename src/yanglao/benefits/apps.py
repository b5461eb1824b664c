from django.apps import AppConfig


class BenefitsConfig(AppConfig):
    name = "yanglao.benefits"
    label = "benefits"
    verbose_name = "享受待遇"

    def ready(self):
        from yanglao.benefits import receivers  # noqa: F401 - recompute entitlements when a person's facts change
