from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from yanglao.core import audit


@receiver(user_logged_out)
def _audit_logout(sender, request, user, **kwargs):
    if user is not None:
        audit.record(actor=user, action=audit.Action.LOGOUT, obj=user, summary="退出登录")
