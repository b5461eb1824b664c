from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

from yanglao.accounts.errors import AccountErrorCode


class PasswordChangeRequiredMiddleware:
    """Until a user replaces its initial password, the password page is the only page it gets."""

    ALLOWED = ("accounts:password_change", "accounts:logout", "accounts:login")

    def __init__(self, get_response):
        self.get_response = get_response
        self._allowed = None

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.must_change_password:
            if self._allowed is None:
                self._allowed = {reverse(name) for name in self.ALLOWED}
            if request.path not in self._allowed and not request.path.startswith("/static/"):
                if request.path.startswith("/api/"):
                    return JsonResponse(
                        {
                            "code": AccountErrorCode.PASSWORD_CHANGE_REQUIRED,
                            "message": "须先在控制台修改初始密码。",
                            "fields": {},
                        },
                        status=403,
                    )
                return redirect("accounts:password_change")
        return self.get_response(request)
