"""Entitlements: rules as data (per region, dated, with the seed they come from), and the grants
they produced over time. What a person is entitled to is always computed from their record."""

from django.db import models
from django.db.models import Q

from yanglao.elders.models import Elder
from yanglao.regions.models import Region


class Benefit(models.TextChoices):
    HOME_SERVICE = "home_service", "政府购买居家上门服务"
    MEAL_SUBSIDY = "meal_subsidy", "助餐补贴"
    INSTITUTION_PRIORITY = "institution_priority", "优先入住养老机构"
    FAMILY_CARE_BED = "family_care_bed", "家庭养老床位"
    OTHER = "other", "其他"


class Unit(models.TextChoices):
    MINUTES_PER_DAY = "minutes_per_day", "分钟/天"
    FEN_PER_MONTH = "fen_per_month", "分/月"
    FLAG = "flag", "资格"


class EntitlementRule(models.Model):
    """Who is entitled to what, where, from when: e.g. 特困 or 低保 aged 80+ → 1 hour a day (003).

    ``conditions``: ``categories_any`` (a list: any one suffices), ``categories_all`` (all needed),
    ``min_age``, ``max_age``, ``levels`` (GB/T 42195 final levels 0–4), ``living_situations``.
    """

    code = models.SlugField("代码", max_length=40)
    name = models.CharField("名称", max_length=100)
    benefit = models.CharField("待遇", max_length=24, choices=Benefit.choices)
    amount = models.PositiveIntegerField("标准", default=0, help_text="按单位：分钟/天、分/月；资格类为 0")
    unit = models.CharField("单位", max_length=16, choices=Unit.choices, default=Unit.FLAG)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name="适用区划")
    valid_from = models.DateField("生效日期")
    valid_to = models.DateField("失效日期", null=True, blank=True)
    conditions = models.JSONField("条件", default=dict)
    seed = models.CharField("依据", max_length=100)
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        ordering = ["benefit", "code", "-valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["code", "region", "valid_from"], name="benefits_rule_version"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="benefits_rule_dates",
            ),
        ]
        verbose_name = "待遇规则"

    def __str__(self):
        return self.name

    @property
    def conditions_text(self) -> str:
        """The conditions in words, for the rules page."""
        from yanglao.elders.models import Category, LivingSituation
        from yanglao.elders.services import CAPABILITY_LEVEL_NAMES

        c, parts = self.conditions, []
        if c.get("categories_any"):
            parts.append(
                "、".join(Category(x).label for x in c["categories_any"])
                + (" 之一" if len(c["categories_any"]) > 1 else "")
            )
        if c.get("categories_all"):
            parts.append("同时为" + "、".join(Category(x).label for x in c["categories_all"]))
        if c.get("min_age") is not None:
            parts.append(f"年满 {c['min_age']} 周岁")
        if c.get("max_age") is not None:
            parts.append(f"不超过 {c['max_age']} 周岁")
        if c.get("levels"):
            parts.append("能力等级为" + "、".join(CAPABILITY_LEVEL_NAMES[x] for x in c["levels"]))
        if c.get("living_situations"):
            parts.append("居住情况为" + "、".join(LivingSituation(x).label for x in c["living_situations"]))
        return "；".join(parts) or "无条件"

    @property
    def amount_text(self) -> str:
        if self.unit == Unit.MINUTES_PER_DAY:
            return f"每天 {self.amount} 分钟" if self.amount % 60 else f"每天 {self.amount // 60} 小时"
        if self.unit == Unit.FEN_PER_MONTH:
            yuan, fen = divmod(self.amount, 100)  # integer fen, never float
            return f"每月 {yuan} 元" if not fen else f"每月 {yuan}.{fen:02d} 元"
        return "具备资格"


class EntitlementGrant(models.Model):
    """A person held an entitlement from ``valid_from`` to ``valid_to`` (open while it lasts)."""

    elder = models.ForeignKey(Elder, on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(EntitlementRule, on_delete=models.PROTECT, related_name="grants")
    region_code = models.CharField(max_length=12)  # the person's region when granted (the scope)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["elder", "-valid_from"]
        indexes = [
            models.Index(fields=["region_code", "rule", "valid_to"], name="benefits_grant_region"),
            models.Index(fields=["elder", "valid_to"], name="benefits_grant_elder"),
        ]

    def __str__(self):
        return f"{self.elder_id}:{self.rule_id} {self.valid_from}–{self.valid_to or ''}"
