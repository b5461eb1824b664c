"""A county officer imports a spreadsheet with errors, downloads the rows that were refused, fixes
them and imports again — and importing the same file twice never duplicates anyone."""

import re
from datetime import date

from openpyxl import Workbook, load_workbook
from playwright.sync_api import expect

from tests.browser.conftest import login
from yanglao.core.idnumber import make as make_id
from yanglao.elders.imports import COLUMNS

KAILU = "150523"
HORQIN_VILLAGE = "150502001001"  # 科尔沁区/科尔沁街道/民航社区居委会: outside kailu's county
KAILU_VILLAGE = "150523100001"  # 开鲁县/开鲁镇/民主社区居委会
HEADERS = [c.header + ("*" if c.required else "") for c in COLUMNS]
TIMEOUT = 30_000  # imports run in the server's worker thread

# Compound surnames: the demo seeder only makes one-character surnames, so these cannot collide.
# Sequences 901–906 keep the ID numbers away from the demo's random ones.
GOOD_ID_BAD_CHECK = make_id(KAILU, date(1945, 6, 7), 904, "F")
ROWS = [
    {"name": "欧阳淑娴", "id_number": make_id(KAILU, date(1941, 2, 3), 902, "F"), "region": KAILU_VILLAGE,
     "phone": "13904750901", "living_situation": "独居"},
    {"name": "司马振华", "id_number": make_id(KAILU, date(1943, 4, 5), 901, "M"),
     "region": "通辽市/开鲁县/开鲁镇/新华社区", "address": "开鲁镇新华街 9 号"},
    # Row 4: the last character of a valid number changed, so the check digit is wrong.
    {"name": "诸葛秋菊", "id_number": GOOD_ID_BAD_CHECK[:17] + ("1" if GOOD_ID_BAD_CHECK[17] == "0" else "0"),
     "region": "150523100005"},
    {"name": "上官德厚", "id_number": make_id(KAILU, date(1947, 8, 9), 903, "M"), "region": "150523103207",
     "marital_status": "丧偶"},
    # Row 6: a 科尔沁区 village, which kailu may not register.
    {"name": "慕容玉琴", "id_number": make_id(KAILU, date(1949, 10, 11), 906, "F"), "region": HORQIN_VILLAGE},
    {"name": "东方宝成", "id_number": make_id(KAILU, date(1951, 12, 13), 905, "M"),
     "region": "通辽市/开鲁县/麦新镇/麦新村委会", "contact_name": "东方明", "contact_relation": "儿子",
     "contact_phone": "13804750905"},
]  # fmt: skip
BAD_CHECK_ROW, OUT_OF_SCOPE_ROW = 4, 6  # spreadsheet row numbers (the header is row 1)


def write_workbook(path, rows):
    book = Workbook()
    sheet = book.active
    sheet.title = "老年人档案"
    sheet.append(HEADERS)
    for row in rows:
        sheet.append([row.get(c.key, "") for c in COLUMNS])
    book.save(path)
    return path


def import_file(page, server, path, mode=None) -> dict[str, int]:
    """Upload on /elders/import/, wait for the background task and return the result figures."""
    page.goto(server + "/elders/import/")
    expect(page.locator("input[name=mode][value=all_or_nothing]")).to_be_checked()  # the default
    page.set_input_files("input[type=file][name=file]", str(path))
    if mode:
        page.check(f"input[name=mode][value={mode}]")
    page.click("form[enctype='multipart/form-data'] button[type=submit]")
    page.wait_for_url(re.compile(r"/elders/import/\d+/$"))
    # The progress bar polls every second; when the task ends the page reloads with the figures
    # (or the progress text shows why the task failed).
    page.wait_for_selector("#failed, .task-progress .error", timeout=TIMEOUT)
    page.wait_for_load_state("load")
    failure = page.locator(".task-progress .error")
    assert failure.count() == 0, f"import of {path.name} failed: {failure.inner_text()}"
    return {key: int(page.inner_text(f"#{key}")) for key in ("created", "updated", "unchanged", "failed")}


def problem_rows(page) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for tr in page.locator("#problems tbody tr").all():
        cells = tr.locator("td").all_inner_texts()
        found.setdefault(int(cells[0]), []).append(cells[-1])
    return found


def test_import_with_errors_download_fix_and_reimport(server, page, shot, tmp_path):
    original = write_workbook(tmp_path / "老年人档案-开鲁县.xlsx", ROWS)
    login(page, server, "kailu")

    # 1. All or nothing: two bad rows, so nothing is imported; both are explained by row number.
    result = import_file(page, server, original)
    assert result == {"created": 0, "updated": 0, "unchanged": 0, "failed": 2}
    expect(page.locator("main")).to_contain_text("没有导入任何数据")
    problems = problem_rows(page)
    assert set(problems) == {BAD_CHECK_ROW, OUT_OF_SCOPE_ROW}, problems
    assert any("身份证号校验位不正确" in m for m in problems[BAD_CHECK_ROW]), problems
    assert any("超出您的管辖范围" in m for m in problems[OUT_OF_SCOPE_ROW]), problems
    shot(page, "import-errors")

    # 2. The refused rows as a spreadsheet, each with its reason in a last column.
    with page.expect_download() as download_info:
        page.click("#error-file")
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    error_path = tmp_path / "未导入的行.xlsx"
    download.save_as(error_path)
    book = load_workbook(error_path)
    sheet = book.worksheets[0]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == [*HEADERS, "原行号", "错误说明"]
    assert [r[-2] for r in values[1:]] == [BAD_CHECK_ROW, OUT_OF_SCOPE_ROW]
    assert len(values) == 3, values
    names = [r[0] for r in values[1:]]
    assert names == [ROWS[BAD_CHECK_ROW - 2]["name"], ROWS[OUT_OF_SCOPE_ROW - 2]["name"]]
    assert "校验位" in values[1][-1] and "管辖范围" in values[2][-1], [r[-1] for r in values[1:]]

    # Fix them in the downloaded file itself: the right ID number, a village in 开鲁县.
    id_col = HEADERS.index("身份证号*") + 1
    region_col = HEADERS.index("居住地区划*") + 1
    sheet.cell(row=2, column=id_col, value=GOOD_ID_BAD_CHECK)
    sheet.cell(row=3, column=region_col, value="通辽市/开鲁县/开鲁镇/胜利社区居委会")
    fixed = tmp_path / "未导入的行-已修改.xlsx"
    book.save(fixed)

    # 3. The original again, keeping the good rows only.
    assert import_file(page, server, original, mode="valid_only") == {
        "created": 4, "updated": 0, "unchanged": 0, "failed": 2,
    }  # fmt: skip
    expect(page.locator("main")).to_contain_text("正确的行已导入")

    # 4. The fixed error file, all or nothing: both rows now go in.
    assert import_file(page, server, fixed) == {"created": 2, "updated": 0, "unchanged": 0, "failed": 0}
    expect(page.locator("#problems")).to_have_count(0)

    # 5. The original once more: the four good people exist already and are left as they are.
    assert import_file(page, server, original, mode="valid_only") == {
        "created": 0, "updated": 0, "unchanged": 4, "failed": 2,
    }  # fmt: skip
    shot(page, "import-fixed")

    # 6. Everyone is registered exactly once, including the rows fixed in the error file.
    for name in ("欧阳淑娴", "诸葛秋菊", "慕容玉琴"):
        page.goto(server + "/elders/?q=" + name)
        rows = page.locator("table tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first.locator("td").first).to_have_text(name)
