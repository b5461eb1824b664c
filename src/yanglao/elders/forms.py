from django import forms
from django.core.exceptions import ValidationError

from yanglao.core.ethnicity import NATIONALITIES
from yanglao.core.sheets import MAX_UPLOAD_BYTES
from yanglao.elders import privacy
from yanglao.elders.models import (
    DERIVED_CATEGORIES,
    DISABILITY_GRADES,
    Category,
    ContactKind,
    Elder,
    Gender,
    LivingSituation,
    MaritalStatus,
    Status,
)
from yanglao.elders.selectors import AGE_BANDS
from yanglao.elders.validation import parse_elder
from yanglao.regions.resolver import RegionResolver
from yanglao.regions.widgets import RegionPickerWidget

MANUAL_CATEGORIES = [c for c in Category if c not in DERIVED_CATEGORIES]


def elder_raw(elder: Elder) -> dict[str, str]:
    """The record's current values as text, personal ones decrypted server-side: the base that an
    edit form or an API PATCH overlays, so a field left out keeps its value."""
    raw = {
        "name": elder.name,
        "id_number": privacy.open_id_number(elder.id_number_enc),
        "gender": elder.gender,
        "birth_date": elder.birth_date.isoformat(),
        "ethnicity": elder.ethnicity,
        "phone": privacy.open_phone(elder.phone_enc),
        "phone_alt": privacy.open_phone(elder.phone_alt_enc),
        "address": elder.address,
        "region": elder.region_id,
        "hukou_region": elder.hukou_region_id or "",
        "longitude": "" if elder.longitude is None else str(elder.longitude),
        "latitude": "" if elder.latitude is None else str(elder.latitude),
        "living_situation": elder.living_situation,
        "marital_status": elder.marital_status,
    }
    for contact, prefix in _contact_slots(elder):
        raw[f"{prefix}_name"] = contact.name
        raw[f"{prefix}_relation"] = contact.relation
        raw[f"{prefix}_phone"] = privacy.open_phone(contact.phone_enc)
    return raw


def _contact_slots(elder: Elder):
    guardian = next((c for c in elder.contacts.all() if c.kind == ContactKind.GUARDIAN), None)
    emergency = next((c for c in elder.contacts.all() if c.kind == ContactKind.EMERGENCY), None)
    return [(c, p) for c, p in ((guardian, "guardian"), (emergency, "contact")) if c is not None]


PERSONAL_FIELDS = ("id_number", "phone", "phone_alt", "guardian_phone", "contact_phone")


