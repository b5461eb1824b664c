from django import forms
from django.core.exceptions import ValidationError

from yanglao.core.sheets import MAX_UPLOAD_BYTES
from yanglao.facilities import catalogue
from yanglao.facilities.checks import CHECKS
from yanglao.facilities.models import Facility, FacilityStatus, FacilityType, OperatingMode, OperatorKind
from yanglao.facilities.validation import parse_facility
from yanglao.regions.resolver import RegionResolver
from yanglao.regions.widgets import RegionPickerWidget

TEXT_FIELDS = [
    "name", "type", "address", "longitude", "latitude", "floor_area", "beds_total", "beds_nursing", "residents",
    "households_served", "residents_65_served", "meal_capacity", "operating_mode", "contract_start", "contract_end",
    "filing_number", "filing_date", "status", "contact_name", "contact_phone", "opening_hours",
]  # fmt: skip
FLAGS = ["has_medical", "is_destitute_home", "natural_village"]


def facility_raw(facility: Facility) -> dict:
    """The record's current values as text: the base an edit form or an API PATCH overlays."""
    raw = {
        name: "" if getattr(facility, name) is None else str(getattr(facility, name)) for name in TEXT_FIELDS
    }
    raw.update({name: "是" if getattr(facility, name) else "否" for name in FLAGS})
    raw["region"] = facility.region_id
    raw["services"] = list(facility.services)
    if facility.operator_id:
        raw["operator_code"] = facility.operator.credit_code
        raw["operator_name"] = facility.operator.name
    return raw


def _date_input():
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class FacilityForm(forms.Form):
    name = forms.CharField(label="名称", max_length=100, required=False)
    type = forms.ChoiceField(label="类型", choices=[("", "—请选择—"), *FacilityType.choices], required=False)
    region = forms.CharField(label="所在苏木乡镇(街道)或嘎查村(社区)", required=False)
    address = forms.CharField(label="地址", max_length=200, required=False)
    longitude = forms.CharField(label="经度", max_length=20, required=False)
    latitude = forms.CharField(label="纬度", max_length=20, required=False)
    floor_area = forms.CharField(label="建筑面积（m²）", max_length=20, required=False)
    beds_total = forms.CharField(label="床位数", max_length=10, required=False)
    beds_nursing = forms.CharField(label="护理型床位数", max_length=10, required=False)
    residents = forms.CharField(label="在住人数", max_length=10, required=False)
    households_served = forms.CharField(label="服务户数（社区养老服务站）", max_length=10, required=False)
    residents_65_served = forms.CharField(
        label="服务范围内 65 岁以上人数（助餐点）", max_length=10, required=False
    )
    meal_capacity = forms.CharField(label="日供餐能力（份）", max_length=10, required=False)
    has_medical = forms.BooleanField(label="内设医疗机构或护理站", required=False)
    is_destitute_home = forms.BooleanField(label="特困人员供养服务机构", required=False)
    natural_village = forms.BooleanField(label="设在自然村", required=False)
    operating_mode = forms.ChoiceField(
        label="运营方式", choices=OperatingMode.choices, initial=OperatingMode.PUBLIC
    )
    operator_name = forms.CharField(label="运营主体名称", max_length=100, required=False)
    operator_code = forms.CharField(label="运营主体统一社会信用代码", max_length=24, required=False)
    contract_start = forms.CharField(label="合同起始（公建民营）", required=False, widget=_date_input())
    contract_end = forms.CharField(label="合同截止（公建民营）", required=False, widget=_date_input())
    filing_number = forms.CharField(label="备案编号", max_length=50, required=False)
    filing_date = forms.CharField(label="备案日期", required=False, widget=_date_input())
    status = forms.ChoiceField(label="状态", choices=FacilityStatus.choices, initial=FacilityStatus.OPERATING)
    services = forms.MultipleChoiceField(
        label="服务项目（8 类 20 项）",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[(code, catalogue.LABELS[code]) for code, _, _ in catalogue.SERVICE_ITEMS],
    )
    contact_name = forms.CharField(label="联系人", max_length=50, required=False)
    contact_phone = forms.CharField(label="联系电话", max_length=30, required=False)
    opening_hours = forms.CharField(label="开放时间", max_length=100, required=False)

    def __init__(self, *args, actor, facility: Facility | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.facility = facility
        self.fields["region"].widget = RegionPickerWidget(scope=actor.scope)
        self.fields["region"].widget.is_required = True
        for name in ("name", "type", "region"):
            self.fields[name].show_required = True
        if facility is not None:
            self.fields.pop("status")  # changed through its own action, with a reason
            if actor.scope.facility_id:  # an operator keeps its record current, not where or what it is
                for name in (
                    "type",
                    "region",
                    "operating_mode",
                    "operator_name",
                    "operator_code",
                    "contract_start",
                    "contract_end",
                    "filing_number",
                    "filing_date",
                ):
                    self.fields.pop(name)
        self.parsed = None

    def clean(self):
        data = dict(self.cleaned_data)
        raw = facility_raw(self.facility) if self.facility is not None else {}
        for key, value in data.items():
            if key in FLAGS:
                raw[key] = "是" if value else "否"
            elif key == "services":
                raw[key] = list(value or [])
            else:
                raw[key] = "" if value is None else value
        try:
            self.parsed = parse_facility(raw, resolver=RegionResolver(), scope=self.actor.scope)
        except ValidationError as exc:
            for field, problems in exc.error_dict.items():
                self.add_error(field if field in self.fields else None, problems)
        return self.cleaned_data


class FacilityFilterForm(forms.Form):
    q = forms.CharField(
        label="搜索",
        required=False,
        max_length=60,
        widget=forms.TextInput(attrs={"placeholder": "名称、地址或备案编号"}),
    )
    region = forms.CharField(label="区划", required=False)
    type = forms.ChoiceField(label="类型", required=False, choices=[("", "全部类型"), *FacilityType.choices])
    status = forms.ChoiceField(
        label="状态", required=False, choices=[("", "全部状态"), *FacilityStatus.choices]
    )
    operating_mode = forms.ChoiceField(
        label="运营方式", required=False, choices=[("", "全部"), *OperatingMode.choices]
    )
    failing = forms.ChoiceField(
        label="未达标",
        required=False,
        choices=[("", "不限"), ("any", "任一项未达标"), *[(c.code, c.title) for c in CHECKS]],
    )
    sort = forms.ChoiceField(
        label="排序",
        required=False,
        choices=[("region", "区划"), ("name", "名称"), ("-beds", "床位数从多到少"), ("-updated", "最近更新")],
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].widget = RegionPickerWidget(scope=actor.scope)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label="新状态", choices=FacilityStatus.choices)
    reason = forms.CharField(label="原因", max_length=200)
    on = forms.DateField(label="日期", required=False, widget=_date_input())


