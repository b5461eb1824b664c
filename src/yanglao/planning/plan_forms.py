"""Forms of the construction-plan pages: filters, import, item edit, monthly progress, facility link."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError

from yanglao.planning import normalize, plans
from yanglao.planning.models import PlanItem, PlanKind, ProgressStatus
from yanglao.regions.codes import RegionCodeError, canonical
from yanglao.regions.models import Region
from yanglao.regions.widgets import RegionPickerWidget


class PlanFilterForm(forms.Form):
    q = forms.CharField(
        label="搜索",
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": "名称、所在地、责任人"}),
    )
    region = forms.CharField(label="区划", required=False)
    year = forms.IntegerField(
        label="计划年度",
        required=False,
        min_value=2000,
        max_value=2100,
        widget=forms.NumberInput(attrs={"placeholder": "全部年度", "style": "width: 7em"}),
        error_messages={"min_value": "计划年度应在 2000–2100 之间。", "max_value": "计划年度应在 2000–2100 之间。",
                        "invalid": "计划年度应为四位数字年份。"},
    )  # fmt: skip
    kind = forms.ChoiceField(label="类型", required=False, choices=[("", "全部类型"), *PlanKind.choices])
    status = forms.ChoiceField(
        label="进展",
        required=False,
        choices=[
            ("", "全部进展"),
            ("unreported", "上月未报送"),
            ("none", "从未报送"),
            *ProgressStatus.choices,
        ],
    )
    overdue = forms.BooleanField(label="只看逾期", required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].widget = RegionPickerWidget(scope=actor.scope)


class RegionFilterForm(forms.Form):
    region = forms.CharField(label="区划", required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].widget = RegionPickerWidget(scope=actor.scope)


class PlanImportForm(forms.Form):
    kind = forms.ChoiceField(
        label="附件类型",
        choices=[
            (PlanKind.STREET_CENTRE, "附件1：街道层面综合养老服务中心"),
            (PlanKind.COMMUNITY_STATION, "附件2：社区层面居家社区养老服务站"),
        ],
        error_messages={"required": "请选择附件类型。", "invalid_choice": "请选择附件类型。"},
    )
    file = forms.FileField(
        label="计划表（.xlsx）",
        error_messages={"required": "请选择要导入的 .xlsx 文件。", "empty": "文件是空的。"},
        help_text="按附件1/附件2的格式：合并的旗县单元格、“2021年底”“年底前”等写法、备注中的面积都会识别。",
    )
    plan_year = forms.IntegerField(
        label="计划年度",
        required=False,
        min_value=2000,
        max_value=2100,
        help_text="项目归入此年度的建设计划，“年底前”“6月底”等未写年份的时限也按此年度；"
        "不填则取表格标题中的年份（如“2021年通辽市拟新建……”），标题中没有年份时取各行完成时限的年份。",
        error_messages={
            "min_value": "计划年度应在 2000–2100 之间。",
            "max_value": "计划年度应在 2000–2100 之间。",
            "invalid": "计划年度应为四位数字年份。",
        },
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(".xlsx"):
            raise ValidationError(
                "请上传 .xlsx 文件（旧版 .xls 请先在 Excel 中另存为 .xlsx）。", code=plans.PlanError.BAD_FILE
            )
        if upload.size > plans.MAX_SHEET_BYTES:
            raise ValidationError("文件超过 5 MB。", code=plans.PlanError.BAD_FILE)
        return upload


class PlanItemForm(forms.ModelForm):
    region = forms.ModelChoiceField(
        label="旗县（市、区）",
        queryset=Region.objects.none(),
        error_messages={"required": "请选择旗县（市、区）。", "invalid_choice": "请选择您管辖范围内的旗县。"},
    )
    site_region_code = forms.CharField(
        label="所在街道/社区（区划）", required=False, help_text="可不选；选择后用于覆盖统计和政策目标"
    )
    deadline_text = forms.CharField(
        label="建设完成时限",
        max_length=100,
        help_text="如 2021-12-31、2021年底、2021年6月",
        error_messages={"required": "请填写建设完成时限。"},
    )
    budget_yuan = forms.DecimalField(
        label="预算（元）", required=False, min_value=0, max_digits=14, decimal_places=2,
        error_messages={"min_value": "预算不能为负数。", "invalid": "预算应为数字（元）。",
                        "max_decimal_places": "预算最多到分（两位小数）。"},
    )  # fmt: skip

    class Meta:
        model = PlanItem
        fields = ["kind", "plan_year", "name", "communities_covered", "beds", "main_services", "responsible_person", "phone",
                  "remarks", "area_m2", "longitude", "latitude"]  # fmt: skip
        error_messages = {
            "name": {"required": "请填写名称。"},
            "kind": {
                "required": "请选择类型。",
                "invalid_choice": "请选择类型：街道综合养老服务中心或社区养老服务站。",
            },
            "beds": {"invalid": "床位数应为整数。", "min_value": "床位数不能为负数。"},
            "plan_year": {
                "invalid": "计划年度应为四位数字年份。",
                "min_value": "计划年度应在 2000–2100 之间。",
                "max_value": "计划年度应在 2000–2100 之间。",
            },
            "area_m2": {"invalid": "面积应为数字（平方米）。"},
            "longitude": {"invalid": "经度应为数字。"},
            "latitude": {"invalid": "纬度应为数字。"},
        }

    def __init__(self, *args, actor, plan_year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor, self.plan_year = actor, plan_year
        self.fields["region"].queryset = Region.objects.filter(
            code__in=[c.code for c in plans.counties_in_scope(actor)]
        )
        self.fields["site_region_code"].widget = RegionPickerWidget(scope=actor.scope)
        # Not required: an item without one joins its deadline's year's plan (``clean``).
        self.fields["plan_year"].required = False
        self.fields["plan_year"].help_text = "不填则取完成时限的年份"
        self.order_fields(["region", "kind", "plan_year", "name", "site_region_code", "deadline_text"])
        if self.instance.pk:
            self.initial.setdefault("region", self.instance.region_id)
            self.initial.setdefault("site_region_code", self.instance.site_region_id or "")
            self.initial.setdefault(
                "deadline_text", self.instance.deadline_text or self.instance.deadline or ""
            )
            if self.instance.budget_fen is not None:
                self.initial.setdefault("budget_yuan", Decimal(self.instance.budget_fen) / 100)

    def clean_deadline_text(self):
        text = self.cleaned_data["deadline_text"]
        # A deadline without a year (年底前) is read in the item's plan year when one is given.
        year = self.cleaned_data.get("plan_year") or self.plan_year
        value, note = normalize.parse_deadline(text, plan_year=year)
        if value is None:
            raise ValidationError(
                f"{note}。请写成 2021-12-31、2021年底 或 2021年6月。", code=plans.PlanError.DEADLINE
            )
        self.cleaned_data["deadline"] = value
        return text

    def clean_phone(self):
        text = self.cleaned_data.get("phone") or ""
        if not text.strip():
            return ""
        phone = normalize.parse_plan_phone(text)
        if not phone.ok:
            raise ValidationError(phone.note, code=plans.PlanError.PHONE)
        return phone.value

    def clean_longitude(self):
        value = self.cleaned_data.get("longitude")
        if value is not None and not -180 <= value <= 180:
            raise ValidationError("经度应在 -180 到 180 之间。", code="out_of_range")
        return value

    def clean_latitude(self):
        value = self.cleaned_data.get("latitude")
        if value is not None and not -90 <= value <= 90:
            raise ValidationError("纬度应在 -90 到 90 之间。", code="out_of_range")
        return value

    def clean_site_region_code(self):
        code = (self.cleaned_data.get("site_region_code") or "").strip()
        if not code:
            return None
        try:
            region = Region.objects.filter(code=canonical(code)).first()
        except RegionCodeError:
            region = None
        if region is None or region.level not in (Region.Level.TOWNSHIP, Region.Level.VILLAGE):
            raise ValidationError("请选择街道（乡镇）或社区（村）。", code="invalid_region")
        return region

    def clean(self):
        data = super().clean()
        if not data.get("plan_year") and data.get("deadline"):
            data["plan_year"] = data["deadline"].year
        if data.get("longitude") is None and data.get("latitude") is not None:
            self.add_error("longitude", ValidationError("经度和纬度须同时填写。", code="coordinates_pair"))
        if data.get("latitude") is None and data.get("longitude") is not None:
            self.add_error("latitude", ValidationError("经度和纬度须同时填写。", code="coordinates_pair"))
        return data

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        budget = data.pop("budget_yuan", None)
        site = data.pop("site_region_code", None)
        out = {k: data[k] for k in self.Meta.fields if k in data}
        out.update(
            region=data["region"],
            site_region=site,
            deadline=data.get("deadline"),
            deadline_text=data["deadline_text"],
            budget_fen=int(budget * 100) if budget is not None else None,
            phone_text=data.get("phone") or "",
        )
        if site is not None:
            out["site_region_text"] = site.name
        return out


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.ImageField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "image/*"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleImageField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


class ProgressForm(forms.Form):
    month = forms.TypedChoiceField(label="填报月份", coerce=str, error_messages={
        "required": "请选择填报月份。", "invalid_choice": "只能填报已结束的月份（最近 12 个月）。"})  # fmt: skip
    status = forms.ChoiceField(
        label="进展状态",
        choices=ProgressStatus.choices,
        error_messages={"required": "请选择进展状态。", "invalid_choice": "请选择进展状态。"},
    )
    percent = forms.IntegerField(
        label="完成比例（%）",
        min_value=0,
        max_value=100,
        error_messages={"required": "请填写完成比例。", "invalid": "完成比例应为 0–100 的整数。",
                        "min_value": "完成比例应为 0–100 的整数。", "max_value": "完成比例应为 0–100 的整数。"},
    )  # fmt: skip
    problems = forms.CharField(
        label="存在问题", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    facility = forms.ModelChoiceField(
        label="对应设施（已运营时必选）",
        required=False,
        queryset=None,
        error_messages={"invalid_choice": "请从本旗县的养老服务设施中选择。"},
    )
    photos = MultipleImageField(
        label="现场照片",
        required=False,
        error_messages={"invalid_image": "请上传图片文件（JPG/PNG）。"},
        help_text=f"最多 {plans.MAX_PHOTOS} 张，每张不超过 8 MB",
    )

    def __init__(self, *args, actor, item: PlanItem, now, **kwargs):
        super().__init__(*args, **kwargs)
        months = plans.month_choices(now)
        self.fields["month"].choices = [(m.isoformat(), f"{m.year}年{m.month}月") for m in months]
        self.fields["month"].initial = months[0].isoformat()
        ids = [f.pk for f in plans.facilities_to_link(actor=actor, item=item)]
        from yanglao.facilities.models import Facility

        self.fields["facility"].queryset = Facility.objects.filter(pk__in=ids).order_by("name")
        self.fields["facility"].initial = item.facility_id

    def clean_month(self):
        from datetime import date

        return date.fromisoformat(self.cleaned_data["month"])


class LinkFacilityForm(forms.Form):
    facility = forms.ModelChoiceField(
        label="对应设施",
        required=False,
        queryset=None,
        empty_label="（取消关联）",
        error_messages={"invalid_choice": "请从本旗县的养老服务设施中选择。"},
    )

    def __init__(self, *args, actor, item: PlanItem, **kwargs):
        super().__init__(*args, **kwargs)
        from yanglao.facilities.models import Facility

        ids = [f.pk for f in plans.facilities_to_link(actor=actor, item=item)]
        self.fields["facility"].queryset = Facility.objects.filter(pk__in=ids).order_by("name")
        self.fields["facility"].initial = item.facility_id


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """A service's ValidationError onto the form: per field where the form has it, else the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)