class ElderForm(forms.Form):
    """Create or edit. On edit the personal fields start empty (their masked value is the hint):
    left empty they keep their value, so the page never carries a clear ID or phone number."""

    name = forms.CharField(label="姓名", max_length=50, required=False)
    id_number = forms.CharField(label="身份证号", max_length=24, required=False)
    gender = forms.ChoiceField(
        label="性别", choices=[("", "按身份证号"), *list(Gender.choices)], required=False
    )
    birth_date = forms.CharField(
        label="出生日期",
        required=False,
        help_text="可不填，以身份证号为准",
        widget=forms.TextInput(attrs={"placeholder": "1950-01-31"}),
    )
    ethnicity = forms.ChoiceField(label="民族", choices=NATIONALITIES, initial="01", required=False)
    phone = forms.CharField(label="联系电话", max_length=30, required=False)
    phone_alt = forms.CharField(label="备用电话", max_length=30, required=False)
    address = forms.CharField(label="现住址", max_length=200, required=False)
    region = forms.CharField(label="居住地（嘎查村/社区）", required=False)
    living_situation = forms.ChoiceField(
        label="居住情况", choices=LivingSituation.choices, initial=LivingSituation.OTHER
    )
    marital_status = forms.ChoiceField(
        label="婚姻状况", choices=MaritalStatus.choices, initial=MaritalStatus.UNKNOWN
    )
    longitude = forms.CharField(label="经度", required=False, max_length=20)
    latitude = forms.CharField(label="纬度", required=False, max_length=20)
    guardian_name = forms.CharField(label="监护人姓名", max_length=50, required=False)
    guardian_relation = forms.CharField(label="监护人关系", max_length=20, required=False)
    guardian_phone = forms.CharField(label="监护人电话", max_length=30, required=False)
    contact_name = forms.CharField(label="紧急联系人", max_length=50, required=False)
    contact_relation = forms.CharField(label="紧急联系人关系", max_length=20, required=False)
    contact_phone = forms.CharField(label="紧急联系人电话", max_length=30, required=False)

    def __init__(self, *args, actor, elder: Elder | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.elder = elder
        self.fields["region"].widget = RegionPickerWidget(scope=actor.scope)
        self.fields["region"].widget.is_required = True
        if elder is None:
            for category in MANUAL_CATEGORIES:
                if category == Category.DISABILITY:
                    self.fields["disability_grade"] = forms.ChoiceField(
                        label="残疾等级", choices=[("", "非残疾人员"), *DISABILITY_GRADES], required=False
                    )
                else:
                    self.fields[f"cat_{category.value}"] = forms.BooleanField(
                        label=category.label, required=False
                    )
        else:
            self.fields.pop("region")  # a new village is a move, with its own page
            masked = {
                "id_number": elder.id_number_masked,
                "phone": elder.phone_masked,
                "phone_alt": elder.phone_alt_masked,
            }
            for contact, prefix in _contact_slots(elder):
                masked[f"{prefix}_phone"] = contact.phone_masked
            for name in PERSONAL_FIELDS:
                if masked.get(name):
                    self.fields[name].widget.attrs["placeholder"] = masked[name]
                    self.fields[name].help_text = "留空则保持原值"
        for name in ("name", "id_number", "region"):
            if name in self.fields:
                self.fields[name].show_required = True
        self.parsed = None

    def category_fields(self):
        return [self[name] for name in self.fields if name.startswith("cat_") or name == "disability_grade"]

    def clean(self):
        data = dict(self.cleaned_data)
        raw = {k: ("" if v is None else v) for k, v in data.items()}
        for name, value in list(raw.items()):
            if name.startswith("cat_"):
                raw[name] = "是" if value else "否"
        if self.elder is not None:
            current = elder_raw(self.elder)
            for name in PERSONAL_FIELDS:
                owner = {"guardian_phone": "guardian_name", "contact_phone": "contact_name"}.get(name)
                if not raw.get(name) and (owner is None or raw.get(owner)):
                    raw[name] = current.get(name, "")
            raw["region"] = self.elder.region_id
        try:
            self.parsed = parse_elder(raw, resolver=RegionResolver(), scope=self.actor.scope)
        except ValidationError as exc:
            for field, errors in exc.error_dict.items():
                self.add_error(field if field in self.fields else None, errors)
        return self.cleaned_data


class ElderFilterForm(forms.Form):
    q = forms.CharField(
        label="搜索",
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": "姓名、拼音首字母、身份证号或电话"}),
    )
    region = forms.CharField(label="区划", required=False)
    age_band = forms.ChoiceField(
        label="年龄段",
        required=False,
        choices=[("", "全部年龄")]
        + [
            (k, {"under60": "60 岁以下", "100+": "100 岁及以上"}.get(k, f"{k.replace('-', '–')} 岁"))
            for k in AGE_BANDS
        ],
    )
    gender = forms.ChoiceField(label="性别", required=False, choices=[("", "全部"), *list(Gender.choices)])
    category = forms.ChoiceField(
        label="人员类别", required=False, choices=[("", "全部类别"), *list(Category.choices)]
    )
    living_situation = forms.ChoiceField(
        label="居住情况", required=False, choices=[("", "全部"), *list(LivingSituation.choices)]
    )
    status = forms.ChoiceField(
        label="状态",
        required=False,
        initial=Status.ACTIVE,
        choices=[
            (Status.ACTIVE, "在册"),
            (Status.MOVED_OUT, "迁出"),
            (Status.DECEASED, "死亡"),
            ("all", "全部"),
        ],
    )
    sort = forms.ChoiceField(
        label="排序",
        required=False,
        choices=[
            ("region", "居住地、姓名"),
            ("name", "姓名"),
            ("age", "年龄从小到大"),
            ("-age", "年龄从大到小"),
            ("-created", "最近建档"),
        ],
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].widget = RegionPickerWidget(scope=actor.scope)


class MoveForm(forms.Form):
    region = forms.CharField(label="迁入地（嘎查村/社区）", required=False)
    region_text = forms.CharField(
        label="或填写迁入地代码/完整名称",
        required=False,
        max_length=120,
        help_text="迁往本辖区以外时填写，如 150502001001 或 通辽市/科尔沁区/科尔沁街道/…",
    )
    address = forms.CharField(label="新住址", max_length=200, required=False)
    reason = forms.CharField(label="迁移原因", max_length=200, required=False)

    def __init__(self, *args, region_scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].widget = RegionPickerWidget(scope=region_scope)


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label="新状态",
        choices=[
            (Status.MOVED_OUT, "迁出（离开本地）"),
            (Status.DECEASED, "死亡"),
            (Status.ACTIVE, "恢复在册"),
        ],
    )
    status_date = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label="说明", max_length=200, required=False)


class CategoryForm(forms.Form):
    category = forms.ChoiceField(label="类别", choices=[(c.value, c.label) for c in MANUAL_CATEGORIES])
    valid_from = forms.DateField(label="起始日期", widget=forms.DateInput(attrs={"type": "date"}))
    valid_to = forms.DateField(
        label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    grade = forms.ChoiceField(label="残疾等级", required=False, choices=[("", "—"), *DISABILITY_GRADES])
    source_document = forms.CharField(label="依据（文件、批次）", max_length=200, required=False)


class CategoryEndForm(forms.Form):
    valid_to = forms.DateField(label="截止日期", widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label="原因", max_length=200, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(
        label="文件（.xlsx 或 .csv）",
        error_messages={"empty": "文件是空的。", "required": "请选择要导入的文件。"},
    )
    mode = forms.ChoiceField(
        label="导入方式",
        choices=[
            ("all_or_nothing", "全部正确才导入（有任何错误则不导入）"),
            ("valid_only", "只导入正确的行"),
        ],
        initial="all_or_nothing",
        widget=forms.RadioSelect,
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size == 0:
            raise ValidationError("文件是空的。", code="empty_file")
        if upload.size > MAX_UPLOAD_BYTES:
            raise ValidationError(
                f"文件超过 {MAX_UPLOAD_BYTES // 1024 // 1024} MB，请分批导入。", code="file_too_large"
            )
        name = upload.name.lower()
        if not name.endswith((".xlsx", ".csv")):
            raise ValidationError(
                "请上传 .xlsx 或 .csv 文件（旧版 .xls 请另存为 .xlsx）。", code="not_a_spreadsheet"
            )
        return upload


class DismissForm(forms.Form):
    reason = forms.CharField(label="核实说明", max_length=200)
