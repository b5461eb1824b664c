"""居家社区养老服务: the service catalogue, providers and caregivers, work orders, visits, settlement.

The whole data model of the care domain lives here so that every part of it (catalogue, dispatch,
visits, settlement, meals) builds on one settled shape. Invariants that belong to one row are
CheckConstraints; every rule that needs more than one row lives in ``services.py``.

Region scope
    * Catalogue rows are national (``region`` NULL) or belong to a region (a county's 个性服务); a
      price applies to a region *prefix*. They are reference data, read through the selectors.
    * A ``Provider`` belongs to one county (``county``); its caregivers, coverage, prices and
      statements are seen through the provider's county. A provider's staff (``scope.operator_id``)
      see only their own operator's rows.
    * A ``WorkOrder`` carries ``region_code``: the elder's 12-digit region code when the order was
      created. That column is the order's scope, indexed for the officer's lists.

Money is integer fen everywhere. Times are aware datetimes (UTC in the database).
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from yanglao.elders.models import Elder, Gender
from yanglao.facilities.models import Operator
from yanglao.regions.models import Region

# ---------------------------------------------------------------------------------------------
# The catalogue (001 §4.2): 8 categories, 20 items, and concrete products under the items.
# ---------------------------------------------------------------------------------------------


class ServiceCategory(models.Model):
    """One of the 8 categories of 001 §4.2 (专业照护, 助餐, …). ``code`` is two digits, "01"–"08"."""

    code = models.CharField("编码", max_length=2, unique=True)
    name = models.CharField("名称", max_length=20)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = "服务类别"

    def __str__(self):
        return self.name


class ServiceItem(models.Model):
    """One of the 20 service items of 001 §4.2 (居家照护, 堂食, 喘息服务, …).

    ``code`` is "<category>.<nn>" ("01.03" = 专业照护·居家照护). ``key`` is the code facilities
    already store in ``Facility.services`` ("care.home", see ``facilities/catalogue.py``), so a
    facility's list maps onto the catalogue without migrating facility data.
    """

    code = models.CharField("编码", max_length=5, unique=True)
    key = models.CharField("设施服务代码", max_length=40, unique=True)
    name = models.CharField("名称", max_length=20)
    category = models.ForeignKey(ServiceCategory, on_delete=models.PROTECT, related_name="items")
    description = models.CharField("说明", max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["code"]
        verbose_name = "服务项目"

    def __str__(self):
        return f"{self.category.name}·{self.name}" if self.category_id else self.name


class Unit(models.TextChoices):
    VISIT = "visit", "次"
    HOUR = "hour", "小时"
    MEAL = "meal", "餐"
    DAY = "day", "天"
    MONTH = "month", "月"
    ITEM = "item", "件"


class CertificateLevel(models.IntegerChoices):
    """养老护理员 国家职业技能等级, ranked so that a higher number is a higher level."""

    JUNIOR = 1, "初级（五级）"
    INTERMEDIATE = 2, "中级（四级）"
    SENIOR = 3, "高级（三级）"
    TECHNICIAN = 4, "技师（二级）"
    SENIOR_TECHNICIAN = 5, "高级技师（一级）"


class ServiceProduct(models.Model):
    """A concrete service under an item (助浴, 助洁, 理发 under 居家照护), priced and ordered by unit.

    ``region`` NULL: the national catalogue. Otherwise the product is that region's 个性服务 (001
    §4.3) and is offered only to elders living under ``region_prefix``.

    ``needs_certificate``: only a caregiver holding a valid 养老护理员 certificate of at least
    ``min_certificate_level`` (if set) on the service date may be dispatched for it — the rule is
    ``selectors.caregiver_can_do``, the one place it lives.
    """

    code = models.CharField("编码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=50)
    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="products")
    unit = models.CharField("计价单位", max_length=8, choices=Unit.choices, default=Unit.VISIT)
    standard_minutes = models.PositiveSmallIntegerField("标准时长（分钟）", null=True, blank=True)
    needs_certificate = models.BooleanField("需持养老护理员证", default=False)
    min_certificate_level = models.PositiveSmallIntegerField(
        "最低证书等级", choices=CertificateLevel.choices, null=True, blank=True
    )
    description = models.CharField("服务内容", max_length=300, blank=True)
    region = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="个性服务所属区划",
        db_index=False,
    )
    # region.prefix, kept on the row so "products offered here" is one query ("" = national).
    region_prefix = models.CharField(max_length=12, blank=True, default="")
    is_active = models.BooleanField("启用", default=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["item__code", "position", "code"]
        indexes = [models.Index(fields=["region_prefix", "item"], name="care_product_region")]
        constraints = [
            models.CheckConstraint(
                condition=Q(region__isnull=True, region_prefix="")
                | (Q(region__isnull=False) & ~Q(region_prefix="")),
                name="care_product_region_prefix",
            ),
            models.CheckConstraint(
                condition=Q(min_certificate_level__isnull=True) | Q(needs_certificate=True),
                name="care_product_level_needs_certificate",
            ),
        ]
        verbose_name = "服务产品"

    def __str__(self):
        return self.name

    @property
    def is_regional(self) -> bool:
        return self.region_id is not None


class ServicePrice(models.Model):
    """The price of one unit of a product, for a region prefix, valid from..to (both inclusive).

    Resolution for an elder living at a 12-digit code on a service date (``selectors.price_for``):
    only rows valid on that date whose ``region_prefix`` is a prefix of the code count; a row of
    the order's provider (its contracted price) beats any public row; among equals the longest
    (most specific) prefix wins, then the latest ``valid_from``.

    Why one table with a nullable ``provider`` rather than a separate provider price list: both
    are "a price for a product in a region over a period"; one table gives one resolution rule,
    one form and one validity check, and the county's public price is simply the row without a
    provider. ``provider`` rows apply only to that provider's orders.

    Periods of rows with the same (product, region_prefix, provider) must not overlap — checked
    by ``services.price_set`` (a rule over several rows).
    """

    product = models.ForeignKey(ServiceProduct, on_delete=models.PROTECT, related_name="prices")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", db_index=False)
    region_prefix = models.CharField("适用区划前缀", max_length=12)
    provider = models.ForeignKey(
        "Provider",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="prices",
        verbose_name="服务商（合同价）",
    )
    valid_from = models.DateField("生效日期")
    valid_to = models.DateField("失效日期", null=True, blank=True)
    price_fen = models.PositiveIntegerField("单价（分）")
    note = models.CharField("说明", max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["product", "region_prefix", "-valid_from"]
        indexes = [models.Index(fields=["product", "region_prefix", "valid_from"], name="care_price_lookup")]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")), name="care_price_dates"
            ),
            models.CheckConstraint(condition=Q(price_fen__gte=0), name="care_price_not_negative"),
            models.UniqueConstraint(
                fields=["product", "region_prefix", "valid_from"],
                condition=Q(provider__isnull=True),
                name="care_price_public_once",
            ),
            models.UniqueConstraint(
                fields=["product", "region_prefix", "provider", "valid_from"],
                condition=Q(provider__isnull=False),
                name="care_price_provider_once",
            ),
        ]
        verbose_name = "服务价格"

    def __str__(self):
        return f"{self.product_id}@{self.region_prefix} {self.valid_from} {self.price_fen}"

    def valid_on(self, day) -> bool:
        return self.valid_from <= day and (self.valid_to is None or self.valid_to >= day)


# ---------------------------------------------------------------------------------------------
# Providers (服务商) and caregivers (护理员)
# ---------------------------------------------------------------------------------------------


class ProviderStatus(models.TextChoices):
    ACTIVE = "active", "合作中"
    SUSPENDED = "suspended", "暂停"
    ENDED = "ended", "已终止"


class Provider(models.Model):
    """服务商: an operator (``facilities.Operator``) under contract with one county for purchased services.

    One operator may contract with several counties: one Provider row per (operator, county). The
    row's scope is ``county`` (a county-level region); a provider's staff users point at the
    operator (``User.operator``) and see the Provider rows of that operator in their region.
    Only an ``active`` provider within its contract period receives new orders.
    """

    Status = ProviderStatus

    operator = models.ForeignKey(
        Operator, on_delete=models.PROTECT, related_name="provider_contracts", verbose_name="运营主体"
    )
    county = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name="签约旗县", db_index=False
    )
    contract_number = models.CharField("合同编号", max_length=50)
    contract_start = models.DateField("合同起始")
    contract_end = models.DateField("合同截止")
    status = models.CharField(
        "状态", max_length=10, choices=ProviderStatus.choices, default=ProviderStatus.ACTIVE
    )
    contact_name = models.CharField("联系人", max_length=50, blank=True)
    contact_phone = models.CharField("联系电话", max_length=30, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["county", "operator__name", "pk"]
        indexes = [models.Index(fields=["county", "status"], name="care_provider_county")]
        constraints = [
            models.UniqueConstraint(fields=["operator", "county"], name="care_provider_one_per_county"),
            models.UniqueConstraint(
                fields=["county", "contract_number"], name="care_provider_contract_number"
            ),
            models.CheckConstraint(
                condition=Q(contract_end__gte=F("contract_start")), name="care_provider_contract_dates"
            ),
        ]
        verbose_name = "服务商"

    def __str__(self):
        return self.operator.name if self.operator_id else f"服务商 {self.pk}"

    @property
    def name(self) -> str:
        return self.operator.name

    def in_contract_on(self, day) -> bool:
        return self.status == ProviderStatus.ACTIVE and self.contract_start <= day <= self.contract_end


class ProviderCoverage(models.Model):
    """A provider delivers a service item in a region (a township, or the whole county).

    ``region_prefix`` (= region.prefix) makes "who covers this village" a prefix test.
    """

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="coverage")
    item = models.ForeignKey(ServiceItem, on_delete=models.PROTECT, related_name="+")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", db_index=False)
    region_prefix = models.CharField(max_length=12)

    class Meta:
        ordering = ["provider", "item__code", "region_prefix"]
        indexes = [models.Index(fields=["region_prefix", "item"], name="care_coverage_region")]
        constraints = [
            models.UniqueConstraint(fields=["provider", "item", "region"], name="care_coverage_once"),
        ]
        verbose_name = "服务商覆盖范围"

    def __str__(self):
        return f"{self.provider_id}:{self.item_id}@{self.region_prefix}"


class ProviderEvent(models.Model):
    """A provider's history, append-only: created, changed, coverage and prices edited."""

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="events", db_index=False)
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
        ordering = ["provider", "-at", "-pk"]
        indexes = [models.Index(fields=["provider", "at"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d} {self.summary}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("provider history is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("provider history is append-only")


class CaregiverStatus(models.TextChoices):
    ACTIVE = "active", "在岗"
    LEFT = "left", "离职"


class Caregiver(models.Model):
    """护理员 of one provider. Phone and ID number are sealed like the elders' (``care.privacy``):
    ``*_enc`` AES-GCM, ``*_index`` keyed blind index for exact search, ``*_masked`` for display.

    ``skills`` are the products the caregiver is trained for; whether a certificate still allows a
    product on a date is ``selectors.caregiver_can_do``. ``user`` is the caregiver's own login
    (Role.CAREGIVER), if any. Home position (``longitude``/``latitude``) starts the day's route.
    """

    Status = CaregiverStatus

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="caregivers")
    name = models.CharField("姓名", max_length=50)
    gender = models.CharField("性别", max_length=1, choices=Gender.choices)
    phone_enc = models.TextField(blank=True)
    phone_index = models.CharField(max_length=64, blank=True)
    phone_masked = models.CharField("联系电话", max_length=24, blank=True)
    id_number_enc = models.TextField(blank=True)
    id_number_index = models.CharField(max_length=64, blank=True)
    id_number_masked = models.CharField("身份证号", max_length=18, blank=True)
    home_region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="+", verbose_name="居住地", db_index=False
    )
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    skills = models.ManyToManyField(
        ServiceProduct, blank=True, related_name="caregivers", verbose_name="技能"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="caregiver",
        verbose_name="登录账号",
    )
    status = models.CharField(
        "状态", max_length=8, choices=CaregiverStatus.choices, default=CaregiverStatus.ACTIVE
    )
    joined_on = models.DateField("入职日期", null=True, blank=True)
    left_on = models.DateField("离职日期", null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["provider", "name", "pk"]
        indexes = [
            models.Index(fields=["provider", "status", "name"], name="care_caregiver_provider"),
            models.Index(fields=["phone_index"], name="care_caregiver_phone", condition=~Q(phone_index="")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_index"],
                condition=~Q(id_number_index=""),
                name="care_caregiver_id_once",
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True)
                | Q(joined_on__isnull=True)
                | Q(left_on__gte=F("joined_on")),
                name="care_caregiver_dates",
            ),
        ]
        verbose_name = "护理员"

    def __str__(self):
        return self.name


class CertificateKind(models.TextChoices):
    ELDER_CARE = "elder_care", "养老护理员职业技能等级证书"
    HEALTH = "health", "健康证"
    NURSE = "nurse", "护士执业证书"
    OTHER = "other", "其他"


class CaregiverCertificate(models.Model):
    """A certificate held from ``issued_on`` to ``expires_on`` (both inclusive; no expiry if NULL).

    For 养老护理员 certificates ``level`` is the 国家职业技能等级 (初级…高级技师).
    """

    Kind = CertificateKind
    Level = CertificateLevel

    caregiver = models.ForeignKey(Caregiver, on_delete=models.CASCADE, related_name="certificates")
    kind = models.CharField(
        "证书类型", max_length=12, choices=CertificateKind.choices, default=CertificateKind.ELDER_CARE
    )
    level = models.PositiveSmallIntegerField("等级", choices=CertificateLevel.choices, null=True, blank=True)
    number = models.CharField("证书编号", max_length=50)
    issued_on = models.DateField("发证日期")
    expires_on = models.DateField("有效期至", null=True, blank=True)
    issuer = models.CharField("发证机构", max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["caregiver", "kind", "-expires_on"]
        indexes = [models.Index(fields=["kind", "expires_on"], name="care_certificate_expiry")]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gte=F("issued_on")),
                name="care_certificate_dates",
            ),
            models.CheckConstraint(
                condition=~Q(kind="elder_care") | Q(level__isnull=False), name="care_certificate_level"
            ),
        ]
        verbose_name = "护理员证书"

    def __str__(self):
        return f"{self.get_kind_display()} {self.number}"

    def valid_on(self, day) -> bool:
        return self.issued_on <= day and (self.expires_on is None or self.expires_on >= day)


