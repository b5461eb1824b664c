"""Every write about accounts: logins and lockout, users, passwords and API tokens."""

import hashlib
import re
import secrets
import string
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from yanglao.accounts.errors import AccountErrorCode as E
from yanglao.accounts.errors import LoginRefused
from yanglao.accounts.models import ApiToken, LoginFailure, User
from yanglao.accounts.roles import OFFICER_LEVELS, Role, assignable_roles
from yanglao.core import audit
from yanglao.regions.codes import RegionCodeError, canonical
from yanglao.regions.models import Region
from yanglao.regions.scope import Scope

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{3,64}$")
TOKEN_PREFIX = "ylt_"

# --- login and lockout ------------------------------------------------------------------------


def _lock_remaining(kind: str, key: str, now) -> int:
    """Seconds left on a lock for this account or address, 0 if none."""
    window = timedelta(minutes=settings.YANGLAO_LOGIN_LOCK_MINUTES)
    recent = list(
        LoginFailure.objects.filter(kind=kind, key=key, at__gt=now - window)
        .order_by("-at")
        .values_list("at", flat=True)
    )
    if len(recent) < settings.YANGLAO_LOGIN_MAX_FAILURES:
        return 0
    return max(int((recent[0] + window - now).total_seconds()) + 1, 0)


def login_lock_remaining(*, username: str, ip: str | None) -> int:
    now = timezone.now()
    remaining = _lock_remaining(LoginFailure.Kind.USER, username.lower(), now)
    if ip:
        remaining = max(remaining, _lock_remaining(LoginFailure.Kind.IP, ip, now))
    return remaining


