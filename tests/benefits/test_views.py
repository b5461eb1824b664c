"""The eligibility list, its Excel export and the rules page."""

import io
from datetime import date

from django.urls import reverse
from openpyxl import load_workbook

from tests.conftest import HORQIN_TOWN, KAILU_VILLAGE, make_elder, make_user
from yanglao.benefits.services import entitlements_refresh
from yanglao.core.models import AuditEntry


def _entitled(region, name, born=date(1940, 1, 1)):
    elder = make_elder(region, name=name, born=born)
    entitlements_refresh(elder=elder)  # what the receiver does on commit
    return elder


def test_the_list_shows_who_in_the_scope_holds_what(client_for, kailu_officer, db):
    mine = _entitled(KAILU_VILLAGE, "李秀英")
    theirs = _entitled(HORQIN_TOWN + "001", "包玉兰")
    young = _entitled(KAILU_VILLAGE, "王建国", born=date(1960, 1, 1))
    page = client_for(kailu_officer).get(reverse("benefits:eligibility")).content.decode()
    assert mine.name in page and "助餐补贴" in page
    assert theirs.name not in page and young.name not in page
    assert mine.id_number_masked in page


def test_the_list_filters_by_benefit(client_for, kailu_officer, db):
    _entitled(KAILU_VILLAGE, "李秀英")
    client = client_for(kailu_officer)
    assert (
        "李秀英" in client.get(reverse("benefits:eligibility"), {"benefit": "meal_subsidy"}).content.decode()
    )
    assert (
        "李秀英"
        not in client.get(reverse("benefits:eligibility"), {"benefit": "family_care_bed"}).content.decode()
    )


def test_the_export_opens_in_excel_masked_and_is_audited(client_for, kailu_officer, db):
    elder = _entitled(KAILU_VILLAGE, "李秀英")
    _entitled(HORQIN_TOWN + "001", "包玉兰")
    auditor = make_user("auditor-1", "auditor", "150523")
    response = client_for(auditor).get(reverse("benefits:export"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("档案编号", "姓名")
    assert [(r[1], r[4], r[7], r[8]) for r in rows[1:]] == [
        ("李秀英", elder.id_number_masked, "助餐补贴", "每月 100 元")
    ]
    assert AuditEntry.objects.filter(
        actor=auditor, action="export", summary__contains="享受待遇名单 1 条（脱敏）"
    ).exists()


def test_the_rules_page_lists_the_default_rules_with_their_seeds(client_for, kailu_officer):
    page = client_for(kailu_officer).get(reverse("benefits:rules")).content.decode()
    for name in (
        "助餐补贴",
        "家庭养老床位",
        "失能特困人员优先入住养老机构",
        "特困、低保高龄老年人居家上门服务",
    ):
        assert name in page
    assert "每月 100 元" in page and "003" in page and "年满 80 周岁" in page


def test_a_caregiver_sees_no_list(client_for, caregiver):
    assert client_for(caregiver).get(reverse("benefits:eligibility")).status_code == 403
