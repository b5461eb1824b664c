"""呼叫中心与告警: devices, the events they send, the rules that turn events into alarms, and the
alarms the desk handles.

Scope: a device, an alarm, a rule override and an ingest error carry ``region_code``, the 12-digit
code of the village (or, for a device still in stock, the county) they belong to; selectors filter on
it. Events are read through their device.

Durability: an event is stored before it is acknowledged; the alarm worker claims unprocessed events
(``processed_at IS NULL``, a partial index) with a conditional UPDATE / ``FOR UPDATE SKIP LOCKED``
and marks them processed in the same transaction that creates their alarms. ``Alarm.source_event``
is unique, so one event can never make two alarms, and ``Alarm.open_key`` (unique while set) keeps
one open alarm per condition for the periodic checks (device offline, battery, inactivity).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from yanglao.elders.models import Elder

SECRET_CONTEXT = "alarms.device.secret"


class DeviceKind(models.TextChoices):
    SOS_BUTTON = "sos_button", "一键通"
    WEARABLE = "wearable", "智能手环/手表"
    BED_SENSOR = "bed_sensor", "床垫传感器"
    DOOR_SENSOR = "door_sensor", "门磁"
    MOTION_SENSOR = "motion_sensor", "人体感应"
    SMOKE_DETECTOR = "smoke_detector", "烟感"
    GAS_DETECTOR = "gas_detector", "燃气"


class DeviceStatus(models.TextChoices):
    ACTIVE = "active", "在用"
    OFFLINE = "offline", "离线"
    RETIRED = "retired", "已停用"


class Device(models.Model):
    Kind = DeviceKind
    Status = DeviceStatus

    kind = models.CharField("设备类型", max_length=20, choices=DeviceKind.choices)
    serial = models.CharField("设备编号", max_length=64, unique=True)
    model = models.CharField("型号", max_length=64, blank=True)
    # Null while the device is in stock (registered, not yet given to anyone).
    elder = models.ForeignKey(
        Elder, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="使用人"
    )
    # The elder's village code; for a device in stock, the code of the region that holds it.
    region_code = models.CharField("所属区划", max_length=12)
    installed_on = models.DateField("安装日期", null=True, blank=True)
    heartbeat_interval_s = models.PositiveIntegerField("心跳间隔（秒）", default=300)
    # AES-GCM under the field key (core.crypto, context SECRET_CONTEXT); shown once at registration.
    secret_enc = models.TextField()
    status = models.CharField(
        "状态", max_length=10, choices=DeviceStatus.choices, default=DeviceStatus.ACTIVE
    )
    last_seen_at = models.DateTimeField("最近通信", null=True, blank=True)
    # When silence from here on makes it offline: last contact + factor × heartbeat interval, kept by
    # the worker, so the offline sweep is one indexed range read however many devices there are.
    offline_after = models.DateTimeField(null=True, blank=True)
    battery_pct = models.PositiveSmallIntegerField("电量（%）", null=True, blank=True)
    # The latest door/motion/bed activity it reported (the inactivity check reads it).
    last_activity_at = models.DateTimeField("最近活动", null=True, blank=True)
    last_latitude = models.DecimalField("最近纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    last_longitude = models.DecimalField("最近经度", max_digits=9, decimal_places=6, null=True, blank=True)
    # The electronic fence (wearables): centre and radius; null = no fence.
    geofence_latitude = models.DecimalField(
        "围栏中心纬度", max_digits=9, decimal_places=6, null=True, blank=True
    )
    geofence_longitude = models.DecimalField(
        "围栏中心经度", max_digits=9, decimal_places=6, null=True, blank=True
    )
    geofence_radius_m = models.PositiveIntegerField("围栏半径（米）", null=True, blank=True)
    created_at = models.DateTimeField("登记时间", default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    retired_at = models.DateTimeField("停用时间", null=True, blank=True)

    class Meta:
        ordering = ["region_code", "serial"]
        indexes = [
            models.Index(fields=["region_code", "status", "kind"], name="alarms_device_list"),
            # The offline sweep walks the devices that are supposed to be talking.
            models.Index(fields=["status", "offline_after"], name="alarms_device_offline"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(battery_pct__isnull=True) | Q(battery_pct__lte=100),
                name="alarms_device_battery_pct",
            ),
            models.CheckConstraint(
                condition=Q(heartbeat_interval_s__gte=10), name="alarms_device_heartbeat_min"
            ),
        ]
        verbose_name = "告警设备"

    def __str__(self):
        return f"{self.get_kind_display()} {self.serial}"

    @property
    def has_geofence(self) -> bool:
        return (
            self.geofence_latitude is not None
            and self.geofence_longitude is not None
            and self.geofence_radius_m is not None
        )


class EventKind(models.TextChoices):
    HEARTBEAT = "heartbeat", "心跳"
    SOS = "sos", "一键呼叫"
    FALL = "fall", "跌倒"
    SMOKE = "smoke", "烟雾报警"
    GAS = "gas", "燃气报警"
    GEOFENCE_EXIT = "geofence_exit", "离开电子围栏"
    LOCATION = "location", "位置上报"
    ACTIVITY = "activity", "活动（门磁/人体感应/离床）"
    BATTERY = "battery", "电量"
    TAMPER = "tamper", "防拆"
    CANCEL = "cancel", "误报取消"


class Channel(models.TextChoices):
    MQTT = "mqtt", "MQTT"
    HTTP = "http", "HTTP"


class DeviceEvent(models.Model):
    Kind = EventKind

    # Indexed by the (device, event_id) constraint and the (device, occurred_at) index below.
    device = models.ForeignKey(Device, on_delete=models.PROTECT, related_name="events", db_index=False)
    event_id = models.CharField("事件编号", max_length=64)
    kind = models.CharField("事件类型", max_length=20, choices=EventKind.choices)
    occurred_at = models.DateTimeField("发生时间")
    received_at = models.DateTimeField("接收时间", default=timezone.now)
    channel = models.CharField("通道", max_length=4, choices=Channel.choices)
    payload = models.JSONField("数据", default=dict, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    # The worker's claim: set by a conditional UPDATE; a claim older than the lease is taken over.
    claimed_by = models.CharField(max_length=64, blank=True, default="")
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["device", "event_id"], name="alarms_event_once_per_device"),
        ]
        indexes = [
            models.Index(fields=["device", "occurred_at"], name="alarms_event_device_time"),
            # The worker's queue: only the unprocessed rows are in it, so it stays small.
            models.Index(
                fields=["id"], name="alarms_event_unprocessed", condition=Q(processed_at__isnull=True)
            ),
        ]
        verbose_name = "设备事件"

    def __str__(self):
        return f"{self.device_id}/{self.event_id} {self.kind}"


class IngestError(models.Model):
    """A rejected event or request: what was wrong, from which device if known. Never the secret."""

    code = models.CharField("错误代码", max_length=40)
    serial = models.CharField("设备编号", max_length=64, blank=True)
    device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    # The device's region when known; blank for an unknown device (seen by platform-wide users only).
    region_code = models.CharField(max_length=12, blank=True)
    channel = models.CharField("通道", max_length=4, choices=Channel.choices)
    at = models.DateTimeField("时间", default=timezone.now)
    detail = models.CharField("说明", max_length=300, blank=True)
    remote = models.CharField("来源", max_length=64, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["region_code", "at"], name="alarms_ingesterror_region"),
            models.Index(fields=["code", "at"], name="alarms_ingesterror_code"),
        ]
        verbose_name = "设备接入错误"

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.code} {self.serial}"


class IngestNonce(models.Model):
    """Replay protection when Redis is down: a (device, nonce) seen within the timestamp window."""

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="+", db_index=False)
    nonce = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "nonce"], name="alarms_nonce_once")]

    def __str__(self):
        return f"{self.device_id}/{self.nonce}"


class AlarmKind(models.TextChoices):
    EMERGENCY = "emergency", "紧急"
    URGENT = "urgent", "加急"
    CHECK_ON = "check_on", "关怀探访"
    TECHNICAL = "technical", "设备故障"
    MAINTENANCE = "maintenance", "设备维护"


# Lower is more urgent; the board orders by (priority, opened_at).
KIND_PRIORITY = {
    AlarmKind.EMERGENCY: 1,
    AlarmKind.URGENT: 2,
    AlarmKind.CHECK_ON: 3,
    AlarmKind.TECHNICAL: 4,
    AlarmKind.MAINTENANCE: 5,
}


class AlarmCause(models.TextChoices):
    SOS = "sos", "一键呼叫"
    FALL = "fall", "跌倒"
    SMOKE = "smoke", "烟雾报警"
    GAS = "gas", "燃气报警"
    GEOFENCE = "geofence", "离开电子围栏"
    INACTIVITY = "inactivity", "长时间无活动"
    OFFLINE = "offline", "设备离线"
    BATTERY = "battery", "电量低"
    HOTLINE = "hotline", "热线来电"


class AlarmRule(models.Model):
    """The default rule for one cause: on or off, the alarm kind it raises, and its parameters
    (``inactivity``: hours, day_start, day_end; ``battery``: below_pct; ``offline``: factor;
    ``sos``: merge_window_s). The built-in defaults live in ``rules.DEFAULTS``; a row here changes them."""

    cause = models.CharField("告警原因", max_length=12, choices=AlarmCause.choices, unique=True)
    enabled = models.BooleanField("启用", default=True)
    kind = models.CharField("告警类别", max_length=12, choices=AlarmKind.choices)
    params = models.JSONField("参数", default=dict, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["cause"]
        verbose_name = "告警规则"

    def __str__(self):
        return self.get_cause_display()


class AlarmRuleOverride(models.Model):
    """One elder's exception to a rule: switch it on/off (null = as the default) or change parameters."""

    elder = models.ForeignKey(Elder, on_delete=models.CASCADE, related_name="+", db_index=False)
    region_code = models.CharField(max_length=12)
    cause = models.CharField("告警原因", max_length=12, choices=AlarmCause.choices)
    enabled = models.BooleanField("启用", null=True, blank=True)
    params = models.JSONField("参数", default=dict, blank=True)
    note = models.CharField("说明", max_length=200, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["elder", "cause"], name="alarms_override_once")]
        indexes = [models.Index(fields=["region_code"], name="alarms_override_region")]
        verbose_name = "个人告警规则"

    def __str__(self):
        return f"{self.elder_id} {self.cause}"