# ---------------------------------------------------------------------------------------------
# Work orders (服务工单) and visits
# ---------------------------------------------------------------------------------------------


class OrderState(models.TextChoices):
    """The life of a work order. Legal moves (the services' transition table enforces them):

    requested   → accepted (provider takes it) | refused (provider declines, with reason)
                  | cancelled (officer/elder, with reason)
    accepted    → dispatched (a caregiver is assigned) | cancelled
    dispatched  → dispatched (re-assigned) | checked_in (caregiver arrives, GPS + time)
                  | checked_out (check-out without check-in: flagged ``no_check_in``)
                  | failed (nobody home, refused at the door…, with reason) | cancelled
    checked_in  → checked_out | failed
    checked_out → reviewed (rating 1–5 + comment by elder/family, or a return phone visit)
    reviewed    → settled (its line is in a confirmed monthly settlement)
    Terminal: settled, cancelled, refused, failed.
    """

    REQUESTED = "requested", "待受理"
    ACCEPTED = "accepted", "已受理"
    DISPATCHED = "dispatched", "已派单"
    CHECKED_IN = "checked_in", "服务中"
    CHECKED_OUT = "checked_out", "已完成"
    REVIEWED = "reviewed", "已评价"
    SETTLED = "settled", "已结算"
    CANCELLED = "cancelled", "已取消"
    REFUSED = "refused", "已拒单"
    FAILED = "failed", "服务失败"


