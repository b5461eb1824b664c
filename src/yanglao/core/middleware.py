from django.conf import settings

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
