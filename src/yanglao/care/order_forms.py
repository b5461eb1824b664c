"""The work-order forms: the list's filters, a new order, each transition, the anomaly decision and
the month's plan. Each field says what is wrong in Chinese; the rules that need the database live
in ``orders`` and come back as field errors (``apply_errors``)."""

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from yanglao.care import order_selectors as reads
from yanglao.care.models import AnomalyDecision, OrderSource, OrderState, ReviewChannel, ServiceCategory
from yanglao.care.selectors import provider_choices
from yanglao.core.parsing import parse_date
from yanglao.regions.models import Region
from yanglao.regions.widgets import RegionPickerWidget

DATE = {"type": "date"}
TIME = {"type": "time"}


def _required(label: str, verb: str = "填写") -> dict:
    return {"required": f"请{verb}{label}。", "invalid": f"{label}格式不对。"}


class LooseDateField(forms.CharField):
    """A date typed as people type it (2026-01-31, 2026/1/31, 2026年1月31日); a Chinese message otherwise."""

    def __init__(self, *args, label="日期", **kwargs):
        kwargs.setdefault("widget", forms.DateInput(attrs=DATE))
        kwargs.setdefault("error_messages", _required(label))
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


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """A service's ValidationError onto the form: each field's message under the field (if the
    form has it), the rest above the form."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


# --- the list --------------------------------------------------------------------------------------


ANOMALY_FILTERS = [
    ("", "全部"),
    ("pending", "异常待处理"),
    ("any", "有异常"),
    ("pay", "异常已予结算"),
    ("no_pay", "异常不予结算"),
]


class OrderFilterForm(forms.Form):
    q = forms.CharField(
        label="搜索",
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": "工单编号或老年人姓名"}),
    )
    region = forms.CharField(label="区划", required=False)
    state = forms.ChoiceField(label="状态", required=False, choices=[("", "全部状态"), *OrderState.choices])
    category = forms.ChoiceField(label="服务类别", required=False)
    provider = forms.TypedChoiceField(label="服务商", required=False, coerce=int, empty_value=None)
    caregiver = forms.TypedChoiceField(label="护理员", required=False, coerce=int, empty_value=None)
    date_from = LooseDateField(label="服务日期从", required=False)
    date_to = LooseDateField(label="至", required=False)
    anomaly = forms.ChoiceField(label="异常", required=False, choices=ANOMALY_FILTERS)
    source = forms.ChoiceField(label="来源", required=False, choices=[("", "全部来源"), *OrderSource.choices])

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].widget = RegionPickerWidget(scope=actor.scope)
        self.fields["category"].choices = [("", "全部类别")] + [
            (c.code, c.name) for c in ServiceCategory.objects.order_by("position", "code")
        ]
        self.fields["provider"].choices = [("", "全部服务商")] + [
            (p.pk, f"{p.operator.name}（{p.county.name}）") for p in provider_choices(actor=actor)
        ]
        self.fields["caregiver"].choices = [("", "全部护理员")] + [
            (c.pk, c.name) for c in reads.caregiver_choices(actor=actor)[:500]
        ]
        if reads.is_caregiver(actor):
            for name in ("region", "provider", "caregiver"):
                del self.fields[name]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", "结束日期不能早于开始日期。")
        return data

    def filters(self) -> reads.OrderFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return reads.OrderFilters(
            q=data.get("q") or "",
            region=data.get("region") or "",
            state=data.get("state") or "",
            category=data.get("category") or "",
            provider=data.get("provider"),
            caregiver=data.get("caregiver"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            anomaly=data.get("anomaly") or "",
            source=data.get("source") or "",
        )


# --- a new order -------------------------------------------------------------------------------------


class OrderForm(forms.Form):
    """The officer's form: an elder found by search, a product, the date and window, a provider
    among those covering the elder (``order_provider_options`` fills the list)."""

    elder = forms.IntegerField(
        label="老年人", widget=forms.HiddenInput, error_messages=_required("老年人", "搜索并选择")
    )
    product = forms.TypedChoiceField(
        label="服务产品", coerce=int, error_messages=_required("服务产品", "选择")
    )
    scheduled_date = LooseDateField(label="服务日期")
    window_start = forms.TimeField(
        label="时间窗开始",
        required=False,
        widget=forms.TimeInput(attrs=TIME, format="%H:%M"),
        error_messages={"invalid": "时间格式不对，应为 09:00。"},
    )
    window_end = forms.TimeField(
        label="时间窗结束",
        required=False,
        widget=forms.TimeInput(attrs=TIME, format="%H:%M"),
        error_messages={"invalid": "时间格式不对，应为 10:00。"},
    )
    quantity = forms.IntegerField(
        label="数量",
        initial=1,
        min_value=1,
        max_value=24,
        help_text="按小时计价的服务填小时数，按次计价的填次数。",
        error_messages={
            "required": "请填写数量。",
            "invalid": "数量应为整数。",
            "min_value": "数量至少为 1。",
            "max_value": "数量最多为 24。",
        },
    )
    provider = forms.TypedChoiceField(label="服务商", coerce=int, error_messages=_required("服务商", "选择"))
    source = forms.ChoiceField(
        label="来源",
        choices=[
            (OrderSource.OFFICER, OrderSource.OFFICER.label),
            (OrderSource.REQUEST, OrderSource.REQUEST.label),
        ],
        initial=OrderSource.OFFICER,
        widget=forms.RadioSelect,
        error_messages=_required("来源", "选择"),
    )
    request_note = forms.CharField(
        label="需求说明",
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "来电人、与老人关系、具体需求"}),
        help_text="老年人或家属申请时必填。",
        error_messages={"max_length": "需求说明最多 300 字。"},
    )

    def __init__(self, *args, actor, elder=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.elder = elder
        self.fields["product"].choices = [("", "请选择")] + [
            (p.pk, f"{p.item.category.name}·{p.item.name}·{p.name}（{p.get_unit_display()}）")
            for p in reads.products_for_orders()
        ]
        # Every visible provider is a valid choice to post; the page narrows the list to those
        # covering the chosen elder (the service checks coverage again).
        self.fields["provider"].choices = [("", "请先选择老年人和服务产品")] + [
            (p.pk, f"{p.operator.name}（{p.county.name}）") for p in provider_choices(actor=actor)
        ]

    def clean_scheduled_date(self):
        value = self.cleaned_data["scheduled_date"]
        if value and value < timezone.localdate():
            raise ValidationError("服务日期不能早于今天。", code="date_past")
        return value

    def clean(self):
        data = super().clean()
        if data.get("source") == OrderSource.REQUEST and not (data.get("request_note") or "").strip():
            self.add_error("request_note", "老年人或家属申请的工单请填写需求说明（来电人、需求）。")
        start, end = data.get("window_start"), data.get("window_end")
        if (
            (start is None) != (end is None)
            and "window_start" not in self.errors
            and "window_end" not in self.errors
        ):
            self.add_error("window_end", "时间窗请同时填写开始和结束时间，或都不填。")
        elif start and end and end <= start:
            self.add_error("window_end", "时间窗的结束时间须晚于开始时间。")
        return data


# --- transitions ---------------------------------------------------------------------------------------


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="原因",
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "如：老人不在家、老人拒绝服务"}),
        error_messages={"required": "请填写原因。", "max_length": "原因最多 200 字。"},
    )


class DispatchForm(forms.Form):
    caregiver = forms.TypedChoiceField(label="护理员", coerce=int, error_messages=_required("护理员", "选择"))
    window_start = forms.TimeField(
        label="时间窗开始",
        required=False,
        widget=forms.TimeInput(attrs=TIME, format="%H:%M"),
        error_messages={"invalid": "时间格式不对，应为 09:00。"},
    )
    window_end = forms.TimeField(
        label="时间窗结束",
        required=False,
        widget=forms.TimeInput(attrs=TIME, format="%H:%M"),
        error_messages={"invalid": "时间格式不对，应为 10:00。"},
    )

    def __init__(self, *args, allowed=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["caregiver"].choices = [("", "请选择")] + [(c.pk, c.name) for c in allowed]

    def clean(self):
        data = super().clean()
        start, end = data.get("window_start"), data.get("window_end")
        if (start is None) != (end is None) and not self.errors:
            self.add_error("window_end", "时间窗请同时填写开始和结束时间，或都不填。")
        elif start and end and end <= start:
            self.add_error("window_end", "时间窗的结束时间须晚于开始时间。")
        return data


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(
        label="评分",
        coerce=int,
        choices=[
            (5, "5 分 非常满意"),
            (4, "4 分 满意"),
            (3, "3 分 一般"),
            (2, "2 分 不满意"),
            (1, "1 分 很不满意"),
        ],
        error_messages={"required": "请选择评分（1–5 分）。", "invalid_choice": "评分须为 1–5 分。"},
    )
    channel = forms.ChoiceField(
        label="评价方式", choices=ReviewChannel.choices, error_messages=_required("评价方式", "选择")
    )
    comment = forms.CharField(
        label="评价内容",
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": "评价内容最多 300 字。"},
    )


class AnomalyForm(forms.Form):
    decision = forms.ChoiceField(
        label="处理结果",
        choices=[
            (AnomalyDecision.PAY, AnomalyDecision.PAY.label),
            (AnomalyDecision.NO_PAY, AnomalyDecision.NO_PAY.label),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "请选择“予以结算”或“不予结算”。", "invalid_choice": "处理结果无效。"},
    )
    reason = forms.CharField(
        label="处理理由",
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "如：经电话回访核实，服务已完成"}),
        error_messages={"required": "请填写处理理由。", "max_length": "处理理由最多 200 字。"},
    )


class CheckInForm(forms.Form):
    """Filled by the page's script from ``navigator.geolocation``."""

    lat = forms.DecimalField(
        label="纬度",
        min_value=-90,
        max_value=90,
        max_digits=12,
        decimal_places=9,
        widget=forms.HiddenInput,
        error_messages={
            "required": "没有取得定位，请允许浏览器使用位置信息后重试。",
            "invalid": "纬度应为数字。",
            "min_value": "纬度无效。",
            "max_value": "纬度无效。",
            "max_digits": "纬度无效。",
            "max_decimal_places": "纬度无效。",
        },
    )
    lng = forms.DecimalField(
        label="经度",
        min_value=-180,
        max_value=180,
        max_digits=13,
        decimal_places=9,
        widget=forms.HiddenInput,
        error_messages={
            "required": "没有取得定位，请允许浏览器使用位置信息后重试。",
            "invalid": "经度应为数字。",
            "min_value": "经度无效。",
            "max_value": "经度无效。",
            "max_digits": "经度无效。",
            "max_decimal_places": "经度无效。",
        },
    )
    accuracy = forms.FloatField(
        label="定位精度", required=False, min_value=0, widget=forms.HiddenInput,
        error_messages={"invalid": "定位精度应为数字。", "min_value": "定位精度无效。"},
    )  # fmt: skip

    def clean_lat(self):
        return round(self.cleaned_data["lat"], 6)

    def clean_lng(self):
        return round(self.cleaned_data["lng"], 6)


