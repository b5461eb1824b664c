"""Meals (助餐) and day care (日间照料) at the network's facilities.

Every row carries ``region_code``, the 12-digit code of the facility it happened at: that is the
scope (an officer sees the facilities of its region, an operator only its own facility).

Meal orders are rows of this app, not care WorkOrders: a canteen meal has no visit, caregiver or
provider state machine; it is priced by the canteen's menu of the day and the meal subsidy (003:
100 yuan a month) is split off when the order is taken, frozen on the row (subsidy + self = amount).
The canteen's monthly statement sums those rows.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from yanglao.elders.models import Elder
from yanglao.facilities.models import Facility


class Meal(models.TextChoices):
    BREAKFAST = "breakfast", "早餐"
    LUNCH = "lunch", "午餐"
    DINNER = "dinner", "晚餐"


class MealKind(models.TextChoices):
    DINE_IN = "dine_in", "堂食"
    DELIVERY = "delivery", "送餐"


def _user_fk(label: str):
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=label,
    )


class Menu(models.Model):
    """A canteen's menu for one meal of one day, with the price of one portion (integer fen)."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+", db_index=False)
    region_code = models.CharField(max_length=12)
    date = models.DateField("日期")
    meal = models.CharField("餐次", max_length=10, choices=Meal.choices)
    dishes = models.CharField("菜品", max_length=300)
    price_fen = models.PositiveIntegerField("每份价格（分）")
    delivery_fee_fen = models.PositiveIntegerField("送餐费（分/份）", default=0)
    created_by = _user_fk("录入人")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["facility", "date", "meal"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "date", "meal"], name="residential_menu_one_per_meal"
            ),
        ]
        indexes = [models.Index(fields=["region_code", "date"], name="residential_menu_region")]
        verbose_name = "菜单"

    def __str__(self):
        return f"{self.date} {self.get_meal_display()}"


class MealOrder(models.Model):
    """One elder's order of ``quantity`` portions of one menu, dine-in or delivered."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+", db_index=False)
    region_code = models.CharField(max_length=12)
    menu = models.ForeignKey(Menu, on_delete=models.PROTECT, related_name="orders")
    elder = models.ForeignKey(Elder, on_delete=models.PROTECT, related_name="+", db_index=False)
    date = models.DateField("日期")
    meal = models.CharField("餐次", max_length=10, choices=Meal.choices)
    kind = models.CharField("方式", max_length=10, choices=MealKind.choices, default=MealKind.DINE_IN)
    quantity = models.PositiveSmallIntegerField("份数", default=1)
    unit_price_fen = models.PositiveIntegerField("单价（分）")
    amount_fen = models.PositiveIntegerField("金额（分）")
    subsidy_fen = models.PositiveIntegerField("助餐补贴（分）", default=0)
    self_fen = models.PositiveIntegerField("自付（分）")
    created_by = _user_fk("录入人")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["facility", "date", "meal", "pk"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="residential_order_quantity"),
            models.CheckConstraint(
                condition=Q(amount_fen=F("subsidy_fen") + F("self_fen")), name="residential_order_split"
            ),
        ]
        indexes = [
            models.Index(fields=["facility", "date"], name="residential_order_day"),
            models.Index(fields=["elder", "date"], name="residential_order_elder"),
            models.Index(fields=["region_code", "date"], name="residential_order_region"),
        ]
        verbose_name = "助餐订单"

    def __str__(self):
        return f"{self.date} {self.get_meal_display()} {self.elder_id}×{self.quantity}"


class Enrolment(models.Model):
    """An elder attends a day-care centre from ``start_date`` (to ``end_date`` when it ends)."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+", db_index=False)
    region_code = models.CharField(max_length=12)
    elder = models.ForeignKey(Elder, on_delete=models.PROTECT, related_name="+", db_index=False)
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期", null=True, blank=True)
    note = models.CharField("备注", max_length=200, blank=True)
    created_by = _user_fk("登记人")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["facility", "-start_date", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["facility", "elder"],
                condition=Q(end_date__isnull=True),
                name="residential_enrolment_one_open",
            ),
        ]
        indexes = [
            models.Index(fields=["facility", "end_date"], name="residential_enrolment_open"),
            models.Index(fields=["region_code"], name="residential_enrolment_region"),
            models.Index(fields=["elder"], name="residential_enrolment_elder"),
        ]
        verbose_name = "日间照料登记"

    def __str__(self):
        return f"{self.facility_id}:{self.elder_id} {self.start_date}–{self.end_date or ''}"


