from django.apps import AppConfig


class ResidentialConfig(AppConfig):
    name = "yanglao.residential"
    label = "residential"
    verbose_name = "助餐与日间照料"