class PhotoForm(forms.Form):
    image = forms.ImageField(
        label="照片（JPEG/PNG/WebP，≤ 5 MB）",
        error_messages={
            "invalid_image": "文件不是有效的图片（支持 JPEG、PNG、WebP）。",
            "required": "请选择照片。",
        },
    )
    caption = forms.CharField(label="说明", max_length=100, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(
        label="文件（.xlsx 或 .csv）",
        error_messages={"empty": "文件是空的。", "required": "请选择要导入的文件。"},
    )
    mode = forms.ChoiceField(
        label="导入方式",
        initial="all_or_nothing",
        widget=forms.RadioSelect,
        choices=[
            ("all_or_nothing", "全部正确才导入（有任何错误则不导入）"),
            ("valid_only", "只导入正确的行"),
        ],
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(
                f"文件超过 {MAX_UPLOAD_BYTES // 1024 // 1024} MB，请分批导入。", code="file_too_large"
            )
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise ValidationError(
                "请上传 .xlsx 或 .csv 文件（旧版 .xls 请另存为 .xlsx）。", code="not_a_spreadsheet"
            )
        return upload


class OperatorForm(forms.Form):
    name = forms.CharField(label="名称", max_length=100)
    credit_code = forms.CharField(label="统一社会信用代码", max_length=24)
    kind = forms.ChoiceField(label="类型", choices=OperatorKind.choices)
    region = forms.CharField(label="登记地")
    contact_name = forms.CharField(label="联系人", max_length=50, required=False)
    contact_phone = forms.CharField(label="联系电话", max_length=30, required=False)
    address = forms.CharField(label="地址", max_length=200, required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].widget = RegionPickerWidget(scope=actor.scope)
        self.fields["region"].widget.is_required = True


class ConsortiumForm(forms.Form):
    name = forms.CharField(label="名称", max_length=100)
    lead = forms.IntegerField(label="牵头的县级养老服务中心（设施编号）", min_value=1)
    established = forms.DateField(label="成立日期", widget=_date_input())
    note = forms.CharField(label="说明", max_length=200, required=False)


class MemberForm(forms.Form):
    facility = forms.IntegerField(label="设施编号", min_value=1)
    joined = forms.DateField(label="加入日期", widget=_date_input())
