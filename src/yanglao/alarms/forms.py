from django import forms
from django.core.exceptions import ValidationError

from yanglao.alarms.errors import IngestErrorCode
from yanglao.alarms.models import Channel, DeviceKind, DeviceStatus
from yanglao.core.sheets import MAX_UPLOAD_BYTES
from yanglao.regions.widgets import RegionPickerWidget


class DeviceFilterForm(forms.Form):
    q = forms.CharField(
        label="搜索",
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"placeholder": "设备编号或老年人姓名"}),
    )
    kind = forms.ChoiceField(
        label="设备类型", required=False, choices=[("", "全部类型"), *DeviceKind.choices]
    )
    status = forms.ChoiceField(
        label="状态", required=False, choices=[("", "全部状态"), *DeviceStatus.choices]
    )
    region = forms.CharField(label="区划", required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].widget = RegionPickerWidget(scope=actor.scope)


class DeviceForm(forms.Form):
    """The register/edit form: text as typed; ``validation.parse_device`` reads it."""

    # Required-ness is checked by ``parse_device`` (with every other problem at once), not here.
    kind = forms.ChoiceField(
        label="设备类型",
        required=False,
        choices=[("", "请选择"), *DeviceKind.choices],
        error_messages={"invalid_choice": "请选择设备类型。"},
    )
    serial = forms.CharField(
        label="设备编号", required=False, max_length=64, error_messages={"max_length": "设备编号最多 64 位。"}
    )
    model = forms.CharField(
        label="型号", required=False, max_length=64, error_messages={"max_length": "型号最多 64 个字。"}
    )
    elder = forms.CharField(
        label="使用人（档案编号或身份证号）",
        required=False,
        max_length=24,
        help_text="留空表示库存设备，登记到下面的区划。",
        error_messages={"max_length": "请填写档案编号或 18 位身份证号。"},
    )
    region = forms.CharField(label="库存所在区划", required=False)
    installed_on = forms.CharField(
        label="安装日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    heartbeat_interval_s = forms.CharField(
        label="心跳间隔（秒）", initial="300", required=False, max_length=10,
        help_text="留空为 300 秒。超过 2 倍心跳间隔未收到任何消息，生成“设备离线”告警。",
    )  # fmt: skip
    geofence_latitude = forms.CharField(label="电子围栏中心纬度", required=False, max_length=20)
    geofence_longitude = forms.CharField(label="电子围栏中心经度", required=False, max_length=20)
    geofence_radius_m = forms.CharField(
        label="电子围栏半径（米）", required=False, max_length=10,
        help_text="智能手环/手表适用；认知障碍、有走失风险的老人在其档案页开启围栏告警。",
    )  # fmt: skip

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].widget = RegionPickerWidget(scope=actor.scope)
        for name in ("kind", "serial"):
            self.fields[name].show_required = True


class RetireForm(forms.Form):
    reason = forms.CharField(
        label="停用原因",
        max_length=200,
        error_messages={"required": "请填写停用原因。", "max_length": "停用原因最多 200 个字。"},
    )


class ErrorFilterForm(forms.Form):
    code = forms.ChoiceField(
        label="错误代码", required=False, choices=[("", "全部"), *IngestErrorCode.choices]
    )
    channel = forms.ChoiceField(label="通道", required=False, choices=[("", "全部"), *Channel.choices])
    q = forms.CharField(label="设备编号", required=False, max_length=64)
    days = forms.TypedChoiceField(
        label="时间",
        required=False,
        coerce=int,
        empty_value=7,
        choices=[(7, "近 7 天"), (1, "近 1 天"), (30, "近 30 天")],
    )


class OverrideForm(forms.Form):
    """An elder's own alarm settings, on the elder page: the fence and the inactivity hours."""

    geofence = forms.ChoiceField(
        label="电子围栏告警",
        required=False,
        choices=[("", "按默认（关闭）"), ("on", "开启（认知障碍/走失风险）"), ("off", "关闭")],
    )
    inactivity_hours = forms.IntegerField(
        label="无活动告警（白天小时数）",
        required=False,
        min_value=1,
        max_value=72,
        help_text="独居老人门磁、人体感应、床垫传感器在白天连续这么多小时无活动时提醒关怀；留空按默认 12 小时。",
        error_messages={
            "invalid": "请填写 1–72 的整数。",
            "min_value": "请填写 1–72 的整数。",
            "max_value": "请填写 1–72 的整数。",
        },
    )


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
