from django.conf import settings
from django.http import HttpResponseBadRequest, JsonResponse

from yanglao.core import context


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        ip = context.client_ip(request, settings.YANGLAO_TRUSTED_PROXIES)
        request.client_ip = ip
        token = context.bind(context.RequestMeta(ip=ip, path=request.path))
        try:
            return self.get_response(request)
        finally:
            context.reset(token)


class RejectNulMiddleware:
    """A NUL character can be typed into no form and stored in no PostgreSQL text column: refuse
    it at the door, with the API's error shape, instead of failing deep inside a query."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._has_nul(request):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "code": "invalid_characters",
                        "message": "请求中含有不允许的控制字符（NUL）。",
                        "fields": {},
                    },
                    status=422,
                )
            return HttpResponseBadRequest("请求中含有不允许的控制字符。")
        return self.get_response(request)

    @staticmethod
    def _has_nul(request) -> bool:
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", ""):
            return True
        if request.method in ("POST", "PUT", "PATCH") and request.content_type in (
            "application/json",
            "text/plain",
        ):
            body = request.body
            return b"\\u0000" in body or b"\x00" in body
        return False