def _locked_message(seconds: int) -> str:
    minutes = max((seconds + 59) // 60, 1)
    return f"登录失败次数过多，账号或地址已锁定，请 {minutes} 分钟后再试。"


def login_attempt(*, request, username: str, password: str) -> User:
    """Check a username and password under the lockout rule; audit the outcome either way.

    Raises LoginRefused with a stable code. While a lock holds, even the right password is refused
    and the attempt does not extend the lock.
    """
    username = (username or "").strip()
    ip = getattr(request, "client_ip", None) or request.META.get("REMOTE_ADDR")
    remaining = login_lock_remaining(username=username, ip=ip)
    if remaining:
        audit.record(
            actor=None, action=audit.Action.LOGIN_FAILED, username=username, summary="已锁定，拒绝登录"
        )
        raise LoginRefused(E.LOCKED, _locked_message(remaining), retry_after=remaining)

    user = authenticate(request, username=username, password=password)
    if user is None:
        now = timezone.now()
        LoginFailure.objects.bulk_create(
            [LoginFailure(kind=LoginFailure.Kind.USER, key=username.lower(), at=now)]
            + ([LoginFailure(kind=LoginFailure.Kind.IP, key=ip, at=now)] if ip else [])
        )
        LoginFailure.objects.filter(
            at__lt=now - timedelta(minutes=settings.YANGLAO_LOGIN_LOCK_MINUTES)
        ).delete()
        known = User.objects.filter(username__iexact=username).select_related("region").first()
        audit.record(
            actor=None,
            action=audit.Action.LOGIN_FAILED,
            username=username,
            obj=known,
            summary="用户名或密码错误",
        )
        remaining = login_lock_remaining(username=username, ip=ip)
        if remaining:
            raise LoginRefused(E.LOCKED, _locked_message(remaining), retry_after=remaining)
        raise LoginRefused(E.INVALID_CREDENTIALS, "用户名或密码错误。")

    LoginFailure.objects.filter(kind=LoginFailure.Kind.USER, key=username.lower()).delete()
    if ip:
        LoginFailure.objects.filter(kind=LoginFailure.Kind.IP, key=ip).delete()
    audit.record(actor=user, action=audit.Action.LOGIN, obj=user, summary="登录成功")
    return user


# --- users ------------------------------------------------------------------------------------


def generate_initial_password() -> str:
    """A random password that passes the complexity rule; the user must change it at first login."""
    alphabet = string.ascii_letters + string.digits
    while True:
        body = "".join(secrets.choice(alphabet) for _ in range(12))
        candidate = f"{body[:6]}-{body[6:]}"
        if (
            any(c.islower() for c in body)
            and any(c.isupper() for c in body)
            and any(c.isdigit() for c in body)
        ):
            return candidate


def _resolve_region(region_code: str) -> Region:
    try:
        code = canonical(region_code)
    except RegionCodeError as exc:
        raise ValidationError({"region": ValidationError(str(exc), code=E.REGION_UNKNOWN)}) from None
    region = Region.objects.filter(code=code).first()
    if region is None:
        raise ValidationError({"region": ValidationError("区划不存在。", code=E.REGION_UNKNOWN)})
    return region


def _check_authority(*, actor: User, role: str, region: Region) -> None:
    """The actor may give ``role`` at ``region``: an assignable role, never a scope wider than its own."""
    errors = {}
    if role not in Role.values:
        errors["role"] = ValidationError("角色无效。", code=E.ROLE_NOT_ASSIGNABLE)
    elif role not in assignable_roles(actor.role):
        errors["role"] = ValidationError("您无权授予该角色。", code=E.ROLE_NOT_ASSIGNABLE)
    if not actor.scope.covers(Scope(prefix=region.prefix)):
        errors["region"] = ValidationError("所选区划超出您的管辖范围。", code=E.REGION_OUT_OF_SCOPE)
    elif role == Role.OFFICER and region.level not in OFFICER_LEVELS:
        errors["region"] = ValidationError("民政干部只能设在苏木乡镇(街道)及以上层级。", code=E.REGION_LEVEL)
    if errors:
        raise ValidationError(errors)


def _resolve_facility(actor, facility_id):
    """The facility an operator account belongs to: required, and inside the actor's scope."""
    from yanglao.facilities.models import Facility

    if not facility_id:
        return None, ValidationError("机构运营人员须指定所属机构（设施编号）。", code="facility_required")
    facility = Facility.objects.select_related("region").filter(pk=facility_id).first()
    if facility is None or (actor is not None and not actor.scope.contains(facility.region_id)):
        return None, ValidationError("设施不存在或不在您的管辖范围内。", code="facility_unknown")
    return facility, None


def _resolve_operator(actor, operator_id):
    """The operator (服务商) a provider account works for: required, and visible to the actor."""
    from yanglao.facilities.models import Operator

    if not operator_id:
        return None, ValidationError("服务商人员须指定所属服务商（运营主体编号）。", code="operator_required")
    operator = Operator.objects.filter(pk=operator_id).first()
    if operator is None or (actor is not None and not actor.scope.contains(operator.region_id)):
        return None, ValidationError("服务商不存在或不在您的管辖范围内。", code="operator_unknown")
    return operator, None


def may_manage(*, actor: User, user: User) -> bool:
    return (
        actor.can("users.manage")
        and actor.pk != user.pk
        and user.role in assignable_roles(actor.role)
        and actor.scope.covers(Scope(prefix=user.region.prefix))
    )


def _require_manage(actor: User, user: User) -> None:
    if not may_manage(actor=actor, user=user):
        raise ValidationError("您无权管理该用户。", code=E.ROLE_NOT_ASSIGNABLE)


def _snapshot(user: User) -> dict:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "region": user.region_id,
        "is_active": user.is_active,
    }


