"""The JSON API under /api/v1: one NinjaAPI, one error shape, bearer tokens or the session."""

import logging

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer

from yanglao.accounts.api import audit_router, auth_router, users_router
from yanglao.accounts.api_auth import BearerToken, SessionAuth
from yanglao.alarms.api import router as alarms_router
from yanglao.alarms.desk_api import router as alarms_desk_router
from yanglao.assessments.api import elder_router as elder_assessments_router
from yanglao.assessments.api import router as assessments_router
from yanglao.benefits.api import elder_router as elder_benefits_router
from yanglao.care.api import router as care_router
from yanglao.care.order_api import router as care_orders_router
from yanglao.core.api import ApiError
from yanglao.elders.api import router as elders_router
from yanglao.facilities.api import operators_router
from yanglao.facilities.api import router as facilities_router
from yanglao.planning.api import router as planning_router
from yanglao.regions.api import router as regions_router
from yanglao.reports.api import regions_router as network_router
from yanglao.residential.api import router as residential_router

log = logging.getLogger(__name__)


class Utf8JSONRenderer(JSONRenderer):
    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    title="yanglao 养老服务信息平台 API",
    version="1",
    description=(
        "所有数据按用户的行政区划范围过滤。认证：`POST /api/v1/auth/token` 取得令牌，"
        "之后在请求头写 `Authorization: Bearer <token>`。错误统一返回 `{code, message, fields}`。"
    ),
    auth=[BearerToken(), SessionAuth()],
    renderer=Utf8JSONRenderer(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _error(request, status: int, code: str, message: str, fields=None):
    return api.create_response(
        request, {"code": code, "message": message, "fields": fields or {}}, status=status
    )


def _location(loc) -> str:
    # ninja reports ("body", "payload", "field"); the client knows only the field name
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header", "cookie", "form", "file")]
    if len(parts) > 1 and parts[0] in ("payload", "data", "filters", "params"):
        parts = parts[1:]
    return ".".join(parts) or "__all__"


@api.exception_handler(NinjaValidationError)
def _validation(request, exc: NinjaValidationError):
    fields: dict[str, list[str]] = {}
    for error in exc.errors:
        fields.setdefault(_location(error.get("loc", ())), []).append(error.get("msg", "无效"))
    return _error(request, 422, "validation_error", "请求参数有误。", fields)


@api.exception_handler(DjangoValidationError)
def _domain_validation(request, exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        fields = {name: [m for e in errs for m in e.messages] for name, errs in exc.error_dict.items()}
        codes = [e.code for errs in exc.error_dict.values() for e in errs if e.code]
    else:
        fields = {"__all__": exc.messages}
        codes = [e.code for e in exc.error_list if e.code]
    code = codes[0] if len(set(codes)) == 1 else "validation_error"
    message = next(iter(fields.values()))[0] if len(fields) == 1 else "请求参数有误。"
    return _error(request, 422, code, message, fields)


@api.exception_handler(ApiError)
def _api_error(request, exc: ApiError):
    return _error(request, exc.status, exc.code, exc.message, exc.fields)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request, exc):
    return _error(request, 401, "unauthorized", "未登录或令牌无效、已过期。")


@api.exception_handler(PermissionDenied)
def _forbidden(request, exc):
    return _error(request, 403, "forbidden", str(exc) or "您没有此项权限。")


@api.exception_handler(Http404)
def _not_found(request, exc):
    return _error(request, 404, "not_found", "对象不存在或不在您的管辖范围内。")


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    if exc.status_code == 400:
        # django-ninja's only 400 is a body it cannot parse; to the client that is invalid input.
        return _error(request, 422, "malformed_body", "请求体无法解析，应为 JSON 对象。")
    return _error(request, exc.status_code, "http_error", str(exc))


@api.exception_handler(Exception)
def _unexpected(request, exc):
    log.exception("API error on %s %s", request.method, request.path)
    return _error(request, 500, "internal_error", "服务器内部错误，已记录。")


api.add_router("/auth", auth_router)
api.add_router("/users", users_router)
api.add_router("/audit", audit_router)
api.add_router("/regions", regions_router)
api.add_router("/regions", network_router)
api.add_router("/elders", elders_router)
# Routes under one elder that belong to other domains, mounted at the same prefix (the registry
# knows none of its consumers): /elders/{id}/assessments, /elders/{id}/entitlements.
api.add_router("/elders", elder_assessments_router)
api.add_router("/elders", elder_benefits_router)
api.add_router("/assessments", assessments_router)
api.add_router("/facilities", facilities_router)
api.add_router("/operators", operators_router)
# care mounts /catalogue, /providers, /caregivers, /orders, /settlements, /meals under the root;
# alarms mounts /devices, /device-events, /alarms.
api.add_router("", care_router)
api.add_router("/settlements", "yanglao.care.settlement_api.router")
api.add_router("", care_orders_router)
api.add_router("", alarms_router)
api.add_router("", alarms_desk_router)  # the desk: /alarms, /alarms/{id}/…, /alarms/stream, /alarms/sla
# planning mounts /coverage, /siting, /targets, /plans.
api.add_router("", planning_router)
api.add_router("", "yanglao.planning.plan_api.router")  # /plans, /plans/{id}/progress, /targets
# residential mounts /meals/... (canteens, menus, orders, day counts) and /daycare/...
api.add_router("", residential_router)
