from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

from yanglao.accounts.roles import Role, assignable_roles
from yanglao.accounts.services import USERNAME_RE
from yanglao.core.models import AuditEntry
from yanglao.regions.widgets import RegionPickerWidget


def apply_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError beside the fields it names (or at the top of the form)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


class LoginForm(forms.Form):
    username = forms.CharField(
        label="用户名",
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label="密码",
        max_length=256,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label="原密码", strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    new_password = forms.CharField(
        label="新密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="至少 10 个字符，包含大写字母、小写字母、数字、符号中的至少 3 类。",
    )
    new_password2 = forms.CharField(
        label="再次输入新密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if (
            data.get("new_password")
            and data.get("new_password2")
            and data["new_password"] != data["new_password2"]
        ):
            self.add_error("new_password2", "两次输入的新密码不一致。")
        return data


class UserCreateForm(forms.Form):
    username = forms.CharField(
        label="用户名",
        max_length=64,
        help_text="3–64 位字母、数字、点、下划线或连字符",
        validators=[RegexValidator(USERNAME_RE, "用户名为 3–64 位字母、数字、点、下划线或连字符。")],
    )
    display_name = forms.CharField(label="姓名", max_length=64)
    role = forms.ChoiceField(label="角色")
    region = forms.CharField(label="所属区划")
    facility = forms.IntegerField(
        label="所属机构（设施编号）", required=False, min_value=1, help_text="角色为机构运营人员时必填"
    )
    operator = forms.TypedChoiceField(
        label="所属服务商", required=False, coerce=int, empty_value=None, help_text="角色为服务商人员时必填"
    )

    def __init__(self, *args, actor, **kwargs):
        from yanglao.facilities.selectors import operator_list

        super().__init__(*args, **kwargs)
        self.fields["operator"].choices = [("", "—不适用—")] + [
            (o.pk, o.name) for o in operator_list(actor=actor).only("pk", "name")[:500]
        ]
        allowed = assignable_roles(actor.role)
        self.fields["role"].choices = [("", "—请选择—")] + [
            (v, label) for v, label in Role.choices if v in allowed
        ]
        self.fields["region"].widget = RegionPickerWidget(scope=actor.scope)
        self.fields["region"].widget.is_required = True


class DisableForm(forms.Form):
    reason = forms.CharField(label="停用原因", max_length=200)


class UserFilterForm(forms.Form):
    q = forms.CharField(
        label="搜索",
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"placeholder": "用户名或姓名"}),
    )
    role = forms.ChoiceField(label="角色", required=False, choices=[("", "全部角色"), *Role.choices])
    active = forms.ChoiceField(
        label="状态", required=False, choices=[("", "全部状态"), ("1", "启用"), ("0", "停用")]
    )
    region = forms.CharField(label="区划", required=False)

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].widget = RegionPickerWidget(scope=actor.scope)


class AuditFilterForm(forms.Form):
    person = forms.CharField(label="操作人", required=False, max_length=150)
    action = forms.ChoiceField(
        label="操作", required=False, choices=[("", "全部操作"), *AuditEntry.Action.choices]
    )
    object_type = forms.CharField(
        label="对象类型",
        required=False,
        max_length=64,
        widget=forms.TextInput(attrs={"placeholder": "如 accounts.user"}),
    )
    object_id = forms.CharField(label="对象编号", required=False, max_length=64)
    date_from = forms.DateField(
        label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "截止日期不能早于起始日期。")
        return data


class TokenCreateForm(forms.Form):
    name = forms.CharField(label="用途", max_length=64, required=False, help_text="例如：数据对接、移动端")