@transaction.atomic
def user_create(
    *,
    actor: User | None,
    username: str,
    display_name: str,
    role: str,
    region_code: str,
    password: str | None = None,
    is_demo: bool = False,
    facility_id: int | None = None,
    operator_id: int | None = None,
    password_hash: str | None = None,
) -> tuple[User, str]:
    """Create an account inside the actor's scope. Returns the user and its initial password.

    ``actor=None`` is the server console (``yanglao createuser``, demo data): whoever can run it
    already holds the whole installation, so no scope applies. Only the console may pass a
    ready ``password_hash``: the demo accounts share one published password, and hashing it
    once instead of per account takes seconds off ``make setup``.
    """
    if password_hash is not None and actor is not None:
        raise ValueError("password_hash is for the console only")
    username = (username or "").strip()
    display_name = (display_name or "").strip()
    errors = {}
    if not USERNAME_RE.match(username):
        errors["username"] = ValidationError(
            "用户名为 3–64 位字母、数字、点、下划线或连字符。", code=E.USERNAME_INVALID
        )
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = ValidationError("用户名已被使用。", code=E.USERNAME_TAKEN)
    if not display_name:
        errors["display_name"] = ValidationError("请填写姓名。", code="required")
    try:
        region = _resolve_region(region_code)
        if actor is not None:
            _check_authority(actor=actor, role=role, region=region)
        elif role not in Role.values:
            raise ValidationError({"role": ValidationError("角色无效。", code=E.ROLE_NOT_ASSIGNABLE)})
    except ValidationError as exc:
        errors.update(exc.error_dict)
    facility = None
    if role == Role.OPERATOR:
        facility, facility_error = _resolve_facility(actor, facility_id)
        if facility_error:
            errors["facility"] = facility_error
        elif (
            facility is not None
            and "region" not in errors
            and not facility.region_id.startswith(region.prefix)
        ):
            errors["facility"] = ValidationError("所属机构不在所选区划内。", code="facility_region")
    operator = None
    if role == Role.PROVIDER:
        operator, operator_error = _resolve_operator(actor, operator_id)
        if operator_error:
            errors["operator"] = operator_error
    if errors:
        raise ValidationError(errors)

    initial = "" if password_hash else password or generate_initial_password()
    user = User(
        username=username,
        display_name=display_name,
        role=role,
        region=region,
        created_by=actor,
        is_demo=is_demo,
        must_change_password=not is_demo,
        facility=facility,
        operator=operator,
    )
    if password_hash:
        user.password = password_hash
    else:
        try:
            password_validation.validate_password(initial, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.error_list}) from None
        user.set_password(initial)
    user.full_clean(exclude=["password"])
    user.save()
    audit.record(
        actor=actor,
        username="" if actor else "(控制台)",
        action=audit.Action.CREATE,
        obj=user,
        summary=f"新建用户 {user.username}（{user.role_title}）",
        changes=audit.diff({}, _snapshot(user)),
    )
    return user, initial


@transaction.atomic
def user_update(
    *,
    actor: User,
    user: User,
    display_name: str | None = None,
    role: str | None = None,
    region_code: str | None = None,
) -> User:
    _require_manage(actor, user)
    before = _snapshot(user)
    if display_name is not None:
        if not display_name.strip():
            raise ValidationError({"display_name": ValidationError("请填写姓名。", code="required")})
        user.display_name = display_name.strip()
    new_role = role or user.role
    region = _resolve_region(region_code) if region_code else user.region
    _check_authority(actor=actor, role=new_role, region=region)
    user.role, user.region = new_role, region
    user.full_clean(exclude=["password"])
    user.save(update_fields=["display_name", "role", "region"])
    changes = audit.diff(before, _snapshot(user))
    if changes:
        audit.record(actor=actor, action=audit.Action.UPDATE, obj=user, summary="修改用户", changes=changes)
    return user