TERMINAL_STATES = (OrderState.SETTLED, OrderState.CANCELLED, OrderState.REFUSED, OrderState.FAILED)


class OrderSource(models.TextChoices):
    PLAN = "plan", "服务计划生成"
    REQUEST = "request", "老年人/家属申请"
    OFFICER = "officer", "民政干部下单"


class Funding(models.TextChoices):
    """Who pays a priced order: the split is decided at pricing and sums to ``price_fen``."""

    GOVERNMENT = "government", "政府购买服务"
    SUBSIDY = "subsidy", "补贴"
    SELF = "self", "个人自付"


class Anomaly(models.TextChoices):
    FAR_CHECK_IN = "far_check_in", "签到位置距老人住址过远"
    SHORT_VISIT = "short_visit", "服务时长明显不足"
    OVERLAP = "overlap", "护理员服务时间重叠"
    NO_CHECK_IN = "no_check_in", "未签到即签退"


class AnomalyDecision(models.TextChoices):
    """Blank: no anomaly. ``pending`` until an officer decides whether the flagged order is paid."""

    NONE = "", "无异常"
    PENDING = "pending", "待处理"
    PAY = "pay", "予以结算"
    NO_PAY = "no_pay", "不予结算"


class ReviewChannel(models.TextChoices):
    ELDER = "elder", "老年人本人"
    FAMILY = "family", "家属"
    PHONE = "phone", "电话回访"


