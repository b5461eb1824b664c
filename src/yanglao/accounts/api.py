from datetime import date, datetime

from django.core.exceptions import ValidationError
from ninja import Field, Query, Router, Schema, Status

from yanglao.accounts import selectors, services
from yanglao.accounts.errors import AccountErrorCode, LoginRefused
from yanglao.accounts.roles import Role
from yanglao.core.api import ApiError, ErrorOut, Page, PageParams, errors, paginate

auth_router = Router(tags=["认证"])
users_router = Router(tags=["用户"])
audit_router = Router(tags=["审计日志"])


class TokenIn(Schema):
    username: str = Field(..., min_length=1, max_length=150)
    password: str = Field(..., min_length=1, max_length=256)
    name: str = Field("", max_length=64, description="令牌用途，便于日后识别")


class TokenOut(Schema):
    token: str
    expires_at: datetime


class TokenInfo(Schema):
    id: int
    name: str
    key_prefix: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    role: str
    role_title: str
    region_code: str = Field(..., alias="region_id")
    scope_prefix: str
    capabilities: list[str]

    @staticmethod
    def resolve_scope_prefix(obj):
        return obj.scope.prefix

    @staticmethod
    def resolve_capabilities(obj):
        return sorted(obj.capabilities)


@auth_router.post(
    "/token", auth=None, response={200: TokenOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut, 429: ErrorOut}
)
def token_obtain(request, payload: TokenIn):
    """用户名密码换取 12 小时有效的令牌。连续失败 5 次锁定 15 分钟。"""
    try:
        user = services.login_attempt(request=request, username=payload.username, password=payload.password)
    except LoginRefused as refused:
        status = 429 if refused.code == AccountErrorCode.LOCKED else 401
        raise ApiError(status, refused.code, refused.message) from None
    if user.must_change_password:
        raise ApiError(403, AccountErrorCode.PASSWORD_CHANGE_REQUIRED, "须先在控制台修改初始密码。")
    token, raw = services.token_create(user=user, name=payload.name)
    return {"token": raw, "expires_at": token.expires_at}


@auth_router.get("/me", response={200: MeOut, **errors()})
def me(request):
    return request.auth


@auth_router.get("/tokens", response={200: list[TokenInfo], **errors()})
def tokens(request):
    """本人签发的令牌（只显示前缀）。"""
    return selectors.token_list(user=request.auth)


@auth_router.post("/tokens/{token_id}/revoke", response={200: TokenInfo, **errors(403, 404)})
def token_revoke(request, token_id: int):
    """吊销本人的令牌；管理员也可吊销其管辖范围内用户的令牌。"""
    token = selectors.token_get(actor=request.auth, pk=token_id)
    return services.token_revoke(actor=request.auth, token=token)


class UserOut(Schema):
    id: int
    username: str
    display_name: str
    role: str
    role_title: str
    region_code: str = Field(..., alias="region_id")
    region_name: str
    facility_id: int | None
    operator_id: int | None
    is_active: bool
    is_demo: bool
    must_change_password: bool
    created_at: datetime
    last_login: datetime | None
    disabled_at: datetime | None
    disabled_reason: str

    @staticmethod
    def resolve_region_name(obj):
        return obj.region.full_name


class UserFilters(Schema):
    q: str = Field("", max_length=64, description="用户名或姓名")
    role: Role | None = None
    region: str = Field(
        "", max_length=12, pattern=r"^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})?$", description="区划代码"
    )
    active: bool | None = None


class UserCreateIn(Schema):
    username: str = Field(..., max_length=64)
    display_name: str = Field(..., max_length=64)
    role: Role
    region: str = Field(..., max_length=12, description="区划代码")
    facility_id: int | None = Field(None, description="机构运营人员的所属设施编号")
    operator_id: int | None = Field(None, description="服务商人员的所属运营主体编号")


class UserCreatedOut(Schema):
    user: UserOut
    initial_password: str = Field(..., description="初始密码，仅此一次返回；首次登录须修改")


class DisableIn(Schema):
    reason: str = Field(..., min_length=1, max_length=200)


@users_router.get("", response={200: Page[UserOut], **errors(403)})
def user_list(request, filters: Query[UserFilters], paging: Query[PageParams]):
    users = selectors.user_list(
        actor=request.auth,
        q=filters.q,
        role=filters.role or "",
        region_code=filters.region,
        active=filters.active,
    )
    return paginate(users, paging)


@users_router.post("", response={201: UserCreatedOut, **errors(403)})
def user_create(request, payload: UserCreateIn):
    if not request.auth.can("users.manage"):
        raise ApiError(403, "forbidden", "您没有新建用户的权限。")
    user, initial = services.user_create(
        actor=request.auth,
        username=payload.username,
        display_name=payload.display_name,
        role=payload.role,
        region_code=payload.region,
        facility_id=payload.facility_id,
        operator_id=payload.operator_id,
    )
    return Status(201, {"user": user, "initial_password": initial})


@users_router.get("/{user_id}", response={200: UserOut, **errors(403, 404)})
def user_detail(request, user_id: int):
    return selectors.user_get(actor=request.auth, pk=user_id)


@users_router.post("/{user_id}/disable", response={200: UserOut, **errors(403, 404)})
def user_disable(request, user_id: int, payload: DisableIn):
    user = selectors.user_get(actor=request.auth, pk=user_id)
    try:
        return services.user_disable(actor=request.auth, user=user, reason=payload.reason)
    except ValidationError as exc:
        if getattr(exc, "code", None) in (
            AccountErrorCode.ROLE_NOT_ASSIGNABLE,
            AccountErrorCode.SELF_DISABLE,
        ):
            raise ApiError(403, exc.code, exc.messages[0]) from None
        raise


class AuditOut(Schema):
    id: int
    at: datetime
    actor_username: str
    action: str
    object_type: str
    object_id: str
    object_label: str
    region_code: str | None
    ip: str | None
    summary: str
    changes: dict


class AuditFilters(Schema):
    person: str = Field("", max_length=150)
    object_type: str = Field("", max_length=64)
    object_id: str = Field("", max_length=64)
    action: str = Field("", max_length=32)
    date_from: date | None = None
    date_to: date | None = None


@audit_router.get("", response={200: Page[AuditOut], **errors(403)})
def audit_list(request, filters: Query[AuditFilters], paging: Query[PageParams]):
    """审计日志（审计员、系统管理员）。只读：没有修改或删除的接口。"""
    entries = selectors.audit_list(actor=request.auth, **filters.dict())
    return paginate(entries, paging)
