"""The elder registry: people, their contacts, dated category memberships and an append-only history.

The ID number and phone numbers are stored encrypted (``*_enc``), with a keyed blind index
(``*_index``) for exact search and uniqueness, and a masked form (``*_masked``) for display, so a
list page never decrypts anything.
"""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from yanglao.core.ethnicity import NATIONALITIES
from yanglao.core.textsearch import GramsField
from yanglao.regions.models import Region


class Gender(models.TextChoices):
    MALE = "M", "男"
    FEMALE = "F", "女"


class LivingSituation(models.TextChoices):
    ALONE = "alone", "独居"
    EMPTY_NEST = "empty_nest", "空巢"
    WITH_SPOUSE = "spouse", "与配偶同住"
    WITH_CHILDREN = "children", "与子女同住"
    OTHER = "other", "其他"


class MaritalStatus(models.TextChoices):
    UNMARRIED = "unmarried", "未婚"
    MARRIED = "married", "已婚"
    WIDOWED = "widowed", "丧偶"
    DIVORCED = "divorced", "离婚"
    UNKNOWN = "unknown", "不详"


class Status(models.TextChoices):
    ACTIVE = "active", "在册"
    MOVED_OUT = "moved_out", "迁出"
    DECEASED = "deceased", "死亡"
    MERGED = "merged", "已合并"


class Category(models.TextChoices):
    DESTITUTE = "destitute", "特困人员"
    SUBSISTENCE = "subsistence", "低保"
    NEAR_SUBSISTENCE = "near_subsistence", "低保边缘"
    ADVANCED_AGE = "advanced_age", "高龄"
    DISABLED_CARE = "disabled", "失能"
    SEMI_DISABLED = "semi_disabled", "半失能"
    ALONE_OR_EMPTY_NEST = "alone_empty_nest", "独居/空巢"
    FAMILY_PLANNING = "family_planning", "计划生育特殊家庭"
    ENTITLED_CARE = "entitled_care", "优抚对象"
    DISABILITY = "disability", "残疾"


# Categories a person cannot be given by hand: 高龄 follows the birth date, 失能/半失能 follow the
# latest approved capability assessment, 独居/空巢 follow the living situation.
DERIVED_CATEGORIES = {
    Category.ADVANCED_AGE,
    Category.DISABLED_CARE,
    Category.SEMI_DISABLED,
    Category.ALONE_OR_EMPTY_NEST,
}
ADVANCED_AGE_YEARS = 80

DISABILITY_GRADES = [("1", "一级"), ("2", "二级"), ("3", "三级"), ("4", "四级")]


class Elder(models.Model):
    name = models.CharField("姓名", max_length=50)
    # Pinyin initials ("zs" for 张三) and full pinyin, for search by initials as officers type them.
    name_initials = models.CharField(max_length=50, blank=True)
    name_pinyin = models.CharField(max_length=200, blank=True)
    # The name's characters and character pairs, for fast "name contains" on PostgreSQL.
    name_grams = GramsField(blank=True, default="")
    gender = models.CharField("性别", max_length=1, choices=Gender.choices)
    birth_date = models.DateField("出生日期", db_index=True)
    id_number_enc = models.TextField("身份证号（密文）")
    id_number_index = models.CharField(max_length=64)
    id_number_masked = models.CharField("身份证号", max_length=18)
    ethnicity = models.CharField("民族", max_length=2, choices=NATIONALITIES, default="01")
    phone_enc = models.TextField(blank=True)
    phone_index = models.CharField(max_length=64, blank=True)
    phone_masked = models.CharField("联系电话", max_length=24, blank=True)
    phone_alt_enc = models.TextField(blank=True)
    phone_alt_index = models.CharField(max_length=64, blank=True)
    phone_alt_masked = models.CharField("备用电话", max_length=24, blank=True)
    address = models.CharField("现住址", max_length=200, blank=True)
    # Indexed through the (region, …) composites below, which also serve the scope's code range;
    # every index left out here is one less to maintain on each of hundreds of thousands of inserts.
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="居住地（嘎查村/社区）",
        db_index=False,
    )
    hukou_region = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="户籍地",
        db_index=False,
    )
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    living_situation = models.CharField(
        "居住情况", max_length=12, choices=LivingSituation.choices, default=LivingSituation.OTHER
    )
    marital_status = models.CharField(
        "婚姻状况", max_length=10, choices=MaritalStatus.choices, default=MaritalStatus.UNKNOWN
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.ACTIVE)
    # The latest approved capability assessment's final level (GB/T 42195: 0 能力完好 … 4 能力完全丧失),
    # kept here by the assessments domain through ``services.capability_record``.
    capability_level = models.PositiveSmallIntegerField("能力等级", null=True, blank=True)
    capability_assessed_on = models.DateField("能力评估日期", null=True, blank=True)
    status_date = models.DateField("状态日期", null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    created_at = models.DateTimeField("建档时间", default=timezone.now)
    updated_at = models.DateTimeField("更新时间", default=timezone.now)
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
        # A constraint, not unique=True: on PostgreSQL the field option adds a second, pattern-ops
        # index for LIKE that a blind index never needs (each index costs every insert).
        constraints = [
            models.UniqueConstraint(fields=["id_number_index"], name="elders_elder_one_person_one_record")
        ]
        indexes = [
            # The list: a status, a region range, in the default order (village, then name). Counting
            # a county is an index-only scan, and any page of it an ordered walk with no sort.
            models.Index(fields=["status", "region", "name_pinyin", "id"], name="elders_elder_list"),
            # Sorted by name across a scope: walk the names, test the region without a row lookup.
            models.Index(
                fields=["status", "name_pinyin", "id"], include=["region"], name="elders_elder_by_name"
            ),
            models.Index(fields=["region", "name", "birth_date"]),
            models.Index(fields=["name_initials"], name="elders_elder_initials"),
            models.Index(
                fields=["merged_into"], name="elders_elder_merged", condition=Q(merged_into__isnull=False)
            ),
            # Phone lookups are exact; most elders have no second phone, so index only the present ones.
            models.Index(fields=["phone_index"], name="elders_elder_phone", condition=~Q(phone_index="")),
            models.Index(
                fields=["phone_alt_index"], name="elders_elder_phone_alt", condition=~Q(phone_alt_index="")
            ),
        ]
        verbose_name = "老年人"

    def __str__(self):
        return f"{self.name}（{self.id_number_masked}）"

    def age_on(self, day: date) -> int:
        return (
            day.year
            - self.birth_date.year
            - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))
        )

    @property
    def age(self) -> int:
        return self.age_on(timezone.localdate())

    @property
    def is_advanced_age(self) -> bool:
        return self.age >= ADVANCED_AGE_YEARS


