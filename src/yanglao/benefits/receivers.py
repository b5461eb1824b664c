from django.dispatch import receiver

from yanglao.benefits.services import entitlements_refresh
from yanglao.elders.signals import elder_changed


@receiver(elder_changed)
def _recompute(sender, elder, on, what, **kwargs):
    entitlements_refresh(elder=elder, on=on)
