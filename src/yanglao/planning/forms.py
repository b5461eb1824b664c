"""Forms of the coverage and siting pages (the construction plans' forms are in plan_forms.py)."""

from decimal import Decimal, InvalidOperation

from django import forms

from yanglao.core.sheets import MAX_UPLOAD_BYTES
from yanglao.planning.models import PlanKind, RunStatus, SitingQuestion, TravelMode
from yanglao.planning.selectors import SERVICE_CHOICES
from yanglao.regions.codes import RegionCodeError, canonical
from yanglao.regions.models import Region
from yanglao.regions.widgets import RegionPickerWidget


def _region(actor, code: str, *, required: bool) -> Region | None:
    """The region of a picker value, inside the actor's scope; a specific message otherwise."""
    if not code:
        if required:
            raise forms.ValidationError("请选择区划。", code="region_required")
        return None
    try:
        full = canonical(code)
    except RegionCodeError:
        raise forms.ValidationError("区划代码无效。", code="region_invalid") from None
    region = Region.objects.filter(code=full).first()
    if region is None:
        raise forms.ValidationError("区划不存在。", code="region_invalid")
    if not actor.scope.contains(region.code):
        raise forms.ValidationError("所选区划超出您的管辖范围。", code="region_out_of_scope")
    return region


class CoverageFilterForm(forms.Form):
    region = forms.CharField(label="区划", required=False)
    service = forms.ChoiceField(label="服务项目", required=False, choices=SERVICE_CHOICES)
    include_planned = forms.BooleanField(label="含规划、在建设施和建设计划", required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["region"].widget = RegionPickerWidget(scope=actor.scope)

    def clean_region(self):
        code = self.cleaned_data.get("region", "")
        region = _region(self.actor, code, required=False)
        return region.code if region else ""


class CandidateForm(forms.Form):
    name = forms.CharField(label="名称", max_length=100)
    region = forms.CharField(label="所在区划", error_messages={"required": "请选择区划。"})
    address = forms.CharField(label="地址", max_length=200, required=False)
    longitude = forms.DecimalField(
        label="经度", max_digits=9, decimal_places=6, min_value=-180, max_value=180
    )
    latitude = forms.DecimalField(label="纬度", max_digits=9, decimal_places=6, min_value=-90, max_value=90)
    cost_yuan = forms.DecimalField(
        label="建设成本（元）", required=False, min_value=0, max_digits=14, decimal_places=2
    )
    area_m2 = forms.DecimalField(
        label="面积（m²）", required=False, min_value=0, max_digits=9, decimal_places=1
    )
    note = forms.CharField(label="备注", max_length=200, required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["region"].widget = RegionPickerWidget(scope=actor.scope)

    def clean_region(self):
        return _region(self.actor, self.cleaned_data.get("region", ""), required=True)

    @property
    def cost_fen(self) -> int | None:
        value = self.cleaned_data.get("cost_yuan")
        return None if value is None else int((value * 100).to_integral_value())


class CandidateImportForm(forms.Form):
    file = forms.FileField(label="候选点表（.xlsx）")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError("请上传 .xlsx 或 .csv 文件。", code="file_type")
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError("文件超过 30 MB。", code="file_too_large")
        return upload


class SitingForm(forms.Form):
    region = forms.CharField(label="区划", error_messages={"required": "请选择区划。"})
    question = forms.ChoiceField(
        label="选址问题", choices=SitingQuestion.choices, initial=SitingQuestion.MAX_COVER
    )
    p = forms.IntegerField(label="新建站点数 p", required=False, min_value=1, max_value=500, initial=5)
    share = forms.DecimalField(
        label="目标覆盖率（%）", required=False, min_value=Decimal("0.1"), max_value=100, decimal_places=1
    )
    budget_yuan = forms.DecimalField(
        label="预算（元）", required=False, min_value=Decimal("0.01"), decimal_places=2
    )
    service = forms.ChoiceField(label="服务项目", required=False, choices=SERVICE_CHOICES)
    include_planned = forms.BooleanField(label="把规划、在建设施算作已覆盖", required=False)
    time_limit = forms.IntegerField(
        label="计算时限（秒）", required=False, min_value=1, max_value=60, initial=10
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["region"].widget = RegionPickerWidget(scope=actor.scope)

    def clean_region(self):
        return _region(self.actor, self.cleaned_data.get("region", ""), required=True)

    def clean(self):
        data = super().clean()
        question = data.get("question")
        if question == SitingQuestion.MAX_COVER and data.get("p") is None and "p" not in self.errors:
            self.add_error("p", forms.ValidationError("最大覆盖问题须填写新建站点数。", code="p_required"))
        if question == SitingQuestion.SET_COVER and data.get("share") is None and "share" not in self.errors:
            self.add_error(
                "share", forms.ValidationError("集合覆盖问题须填写目标覆盖率。", code="share_required")
            )
        if (
            question == SitingQuestion.BUDGET
            and data.get("budget_yuan") is None
            and "budget_yuan" not in self.errors
        ):
            self.add_error(
                "budget_yuan", forms.ValidationError("预算问题须填写预算。", code="budget_required")
            )
        return data

    @property
    def budget_fen(self) -> int | None:
        value = self.cleaned_data.get("budget_yuan")
        return None if value is None else int((value * 100).to_integral_value())


class RunFilterForm(forms.Form):
    region = forms.CharField(label="区划", required=False)
    question = forms.ChoiceField(
        label="问题", required=False, choices=[("", "全部问题"), *SitingQuestion.choices]
    )
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部状态"), *RunStatus.choices])

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].widget = RegionPickerWidget(scope=actor.scope)

    def clean_region(self) -> str:
        code = self.cleaned_data["region"].strip()
        if code:
            try:
                canonical(code)
            except RegionCodeError:
                raise forms.ValidationError("区划代码无效。") from None
        return code


class ToPlanForm(forms.Form):
    kind = forms.ChoiceField(label="项目类型", choices=PlanKind.choices, initial=PlanKind.COMMUNITY_STATION)
    ranks = forms.TypedMultipleChoiceField(label="站点", coerce=int, choices=())

    def __init__(self, *args, run, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ranks"].choices = [(s["rank"], s["name"]) for s in run.result.get("sites", [])]
        self.fields["ranks"].error_messages["required"] = "请至少选择一个站点。"


class SettingForm(forms.Form):
    region = forms.CharField(label="区划", error_messages={"required": "请选择区划。"})
    minutes = forms.IntegerField(label="服务圈时间（分钟）", min_value=1, max_value=120, initial=15)
    mode = forms.ChoiceField(label="出行方式", choices=TravelMode.choices)
    speed_kmh = forms.DecimalField(label="速度（km/h）", min_value=1, max_value=120, decimal_places=1)
    detour = forms.DecimalField(
        label="绕行系数", min_value=1, max_value=3, decimal_places=2, initial=Decimal("1.3")
    )
    note = forms.CharField(label="说明", max_length=200, required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.fields["region"].widget = RegionPickerWidget(scope=actor.scope)

    def clean_region(self):
        return _region(self.actor, self.cleaned_data.get("region", ""), required=True)


def parse_decimal(text: str) -> Decimal | None:
    text = (text or "").strip().replace(",", "")
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None