class ContactKind(models.TextChoices):
    GUARDIAN = "guardian", "监护人"
    EMERGENCY = "emergency", "紧急联系人"


class ElderContact(models.Model):
    Kind = ContactKind

    elder = models.ForeignKey(Elder, on_delete=models.CASCADE, related_name="contacts")
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.EMERGENCY)
    name = models.CharField("姓名", max_length=50)
    relation = models.CharField("关系", max_length=20, blank=True)
    phone_enc = models.TextField(blank=True)
    phone_index = models.CharField(max_length=64, blank=True)
    phone_masked = models.CharField("电话", max_length=24, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["elder", "position", "pk"]
        indexes = [
            models.Index(fields=["phone_index"], name="elders_contact_phone", condition=~Q(phone_index=""))
        ]
        verbose_name = "联系人"

    def __str__(self):
        return f"{self.name}（{self.relation}）"


class CategoryMembership(models.Model):
    """An elder belongs to a category from ``valid_from`` until ``valid_to`` (open-ended if null)."""

    elder = models.ForeignKey(Elder, on_delete=models.CASCADE, related_name="categories")
    category = models.CharField("类别", max_length=20, choices=Category.choices)
    valid_from = models.DateField("起始日期")
    valid_to = models.DateField("截止日期", null=True, blank=True)
    grade = models.CharField("残疾等级", max_length=1, choices=DISABILITY_GRADES, blank=True)
    source_document = models.CharField("依据", max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["elder", "category", "-valid_from"]
        indexes = [models.Index(fields=["category", "valid_to", "valid_from"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="elders_membership_dates_ordered",
            )
        ]
        verbose_name = "人员类别"

    def __str__(self):
        return f"{self.get_category_display()} {self.valid_from}–{self.valid_to or ''}"

    def active_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or self.valid_to >= day)


# The domains that write to a person's history, as the timeline names them. Plain words only: the
# registry still imports none of them.
SOURCE_LABELS = {
    "demo": "演示数据",
    "import": "批量导入",
    "assessments": "能力评估",
    "benefits": "享受待遇",
    "care": "居家社区服务",
    "alarms": "呼叫中心",
    "residential": "助餐与日间照料",
}


class ElderEvent(models.Model):
    """The elder's history, append-only. Other domains add to it through ``services.elder_event_record``."""

    class Kind(models.TextChoices):
        CREATED = "created", "建档"
        UPDATED = "updated", "修改"
        CATEGORY_ADDED = "category_added", "新增类别"
        CATEGORY_ENDED = "category_ended", "类别终止"
        MOVED = "moved", "迁移"
        STATUS = "status", "状态变更"
        MERGED = "merged", "合并"
        IMPORTED = "imported", "导入"

    # (elder, at) below indexes the elder; nobody looks events up by who wrote them.
    elder = models.ForeignKey(Elder, on_delete=models.PROTECT, related_name="events", db_index=False)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    kind = models.CharField(max_length=40)
    summary = models.CharField(max_length=300)
    data = models.JSONField(default=dict, blank=True)
    # Where the elder lived when it happened: a move is seen from both the old and the new region.
    region_code = models.CharField(max_length=12)
    source = models.CharField(
        max_length=40, blank=True, help_text="the domain that wrote it, e.g. assessments"
    )

    class Meta:
        ordering = ["elder", "-at", "-pk"]
        indexes = [models.Index(fields=["elder", "at"]), models.Index(fields=["region_code", "at"])]
        verbose_name = "档案记录"

    def __str__(self):
        return f"{self.at:%Y-%m-%d} {self.summary}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("elder history is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("elder history is append-only")

    @property
    def source_label(self) -> str:
        """The writing domain in the words of the UI ("" for the registry's own lines)."""
        if self.source in ("", "elders"):
            return ""
        return SOURCE_LABELS.get(self.source, self.source)


class DuplicateFlag(models.Model):
    """Two records that may be one person (same name, birth date and village, different ID)."""

    class State(models.TextChoices):
        OPEN = "open", "待核查"
        MERGED = "merged", "已合并"
        DISMISSED = "dismissed", "不是同一人"

    elder = models.ForeignKey(Elder, on_delete=models.PROTECT, related_name="+")
    other = models.ForeignKey(Elder, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=200)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Denormalised from the elder for the scope rule: a flag is seen where the first record lives.
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["elder", "other"], name="elders_duplicate_pair_once")]
        indexes = [models.Index(fields=["region", "state"])]
        verbose_name = "疑似重复"

    def __str__(self):
        return f"{self.elder_id}~{self.other_id} {self.state}"
