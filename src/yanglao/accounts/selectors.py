"""Reading accounts and the audit log, always inside the reader's scope."""

from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from yanglao.accounts.models import ApiToken, User
from yanglao.accounts.roles import Cap
from yanglao.core.models import AuditEntry
from yanglao.regions.selectors import scope_narrowed


def _require(actor: User, capability: str) -> None:
    if not actor.can(capability):
        raise PermissionDenied("您没有此项权限。")


def user_list(
    *,
    actor: User,
    q: str = "",
    role: str = "",
    region_code: str = "",
    active: bool | None = None,
) -> QuerySet[User]:
    _require(actor, Cap.USERS_VIEW)
    scope = scope_narrowed(scope=actor.scope, code=region_code)
    users = scope.apply(User.objects.select_related("region"))
    if q:
        users = users.filter(Q(username__icontains=q) | Q(display_name__icontains=q))
    if role:
        users = users.filter(role=role)
    if active is not None:
        users = users.filter(is_active=active)
    return users.order_by("username")


def user_get(*, actor: User, pk: int) -> User:
    _require(actor, Cap.USERS_VIEW)
    user = actor.scope.apply(User.objects.select_related("region", "created_by")).filter(pk=pk).first()
    if user is None:
        raise Http404("用户不存在")
    return user


def token_list(*, user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).order_by("-created_at")


def token_get(*, actor: User, pk: int) -> ApiToken:
    """A token the actor may see: its own, or one of a user inside its scope that it may view."""
    own = Q(user=actor)
    if actor.can(Cap.USERS_VIEW):
        own |= actor.scope.q("user__region__code")
    token = ApiToken.objects.select_related("user__region").filter(own, pk=pk).first()
    if token is None:
        raise Http404("令牌不存在")
    return token


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def audit_list(
    *,
    actor: User,
    person: str = "",
    object_type: str = "",
    object_id: str = "",
    action: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[AuditEntry]:
    """The audit log in the actor's scope; entries with no region (an unknown name failing to log in)
    are seen only by a reader whose scope is the whole installation's root."""
    _require(actor, Cap.AUDIT_VIEW)
    scope = actor.scope
    condition = scope.q("region_code")
    if len(scope.prefix) == 2:
        condition |= Q(region_code__isnull=True)
    entries = AuditEntry.objects.filter(condition)
    if person:
        entries = entries.filter(actor_username__icontains=person)
    if object_type:
        entries = entries.filter(object_type=object_type)
    if object_id:
        entries = entries.filter(object_id=object_id)
    if action:
        entries = entries.filter(action=action)
    if date_from:
        entries = entries.filter(at__gte=_day_start(date_from))
    if date_to:
        entries = entries.filter(at__lt=_day_start(date_to) + timedelta(days=1))
    return entries.order_by("-at", "-id")
