"""The printable report of a capability assessment: GB/T 42195-2022 Appendix C, 表C.1 老年人能力评估报告.

Rendered from ``templates/assessments/report_pdf.html`` by WeasyPrint, which embeds subsets of the
Noto CJK fonts found through fontconfig (Debian ``fonts-noto-cjk``). WeasyPrint is imported only
here, inside :func:`render_pdf`, so the rest of the site runs on a machine without pango; there the
report raises :class:`PdfUnavailable` and the view answers 503.

Only the masked ID number is ever printed. Dates and times are shown in Asia/Shanghai.
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.template.loader import render_to_string
from django.utils import timezone

from yanglao.assessments import services
from yanglao.assessments.models import Status
from yanglao.assessments.standard import (
    DIMENSIONS,
    LEVEL_CHANGE_BASIS,
    LEVEL_CHANGE_PREAMBLE,
    LEVELS,
    MAX_TOTAL,
    STANDARD,
)

TEMPLATE = "assessments/report_pdf.html"
ZONE = ZoneInfo("Asia/Shanghai")


class PdfUnavailable(Exception):
    """WeasyPrint or the system libraries it needs (pango) cannot be loaded on this machine."""


def _day(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value, ZONE).date()
    return f"{value.year}年{value.month}月{value.day}日"


def _moment(value: datetime | None) -> str:
    if value is None:
        return ""
    return f"{timezone.localtime(value, ZONE):%Y-%m-%d %H:%M}"


def context(assessment) -> dict:
    """Everything the template prints, already formatted."""
    elder = assessment.elder
    answers = assessment.answers or {}
    subtotals = assessment.subtotals or {}
    dimensions = []
    for dimension in DIMENSIONS:
        items = []
        for item in dimension.items:
            score = answers.get(item.code)
            option = item.option(score) if score in item.scores else None
            items.append({"item": item, "score": score, "text": option.text if option else "（未评估）"})
        dimensions.append(
            {
                "dimension": dimension,
                "score": subtotals.get(dimension.code),
                "items": items,
                "max": dimension.max_score,
            }
        )
    approved = assessment.status == Status.APPROVED
    assessor_day = _day(assessment.submitted_at)
    return {
        "a": assessment,
        "elder": elder,
        "standard": STANDARD,
        "max_total": MAX_TOTAL,
        "dimensions": dimensions,
        "levels": LEVELS,
        "preamble": LEVEL_CHANGE_PREAMBLE,
        "bases": list(zip(LEVEL_CHANGE_BASIS, services.level_change_bases(assessment), strict=True)),
        "reasons": list(assessment.level_reasons or []),
        "reason": assessment.reason_note
        if assessment.reason == "other" and assessment.reason_note
        else assessment.get_reason_display(),
        "region_name": getattr(elder.region, "full_name", "") or getattr(elder.region, "name", ""),
        "birth_date": _day(elder.birth_date),
        "reference_date": _day(assessment.reference_date),
        "assessor_day": assessor_day,
        "informant_day": _day(assessment.reference_date) if assessment.informant_name else "",
        "approved": approved,
        "approved_day": _day(assessment.approved_at) if approved else "",
        "approver": assessment.approved_by.display_name if approved and assessment.approved_by_id else "",
        "status": assessment.get_status_display(),
        "printed_at": _moment(timezone.now()),
    }


def render_html(assessment) -> str:
    return render_to_string(TEMPLATE, context(assessment))


def render_pdf(assessment) -> bytes:
    """The A4 PDF of 表C.1 and the item answers. Raises :class:`PdfUnavailable` without WeasyPrint/pango."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:  # OSError: cffi could not load libpango / libgobject
        raise PdfUnavailable(
            "本服务器暂不能生成 PDF 报告：缺少 WeasyPrint 或其依赖的系统库（pango），请联系系统管理员安装。"
        ) from exc
    html = render_html(assessment)
    return HTML(string=html, base_url=None).write_pdf()
