from django.conf import settings
from django.db import models
from django.utils import timezone


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError("the audit log is append-only")

    def delete(self):
        raise PermissionError("the audit log is append-only")


class AuditEntry(models.Model):
    """One line of the audit log. Written by ``yanglao.core.audit.record`` only; never changed.

    PostgreSQL and SQLite triggers refuse UPDATE and DELETE on the table as well, so not even raw
    SQL from the application edits history.
    """

    class Action(models.TextChoices):
        CREATE = "create", "新增"
        UPDATE = "update", "修改"
        DELETE = "delete", "删除"
        DISABLE = "disable", "停用"
        ENABLE = "enable", "启用"
        REVEAL = "reveal", "查看敏感信息"
        EXPORT = "export", "导出"
        IMPORT = "import", "导入"
        LOGIN = "login", "登录成功"
        LOGIN_FAILED = "login_failed", "登录失败"
        LOGOUT = "logout", "退出登录"
        PASSWORD_CHANGE = "password_change", "修改密码"
        TOKEN_CREATE = "token_create", "签发令牌"
        TOKEN_REVOKE = "token_revoke", "吊销令牌"

    at = models.DateTimeField(default=timezone.now, db_index=True)
    # Indexed with the time below; a second index on the column alone would only slow every insert.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    # The name as typed or as it was then: a failed login has no user, and names can change.
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=32, choices=Action.choices)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_label = models.CharField(max_length=200, blank=True)
    region_code = models.CharField(max_length=12, null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    summary = models.CharField(max_length=500, blank=True)
    changes = models.JSONField(default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["region_code", "at"]),
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["actor", "at"]),
        ]
        verbose_name = "审计日志"

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_username} {self.action} {self.object_type}:{self.object_id}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("the audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("the audit log is append-only")


def _task_upload_path(instance, filename):
    return f"tasks/{timezone.now():%Y/%m}/{filename}"


class Task(models.Model):
    """A unit of background work (an import, a large export), durable in the database.

    A worker claims a queued row with a conditional UPDATE (status queued → running), so two workers
    never run one task; a running task whose heartbeat stops (the worker died) is queued again.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "进行中"
        DONE = "done", "已完成"
        FAILED = "failed", "失败"

    kind = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    params = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    progress_note = models.CharField(max_length=200, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    region_code = models.CharField(max_length=12, blank=True)
    input_file = models.FileField(upload_to=_task_upload_path, blank=True)
    output_file = models.FileField(upload_to=_task_upload_path, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    worker = models.CharField(max_length=100, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["created_by", "created_at"]),
        ]
        verbose_name = "后台任务"

    def __str__(self):
        return f"{self.kind}#{self.pk} {self.status}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.progress_total:
            return 0
        return min(int(100 * self.progress_done / self.progress_total), 99)

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
