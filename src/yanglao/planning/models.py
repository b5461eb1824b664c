"""规划：15 分钟服务圈覆盖、选址、政策目标、建设计划与月度进度.

Every row here belongs to a region and is read through the region scope (``region__code``):
candidate sites, siting runs and coverage settings by the region they were made for, plan items by
their county (the level that reports), imports by the county (or city) they were uploaded for.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from yanglao.core.models import Task
from yanglao.facilities.models import Facility
from yanglao.regions.models import Region


def current_year() -> int:
    return timezone.localdate().year


# --- coverage settings -----------------------------------------------------------------------------


class TravelMode(models.TextChoices):
    WALK = "walk", "步行"
    ROAD = "road", "车行（道路）"


class CoverageSetting(models.Model):
    """How a region turns the service circle's travel time into a straight-line radius.

    radius (m) = minutes / 60 × speed (km/h) × 1000 / detour factor. A region without a row inherits
    its nearest ancestor's row, and failing that the defaults in ``planning.services`` (urban: walking
    4.5 km/h × 1.3; rural/pastoral: road 30 km/h × 1.4; 15 minutes).
    """

    region = models.OneToOneField(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name="区划", db_index=True
    )
    minutes = models.PositiveSmallIntegerField(
        "服务圈时间（分钟）", default=15, validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    mode = models.CharField("出行方式", max_length=8, choices=TravelMode.choices, default=TravelMode.WALK)
    speed_kmh = models.DecimalField(
        "速度（km/h）",
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(1), MaxValueValidator(120)],
    )
    detour = models.DecimalField(
        "绕行系数",
        max_digits=4,
        decimal_places=2,
        default=1.3,
        validators=[MinValueValidator(1), MaxValueValidator(3)],
    )
    note = models.CharField("说明", max_length=200, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["region"]
        verbose_name = "服务圈设置"

    def __str__(self):
        return f"{self.region}：{self.minutes} 分钟 {self.get_mode_display()}"

    @property
    def radius_m(self) -> float:
        return float(self.minutes) / 60.0 * float(self.speed_kmh) * 1000.0 / float(self.detour)


# --- siting ----------------------------------------------------------------------------------------


class CandidateSource(models.TextChoices):
    ENTERED = "entered", "手工录入"
    IMPORTED = "imported", "批量导入"
    GRID = "grid", "网格生成"
    FACILITY = "facility", "现有设施增设服务"


class CandidateSite(models.Model):
    """A place where a new station could go: a community room, a vacant building, a facility that could add a service."""

    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name="所在区划", db_index=False
    )
    name = models.CharField("名称", max_length=100)
    source = models.CharField(
        "来源", max_length=10, choices=CandidateSource.choices, default=CandidateSource.ENTERED
    )
    address = models.CharField("地址", max_length=200, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6)
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6)
    cost_fen = models.BigIntegerField(
        "建设成本（分）", null=True, blank=True, validators=[MinValueValidator(0)]
    )
    area_m2 = models.DecimalField("面积（m²）", max_digits=9, decimal_places=1, null=True, blank=True)
    facility = models.ForeignKey(
        Facility,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="现有设施",
        db_index=False,
    )
    note = models.CharField("备注", max_length=200, blank=True)
    active = models.BooleanField("参与选址", default=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )

    class Meta:
        ordering = ["region", "name", "pk"]
        indexes = [models.Index(fields=["region", "active"], name="planning_candidate_region")]
        verbose_name = "候选站点"

    def __str__(self):
        return self.name


class SitingQuestion(models.TextChoices):
    MAX_COVER = "max_cover", "最大覆盖：新建 p 个站点覆盖最多老年人"
    SET_COVER = "set_cover", "集合覆盖：最少站点达到 x% 覆盖"
    BUDGET = "budget", "预算约束：在预算内覆盖最多老年人"


class RunStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "计算中"
    DONE = "done", "已完成"
    FAILED = "failed", "失败"


class SitingRun(models.Model):
    """One siting question asked for a region, and its answer (the chosen sites, the proven gap)."""

    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name="区划", db_index=False
    )
    question = models.CharField("问题", max_length=10, choices=SitingQuestion.choices)
    # {"service": "", "p": 5, "share": 0.9, "budget_fen": …, "minutes": …, "time_limit": …}
    parameters = models.JSONField("参数", default=dict, blank=True)
    status = models.CharField("状态", max_length=8, choices=RunStatus.choices, default=RunStatus.QUEUED)
    # {"sites": [{"candidate": id, "name", "lat", "lng", "newly": w, "cumulative": w, "share": …}], …}
    result = models.JSONField("结果", default=dict, blank=True)
    objective = models.FloatField("目标值", null=True, blank=True)
    bound = models.FloatField("上界", null=True, blank=True)
    gap = models.FloatField("最优性差距", null=True, blank=True)
    method = models.CharField("算法", max_length=60, blank=True)
    seconds = models.FloatField("用时（秒）", null=True, blank=True)
    error = models.CharField("错误", max_length=300, blank=True)
    # The stable code of a question that has no answer (no_uncovered_demand, share_unreachable…).
    error_code = models.CharField("错误代码", max_length=40, blank=True)
    # The background task computing it (its progress bar); the run outlives the task row.
    task = models.ForeignKey(
        Task, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["region", "created_at"], name="planning_run_region"),
            models.Index(fields=["status", "created_at"], name="planning_run_status"),
        ]
        verbose_name = "选址计算"

    def __str__(self):
        return f"{self.get_question_display()} @ {self.region}"


# --- construction plans (附件1 / 附件2) -------------------------------------------------------------


class PlanKind(models.TextChoices):
    STREET_CENTRE = "street_centre", "街道综合养老服务中心"
    COMMUNITY_STATION = "community_station", "社区养老服务站"


class PlanImport(models.Model):
    """One upload of an attachment's .xlsx: the file kept as it came, the counts and the row-by-row report."""

    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name="区划", db_index=False
    )
    kind = models.CharField("附件", max_length=20, choices=PlanKind.choices)
    file = models.FileField("文件", upload_to="planning/imports/%Y/%m/")
    filename = models.CharField("原文件名", max_length=200, blank=True)
    rows_total = models.PositiveIntegerField("总行数", default=0)
    rows_created = models.PositiveIntegerField("新增", default=0)
    rows_updated = models.PositiveIntegerField("更新", default=0)
    rows_warned = models.PositiveIntegerField("有提示", default=0)
    rows_failed = models.PositiveIntegerField("未导入", default=0)
    # [{"row": 5, "status": "created|updated|warning|error", "messages": ["…"]}]
    report = models.JSONField("逐行报告", default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["region", "created_at"], name="planning_import_region")]
        verbose_name = "建设计划导入"

    def __str__(self):
        return self.filename or self.file.name


