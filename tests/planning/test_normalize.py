"""The plan sheets' cell readers (planning/normalize.py), case by case as the counties write them."""

from datetime import date, datetime
from decimal import Decimal

import pytest

from yanglao.planning.normalize import (
    carry_down,
    clean_text,
    match_county,
    parse_area,
    parse_count,
    parse_deadline,
    parse_plan_phone,
    split_leading_county,
)

COUNTIES = ["科尔沁区", "科尔沁左翼中旗", "科尔沁左翼后旗", "开鲁县", "库伦旗", "奈曼旗", "扎鲁特旗",
            "通辽经济技术开发区", "霍林郭勒市"]  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "expected", "note_has"),
    [
        ("2021年底", date(2021, 12, 31), "年底"),
        ("2021年末", date(2021, 12, 31), "年底"),
        ("2021年底前", date(2021, 12, 31), "年底"),
        ("年底前", date(2021, 12, 31), "计划年度 2021"),
        ("年底", date(2021, 12, 31), "计划年度"),
        ("年末", date(2021, 12, 31), "计划年度"),
        ("2021-12-31", date(2021, 12, 31), ""),
        ("2021/12/31", date(2021, 12, 31), ""),
        ("2021年12月31日", date(2021, 12, 31), ""),
        ("2021年6月", date(2021, 6, 30), "当月最后一天"),
        ("2021年12月", date(2021, 12, 31), "当月最后一天"),
        ("2022年2月", date(2022, 2, 28), "当月最后一天"),
        ("2024年2月底", date(2024, 2, 29), "当月最后一天"),
        ("2021.6", date(2021, 6, 30), "当月"),
        ("2021.12", date(2021, 12, 31), "当月"),
        ("2021-06", date(2021, 6, 30), "当月"),
        ("6月底", date(2021, 6, 30), "计划年度 2021"),
        ("10月", date(2021, 10, 31), "计划年度"),
        ("2021年", date(2021, 12, 31), "只写了年份"),
        ("2021", date(2021, 12, 31), "只写了年份"),
        ("上半年", date(2021, 6, 30), "计划年度"),
        ("2022年下半年", date(2022, 12, 31), "下半年"),
        ("２０２１年１２月", date(2021, 12, 31), "当月"),  # full-width digits
        (" 2021年\n底 ", date(2021, 12, 31), "年底"),  # a wrapped cell
        ("2021 年底", date(2021, 12, 31), "年底"),
        ("44561", date(2021, 12, 31), "Excel"),  # a date cell read as its serial
        (datetime(2021, 12, 31, 0, 0), date(2021, 12, 31), ""),
        (date(2021, 6, 30), date(2021, 6, 30), ""),
    ],
)
def test_deadlines(raw, expected, note_has):
    value, note = parse_deadline(raw, plan_year=2021)
    assert value == expected
    assert note_has in note
    if note_has == "":
        assert note == ""


@pytest.mark.parametrize("raw", ["尽快", "2021年13月", "2021-02-30", "13月底", "二〇二一年", "1899"])
def test_deadlines_that_cannot_be_read_say_so(raw):
    value, note = parse_deadline(raw, plan_year=2021)
    assert value is None
    assert note.startswith("无法识别的完成时限")


def test_blank_deadline():
    assert parse_deadline("", plan_year=2021) == (None, "未填写完成时限")
    assert parse_deadline(None, plan_year=2021) == (None, "未填写完成时限")


def test_plan_year_fills_the_missing_year():
    assert parse_deadline("年底前", plan_year=2023)[0] == date(2023, 12, 31)


@pytest.mark.parametrize(
    ("raw", "value", "note_has"),
    [
        ("13904751699", "13904751699", ""),
        (13904751699, "13904751699", ""),
        (13904751699.0, "13904751699", ""),
        ("139 0475 1699", "13904751699", ""),
        ("0475-5222030", "0475-5222030", ""),
        ("04755222030", "0475-5222030", ""),
        ("（0475）5220408", "0475-5220408", ""),
        ("2739175", "0475-2739175", "补充区号 0475"),
        (8835970, "0475-8835970", "补充区号"),
        ("13904751699、8835970", "13904751699", "另有号码 8835970"),
    ],
)
def test_phones(raw, value, note_has):
    phone = parse_plan_phone(raw)
    assert phone.ok and phone.value == value
    assert note_has in phone.note


