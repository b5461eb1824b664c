"""The service network: facilities of every tier, their operators, consortia, and their history."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from yanglao.regions.models import Region


class FacilityType(models.TextChoices):
    COUNTY_CENTRE = "county_centre", "县级养老服务中心"
    TOWNSHIP_CENTRE = "township_centre", "苏木乡镇(街道)区域养老服务中心"
    STATION = "station", "嘎查村(社区)养老服务站"
    MUTUAL_AID = "mutual_aid", "农村牧区互助养老幸福院"
    PASTORAL = "pastoral", "牧区养老公寓"
    NEIGHBOUR = "neighbour", "邻里互助点"
    INSTITUTION_PUBLIC = "institution_public", "公办养老机构"
    INSTITUTION_PRIVATE = "institution_private", "民办养老机构"
    CANTEEN = "canteen", "老年食堂/助餐点"


INSTITUTION_TYPES = (FacilityType.INSTITUTION_PUBLIC, FacilityType.INSTITUTION_PRIVATE)
# Types with residential beds (the bed statistics and the nursing-bed rules count these).
BED_TYPES = (
    FacilityType.COUNTY_CENTRE,
    FacilityType.TOWNSHIP_CENTRE,
    FacilityType.PASTORAL,
    *INSTITUTION_TYPES,
)


class OperatingMode(models.TextChoices):
    PUBLIC = "public", "公办公营"
    PUBLIC_PRIVATE = "public_private", "公建民营"
    PRIVATE = "private", "民办"
    PURCHASED = "purchased", "政府购买服务"


class FacilityStatus(models.TextChoices):
    PLANNED = "planned", "规划"
    CONSTRUCTION = "construction", "在建"
    OPERATING = "operating", "运营中"
    SUSPENDED = "suspended", "暂停"
    CLOSED = "closed", "关闭"


class OperatorKind(models.TextChoices):
    ENTERPRISE = "enterprise", "企业"
    SOCIAL = "social", "社会组织（民办非企业单位）"
    PUBLIC_INSTITUTION = "public_institution", "事业单位"
    GOVERNMENT = "government", "机关"
    COLLECTIVE = "collective", "村（社区）集体组织"
    OTHER = "other", "其他"


class Operator(models.Model):
    """运营主体: one runs many facilities. Seen by users whose scope holds its registered region."""

    name = models.CharField("名称", max_length=100)
    credit_code = models.CharField("统一社会信用代码", max_length=18)
    kind = models.CharField(
        "类型", max_length=20, choices=OperatorKind.choices, default=OperatorKind.ENTERPRISE
    )
    contact_name = models.CharField("联系人", max_length=50, blank=True)
    contact_phone = models.CharField("联系电话", max_length=30, blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name="登记地", db_index=False
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["credit_code"], name="facilities_operator_credit_code")
        ]
        indexes = [models.Index(fields=["region", "name"])]
        verbose_name = "运营主体"

    def __str__(self):
        return self.name


class Facility(models.Model):
    name = models.CharField("名称", max_length=100)
    type = models.CharField("类型", max_length=24, choices=FacilityType.choices)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name="所在区划", db_index=False
    )
    address = models.CharField("地址", max_length=200, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    floor_area = models.DecimalField("建筑面积（m²）", max_digits=9, decimal_places=1, null=True, blank=True)
    beds_total = models.PositiveIntegerField("床位数", null=True, blank=True)
    beds_nursing = models.PositiveIntegerField("护理型床位数", null=True, blank=True)
    residents = models.PositiveIntegerField("在住人数", null=True, blank=True)
    households_served = models.PositiveIntegerField("服务户数", null=True, blank=True)
    residents_65_served = models.PositiveIntegerField("服务范围内65岁以上人数", null=True, blank=True)
    meal_capacity = models.PositiveIntegerField("日供餐能力（份）", null=True, blank=True)
    has_medical = models.BooleanField("内设医疗机构或护理站", default=False)
    is_destitute_home = models.BooleanField("特困人员供养服务机构", default=False)
    natural_village = models.BooleanField("设在自然村", default=False)
    operator = models.ForeignKey(
        Operator,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="facilities",
        verbose_name="运营主体",
    )
    operating_mode = models.CharField(
        "运营方式", max_length=16, choices=OperatingMode.choices, default=OperatingMode.PUBLIC
    )
    contract_start = models.DateField("合同起始", null=True, blank=True)
    contract_end = models.DateField("合同截止", null=True, blank=True)
    filing_number = models.CharField("备案编号", max_length=50, blank=True)
    filing_date = models.DateField("备案日期", null=True, blank=True)
    status = models.CharField(
        "状态", max_length=14, choices=FacilityStatus.choices, default=FacilityStatus.OPERATING
    )
    status_date = models.DateField("状态日期", null=True, blank=True)
    services = models.JSONField("服务项目", default=list, blank=True)
    contact_name = models.CharField("联系人", max_length=50, blank=True)
    contact_phone = models.CharField("联系电话", max_length=30, blank=True)
    opening_hours = models.CharField("开放时间", max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["region", "type", "name"]
        indexes = [
            models.Index(fields=["region", "type", "status"], name="facilities_region_type"),
            models.Index(fields=["type", "status"], name="facilities_type_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(beds_nursing__isnull=True)
                | Q(beds_total__isnull=True)
                | Q(beds_nursing__lte=models.F("beds_total")),
                name="facilities_nursing_within_total",
            ),
        ]
        verbose_name = "养老服务设施"

    def __str__(self):
        return self.name

    @property
    def has_location(self) -> bool:
        return self.longitude is not None and self.latitude is not None


def _photo_path(instance, filename):
    return f"facilities/{instance.facility_id}/{timezone.now():%Y%m%d%H%M%S}-{filename[-60:]}"


class FacilityPhoto(models.Model):
    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to=_photo_path)
    caption = models.CharField("说明", max_length=100, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["facility", "uploaded_at"]

    def __str__(self):
        return self.caption or self.image.name


class FacilityEvent(models.Model):
    """A facility's history, append-only: who changed what, when."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="events", db_index=False)
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
        ordering = ["facility", "-at", "-pk"]
        indexes = [models.Index(fields=["facility", "at"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d} {self.summary}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("facility history is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("facility history is append-only")


class Consortium(models.Model):
    """养老服务联合体: a county centre leading township centres and stations."""

    name = models.CharField("名称", max_length=100)
    lead = models.ForeignKey(
        Facility, on_delete=models.PROTECT, related_name="led_consortia", verbose_name="牵头机构"
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name="所在旗县")
    established = models.DateField("成立日期")
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        ordering = ["region", "name"]
        verbose_name = "养老服务联合体"

    def __str__(self):
        return self.name


class ConsortiumMember(models.Model):
    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="members")
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="consortium_memberships")
    joined = models.DateField("加入日期")
    left = models.DateField("退出日期", null=True, blank=True)

    class Meta:
        ordering = ["consortium", "joined"]
        constraints = [
            models.CheckConstraint(
                condition=Q(left__isnull=True) | Q(left__gte=models.F("joined")),
                name="facilities_member_dates",
            ),
        ]

    def __str__(self):
        return f"{self.facility} ∈ {self.consortium}"