class AlarmState(models.TextChoices):
    OPEN = "open", "待受理"
    ACKNOWLEDGED = "acknowledged", "处理中"
    RESOLVED = "resolved", "已结案"


class Outcome(models.TextChoices):
    FALSE_ALARM = "false_alarm", "误报"
    PHONE = "phone", "电话处置"
    VISIT = "visit", "上门处置"
    AMBULANCE = "ambulance", "呼叫急救"
    HOSPITAL = "hospital", "住院"
    DEATH = "death", "死亡"
    TECHNICAL = "technical", "设备已处理"


class Alarm(models.Model):
    Kind = AlarmKind
    Cause = AlarmCause
    State = AlarmState
    Outcome = Outcome

    elder = models.ForeignKey(
        Elder, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="老年人"
    )
    device = models.ForeignKey(
        Device, null=True, blank=True, on_delete=models.PROTECT, related_name="alarms", verbose_name="设备"
    )
    region_code = models.CharField("所属区划", max_length=12)
    kind = models.CharField("告警类别", max_length=12, choices=AlarmKind.choices)
    cause = models.CharField("告警原因", max_length=12, choices=AlarmCause.choices)
    priority = models.PositiveSmallIntegerField("优先级", default=3)
    state = models.CharField("状态", max_length=12, choices=AlarmState.choices, default=AlarmState.OPEN)
    summary = models.CharField("摘要", max_length=200, blank=True)
    opened_at = models.DateTimeField("发生时间", default=timezone.now)
    acknowledged_at = models.DateTimeField("受理时间", null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="受理人",
    )
    resolved_at = models.DateTimeField("结案时间", null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="结案人",
    )
    outcome = models.CharField("处置结果", max_length=12, choices=Outcome.choices, blank=True)
    outcome_note = models.CharField("处置说明", max_length=500, blank=True)
    escalation_level = models.PositiveSmallIntegerField("升级级别", default=0)
    escalated_at = models.DateTimeField("升级时间", null=True, blank=True)
    # The event that raised it: unique, the last line of defence against one event making two alarms.
    source_event = models.OneToOneField(
        DeviceEvent, null=True, blank=True, on_delete=models.PROTECT, related_name="alarm"
    )
    # Repeated presses merged into this alarm (within the merge window), and the latest one.
    merged_count = models.PositiveIntegerField("合并次数", default=0)
    last_event_at = models.DateTimeField(null=True, blank=True)
    # Where it happened, when the device reported a position.
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    # Set while the alarm is not resolved, for conditions that must have at most one open alarm
    # ("offline:<device id>", "battery:<device id>", "inactivity:<elder id>"); cleared on resolve.
    open_key = models.CharField(max_length=64, null=True, blank=True)
    # A hotline call recorded by an operator: the caller's number (encrypted, masked for display).
    caller_phone_enc = models.TextField(blank=True)
    caller_phone_masked = models.CharField("来电号码", max_length=24, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )

    class Meta:
        ordering = ["priority", "opened_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["open_key"], name="alarms_alarm_one_open_per_key", condition=Q(open_key__isnull=False)
            ),
        ]
        indexes = [
            # The board: one county's unresolved alarms by priority and age.
            models.Index(fields=["region_code", "state", "priority", "opened_at"], name="alarms_alarm_board"),
            models.Index(fields=["elder", "opened_at"], name="alarms_alarm_elder"),
            models.Index(fields=["device", "opened_at"], name="alarms_alarm_device"),
            # SLA reports by period across a scope.
            models.Index(fields=["region_code", "opened_at"], name="alarms_alarm_period"),
        ]
        verbose_name = "告警"

    def __str__(self):
        return f"{self.get_kind_display()}·{self.get_cause_display()} #{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state != AlarmState.RESOLVED


