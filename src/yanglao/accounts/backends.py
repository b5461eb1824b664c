from django.conf import settings
from django.contrib.auth.backends import ModelBackend

from yanglao.accounts.models import User


class AccountBackend(ModelBackend):
    """Password login for active accounts; demo accounts only where the settings allow them."""

    def user_can_authenticate(self, user):
        if not super().user_can_authenticate(user):
            return False
        return not (user.is_demo and not settings.YANGLAO_ALLOW_DEMO_LOGINS)

    def get_user(self, user_id):
        user = User.objects.select_related("region", "facility__region").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None

    # Roles, not Django permissions, decide what a user may do.
    def get_all_permissions(self, user_obj, obj=None):
        return set()

    def has_perm(self, user_obj, perm, obj=None):
        return False