class PlanItem(models.Model):
    """A row of 附件1 (street centres) or 附件2 (community stations), normalised, with the original beside it."""

    Kind = PlanKind

    # The county reports the item; the scope follows it.
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name="旗县市区", db_index=False
    )
    kind = models.CharField("类型", max_length=20, choices=PlanKind.choices)
    # The year of the city's construction plan the item belongs to (seed 002 plans for 2021); an
    # item's deadline may fall in a later year, so the year is its own field.
    plan_year = models.PositiveSmallIntegerField(
        "计划年度", default=current_year, validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    name = models.CharField("名称", max_length=200)
    # The street (附件1) or community (附件2) it sits in, when the text could be matched to the tree.
    site_region = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="所在街道/社区",
        db_index=False,
    )
    site_region_text = models.CharField("所在街道/社区（原文）", max_length=200, blank=True)
    communities_covered = models.TextField("覆盖社区", blank=True)
    deadline = models.DateField("完成时限", null=True, blank=True)
    deadline_text = models.CharField("完成时限（原文）", max_length=100, blank=True)
    beds = models.PositiveIntegerField("床位数", null=True, blank=True)
    main_services = models.TextField("主要服务内容", blank=True)
    responsible_person = models.CharField("责任人", max_length=100, blank=True)
    phone = models.CharField("联系电话", max_length=40, blank=True)
    phone_text = models.CharField("联系电话（原文）", max_length=100, blank=True)
    remarks = models.TextField("备注", blank=True)
    area_m2 = models.DecimalField("面积（m²）", max_digits=9, decimal_places=1, null=True, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    budget_fen = models.BigIntegerField(
        "预算（分）", null=True, blank=True, validators=[MinValueValidator(0)]
    )
    # Set once the item is in operation and linked to the registry.
    facility = models.ForeignKey(
        Facility,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="对应设施",
        db_index=False,
    )
    # The facility type a planned item would become (for "include planned" coverage).
    services = models.JSONField("服务项目", default=list, blank=True)
    import_batch = models.ForeignKey(
        PlanImport,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="items",
        verbose_name="导入批次",
    )
    source_row = models.JSONField("原始行", default=dict, blank=True)
    siting_run = models.ForeignKey(
        SitingRun,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="plan_items",
        verbose_name="来自选址",
        db_index=False,
    )
    position = models.PositiveIntegerField("序号", default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )

    class Meta:
        ordering = ["region", "kind", "position", "pk"]
        indexes = [
            models.Index(fields=["region", "kind", "position"], name="planning_item_region"),
            models.Index(fields=["plan_year", "region"], name="planning_item_year"),
            # A township officer reads the items sited in its township (see plans.item_scope_q).
            models.Index(fields=["site_region"], name="planning_item_site"),
            models.Index(fields=["deadline"], name="planning_item_deadline"),
            models.Index(
                fields=["facility"], name="planning_item_facility", condition=Q(facility__isnull=False)
            ),
        ]
        verbose_name = "建设计划项目"

    def __str__(self):
        return self.name

    @property
    def has_location(self) -> bool:
        return self.longitude is not None and self.latitude is not None


class ProgressStatus(models.TextChoices):
    NOT_STARTED = "not_started", "未开工"
    DESIGN = "design", "设计中"
    UNDER_CONSTRUCTION = "construction", "在建"
    COMPLETED = "completed", "已竣工"
    IN_OPERATION = "operating", "已运营"


class PlanProgress(models.Model):
    """A county's monthly report on one item (due by the 10th for the previous month)."""

    Status = ProgressStatus

    item = models.ForeignKey(PlanItem, on_delete=models.CASCADE, related_name="progress", verbose_name="项目")
    month = models.DateField("月份")  # the first day of the reported month
    status = models.CharField(
        "进展状态", max_length=12, choices=ProgressStatus.choices, default=ProgressStatus.NOT_STARTED
    )
    percent = models.PositiveSmallIntegerField(
        "完成比例（%）", default=0, validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    problems = models.TextField("存在问题", blank=True)
    reported_at = models.DateTimeField("填报时间", default=timezone.now)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )

    class Meta:
        ordering = ["item", "-month"]
        constraints = [
            models.UniqueConstraint(fields=["item", "month"], name="planning_progress_one_per_month"),
            models.CheckConstraint(condition=Q(percent__lte=100), name="planning_progress_percent"),
        ]
        indexes = [models.Index(fields=["month", "item"], name="planning_progress_month")]
        verbose_name = "月度进度"

    def __str__(self):
        return f"{self.item} {self.month:%Y-%m} {self.get_status_display()}"


def _progress_photo_path(instance, filename):
    return f"planning/progress/{instance.progress_id}/{timezone.now():%Y%m%d%H%M%S}-{filename[-60:]}"


class ProgressPhoto(models.Model):
    progress = models.ForeignKey(PlanProgress, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField("照片", upload_to=_progress_photo_path)
    caption = models.CharField("说明", max_length=100, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        ordering = ["progress", "uploaded_at"]
        verbose_name = "进度照片"

    def __str__(self):
        return self.caption or self.image.name


class PlanItemEvent(models.Model):
    """A plan item's history, append-only: imported, edited, progress reported, linked to a facility."""

    item = models.ForeignKey(PlanItem, on_delete=models.PROTECT, related_name="events", db_index=False)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    kind = models.CharField(max_length=30)
    summary = models.CharField(max_length=300)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["item", "-at", "-pk"]
        indexes = [models.Index(fields=["item", "at"], name="planning_item_event")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d} {self.summary}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("plan item history is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("plan item history is append-only")