class ActionKind(models.TextChoices):
    CREATED = "created", "生成告警"
    MERGED = "merged", "重复呼叫合并"
    ACK = "ack", "受理"
    CALL_ELDER = "call_elder", "呼叫老人"
    CALL_CONTACT = "call_contact", "呼叫联系人"
    DISPATCH = "dispatch", "派遣"
    NOTE = "note", "记录"
    ESCALATE = "escalate", "升级"
    RESOLVE = "resolve", "结案"


class AlarmAction(models.Model):
    """What was done about an alarm, append-only: who, when, and the details (who was called or
    dispatched and how it went) in ``data``. ``actor`` is null for the system (worker, escalation)."""

    Kind = ActionKind

    alarm = models.ForeignKey(Alarm, on_delete=models.PROTECT, related_name="actions", db_index=False)
    kind = models.CharField("动作", max_length=12, choices=ActionKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    at = models.DateTimeField("时间", default=timezone.now)
    note = models.CharField("说明", max_length=500, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["alarm", "at", "pk"]
        indexes = [models.Index(fields=["alarm", "at"], name="alarms_action_alarm")]
        verbose_name = "告警处置记录"

    def __str__(self):
        return f"{self.alarm_id} {self.kind} {self.at:%H:%M:%S}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("alarm actions are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("alarm actions are append-only")