def test_local_number_of_another_city():
    assert parse_plan_phone("2739175", area_code="0471").value == "0471-2739175"


@pytest.mark.parametrize(
    ("raw", "message"), [("1524758995", "11 位"), ("", "未填写"), ("电话待定", "无效字符")]
)
def test_bad_phones(raw, message):
    phone = parse_plan_phone(raw)
    assert not phone.ok and phone.value == ""
    assert message in phone.note


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("300平", Decimal("300")),
        ("300平方米", Decimal("300")),
        ("300 平方", Decimal("300")),
        ("1022平米", Decimal("1022")),
        ("300㎡", Decimal("300")),
        ("300m²", Decimal("300")),
        ("450.5m2", Decimal("450.5")),
        ("建筑面积３５０平，已选址", Decimal("350")),
        ("面积600平，600平为租赁", Decimal("600")),
    ],
)
def test_areas_in_remarks(raw, value):
    area, note = parse_area(raw)
    assert area == value
    assert "备注" in note


@pytest.mark.parametrize("raw", ["", "已选址", "六室一厅一厨一卫", "平房改造"])
def test_remarks_without_area(raw):
    assert parse_area(raw) == (None, "")


def test_two_different_areas_are_reported_not_added():
    area, note = parse_area("一楼300平，二楼200平")
    assert area is None and "多个面积" in note


def test_counts():
    assert parse_count("5个") == (5, "")
    assert parse_count("10") == (10, "")
    assert parse_count(6) == (6, "")
    assert parse_count("") == (None, "")
    assert parse_count("若干")[0] is None


@pytest.mark.parametrize(
    ("cell", "name", "note_has"),
    [
        ("科尔沁区", "科尔沁区", ""),
        ("科左中旗", "科尔沁左翼中旗", "简称"),
        ("科左后旗", "科尔沁左翼后旗", "简称"),
        ("旗后左科", "科尔沁左翼后旗", "字序颠倒"),
        ("县鲁开", "开鲁县", "字序颠倒"),
        ("开 鲁 县", "开鲁县", ""),
        ("开发区", "通辽经济技术开发区", "简称"),
    ],
)
def test_county_names(cell, name, note_has):
    found, note = match_county(cell, COUNTIES)
    assert found == name
    assert note_has in note
    if not note_has:
        assert note == ""


def test_unknown_county():
    assert match_county("呼和浩特市", COUNTIES) == (None, "无法识别的旗县（市、区）：呼和浩特市")
    assert match_county("", COUNTIES) == (None, "")


def test_county_written_into_the_name_cell():
    assert split_leading_county("库伦旗 山水人家居家社区养老服务站", COUNTIES) == (
        "库伦旗",
        "山水人家居家社区养老服务站",
    )
    assert split_leading_county("奈曼旗 富民社区居家社\n区养老服务站", COUNTIES) == (
        "奈曼旗",
        "富民社区居家社区养老服务站",
    )
    # A name that merely begins with a county's name is left alone.
    assert split_leading_county("科尔沁区明仁街道中心", COUNTIES) == (None, "科尔沁区明仁街道中心")


def test_carry_down_merged_cells():
    assert carry_down(["科尔沁区", None, "", "开鲁县", " "]) == [
        ("科尔沁区", False), ("科尔沁区", True), ("科尔沁区", True), ("开鲁县", False), ("开鲁县", True)]  # fmt: skip
    assert carry_down(["", "奈曼旗"]) == [("", False), ("奈曼旗", False)]


def test_clean_text():
    assert clean_text("明仁街道居家社区养老服\n务中心") == "明仁街道居家社区养老服务中心"
    assert clean_text("ＡＢＣ　１２３") == "ABC 123"
    assert clean_text("日间照料 医疗 老年康复等") == "日间照料 医疗 老年康复等"
    assert clean_text("Room  12 \t A") == "Room 12 A"
    assert clean_text(None) == ""
