from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from yanglao.accounts.decorators import capability_required
from yanglao.accounts.roles import Cap
from yanglao.benefits import selectors
from yanglao.benefits.forms import EligibilityFilterForm
from yanglao.core import audit
from yanglao.core.paging import page_of
from yanglao.core.sheets import XlsxStream
from yanglao.elders import privacy

EXPORT_HEADER = [
    "档案编号",
    "姓名",
    "性别",
    "年龄",
    "身份证号",
    "居住地区划代码",
    "居住地",
    "待遇",
    "标准",
    "享受起始日期",
    "依据",
]


def _filters(form) -> selectors.EligibilityFilters:
    data = form.cleaned_data if form.is_valid() else {}
    return selectors.EligibilityFilters(region=data.get("region") or "", benefit=data.get("benefit") or "")


@capability_required(Cap.ASSESSMENTS_VIEW)
@require_GET
def eligibility(request):
    form = EligibilityFilterForm(request.GET or None, actor=request.user)
    filters = _filters(form)
    page = page_of(request, selectors.eligibility_list(actor=request.user, filters=filters))
    return render(request, "benefits/eligibility.html", {
        "form": form, "page": page, "query": request.GET.urlencode(),
        "counts": selectors.eligibility_counts(actor=request.user, filters=filters),
    })  # fmt: skip


@capability_required(Cap.ASSESSMENTS_VIEW)
@require_GET
def eligibility_export(request):
    form = EligibilityFilterForm(request.GET or None, actor=request.user)
    filters = _filters(form)
    reveal = request.user.can(Cap.ELDERS_REVEAL)
    today = timezone.localdate()
    stream = XlsxStream("享受待遇名单", EXPORT_HEADER)
    for grant in selectors.eligibility_list(actor=request.user, filters=filters).iterator(chunk_size=2000):
        elder = grant.elder
        stream.append([
            elder.pk, elder.name, elder.get_gender_display(), elder.age_on(today),
            privacy.open_id_number(elder.id_number_enc) if reveal else elder.id_number_masked,
            elder.region_id, elder.region.full_name, grant.rule.name, grant.rule.amount_text, grant.valid_from, grant.rule.seed,
        ])  # fmt: skip
    audit.record(
        actor=request.user,
        action=audit.Action.EXPORT,
        object_type="benefits.entitlementgrant",
        summary=f"导出享受待遇名单 {stream.rows} 条（{'完整' if reveal else '脱敏'}）",
        changes={"filters": [None, {k: v for k, v in vars(filters).items() if v}]},
    )
    return stream.response(f"享受待遇名单-{today:%Y%m%d}.xlsx")


@capability_required(Cap.ASSESSMENTS_VIEW)
@require_GET
def rules(request):
    return render(request, "benefits/rules.html", {"rules": selectors.rules_visible(actor=request.user)})
