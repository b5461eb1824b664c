from django.http import JsonResponse
from django.urls import include, path, re_path
from django.views.defaults import page_not_found, server_error

from yanglao.api import api

urlpatterns = [
    path("", include("yanglao.reports.urls")),
    path("accounts/", include("yanglao.accounts.urls")),
    path("regions/", include("yanglao.regions.urls")),
    path("core/", include("yanglao.core.urls")),
    path("elders/", include("yanglao.elders.urls")),
    path("facilities/", include("yanglao.facilities.urls")),
    path("assessments/", include("yanglao.assessments.urls")),
    path("benefits/", include("yanglao.benefits.urls")),
    path("care/", include("yanglao.care.urls")),
    path("alarms/", include("yanglao.alarms.urls")),
    path("planning/", include("yanglao.planning.urls")),
    path("residential/", include("yanglao.residential.urls")),
    path("api/v1/", api.urls),
    # An unknown API path answers in the API's own error shape, in DEBUG too.
    re_path(r"^api/", lambda request: _json_error(404, "not_found", "接口不存在。"), name="api-unknown"),
]


def _json_error(status: int, code: str, message: str):
    return JsonResponse({"code": code, "message": message, "fields": {}}, status=status)


def handler404(request, exception):
    if request.path.startswith("/api/"):
        return _json_error(404, "not_found", "接口或对象不存在。")
    return page_not_found(request, exception, template_name="404.html")


def handler500(request):
    if request.path.startswith("/api/"):
        return _json_error(500, "internal_error", "服务器内部错误，已记录。")
    return server_error(request, template_name="500.html")