class CheckOutForm(CheckInForm):
    """Position optional at check-out; a note and photos (the files are read from request.FILES)."""

    note = forms.CharField(
        label="服务记录",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "服务内容、老人状况（选填）"}),
        error_messages={"max_length": "服务记录最多 500 字。"},
    )

    photos = forms.FileField(label="服务照片", required=False)  # the files: request.FILES.getlist("photos")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lat"].required = False
        self.fields["lng"].required = False

    def visit_data(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "photos"}

    def clean_lat(self):
        value = self.cleaned_data.get("lat")
        return round(value, 6) if value is not None else None

    def clean_lng(self):
        value = self.cleaned_data.get("lng")
        return round(value, 6) if value is not None else None


# --- the month's plan ----------------------------------------------------------------------------------


class GenerateForm(forms.Form):
    county = forms.ChoiceField(label="旗县（市、区）", error_messages=_required("旗县", "选择"))
    month = forms.CharField(
        label="月份",
        widget=forms.TextInput(attrs={"type": "month"}),
        error_messages=_required("月份"),
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        scope = actor.scope
        counties = scope.apply(Region.objects.filter(level=Region.Level.COUNTY), "code").order_by("code")
        self.fields["county"].choices = [(r.code[:6], r.name) for r in counties]
        if len(self.fields["county"].choices) == 1:
            self.fields["county"].initial = self.fields["county"].choices[0][0]

    def clean_month(self):
        from yanglao.care.orders import parse_month

        try:
            return parse_month(self.cleaned_data["month"])
        except ValidationError:
            raise ValidationError("月份格式不对，应为 2026-12。", code="month_invalid") from None
