"""Importing devices from the .xlsx template (or a CSV with the same columns), as a background task.

Every row is read with ``validation.parse_device``; problems are listed per row and cell and the
failed rows come back as a file. The serial identifies a device: importing a row again updates it.
A 密钥 column carries a secret the manufacturer provisioned; without one a secret is generated and
the device page's “重置密钥” shows a new one once (an import never displays secrets).
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from yanglao.accounts.roles import Cap
from yanglao.alarms import protocol, services
from yanglao.alarms.models import Device, DeviceKind
from yanglao.alarms.validation import parse_device
from yanglao.core import audit, uploads
from yanglao.core.sheets import Column, SheetError, build_template, read_sheet
from yanglao.core.tasks import TaskFailed, task_progress
from yanglao.regions.resolver import RegionResolver

KIND = "alarms.device_import"
COLUMNS = [
    Column("serial", "设备编号", required=True, width=20, help="设备上印的编号，3–64 位字母、数字或 _ . : -"),
    Column("kind", "设备类型", required=True, width=16, choices=tuple(DeviceKind.labels)),
    Column("model", "型号", width=14),
    Column("elder", "使用人", width=22, help="老年人的档案编号或身份证号；留空为库存设备"),
    Column("region", "库存所在区划", width=28, help="库存设备所在的区划代码或完整名称；有使用人时不用填"),
    Column("installed_on", "安装日期", width=12, help="如 2026-03-01"),
    Column("heartbeat_interval_s", "心跳间隔（秒）", width=12, help="默认 300"),
    Column("geofence_latitude", "围栏中心纬度", width=12),
    Column("geofence_longitude", "围栏中心经度", width=12),
    Column("geofence_radius_m", "围栏半径（米）", width=12),
    Column("secret", "密钥", width=20, help="厂家预置的设备密钥（16–128 位）；留空则系统生成"),
]
INSTRUCTIONS = [
    "1. 第一行为表头，请勿修改；带 * 的列必须填写。每台设备一行。",
    "2. 设备编号识别同一设备：再次导入同一编号会更新该设备，不会重复登记。",
    "3. 使用人填写老年人的档案编号或身份证号，须在您的管辖范围内；留空表示库存设备。",
    "4. 密钥列可留空：系统生成密钥，需要时在设备页面“重置密钥”查看（只显示一次）。",
    "5. 有错误的行会列出行号、列名和原因，并可下载“未导入的行”修改后重新导入。",
]
EXAMPLE = {"serial": "KL-SOS-000001", "kind": "一键通", "model": "YJT-200", "elder": "",
           "region": "通辽市/开鲁县/开鲁镇", "installed_on": "2026-03-01", "heartbeat_interval_s": "300"}  # fmt: skip
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}


def template_bytes() -> bytes:
    return build_template(title="告警设备", columns=COLUMNS, instructions=INSTRUCTIONS, examples=[EXAMPLE])


@dataclass
class Outcome:
    created: int = 0
    updated: int = 0
    problems: list[dict] = field(default_factory=list)
    failed: list = field(default_factory=list)


def _messages(exc: ValidationError) -> list[tuple[str, str]]:
    if hasattr(exc, "error_dict"):
        return [(key, m) for key, errors in exc.error_dict.items() for e in errors for m in e.messages]
    return [("", m) for m in exc.messages]


def run_import(task) -> dict:
    actor = task.created_by
    if actor is None or not actor.is_active or not actor.can(Cap.DEVICES_EDIT):
        raise TaskFailed("导入人没有登记设备的权限或账号已停用。")
    valid_only = task.params.get("mode") == "valid_only"
    resolver = RegionResolver()
    outcome = Outcome()
    valid = []
    seen: dict[str, int] = {}
    with uploads.unsealed_copy(task) as tmp:
        try:
            sheet = read_sheet(tmp.name, COLUMNS)
        except SheetError as exc:
            raise TaskFailed(exc.message) from None
        task_progress(task, done=0, total=sheet.total, note="逐行检查")
        count = 0
        for count, (row, raw) in enumerate(sheet.rows, start=1):
            problems: list[tuple[str, str]] = []
            data = None
            try:
                data = parse_device(raw, scope=actor.scope, resolver=resolver)
            except ValidationError as exc:
                problems = _messages(exc)
            secret = (raw.get("secret") or "").strip()
            if secret and not 16 <= len(secret) <= 128:
                problems.append(("secret", "密钥应为 16–128 个字符。"))
            serial = (raw.get("serial") or "").strip()
            if serial in seen:
                problems.append(("serial", f"与第 {seen[serial]} 行的设备编号相同。"))
            elif serial:
                seen[serial] = row
            if problems:
                _fail(outcome, row, raw, problems)
            else:
                valid.append((row, raw, data, secret))
            task_progress(task, done=count)
        if count == 0:
            raise TaskFailed("文件中没有数据行。")
    if outcome.failed and not valid_only:
        valid = []
    task_progress(task, done=0, total=len(valid), note="写入设备", force=True)
    for done, (row, raw, data, secret) in enumerate(valid, start=1):
        try:
            with transaction.atomic():
                existing = Device.objects.filter(serial=data.serial).first()
                if existing is None:
                    services.device_register(actor=actor, data=data, secret=secret or protocol.new_secret())
                    outcome.created += 1
                elif not actor.scope.contains(existing.region_code):
                    raise ValidationError(
                        {"serial": ValidationError("该设备编号已在其他地区登记。", code="serial_exists")}
                    )
                else:
                    services.device_update(actor=actor, device=existing, data=data)
                    outcome.updated += 1
        except ValidationError as exc:
            _fail(outcome, row, raw, _messages(exc))
        except PermissionDenied as exc:
            _fail(outcome, row, raw, [("", str(exc))])
        task_progress(task, done=done)
    if outcome.failed:
        uploads.save_error_report(task, COLUMNS, outcome.failed, f"devices-import-{task.pk}-errors")
    uploads.discard_upload(task)
    audit.record(
        actor=actor,
        action=audit.Action.IMPORT,
        object_type=KIND,
        object_id=task.pk,
        summary=f"导入告警设备：新建 {outcome.created}，更新 {outcome.updated}，未导入 {len(outcome.failed)}",
    )
    return {"created": outcome.created, "updated": outcome.updated, "unchanged": 0, "failed_rows": len(outcome.failed),
            "problem_count": len(outcome.problems), "problems": outcome.problems[:1000],
            "mode": "valid_only" if valid_only else "all_or_nothing", "written": bool(outcome.created or outcome.updated),
            "error_report": bool(outcome.failed)}  # fmt: skip


def _fail(outcome: Outcome, row: int, raw: dict, problems: list[tuple[str, str]]) -> None:
    # Never copy a secret into the report of failed rows.
    raw = {**raw, "secret": "（已隐去）" if raw.get("secret") else ""}
    for key, message in problems:
        header = COLUMN_BY_KEY[key].header if key in COLUMN_BY_KEY else "（整行）"
        outcome.problems.append({"row": row, "name": raw.get("serial", "")[:20], "column": header,
                                 "value": str(raw.get(key, ""))[:60] if key != "secret" else "", "message": message})  # fmt: skip
    outcome.failed.append(
        (row, raw, [f"{COLUMN_BY_KEY[k].header if k in COLUMN_BY_KEY else ''}：{m}" for k, m in problems])
    )


def error_report_response(task):
    return uploads.error_report_response(task, f"未导入的告警设备-{task.pk}.xlsx")
