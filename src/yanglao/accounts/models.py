from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from yanglao.accounts.roles import OFFICER_TITLES, Role, capabilities
from yanglao.regions.models import Region
from yanglao.regions.scope import Scope


class UserManager(BaseUserManager):
    use_in_migrations = True

    def get_by_natural_key(self, username):
        return self.get(username__iexact=username)

    def create_user(self, username, password=None, **fields):
        user = self.model(username=username, **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user


class User(AbstractBaseUser):
    """A person who signs in. What it may see is its region's subtree (``scope``)."""

    username = models.CharField("用户名", max_length=64, unique=True)
    display_name = models.CharField("姓名", max_length=64)
    role = models.CharField("角色", max_length=16, choices=Role.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name="所属区划")
    # A facility operator works for one facility: that facility is its whole scope.
    facility = models.ForeignKey(
        "facilities.Facility",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        verbose_name="所属机构",
    )
    # A provider's staff work for one operator (the 服务商 is an operator under contract).
    operator = models.ForeignKey(
        "facilities.Operator",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
        verbose_name="所属服务商",
    )
    is_active = models.BooleanField("启用", default=True)
    is_demo = models.BooleanField("演示账号", default=False)
    must_change_password = models.BooleanField("须修改初始密码", default=True)
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    created_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="创建人"
    )
    disabled_at = models.DateTimeField("停用时间", null=True, blank=True)
    disabled_reason = models.CharField("停用原因", max_length=200, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS = ["display_name", "role", "region"]

    class Meta:
        ordering = ["username"]
        constraints = [models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci")]
        indexes = [models.Index(fields=["region", "role"])]
        verbose_name = "用户"

    def __str__(self):
        return f"{self.display_name}（{self.username}）"

    @property
    def scope(self) -> Scope:
        if not self.is_active:
            return Scope.nothing()
        if self.role == Role.OPERATOR:
            if self.facility_id is None:
                return Scope.nothing()
            return Scope(prefix=self.facility.region.prefix, facility_id=self.facility_id)
        if self.role == Role.PROVIDER:
            if self.operator_id is None:
                return Scope.nothing()
            return Scope(prefix=self.region.prefix, operator_id=self.operator_id)
        return Scope(prefix=self.region.prefix)

    @property
    def capabilities(self) -> frozenset[str]:
        return capabilities(self.role) if self.is_active else frozenset()

    def can(self, capability: str) -> bool:
        return capability in self.capabilities

    @property
    def role_title(self) -> str:
        if self.role == Role.OFFICER:
            return OFFICER_TITLES.get(self.region.level, self.get_role_display())
        return self.get_role_display()

    # The admin site and a few Django helpers ask for these; yanglao uses roles instead.
    is_staff = False
    is_superuser = False

    def has_perm(self, perm, obj=None):
        return False

    def has_perms(self, perm_list, obj=None):
        return False

    def has_module_perms(self, app_label):
        return False


class LoginFailure(models.Model):
    """Recent failed logins, per account and per client address, for the lockout rule.

    Throttle state, not history (history is the audit log): rows are removed on a successful login
    and once they are older than the lock window.
    """

    class Kind(models.TextChoices):
        USER = "user", "账号"
        IP = "ip", "地址"

    kind = models.CharField(max_length=4, choices=Kind.choices)
    key = models.CharField(max_length=150)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["kind", "key", "at"])]

    def __str__(self):
        return f"{self.kind}:{self.key}@{self.at:%H:%M:%S}"


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="api_tokens", verbose_name="用户")
    name = models.CharField("用途", max_length=64, blank=True)
    key_hash = models.CharField(max_length=64, unique=True)
    key_prefix = models.CharField("令牌前缀", max_length=12)
    created_at = models.DateTimeField("签发时间", default=timezone.now)
    expires_at = models.DateTimeField("过期时间")
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="吊销人"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API 令牌"

    def __str__(self):
        return f"{self.key_prefix}…（{self.user.username}）"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
