"""The printable report (GB/T 42195-2022 表C.1) rendered to PDF by WeasyPrint, read back with pypdfium2."""

import builtins
import ctypes
import re
import sys
from datetime import date, timedelta

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
import pytest
from django.urls import NoReverseMatch, reverse
from PIL import ImageStat

from tests.conftest import KAILU, KAILU_VILLAGE, make_elder, make_user
from yanglao.assessments import report, services
from yanglao.assessments.standard import ITEMS, LEVELS, STANDARD
from yanglao.core.idnumber import make as make_id

CLEAR_ID = make_id(KAILU, date(1944, 8, 20), 732, "F")

# One below every item's top score: B.1 8×3 = 24, B.2 3+3+3+2 = 11, B.3 6×3+0+0+1 = 19,
# B.4 1+1+3+2+3 = 10; total 64, 能力中度受损. Two falls in 30 days raise it to 能力重度受损.
ANSWERS = {code: item.max_score - 1 for code, item in ITEMS.items()}
SUBTOTALS = {"B.1": 24, "B.2": 11, "B.3": 19, "B.4": 10}
TOTAL = 64


def _draft(kailu_officer):
    elder = make_elder(KAILU_VILLAGE, name="乌云其木格", id_number=CLEAR_ID, born=date(1944, 8, 20))
    second = make_user("kailu-second", "officer", KAILU)
    assessment = services.assessment_create(
        actor=kailu_officer, elder=elder, reference_date=date.today() - timedelta(days=1)
    )
    return services.assessment_save(
        actor=kailu_officer,
        assessment=assessment,
        answers=ANSWERS,
        assessor_2=second,
        informant_name="包金花",
        informant_relation="女儿",
        risk_events={"跌倒": 2},
    )


@pytest.fixture
def approved(kailu_officer, city_officer):
    assessment = _draft(kailu_officer)
    services.assessment_submit(actor=kailu_officer, assessment=assessment)
    return services.assessment_approve(actor=city_officer, assessment=assessment)


def _text(pdf) -> str:
    return "\n".join(page.get_textpage().get_text_range() for page in pdf)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _fonts(pdf) -> dict[str, bool]:
    """Base font name → embedded, for every font a text object on any page uses."""
    fonts = {}
    for page in pdf:
        for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_TEXT], max_depth=5):
            font = pdfium_c.FPDFTextObj_GetFont(obj.raw)
            size = pdfium_c.FPDFFont_GetBaseFontName(font, None, 0)
            buffer = ctypes.create_string_buffer(size)
            pdfium_c.FPDFFont_GetBaseFontName(font, buffer, size)
            name = buffer.value.decode("latin-1")
            fonts[name] = bool(pdfium_c.FPDFFont_GetIsEmbedded(font))
    return fonts


def test_report_prints_the_results_and_the_masked_id_only(approved):
    assert approved.subtotals == SUBTOTALS and approved.total == TOTAL  # the scoring this test relies on
    assert (approved.preliminary_level, approved.final_level) == (2, 3)

    content = report.render_pdf(approved)
    assert content.startswith(b"%PDF-")
    pdf = pdfium.PdfDocument(content)
    assert len(pdf) >= 2
    first = _squash(pdf[0].get_textpage().get_text_range())
    text = _squash(_text(pdf))

    assert "老年人能力评估报告" in first
    assert "乌云其木格" in first
    assert approved.number in first
    assert approved.elder.id_number_masked in first
    assert CLEAR_ID not in text and CLEAR_ID[6:14] not in text  # nor the birth-date digits of it
    for name, score, top in (("自理能力", 24, 32), ("基础运动能力", 11, 15), ("精神状态", 19, 28),
                             ("感知觉与社会参与", 10, 15)):  # fmt: skip
        assert f"{name}得分{score}（满分{top}）" in first
    assert f"老年人能力初步等级得分{TOTAL}（满分90）" in first
    assert LEVELS[3].name in first and approved.final_level_name == LEVELS[3].name
    assert "近30天内发生过2次照护风险事件" in first  # the reason the level changed
    assert "kailu-t姓名" in first and "kailu-second姓名" in first and "包金花" in first
    assert "tongliao-t姓名" in first  # the approver
    assert "未审核" not in text

    # Page 2: every item with the option wording chosen.
    for code, item in ITEMS.items():
        assert _squash(f"{code}{item.name}{item.option(ANSWERS[code]).text}") in text
    assert _squash(STANDARD) in text and "第1页/共2页" in text

    fonts = _fonts(pdf)
    assert any("Noto-Sans-CJK-SC" in name for name in fonts), fonts
    assert all(fonts.values()), fonts  # every font embedded…
    assert all(re.match(r"[A-Z]{6}\+", name) for name in fonts), fonts  # …as a subset

    page = pdf[0].render(scale=1).to_pil().convert("L")
    assert page.size[0] > 500
    assert ImageStat.Stat(page).stddev[0] > 20  # not a blank page
    dark = sum(page.histogram()[:128]) / (page.size[0] * page.size[1])
    assert 0.01 < dark < 0.5


def test_unapproved_report_says_so(kailu_officer):
    assessment = _draft(kailu_officer)
    services.assessment_submit(actor=kailu_officer, assessment=assessment)
    text = _squash(_text(pdfium.PdfDocument(report.render_pdf(assessment))))
    assert "未审核" in text and "待审核" in text
    assert "乌云其木格" in text


def test_pdf_unavailable_without_weasyprint(approved, monkeypatch):
    real_import = builtins.__import__

    def refuse(name, *args, **kwargs):
        if name == "weasyprint" or name.startswith("weasyprint."):
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "weasyprint", raising=False)
    monkeypatch.setattr(builtins, "__import__", refuse)
    with pytest.raises(report.PdfUnavailable, match="pango"):
        report.render_pdf(approved)


def _pdf_url(pk):
    try:
        return reverse("assessments:pdf", args=[pk])
    except NoReverseMatch:
        pytest.skip("URL assessments:pdf is not wired yet")


def test_pdf_view(approved, client_for, horqin_officer):
    url = _pdf_url(approved.pk)
    response = client_for(approved.assessor_1).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert approved.number in response["Content-Disposition"]
    assert "乌云其木格" in _squash(_text(pdfium.PdfDocument(response.content)))
    # Another county sees nothing of it.
    assert client_for(horqin_officer).get(url).status_code == 404


def test_pdf_view_answers_503_without_weasyprint(approved, client_for, monkeypatch):
    url = _pdf_url(approved.pk)

    def unavailable(assessment):
        raise report.PdfUnavailable("本服务器暂不能生成 PDF 报告")

    monkeypatch.setattr(report, "render_pdf", unavailable)
    response = client_for(approved.assessor_1).get(url)
    assert response.status_code == 503
    assert "PDF" in response.content.decode()
