from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "yanglao.accounts"
    label = "accounts"
    verbose_name = "用户与权限"

    def ready(self):
        from yanglao.accounts import signals  # noqa: F401
