from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied


def capability_required(capability: str):
    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.can(capability):
                raise PermissionDenied("您没有此项权限。")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