class WorkOrder(models.Model):
    """服务工单: one service for one elder on one date, by a provider, done by a caregiver.

    State: see ``OrderState`` for the legal moves; every move writes a ``WorkOrderEvent`` (who,
    when, from, to). Only the services change ``state``.

    Pricing: at check-out/review ``unit_price_fen`` is frozen from the price list valid on
    ``scheduled_date`` (``selectors.price_for``), ``price_fen`` = unit × ``quantity``, and the
    split ``government_fen + subsidy_fen + self_fen == price_fen`` (a row constraint). Before
    pricing ``price_fen`` is NULL and the split is 0.

    Anomalies: ``anomalies`` is the list of ``Anomaly`` codes raised at check-in/out; when it is
    non-empty, ``anomaly_decision`` is ``pending`` until an officer decides ``pay`` / ``no_pay``
    (with reason and who). Settlement takes reviewed orders whose decision is "" or ``pay``.
    """

    State = OrderState
    Source = OrderSource

    number = models.CharField("工单编号", max_length=24, unique=True)
    elder = models.ForeignKey(
        Elder, on_delete=models.PROTECT, related_name="+", verbose_name="老年人", db_index=False
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="orders", verbose_name="服务商", db_index=False
    )
    product = models.ForeignKey(
        ServiceProduct, on_delete=models.PROTECT, related_name="+", verbose_name="服务产品"
    )
    # The elder's 12-digit region code when the order was created: the scope column.
    region_code = models.CharField("区划代码", max_length=12)
    source = models.CharField("来源", max_length=8, choices=OrderSource.choices, default=OrderSource.OFFICER)
    # The entitlement a plan-generated order draws on; "plan_key" makes generation idempotent.
    grant = models.ForeignKey(
        "benefits.EntitlementGrant",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    plan_key = models.CharField(max_length=64, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    request_note = models.CharField("需求说明", max_length=300, blank=True)
    scheduled_date = models.DateField("服务日期")
    window_start = models.TimeField("时间窗开始", null=True, blank=True)
    window_end = models.TimeField("时间窗结束", null=True, blank=True)
    quantity = models.PositiveSmallIntegerField("数量", default=1)
    caregiver = models.ForeignKey(
        Caregiver, null=True, blank=True, on_delete=models.PROTECT, related_name="orders", db_index=False
    )
    state = models.CharField("状态", max_length=12, choices=OrderState.choices, default=OrderState.REQUESTED)
    state_reason = models.CharField("原因", max_length=200, blank=True)

    # Pricing and funding (integer fen).
    unit_price_fen = models.PositiveIntegerField("单价（分）", null=True, blank=True)
    price_fen = models.PositiveIntegerField("金额（分）", null=True, blank=True)
    government_fen = models.PositiveIntegerField("政府购买（分）", default=0)
    subsidy_fen = models.PositiveIntegerField("补贴（分）", default=0)
    self_fen = models.PositiveIntegerField("自付（分）", default=0)
    priced_at = models.DateTimeField(null=True, blank=True)

    # Review.
    rating = models.PositiveSmallIntegerField("评分", null=True, blank=True)
    comment = models.CharField("评价", max_length=300, blank=True)
    review_channel = models.CharField("评价方式", max_length=8, choices=ReviewChannel.choices, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )

    # Anomalies.
    anomalies = models.JSONField("异常", default=list, blank=True)
    anomaly_decision = models.CharField(
        "异常处理", max_length=8, choices=AnomalyDecision.choices, blank=True, default=AnomalyDecision.NONE
    )
    anomaly_reason = models.CharField("处理理由", max_length=200, blank=True)
    anomaly_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    anomaly_decided_at = models.DateTimeField(null=True, blank=True)

    settlement = models.ForeignKey(
        "Settlement", null=True, blank=True, on_delete=models.PROTECT, related_name="orders", db_index=False
    )

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    accepted_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField("结束时间", null=True, blank=True)  # cancelled/refused/failed/settled

    class Meta:
        ordering = ["-scheduled_date", "-pk"]
        indexes = [
            # The officer's list: a scope range, by date.
            models.Index(fields=["region_code", "scheduled_date"], name="care_order_region_date"),
            # The caregiver's "today".
            models.Index(fields=["caregiver", "scheduled_date"], name="care_order_caregiver_date"),
            # The provider's queue and the monthly settlement.
            models.Index(fields=["provider", "state", "scheduled_date"], name="care_order_provider_state"),
            models.Index(fields=["elder", "scheduled_date"], name="care_order_elder_date"),
            # The list's own order: a city-wide first page reads 20 index entries, not 3 million
            # rows (bench/orders.py: 225 ms → 0.2 ms); the state counts and the pending queue.
            models.Index(fields=["-scheduled_date", "window_start", "-id"], name="care_order_list"),
            models.Index(fields=["state", "region_code"], name="care_order_state_region"),
            models.Index(
                fields=["-scheduled_date", "window_start", "-id"],
                name="care_order_pending_list",
                condition=Q(anomaly_decision="pending"),
            ),
            models.Index(
                fields=["anomaly_decision", "region_code"],
                name="care_order_anomaly",
                condition=Q(anomaly_decision="pending"),
            ),
            models.Index(
                fields=["settlement"], name="care_order_settlement", condition=Q(settlement__isnull=False)
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["plan_key"], condition=~Q(plan_key=""), name="care_order_plan_key_once"
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="care_order_rating_1_5",
            ),
            models.CheckConstraint(
                condition=Q(window_start__isnull=True)
                | Q(window_end__isnull=True)
                | Q(window_end__gt=F("window_start")),
                name="care_order_window",
            ),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="care_order_quantity"),
            models.CheckConstraint(
                condition=Q(price_fen__isnull=True, government_fen=0, subsidy_fen=0, self_fen=0)
                | Q(
                    price_fen__isnull=False, price_fen=F("government_fen") + F("subsidy_fen") + F("self_fen")
                ),
                name="care_order_funding_sums",
            ),
            models.CheckConstraint(
                condition=Q(price_fen__gte=0) | Q(price_fen__isnull=True),
                name="care_order_price_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(state__in=[s.value for s in OrderState]), name="care_order_state_known"
            ),
        ]
        verbose_name = "服务工单"

    def __str__(self):
        return self.number

    @property
    def is_terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    @property
    def is_payable(self) -> bool:
        return self.anomaly_decision in (AnomalyDecision.NONE, AnomalyDecision.PAY)


class WorkOrderEvent(models.Model):
    """A work order's history, append-only: every transition (from → to), who, when, and details."""

    order = models.ForeignKey(WorkOrder, on_delete=models.PROTECT, related_name="events", db_index=False)
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
    from_state = models.CharField(max_length=12, blank=True)
    to_state = models.CharField(max_length=12, blank=True)
    note = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["order", "at", "pk"]
        indexes = [models.Index(fields=["order", "at"], name="care_order_event")]

    def __str__(self):
        return f"{self.kind} {self.from_state}→{self.to_state}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise PermissionError("work order history is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("work order history is append-only")


class Visit(models.Model):
    """What happened at the door: the caregiver's check-in and check-out with the phone's position.

    ``distance_m`` is the check-in's distance from the elder's home (NULL when either position is
    unknown). ``duration_minutes`` is set at check-out. A check-out without check-in leaves the
    check-in columns NULL (and the order is flagged ``no_check_in``).
    """

    order = models.OneToOneField(WorkOrder, on_delete=models.PROTECT, related_name="visit")
    caregiver = models.ForeignKey(Caregiver, on_delete=models.PROTECT, related_name="visits", db_index=False)
    check_in_at = models.DateTimeField("签到时间", null=True, blank=True)
    check_in_lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    check_in_lng = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    check_in_accuracy_m = models.PositiveIntegerField(null=True, blank=True)
    distance_m = models.PositiveIntegerField("签到距离（米）", null=True, blank=True)
    check_out_at = models.DateTimeField("签退时间", null=True, blank=True)
    check_out_lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    check_out_lng = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    check_out_accuracy_m = models.PositiveIntegerField(null=True, blank=True)
    duration_minutes = models.PositiveIntegerField("服务时长（分钟）", null=True, blank=True)
    note = models.CharField("服务记录", max_length=500, blank=True)

    class Meta:
        indexes = [models.Index(fields=["caregiver", "check_in_at"], name="care_visit_caregiver")]
        constraints = [
            models.CheckConstraint(
                condition=Q(check_in_at__isnull=True)
                | Q(check_out_at__isnull=True)
                | Q(check_out_at__gte=F("check_in_at")),
                name="care_visit_times",
            ),
        ]
        verbose_name = "上门服务记录"

    def __str__(self):
        return f"visit {self.order_id}"


def _visit_photo_path(instance, filename):
    return f"care/visits/{instance.visit_id}/{timezone.now():%Y%m%d%H%M%S}-{filename[-60:]}"


class VisitPhoto(models.Model):
    """A photo of the service, checked like facility photos before it is kept."""

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to=_visit_photo_path)
    caption = models.CharField("说明", max_length=100, blank=True)
    uploaded_at = models.DateTimeField(default=timezone.now)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )

    class Meta:
        ordering = ["visit", "uploaded_at"]

    def __str__(self):
        return self.caption or self.image.name


