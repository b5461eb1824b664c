"""Reading the assessment form: 26 items as radio groups, and the Appendix A parts."""

from datetime import date

from django import forms
from django.core.exceptions import ValidationError

from yanglao.accounts.models import User
from yanglao.assessments.models import LEVEL_CHOICES, Reason, Status, TriggerKind
from yanglao.assessments.standard import DISEASE_DIAGNOSES, HEALTH_PROBLEMS, ITEMS, RISK_EVENTS
from yanglao.core.parsing import parse_date
from yanglao.regions.widgets import RegionPickerWidget

BASIC_FIELDS = [
    ("education", "文化程度", ["文盲", "小学", "初中", "高中/技校/中专", "大学专科及以上", "不详"]),
    ("religion", "宗教信仰", ["无", "有"]),
    ("payment", "医疗费用支付方式", ["城镇职工基本医疗保险", "城乡居民基本医疗保险", "自费", "公务员补助", "企业补充保险",
                                     "公费医疗及医疗照顾对象", "医疗救助", "长期护理保险", "商业医疗保险", "全公费", "其他"]),
    ("income", "经济来源", ["退休金/养老金", "子女补贴", "亲友资助", "国家普惠型补贴", "个人储蓄", "其他补贴", "其他"]),
]  # fmt: skip


def parse_form(post, *, actor) -> tuple[dict, dict, dict[str, str]]:
    """From the POSTed form: (answers, parts for assessment_save, field errors in Chinese)."""
    errors: dict[str, str] = {}
    answers = {code: post.get(f"item_{code}", "") for code in ITEMS}
    parts: dict = {
        "informant_name": post.get("informant_name", "").strip()[:50],
        "informant_relation": post.get("informant_relation", "").strip()[:20],
        "diagnoses": [d.name for d in DISEASE_DIAGNOSES if d.name in post.getlist("diagnoses")],
        "other_diagnosis": post.get("other_diagnosis", "").strip()[:200],
        "mental_disorder_by_specialist": post.get("mental_disorder_by_specialist") == "1",
        "risk_events": {kind: post.get(f"risk_{i}", "0") or "0" for i, kind in enumerate(RISK_EVENTS)},
        "coma": {"yes": True, "no": False}.get(post.get("coma", "")),
        "basic_info": {key: post.get(f"basic_{key}", "").strip()[:40] for key, _, _ in BASIC_FIELDS},
        "health_problems": {},
        "medications": [],
    }
    for problem in HEALTH_PROBLEMS:
        values = [v for v in post.getlist(f"hp_{problem.code}") if v]
        if problem.choices:
            values = [v for v in values if v in problem.choices]
        if values:
            parts["health_problems"][problem.code] = values if problem.multiple else values[0][:200]
    for i in range(1, 6):
        name = post.get(f"med_{i}_name", "").strip()
        if name:
            parts["medications"].append(
                {
                    "name": name[:50],
                    "usage": post.get(f"med_{i}_usage", "").strip()[:30],
                    "dose": post.get(f"med_{i}_dose", "").strip()[:30],
                    "frequency": post.get(f"med_{i}_frequency", "").strip()[:30],
                }
            )
    second = post.get("assessor_2", "").strip()
    if second:
        user = User.objects.select_related("region").filter(username__iexact=second).first()
        if (
            user is None
        ):  # the same words as an ineligible account: the form tells nothing about other regions' users
            errors["assessor_2"] = "第二评估员须是本地区有评估权限的在岗人员。"
        else:
            parts["assessor_2"] = user
    return answers, parts, errors


class NewAssessmentForm(forms.Form):
    reference_date = forms.DateField(
        label="评估基准日期",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        initial=date.today,
    )
    reason = forms.ChoiceField(label="评估原因", choices=Reason.choices)
    reason_note = forms.CharField(label="其他原因", max_length=100, required=False)


class ReturnForm(forms.Form):
    reason = forms.CharField(label="退回原因", max_length=200)


class TriggerForm(forms.Form):
    kind = forms.ChoiceField(label="原因", choices=TriggerKind.choices)
    occurred_on = forms.CharField(label="发生日期", widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label="说明", max_length=200, required=False)

    def clean_occurred_on(self):
        try:
            value = parse_date(self.cleaned_data["occurred_on"])
        except ValueError:
            value = None
        if value is None:
            raise ValidationError("请填写有效日期。")
        return value


class AssessmentFilterForm(forms.Form):
    q = forms.CharField(
        label="搜索",
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"placeholder": "姓名或评估编号"}),
    )
    region = forms.CharField(label="区划", required=False)
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部状态"), *Status.choices])
    level = forms.ChoiceField(label="最终等级", required=False, choices=[("", "全部等级"), *LEVEL_CHOICES])

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].widget = RegionPickerWidget(scope=actor.scope)


class DueFilterForm(forms.Form):
    region = forms.CharField(label="区划", required=False)
    kind = forms.ChoiceField(
        label="类别",
        required=False,
        choices=[("", "全部"), ("immediate", "需即时评估"), ("overdue", "已逾期"), ("soon", "30 天内到期")],
    )

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].widget = RegionPickerWidget(scope=actor.scope)