@transaction.atomic
def user_disable(*, actor: User, user: User, reason: str) -> User:
    if actor.pk == user.pk:
        raise ValidationError("不能停用本人账号。", code=E.SELF_DISABLE)
    _require_manage(actor, user)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ValidationError("请填写停用原因。", code="required")})
    if not user.is_active:
        return user
    user.is_active = False
    user.disabled_at = timezone.now()
    user.disabled_reason = reason[:200]
    user.save(update_fields=["is_active", "disabled_at", "disabled_reason"])
    # A disabled account's tokens stop working at once, not when they expire.
    ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=user.disabled_at, revoked_by=actor
    )
    audit.record(
        actor=actor, action=audit.Action.DISABLE, obj=user, summary=f"停用用户：{user.disabled_reason}"
    )
    return user


@transaction.atomic
def user_enable(*, actor: User, user: User) -> User:
    _require_manage(actor, user)
    if user.is_active:
        return user
    user.is_active = True
    user.disabled_at = None
    user.disabled_reason = ""
    user.save(update_fields=["is_active", "disabled_at", "disabled_reason"])
    audit.record(actor=actor, action=audit.Action.ENABLE, obj=user, summary="启用用户")
    return user


@transaction.atomic
def user_reset_password(*, actor: User, user: User) -> str:
    _require_manage(actor, user)
    initial = generate_initial_password()
    user.set_password(initial)
    user.must_change_password = True
    user.save(update_fields=["password", "must_change_password"])
    audit.record(actor=actor, action=audit.Action.PASSWORD_CHANGE, obj=user, summary="重置为新的初始密码")
    return initial


@transaction.atomic
def password_change(*, user: User, old_password: str, new_password: str) -> User:
    errors = {}
    if not user.check_password(old_password or ""):
        errors["old_password"] = ValidationError("原密码错误。", code=E.WRONG_PASSWORD)
    if old_password and old_password == new_password:
        errors["new_password"] = ValidationError("新密码不能与原密码相同。", code=E.PASSWORD_REUSED)
    else:
        try:
            password_validation.validate_password(new_password or "", user)
        except ValidationError as exc:
            errors["new_password"] = exc.error_list
    if errors:
        raise ValidationError(errors)
    user.set_password(new_password)
    user.must_change_password = False
    user.password_changed_at = timezone.now()
    user.save(update_fields=["password", "must_change_password", "password_changed_at"])
    audit.record(actor=user, action=audit.Action.PASSWORD_CHANGE, obj=user, summary="修改本人密码")
    return user


# --- API tokens -------------------------------------------------------------------------------


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def token_create(*, user: User, name: str = "") -> tuple[ApiToken, str]:
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=(name or "").strip()[:64],
        key_hash=hash_token(raw),
        key_prefix=raw[:10],
        expires_at=timezone.now() + timedelta(hours=settings.YANGLAO_TOKEN_HOURS),
    )
    audit.record(
        actor=user, action=audit.Action.TOKEN_CREATE, obj=user, summary=f"签发 API 令牌 {token.key_prefix}…"
    )
    return token, raw


def token_authenticate(raw: str) -> User | None:
    if not raw or not raw.startswith(TOKEN_PREFIX) or len(raw) > 100:
        return None
    token = (
        ApiToken.objects.select_related("user__region", "user__facility__region")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    if token.user.is_demo and not settings.YANGLAO_ALLOW_DEMO_LOGINS:
        return None
    now = timezone.now()
    # Touch at most once a minute: every API call must not become a write.
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def may_revoke(*, actor: User, token: ApiToken) -> bool:
    return token.user_id == actor.pk or may_manage(actor=actor, user=token.user)


@transaction.atomic
def token_revoke(*, actor: User, token: ApiToken) -> ApiToken:
    if not may_revoke(actor=actor, token=token):
        raise ValidationError("您无权吊销该令牌。", code=E.ROLE_NOT_ASSIGNABLE)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.revoked_by = actor
        token.save(update_fields=["revoked_at", "revoked_by"])
        audit.record(
            actor=actor,
            action=audit.Action.TOKEN_REVOKE,
            obj=token.user,
            summary=f"吊销 API 令牌 {token.key_prefix}…",
        )
    return token
