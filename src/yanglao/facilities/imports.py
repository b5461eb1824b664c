"""Importing facilities from the .xlsx template (or a CSV with the same columns).

Every row is checked with ``parse_facility``; problems are listed per row and cell and returned as
a file of the failed rows. A row names a facility by its name and its 苏木乡镇/嘎查村: importing the
same row again updates that facility, never a second copy.
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction

from yanglao.core import audit, uploads
from yanglao.core.sheets import Column, SheetError, build_template, read_sheet
from yanglao.core.tasks import TaskFailed, task_progress
from yanglao.facilities import catalogue, services
from yanglao.facilities.models import Facility, FacilityStatus, FacilityType, OperatingMode
from yanglao.facilities.validation import parse_facility
from yanglao.regions.resolver import RegionResolver

YES_NO = ("是", "否")
COLUMNS = [
    Column("name", "名称", required=True, width=26),
    Column("type", "类型", required=True, width=24, choices=tuple(label for _, label in FacilityType.choices)),
    Column("region", "所在区划", required=True, width=32,
           help="苏木乡镇(街道)或嘎查村(社区)的代码，或完整名称，如 通辽市/开鲁县/开鲁镇/新华社区居委会"),
    Column("address", "地址", width=26),
    Column("longitude", "经度", width=11),
    Column("latitude", "纬度", width=11),
    Column("floor_area", "建筑面积", width=10, help="平方米，可写 300 或 300平"),
    Column("beds_total", "床位数", width=8),
    Column("beds_nursing", "护理型床位数", width=10),
    Column("residents", "在住人数", width=9),
    Column("households_served", "服务户数", width=9, help="社区养老服务站覆盖的户数"),
    Column("residents_65_served", "服务65岁以上人数", width=12, help="助餐点服务范围内 65 岁以上老人数"),
    Column("meal_capacity", "日供餐能力", width=10),
    Column("has_medical", "内设医疗机构或护理站", width=10, choices=YES_NO),
    Column("is_destitute_home", "特困供养机构", width=10, choices=YES_NO),
    Column("natural_village", "设在自然村", width=10, choices=YES_NO),
    Column("operator_name", "运营主体", width=24),
    Column("operator_code", "统一社会信用代码", width=22),
    Column("operating_mode", "运营方式", width=12, choices=tuple(label for _, label in OperatingMode.choices)),
    Column("contract_start", "合同起始", width=12),
    Column("contract_end", "合同截止", width=12),
    Column("filing_number", "备案编号", width=16),
    Column("filing_date", "备案日期", width=12),
    Column("status", "状态", width=9, choices=tuple(label for _, label in FacilityStatus.choices)),
    Column("services", "服务项目", width=30, help="用顿号分隔，如 堂食、送餐、居家照护（8 类 20 项中的项目名）"),
    Column("contact_name", "联系人", width=9),
    Column("contact_phone", "联系电话", width=14),
    Column("opening_hours", "开放时间", width=14),
]  # fmt: skip
INSTRUCTIONS = [
    "1. 第一行为表头，请勿修改；带 * 的列必须填写。每个设施一行。",
    "2. 名称加所在区划识别同一设施：再次导入同一设施会更新它，不会重复登记。",
    "3. 所在区划填写苏木乡镇(街道)或嘎查村(社区)的代码，或完整名称，用“/”分隔。",
    "4. 公建民营、民办、政府购买服务的设施须填写运营主体；新运营主体须填写统一社会信用代码。",
    "5. 服务项目：" + "、".join(item for _, _, item in catalogue.SERVICE_ITEMS) + "。",
    "6. 有错误的行会列出行号、列名和原因，并可下载“未导入的行”修改后重新导入。",
]
EXAMPLE = {"name": "开鲁镇新华社区养老服务站", "type": "嘎查村(社区)养老服务站", "region": "通辽市/开鲁县/开鲁镇/新华社区居委会",
           "floor_area": "380", "households_served": "1500", "operating_mode": "公建民营", "operator_name": "开鲁县康宁养老服务有限公司",
           "operator_code": "91150523MA0Q3ABC0X", "contract_start": "2024-01-01", "contract_end": "2026-12-31",
           "services": "堂食、居家照护、精神慰藉", "status": "运营中"}  # fmt: skip
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}


def template_bytes() -> bytes:
    return build_template(
        title="养老服务设施", columns=COLUMNS, instructions=INSTRUCTIONS, examples=[EXAMPLE]
    )


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    problems: list[dict] = field(default_factory=list)
    failed: list = field(default_factory=list)


def run_import(task) -> dict:
    actor = task.created_by
    if actor is None or not actor.is_active or not actor.can("facilities.import"):
        raise TaskFailed("导入人没有导入权限或账号已停用。")
    valid_only = task.params.get("mode") == "valid_only"
    resolver = RegionResolver(preload=True)
    outcome = Outcome()
    valid = []
    seen: dict[tuple, int] = {}
    with uploads.unsealed_copy(task) as tmp:
        try:
            sheet = read_sheet(tmp.name, COLUMNS)
        except SheetError as exc:
            raise TaskFailed(exc.message) from None
        task_progress(task, done=0, total=sheet.total, note="逐行检查")
        count = 0
        for count, (row, raw) in enumerate(sheet.rows, start=1):
            problems = []
            try:
                data = parse_facility(raw, resolver=resolver, scope=actor.scope)
            except ValidationError as exc:
                problems = [
                    (key, m) for key, errors in exc.error_dict.items() for e in errors for m in e.messages
                ]
                data = None
            if data is not None:
                key = (data.name, data.region.code)
                if key in seen:
                    problems.append(("name", f"与第 {seen[key]} 行是同一设施（名称和所在区划相同）。"))
                else:
                    seen[key] = row
            if problems:
                _fail(outcome, row, raw, problems)
            else:
                valid.append((row, raw, data))
            task_progress(task, done=count)
        if count == 0:
            raise TaskFailed("文件中没有数据行。")
    if outcome.failed and not valid_only:
        valid = []
    task_progress(task, done=0, total=len(valid), note="写入设施", force=True)
    for done, (row, raw, data) in enumerate(valid, start=1):
        try:
            with transaction.atomic():
                existing = Facility.objects.filter(name=data.name, region_id=data.region.code).first()
                if existing is None:
                    services.facility_create(actor=actor, data=data)
                    outcome.created += 1
                else:
                    services.facility_update(actor=actor, facility=existing, data=data)
                    outcome.updated += 1
        except ValidationError as exc:  # a rule only the write can check (an unknown operator, say)
            problems = [
                (k, m)
                for k, errors in getattr(exc, "error_dict", {"name": exc.error_list}).items()
                for e in errors
                for m in e.messages
            ]
            _fail(outcome, row, raw, problems)
        task_progress(task, done=done)
    if outcome.failed:
        uploads.save_error_report(task, COLUMNS, outcome.failed, f"facilities-import-{task.pk}-errors")
    uploads.discard_upload(task)
    audit.record(
        actor=actor,
        action=audit.Action.IMPORT,
        object_type="facilities.import",
        object_id=task.pk,
        summary=f"导入设施：新建 {outcome.created}，更新 {outcome.updated}，未导入 {len(outcome.failed)}",
    )
    return {"created": outcome.created, "updated": outcome.updated, "unchanged": 0, "failed_rows": len(outcome.failed),
            "problem_count": len(outcome.problems), "problems": outcome.problems[:1000],
            "mode": "valid_only" if valid_only else "all_or_nothing", "written": bool(outcome.created or outcome.updated),
            "error_report": bool(outcome.failed)}  # fmt: skip


def _fail(outcome: Outcome, row: int, raw: dict, problems: list[tuple[str, str]]) -> None:
    for key, message in problems:
        header = COLUMN_BY_KEY[key].header if key in COLUMN_BY_KEY else "（整行）"
        outcome.problems.append(
            {
                "row": row,
                "name": raw.get("name", "")[:20],
                "column": header,
                "value": str(raw.get(key, ""))[:60],
                "message": message,
            }
        )
    outcome.failed.append(
        (row, raw, [f"{COLUMN_BY_KEY[k].header if k in COLUMN_BY_KEY else ''}：{m}" for k, m in problems])
    )


def error_report_response(task):
    return uploads.error_report_response(task, f"未导入的设施-{task.pk}.xlsx")
