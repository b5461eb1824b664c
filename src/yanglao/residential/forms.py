"""Console forms of meals and day care: each problem is a Chinese message under its field; the
services check the rules again (and raise the same stable codes the API returns)."""

import re
from datetime import date

from django import forms
from django.core.exceptions import ValidationError

from yanglao.care.validation import parse_yuan
from yanglao.core.parsing import parse_date
from yanglao.residential import selectors
from yanglao.residential.errors import ResidentialErrorCode as E
from yanglao.residential.models import Meal, MealKind

MAX_PRICE_FEN = 100_000  # 1000 yuan a portion is far above any canteen meal


def _msgs(label: str, verb: str = "填写") -> dict:
    return {
        "required": f"请{verb}{label}。",
        "invalid": f"{label}格式不对。",
        "invalid_choice": f"请{verb}{label}。",
    }


class DateText(forms.CharField):
    """A date as people type it (2026-01-31, 2026/1/31, 2026年1月31日)."""

    def __init__(self, *args, label="日期", **kwargs):
        kwargs.setdefault("widget", forms.DateInput(attrs={"type": "date"}))
        kwargs.setdefault("error_messages", _msgs(label))
        super().__init__(*args, label=label, **kwargs)

    def to_python(self, value):
        if isinstance(value, date):
            return value
        text = super().to_python(value)
        if not text:
            return None
        try:
            return parse_date(text)
        except ValueError:
            raise ValidationError(f"{self.label}格式不对，应为 2026-01-31。", code="invalid_date") from None


class YuanField(forms.CharField):
    def __init__(self, *args, label="价格", **kwargs):
        kwargs.setdefault("error_messages", _msgs(label))
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "如 12 或 12.50"})
        )
        super().__init__(*args, label=label, **kwargs)

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return None
        try:
            fen = parse_yuan(text)
        except ValueError:
            raise ValidationError(
                f"{self.label}应为元，最多两位小数，如 12.50。", code="invalid_price"
            ) from None
        if fen > MAX_PRICE_FEN:
            raise ValidationError(f"{self.label}不能超过 1000 元。", code="invalid_price")
        return fen


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """A service's ValidationError onto the form (each field's message under it, the rest on top)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class ElderLookupMixin:
    """``elder`` typed as a name, pinyin, ID number or phone; found among the elders the actor may
    serve at the facility (one match needed)."""

    def clean_elder(self):
        text = self.cleaned_data.get("elder", "")
        found = selectors.find_elder(actor=self.actor, facility=self.facility, text=text)
        if not found:
            raise ValidationError(
                E.ELDER_NOT_FOUND.label + "（请输入姓名、身份证号或电话）。", code=E.ELDER_NOT_FOUND
            )
        if len(found) > 1:
            raise ValidationError(E.ELDER_AMBIGUOUS.label + "。", code=E.ELDER_AMBIGUOUS)
        return found[0]


class DayForm(forms.Form):
    date = DateText(required=False)


class MonthForm(forms.Form):
    month = forms.CharField(label="月份", required=False, widget=forms.TextInput(attrs={"type": "month"}))

    def clean_month(self):
        text = (self.cleaned_data.get("month") or "").strip()
        if not text:
            return None
        match = re.fullmatch(r"(\d{4})[-/年](\d{1,2})月?", text)
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise ValidationError(E.INVALID_MONTH.label + "。", code=E.INVALID_MONTH)
        return date(int(match.group(1)), int(match.group(2)), 1)


class MenuForm(forms.Form):
    date = DateText()
    meal = forms.ChoiceField(label="餐次", choices=Meal.choices, error_messages=_msgs("餐次", "选择"))
    dishes = forms.CharField(label="菜品", max_length=300, error_messages={
        **_msgs("菜品"), "max_length": "菜品不超过 300 字。"})  # fmt: skip
    price = YuanField(label="每份价格（元）")
    delivery_fee = YuanField(label="送餐费（元/份）", required=False)


class MealOrderForm(ElderLookupMixin, forms.Form):
    elder = forms.CharField(label="老年人", max_length=40, error_messages=_msgs("老年人"),
                            widget=forms.TextInput(attrs={"placeholder": "姓名、身份证号或电话"}))  # fmt: skip
    date = DateText()
    meal = forms.ChoiceField(label="餐次", choices=Meal.choices, error_messages=_msgs("餐次", "选择"))
    kind = forms.ChoiceField(
        label="方式", choices=MealKind.choices, error_messages=_msgs("堂食或送餐", "选择")
    )
    quantity = forms.IntegerField(label="份数", min_value=1, max_value=10, initial=1, error_messages={
        **_msgs("份数"), "min_value": "份数应为 1–10。", "max_value": "份数应为 1–10。"})  # fmt: skip

    def __init__(self, *args, actor, facility, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor, self.facility = actor, facility


class EnrolForm(ElderLookupMixin, forms.Form):
    elder = forms.CharField(label="老年人", max_length=40, error_messages=_msgs("老年人"),
                            widget=forms.TextInput(attrs={"placeholder": "姓名、身份证号或电话"}))  # fmt: skip
    start_date = DateText(label="开始日期")
    note = forms.CharField(label="备注", max_length=200, required=False,
                           error_messages={"max_length": "备注不超过 200 字。"})  # fmt: skip

    def __init__(self, *args, actor, facility, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor, self.facility = actor, facility


class RespiteForm(EnrolForm):
    end_date = DateText(label="结束日期")

    field_order = ["elder", "start_date", "end_date", "note"]

    def clean(self):
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", ValidationError(E.RESPITE_DATES.label + "。", code=E.RESPITE_DATES))
        return data


class AttendanceForm(forms.Form):
    """The big buttons: which enrolled elder (by id), check in or out."""

    elder = forms.IntegerField(widget=forms.HiddenInput, error_messages=_msgs("老年人", "选择"))
    action = forms.ChoiceField(
        choices=[("in", "签到"), ("out", "签退")], error_messages=_msgs("签到或签退", "选择")
    )
