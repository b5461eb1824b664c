"""The desk's forms: the action forms of an alarm, the hotline form, and the list and SLA filters.

Forms parse and check what a person typed, in Chinese per field; the services check the rules.
Each action form has its own ``auto_id`` prefix: the panel shows them all at once.
"""

from django import forms
from django.core.exceptions import ValidationError

from yanglao.alarms.desk import HOTLINE_KINDS, TECHNICAL_KINDS, CallResult, DispatchTarget
from yanglao.alarms.models import Alarm, AlarmCause, AlarmKind, AlarmState, Outcome
from yanglao.core.parsing import parse_date
from yanglao.core.phones import PhoneError, parse_phone
from yanglao.regions.widgets import RegionPickerWidget

NOTE_ERRORS = {"max_length": "不能超过 %(limit_value)d 字。"}


def _date_field(label: str) -> forms.CharField:
    return forms.CharField(
        label=label, required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


def _clean_date(form: forms.Form, name: str):
    text = form.cleaned_data.get(name) or ""
    try:
        return parse_date(text)
    except ValueError:
        raise ValidationError("请填写有效日期，如 2026-03-01。", code="invalid_date") from None


class _PeriodMixin:
    def clean_date_from(self):
        return _clean_date(self, "date_from")

    def clean_date_to(self):
        return _clean_date(self, "date_to")

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", ValidationError("截止日期不能早于起始日期。", code="period_invalid"))
        return data


class CallElderForm(forms.Form):
    line = forms.ChoiceField(
        label="拨打",
        choices=[("phone", "联系电话"), ("phone_alt", "备用电话")],
        initial="phone",
        error_messages={"required": "请选择拨打的电话。", "invalid_choice": "该老年人没有登记这个电话。"},
    )
    result = forms.ChoiceField(
        label="通话结果",
        choices=CallResult.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择通话结果。", "invalid_choice": "请选择通话结果。"},
    )
    note = forms.CharField(label="通话内容", max_length=500, required=False, error_messages=NOTE_ERRORS)

    def __init__(self, *args, alarm: Alarm | None = None, **kwargs):
        kwargs.setdefault("auto_id", "ce_%s")
        super().__init__(*args, **kwargs)
        elder = alarm.elder if alarm is not None else None
        if elder is not None:
            self.fields["line"].choices = [
                (line, f"{label} {getattr(elder, f'{line}_masked')}")
                for line, label in (("phone", "联系电话"), ("phone_alt", "备用电话"))
                if getattr(elder, f"{line}_masked")
            ] or [("phone", "（未登记电话）")]


class CallContactForm(forms.Form):
    contact = forms.TypedChoiceField(
        label="联系人",
        coerce=int,
        error_messages={"required": "请选择联系人。", "invalid_choice": "请选择该老年人的联系人。"},
    )
    result = forms.ChoiceField(
        label="通话结果",
        choices=CallResult.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择通话结果。", "invalid_choice": "请选择通话结果。"},
    )
    note = forms.CharField(label="通话内容", max_length=500, required=False, error_messages=NOTE_ERRORS)

    def __init__(self, *args, contacts=(), **kwargs):
        kwargs.setdefault("auto_id", "cc_%s")
        super().__init__(*args, **kwargs)
        self.fields["contact"].choices = [
            (c.pk, f"{c.name}{f'（{c.relation}）' if c.relation else ''} {c.phone_masked or '无电话'}")
            for c in contacts
        ]


class DispatchForm(forms.Form):
    target = forms.ChoiceField(
        label="派遣对象",
        choices=DispatchTarget.choices,
        error_messages={"required": "请选择派遣对象。", "invalid_choice": "请选择派遣对象。"},
    )
    who = forms.CharField(
        label="派遣了谁",
        max_length=100,
        required=False,
        help_text="姓名或单位；120/119 可不填",
        error_messages=NOTE_ERRORS,
    )
    phone = forms.CharField(label="对方电话", max_length=30, required=False, help_text="只保存脱敏形式")
    note = forms.CharField(label="说明", max_length=500, required=False, error_messages=NOTE_ERRORS)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "dp_%s")
        super().__init__(*args, **kwargs)


class NoteForm(forms.Form):
    note = forms.CharField(
        label="记录",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "请填写记录内容。", **NOTE_ERRORS},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "nt_%s")
        super().__init__(*args, **kwargs)


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(
        label="处置结果",
        choices=Outcome.choices,
        error_messages={"required": "请选择处置结果。", "invalid_choice": "请选择处置结果。"},
    )
    note = forms.CharField(
        label="处置说明",
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="住院、死亡须写明情况",
        error_messages=NOTE_ERRORS,
    )

    def __init__(self, *args, alarm: Alarm | None = None, **kwargs):
        kwargs.setdefault("auto_id", "rs_%s")
        super().__init__(*args, **kwargs)
        choices = [("", "请选择"), *Outcome.choices]
        if alarm is not None and alarm.kind not in TECHNICAL_KINDS:
            choices = [c for c in choices if c[0] != Outcome.TECHNICAL]
        self.fields["outcome"].choices = choices


class HotlineForm(forms.Form):
    caller_phone = forms.CharField(
        label="来电号码",
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel", "autofocus": True}),
        error_messages={"required": "请填写来电号码。"},
    )
    elder = forms.IntegerField(label="来电老人", required=False, widget=forms.HiddenInput)
    kind = forms.ChoiceField(
        label="告警类别",
        choices=[(k.value, k.label) for k in HOTLINE_KINDS],
        initial=AlarmKind.EMERGENCY,
        error_messages={
            "required": "请选择告警类别。",
            "invalid_choice": "请选择告警类别（紧急、加急或关怀探访）。",
        },
    )
    summary = forms.CharField(
        label="来电内容",
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "请简要记录来电内容。", **NOTE_ERRORS},
    )
    region = forms.CharField(
        label="来电所在区划", required=False, help_text="未匹配到老人时选择；默认为本坐席所在区划"
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].widget = RegionPickerWidget(scope=actor.scope)

    def clean_caller_phone(self):
        try:
            return parse_phone(self.cleaned_data["caller_phone"])
        except PhoneError as exc:
            raise ValidationError(exc.message, code="phone_invalid") from None


STATE_CHOICES = [("", "全部状态"), ("unresolved", "未结案"), *AlarmState.choices]


class AlarmFilterForm(_PeriodMixin, forms.Form):
    q = forms.CharField(
        label="搜索",
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": "老人姓名、拼音首字母或电话"}),
    )
    region = forms.CharField(label="区划", required=False)
    kind = forms.ChoiceField(label="类别", required=False, choices=[("", "全部类别"), *AlarmKind.choices])
    cause = forms.ChoiceField(label="原因", required=False, choices=[("", "全部原因"), *AlarmCause.choices])
    state = forms.ChoiceField(label="状态", required=False, choices=STATE_CHOICES)
    date_from = _date_field("起始日期")
    date_to = _date_field("截止日期")

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].widget = RegionPickerWidget(scope=actor.scope)


class SlaFilterForm(_PeriodMixin, forms.Form):
    date_from = _date_field("起始日期")
    date_to = _date_field("截止日期")
    region = forms.CharField(label="区划", required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].widget = RegionPickerWidget(scope=actor.scope)