# ---------------------------------------------------------------------------------------------
# Settlement (资金结算) — tables only; the logic is built by the settlement work.
# ---------------------------------------------------------------------------------------------


class SettlementState(models.TextChoices):
    DRAFT = "draft", "草稿"
    CONFIRMED = "confirmed", "已确认"


def _is_confirmed(settlement_id) -> bool:
    return (
        settlement_id is not None
        and Settlement.objects.filter(pk=settlement_id, state=SettlementState.CONFIRMED).exists()
    )


class Settlement(models.Model):
    """A provider's monthly statement for one county (``month`` is the first day of the month).

    ``draft`` may be regenerated; once ``confirmed`` the statement and its lines are immutable
    (``save``/``delete`` refuse) and its orders move to ``settled``. Totals equal the sums of the
    lines, per funding source: ``total_fen == government_fen + subsidy_fen + self_fen``.
    """

    State = SettlementState

    number = models.CharField("结算单号", max_length=32, unique=True)
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, related_name="settlements", db_index=False
    )
    county = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", db_index=False)
    month = models.DateField("结算月份")
    state = models.CharField(
        "状态", max_length=10, choices=SettlementState.choices, default=SettlementState.DRAFT
    )
    order_count = models.PositiveIntegerField("工单数", default=0)
    total_fen = models.PositiveBigIntegerField("合计（分）", default=0)
    government_fen = models.PositiveBigIntegerField("政府购买（分）", default=0)
    subsidy_fen = models.PositiveBigIntegerField("补贴（分）", default=0)
    self_fen = models.PositiveBigIntegerField("自付（分）", default=0)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )

    class Meta:
        ordering = ["-month", "provider"]
        indexes = [models.Index(fields=["county", "month"], name="care_settlement_county")]
        constraints = [
            models.UniqueConstraint(fields=["provider", "month"], name="care_settlement_once_a_month"),
            models.CheckConstraint(
                condition=Q(total_fen=F("government_fen") + F("subsidy_fen") + F("self_fen")),
                name="care_settlement_totals",
            ),
            models.CheckConstraint(
                condition=Q(state="draft") | Q(confirmed_at__isnull=False),
                name="care_settlement_confirmed_at",
            ),
        ]
        verbose_name = "结算单"

    def __str__(self):
        return self.number

    def save(self, *args, **kwargs):
        if _is_confirmed(self.pk):
            raise PermissionError("a confirmed settlement is immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if _is_confirmed(self.pk):
            raise PermissionError("a confirmed settlement is immutable")
        return super().delete(*args, **kwargs)


class SettlementLine(models.Model):
    """One order in a statement, with its amounts frozen. An order is in at most one statement."""

    settlement = models.ForeignKey(Settlement, on_delete=models.CASCADE, related_name="lines")
    order = models.OneToOneField(WorkOrder, on_delete=models.PROTECT, related_name="settlement_line")
    service_date = models.DateField()
    product = models.ForeignKey(ServiceProduct, on_delete=models.PROTECT, related_name="+", db_index=False)
    quantity = models.PositiveSmallIntegerField(default=1)
    unit_price_fen = models.PositiveIntegerField()
    amount_fen = models.PositiveIntegerField()
    government_fen = models.PositiveIntegerField(default=0)
    subsidy_fen = models.PositiveIntegerField(default=0)
    self_fen = models.PositiveIntegerField(default=0)
    anomaly_decision = models.CharField(max_length=8, blank=True)

    class Meta:
        ordering = ["settlement", "service_date", "order"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_fen=F("government_fen") + F("subsidy_fen") + F("self_fen")),
                name="care_line_amount_sums",
            ),
        ]
        verbose_name = "结算明细"

    def __str__(self):
        return f"{self.settlement_id}:{self.order_id}"

    def save(self, *args, **kwargs):
        if _is_confirmed(self.settlement_id):
            raise PermissionError("a confirmed settlement is immutable")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if _is_confirmed(self.settlement_id):
            raise PermissionError("a confirmed settlement is immutable")
        return super().delete(*args, **kwargs)
