"""Capability assessments (GB/T 42195-2022): the record, its workflow, and re-assessment triggers."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from yanglao.assessments.standard import LEVELS
from yanglao.elders.models import Elder
from yanglao.regions.models import Region

LEVEL_CHOICES = [(level.code, level.name) for level in LEVELS]


class Reason(models.TextChoices):
    FIRST = "first", "首次评估"
    ROUTINE = "routine", "常规评估"
    IMMEDIATE = "immediate", "即时评估"
    REVIEW = "review", "因对评估结果有疑问进行的复评"
    OTHER = "other", "其他"


class Status(models.TextChoices):
    DRAFT = "draft", "草稿"
    SUBMITTED = "submitted", "待审核"
    RETURNED = "returned", "已退回"
    APPROVED = "approved", "已审核"


class Assessment(models.Model):
    number = models.CharField("评估编号", max_length=32, unique=True)
    elder = models.ForeignKey(Elder, on_delete=models.PROTECT, related_name="+", verbose_name="老年人")
    # Where the person lived when assessed: the record stays with that region's users.
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", db_index=False)
    reference_date = models.DateField("评估基准日期")
    reason = models.CharField("评估原因", max_length=10, choices=Reason.choices, default=Reason.FIRST)
    reason_note = models.CharField("其他原因", max_length=100, blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.DRAFT)

    # Appendix B: {"B.1.1": 4, …}
    answers = models.JSONField(default=dict, blank=True)
    # Appendix A: basic information (A.2), informant (A.3), diagnoses and medication (A.4), health (A.5).
    basic_info = models.JSONField(default=dict, blank=True)
    informant_name = models.CharField("信息提供者姓名", max_length=50, blank=True)
    informant_relation = models.CharField("与老年人的关系", max_length=20, blank=True)
    diagnoses = models.JSONField(default=list, blank=True)
    other_diagnosis = models.CharField("其他疾病", max_length=200, blank=True)
    mental_disorder_by_specialist = models.BooleanField("精神科专科医生诊断", default=False)
    medications = models.JSONField(default=list, blank=True)
    health_problems = models.JSONField(default=dict, blank=True)
    risk_events = models.JSONField(default=dict, blank=True)  # A.2.14 {"跌倒": 2, …}
    coma = models.BooleanField("昏迷（A.5.11）", null=True, blank=True)

    # Results, recomputed from the answers whenever they change (never typed).
    subtotals = models.JSONField(default=dict, blank=True)
    total = models.PositiveSmallIntegerField("总分", null=True, blank=True)
    preliminary_level = models.PositiveSmallIntegerField(
        "初步等级", choices=LEVEL_CHOICES, null=True, blank=True
    )
    final_level = models.PositiveSmallIntegerField("最终等级", choices=LEVEL_CHOICES, null=True, blank=True)
    level_reasons = models.JSONField(default=list, blank=True)

    assessor_1 = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name="评估员"
    )
    assessor_2 = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="第二评估员",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="审核人",
    )
    return_reason = models.CharField("退回原因", max_length=200, blank=True)

    class Meta:
        ordering = ["-reference_date", "-pk"]
        indexes = [
            models.Index(fields=["region", "status"], name="assessments_region_status"),
            models.Index(fields=["elder", "status", "reference_date"], name="assessments_elder"),
        ]
        verbose_name = "能力评估"

    def __str__(self):
        return f"{self.number}"

    @property
    def final_level_name(self) -> str:
        return LEVELS[self.final_level].name if self.final_level is not None else ""

    @property
    def preliminary_level_name(self) -> str:
        return LEVELS[self.preliminary_level].name if self.preliminary_level is not None else ""


class AssessmentEvent(models.Model):
    """The workflow's history, append-only: created, saved, submitted, returned, approved."""

    assessment = models.ForeignKey(Assessment, on_delete=models.PROTECT, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=20)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["assessment", "at", "pk"]

    def __str__(self):
        return f"{self.kind} {self.at:%Y-%m-%d}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("assessment history is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("assessment history is append-only")


class TriggerKind(models.TextChoices):
    DISCHARGE = "discharge", "出院"
    FALL = "fall", "跌倒"
    CAREGIVER = "caregiver", "护理员报告状况变化"
    FAMILY = "family", "家属申请"
    OTHER = "other", "其他"


class ReassessmentTrigger(models.Model):
    """A change that calls for an immediate re-assessment (即时评估)."""

    elder = models.ForeignKey(Elder, on_delete=models.PROTECT, related_name="+", verbose_name="老年人")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", db_index=False)
    kind = models.CharField("原因", max_length=12, choices=TriggerKind.choices)
    occurred_on = models.DateField("发生日期")
    note = models.CharField("说明", max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    resolved_by = models.ForeignKey(
        Assessment, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-occurred_on", "-pk"]
        indexes = [models.Index(fields=["region", "resolved_by"], name="assessments_trigger_open")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.occurred_on}"