class Attendance(models.Model):
    """One day at the centre: checked in, later checked out. One row per enrolment and day."""

    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.PROTECT, related_name="attendances", db_index=False
    )
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+", db_index=False)
    region_code = models.CharField(max_length=12)
    elder = models.ForeignKey(Elder, on_delete=models.PROTECT, related_name="+", db_index=False)
    date = models.DateField("日期")
    check_in_at = models.DateTimeField("签到时间")
    check_out_at = models.DateTimeField("签退时间", null=True, blank=True)
    checked_in_by = _user_fk("签到登记人")
    checked_out_by = _user_fk("签退登记人")

    class Meta:
        ordering = ["facility", "date", "check_in_at"]
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "date"], name="residential_attendance_once_a_day"),
            models.CheckConstraint(
                condition=Q(check_out_at__isnull=True) | Q(check_out_at__gte=F("check_in_at")),
                name="residential_attendance_order",
            ),
        ]
        indexes = [
            models.Index(fields=["facility", "date"], name="residential_attendance_day"),
            models.Index(fields=["region_code", "date"], name="residential_attendance_region"),
        ]
        verbose_name = "日间照料考勤"

    def __str__(self):
        return f"{self.facility_id}:{self.elder_id} {self.date}"


class RespiteStay(models.Model):
    """喘息服务: a short stay at a centre, ``start_date`` to ``end_date`` inclusive. One elder's stays
    never overlap (the service refuses it)."""

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+", db_index=False)
    region_code = models.CharField(max_length=12)
    elder = models.ForeignKey(Elder, on_delete=models.PROTECT, related_name="+", db_index=False)
    start_date = models.DateField("开始日期")
    end_date = models.DateField("结束日期")
    note = models.CharField("备注", max_length=200, blank=True)
    created_by = _user_fk("登记人")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["facility", "-start_date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")), name="residential_respite_dates"
            ),
        ]
        indexes = [
            models.Index(fields=["elder", "start_date"], name="residential_respite_elder"),
            models.Index(fields=["facility", "start_date"], name="residential_respite_facility"),
            models.Index(fields=["region_code", "start_date"], name="residential_respite_region"),
        ]
        verbose_name = "喘息服务"

    def __str__(self):
        return f"{self.facility_id}:{self.elder_id} {self.start_date}–{self.end_date}"

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1


class ResidentialEvent(models.Model):
    """Append-only history of the app's writes (menus, orders, enrolments, attendance, respite)."""

    class Kind(models.TextChoices):
        MENU = "menu", "发布菜单"
        ORDER = "order", "订餐"
        ENROLLED = "enrolled", "登记日间照料"
        CHECK_IN = "check_in", "签到"
        CHECK_OUT = "check_out", "签退"
        RESPITE = "respite", "登记喘息服务"

    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="+", db_index=False)
    region_code = models.CharField(max_length=12)
    elder = models.ForeignKey(
        Elder, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    summary = models.CharField(max_length=300)
    actor = _user_fk("操作人")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["facility", "-at", "-pk"]
        indexes = [models.Index(fields=["facility", "at"], name="residential_event_facility")]
        verbose_name = "助餐与日间照料记录"

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.summary}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("记录只能追加，不能修改。")
        super().save(*args, **kwargs)
