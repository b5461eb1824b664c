"""Construction plans (seed 002, 附件1 street centres / 附件2 community stations) and their monthly progress.

Reads (``plan_items``, ``plan_item_get``, ``missing_reports``, ``overdue_items``…) always go through
the reader's region scope: the item's county, or for a township officer the street/community the
item is sited in (``selectors.plan_item_q``); writes are functions with
keyword-only arguments inside ``transaction.atomic``, validated with ``full_clean``, each leaving a
``PlanItemEvent`` and an audit entry.

Import: the attachment's .xlsx as the counties fill it (see ``normalize``). Every row after the
header is accounted for in the import's report — created, updated, imported with a warning (the
original beside what was read), not imported (with the reason), or skipped (a blank row, the
header repeated at a page break) — never silently dropped.

Deadlines of the monthly report (002: "每月10日前报送"): the report for month M opens on M+1's 1st
at 00:00 and is due by M+1's 10th at 23:59, Asia/Shanghai; a report after that is kept and marked late.
"""

import io
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone
from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from yanglao.accounts.roles import Cap
from yanglao.core import audit
from yanglao.core.masking import mask_phone
from yanglao.facilities import selectors as facility_selectors
from yanglao.facilities.models import Facility, FacilityStatus
from yanglao.planning import normalize
from yanglao.planning.models import (
    PlanImport,
    PlanItem,
    PlanItemEvent,
    PlanKind,
    PlanProgress,
    ProgressPhoto,
    ProgressStatus,
)
from yanglao.planning.selectors import plan_item_q, plan_items_in
from yanglao.regions.models import Region
from yanglao.regions.selectors import scope_narrowed

TZ = ZoneInfo("Asia/Shanghai")
DONE_STATUSES = (ProgressStatus.COMPLETED, ProgressStatus.IN_OPERATION)
MAX_PHOTOS = 6
MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_SHEET_BYTES = 5 * 1024 * 1024


class PlanError:
    """Stable error codes of the plans API and forms."""

    NOT_ALLOWED = "plan_not_allowed"
    OUT_OF_SCOPE = "plan_out_of_scope"
    BAD_FILE = "plan_bad_file"
    WRONG_ATTACHMENT = "plan_wrong_attachment"
    NO_HEADER = "plan_no_header"
    MONTH_NOT_OPEN = "progress_month_not_open"
    MONTH_TOO_OLD = "progress_month_too_old"
    STATUS_PERCENT = "progress_status_percent"
    FACILITY_REQUIRED = "progress_facility_required"
    PHOTO = "progress_photo"
    DEADLINE = "plan_deadline"
    PHONE = "plan_phone"
    COUNTY = "plan_county"
    FACILITY = "plan_facility"


# --- deadlines of the monthly report (pure) ---------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def local_date(now: datetime) -> date:
    return now.astimezone(TZ).date()


def report_opens_at(month: date) -> datetime:
    """Reporting for ``month`` opens on the next month's 1st, 00:00 Beijing time."""
    return datetime.combine(add_months(month_start(month), 1), time.min, tzinfo=TZ)


def report_due_at(month: date) -> datetime:
    """The last moment of the due day: the next month's 10th, 23:59:59.999999 Beijing time."""
    return datetime.combine(add_months(month_start(month), 1).replace(day=10), time.max, tzinfo=TZ)


def reporting_month(now: datetime) -> date:
    """The month whose report is being collected now: the previous month (Beijing time)."""
    return add_months(month_start(local_date(now)), -1)


def is_late(month: date, reported_at: datetime) -> bool:
    return reported_at > report_due_at(month)


def is_overdue(deadline: date | None, status: str | None, today: date) -> bool:
    """Deadline passed (the deadline day itself still counts) and not completed or in operation."""
    return deadline is not None and deadline < today and status not in DONE_STATUSES


# --- permissions and scope --------------------------------------------------------------------------


def _require(actor, capability: str) -> None:
    if not actor.can(capability):
        raise PermissionDenied("您没有此项规划功能的权限。")


def _check_scope(actor, item: PlanItem) -> None:
    """Writes (edit, link, monthly report) are the county's: a township officer reads the items
    sited in its township (``selectors.plan_item_q``) but does not file them."""
    if not can_write_item(actor, item):
        raise PermissionDenied("该项目由旗县填报，不在您的填报范围内。")


def can_write_item(actor, item: PlanItem) -> bool:
    return actor.scope.contains(item.region_id)


def _event(item: PlanItem, actor, kind: str, summary: str, changes: dict | None = None) -> None:
    PlanItemEvent.objects.create(
        item=item, actor=actor, kind=kind, summary=summary[:300], changes=changes or {}
    )


def city_counties(actor) -> list[Region]:
    """The counties of the reader's city (the importer recognises every county of the sheet, and
    refuses those outside the reader's scope by name rather than as unknown)."""
    prefix = actor.region.code[:4] if actor.region_id else ""
    return list(Region.objects.filter(level=Region.Level.COUNTY, code__startswith=prefix).order_by("code"))


def counties_in_scope(actor) -> list[Region]:
    return [c for c in city_counties(actor) if actor.scope.contains(c.code)]


# --- reads ------------------------------------------------------------------------------------------


def _latest(field_name: str):
    return Subquery(
        PlanProgress.objects.filter(item=OuterRef("pk")).order_by("-month").values(field_name)[:1]
    )


def with_progress(items: QuerySet) -> QuerySet:
    """Each item with its latest report: ``latest_status``, ``latest_percent``, ``latest_month``."""
    return items.annotate(
        latest_status=_latest("status"), latest_percent=_latest("percent"), latest_month=_latest("month")
    )


def items_in_scope(*, actor) -> QuerySet[PlanItem]:
    _require(actor, Cap.PLANNING_VIEW)
    return plan_items_in(actor.scope)


@dataclass
class PlanFilters:
    q: str = ""
    region: str = ""
    kind: str = ""
    # a ProgressStatus value, "none" for items never reported, or "unreported" for the open items
    # whose report for the month being collected (last month) is not in yet
    status: str = ""
    overdue: str = ""  # "1": only overdue items
    year: str = ""  # the plan year (计划年度)


def plan_items(*, actor, filters: PlanFilters, today: date | None = None) -> QuerySet[PlanItem]:
    _require(actor, Cap.PLANNING_VIEW)
    today = today or timezone.localdate()
    scope = scope_narrowed(scope=actor.scope, code=filters.region)
    items = with_progress(plan_items_in(scope)).select_related("region", "site_region", "facility")
    if filters.kind in PlanKind.values:
        items = items.filter(kind=filters.kind)
    if filters.status == "none":
        items = items.filter(latest_status__isnull=True)
    elif filters.status == "unreported":
        items = _open_for(items, add_months(month_start(today), -1)).exclude(
            Exists(PlanProgress.objects.filter(item=OuterRef("pk"), month=add_months(month_start(today), -1)))
        )
    elif filters.status in ProgressStatus.values:
        items = items.filter(latest_status=filters.status)
    if filters.overdue:
        # (a NULL latest status — never reported — is "not done": spelled out, SQL's NOT IN would drop it)
        items = items.filter(deadline__lt=today).filter(
            Q(latest_status__isnull=True) | ~Q(latest_status__in=DONE_STATUSES)
        )
    if str(filters.year).isdigit():
        items = items.filter(plan_year=int(filters.year))
    text = filters.q.strip()
    if text:
        items = items.filter(
            Q(name__contains=text)
            | Q(site_region_text__contains=text)
            | Q(responsible_person__contains=text)
            | Q(main_services__contains=text)
        )
    return items.order_by("region_id", "kind", "position", "pk")


def plan_item_get(*, actor, pk: int) -> PlanItem:
    _require(actor, Cap.PLANNING_VIEW)
    item = (
        with_progress(plan_items_in(actor.scope))
        .select_related("region", "site_region", "facility", "import_batch")
        .filter(pk=pk)
        .first()
    )
    if item is None:
        raise Http404("建设计划项目不存在")
    return item


def item_history(*, item: PlanItem) -> QuerySet[PlanProgress]:
    return item.progress.select_related("reported_by").prefetch_related("photos").order_by("-month")


def item_events(*, item: PlanItem) -> QuerySet[PlanItemEvent]:
    return item.events.select_related("actor").order_by("-at", "-pk")


def photo_get(*, actor, pk: int) -> ProgressPhoto:
    _require(actor, Cap.PLANNING_VIEW)
    photo = ProgressPhoto.objects.select_related("progress").filter(
        plan_item_q(actor.scope, "progress__item__")
    )
    found = photo.filter(pk=pk).first()
    if found is None:
        raise Http404("照片不存在")
    return found


def import_list(*, actor) -> QuerySet[PlanImport]:
    _require(actor, Cap.PLANNING_VIEW)
    return actor.scope.apply(PlanImport.objects.select_related("region", "created_by"))


def import_get(*, actor, pk: int) -> PlanImport:
    found = import_list(actor=actor).filter(pk=pk).first()
    if found is None:
        raise Http404("导入记录不存在")
    return found


def facilities_to_link(*, actor, item: PlanItem, q: str = "") -> QuerySet[Facility]:
    """Facilities the item may be linked to: in the reader's scope and the item's county."""
    facilities = facility_selectors.scoped(actor.scope).filter(region__code__startswith=item.region.prefix)
    if q:
        facilities = facilities.filter(name__contains=q)
    return facilities.exclude(status=FacilityStatus.CLOSED).order_by("name")[:200]


def _open_for(items: QuerySet, month: date) -> QuerySet:
    """The items that owe a report for ``month``: all but those already in operation before it."""
    return items.exclude(
        Exists(
            PlanProgress.objects.filter(
                item=OuterRef("pk"), month__lt=month, status=ProgressStatus.IN_OPERATION
            )
        )
    )


@dataclass
class Reminder:
    month: date
    due: datetime
    past_due: bool
    missing: int  # items without a report for ``month``
    counties: list[str]  # the counties they belong to


def report_reminder(*, actor, now: datetime | None = None) -> Reminder | None:
    """What the reader still owes for the month being collected (002: "每月10日前报送"), for the
    banner on the plan pages: a county officer sees its own missing items, a city officer the
    counties that have not reported. None for readers who do not report, or when all is in."""
    if not actor.can(Cap.PLANNING_REPORT) or len(actor.scope.prefix) > 6:  # townships do not file
        return None
    now = now or timezone.now()
    month = reporting_month(now)
    missing = [row for row in report_status(actor=actor, month=month) if row.missing]
    if not missing:
        return None
    due = report_due_at(month)
    return Reminder(month=month, due=due, past_due=now > due, missing=sum(r.missing for r in missing),
                    counties=[r.region.name for r in missing])  # fmt: skip


def can_file(actor) -> bool:
    """Whether the reader files plan items (new, import): a county or above; a township reads only."""
    return actor.can(Cap.PLANNING_EDIT) and len(actor.scope.prefix) <= 6


@dataclass
class CountyReport:
    region: Region
    items: int
    reported: int
    missing: int
    late: int


def report_status(*, actor, month: date, region: str = "") -> list[CountyReport]:
    """Per county in scope: how many of its open items have (not) been reported for ``month``.
    An item counts while it is not yet in operation before that month."""
    _require(actor, Cap.PLANNING_VIEW)
    scope = scope_narrowed(scope=actor.scope, code=region)
    items = _open_for(plan_items_in(scope), month)
    this_month = PlanProgress.objects.filter(item=OuterRef("pk"), month=month)
    due = report_due_at(month)
    rows = (
        items.annotate(
            has=Exists(this_month),
            late=Exists(this_month.filter(reported_at__gt=due)),
        )
        .values("region_id", "has", "late")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_county: dict[str, list[int]] = {}
    for row in rows:
        counts = by_county.setdefault(row["region_id"], [0, 0, 0])
        counts[0] += row["n"]
        if row["has"]:
            counts[1] += row["n"]
        if row["late"]:
            counts[2] += row["n"]
    regions = Region.objects.in_bulk(list(by_county))
    return [
        CountyReport(region=regions[code], items=c[0], reported=c[1], missing=c[0] - c[1], late=c[2])
        for code, c in sorted(by_county.items())
    ]


def overdue_items(*, actor, today: date | None = None, region: str = "") -> QuerySet[PlanItem]:
    return plan_items(actor=actor, filters=PlanFilters(region=region, overdue="1"), today=today)


# --- writes: items ----------------------------------------------------------------------------------

ITEM_FIELDS = (
    "kind", "plan_year", "name", "site_region_text", "communities_covered", "deadline", "deadline_text", "beds",
    "main_services", "responsible_person", "phone", "phone_text", "remarks", "area_m2", "longitude",
    "latitude", "budget_fen",
)  # fmt: skip


def _snapshot(item: PlanItem) -> dict:
    out = {name: getattr(item, name) for name in ITEM_FIELDS}
    out["region"] = item.region_id
    out["site_region"] = item.site_region_id
    return {k: (str(v) if isinstance(v, Decimal | date) else v) for k, v in out.items()}


def _check_item_region(actor, region: Region | None, site_region: Region | None) -> None:
    errors = {}
    if region is None or region.level != Region.Level.COUNTY:
        errors["region"] = ValidationError("请选择旗县（市、区）。", code=PlanError.COUNTY)
    elif not actor.scope.contains(region.code):
        errors["region"] = ValidationError("该旗县不在您的管辖范围内。", code=PlanError.OUT_OF_SCOPE)
    elif site_region is not None and not site_region.code.startswith(region.prefix):
        errors["site_region"] = ValidationError("所在街道/社区不在所选旗县内。", code=PlanError.COUNTY)
    if errors:
        raise ValidationError(errors)


def plan_item_create(*, actor, region: Region, site_region: Region | None = None, **values) -> PlanItem:
    _require(actor, Cap.PLANNING_EDIT)
    _check_item_region(actor, region, site_region)
    if not values.get("plan_year"):  # the plan the item belongs to: its deadline's year by default
        deadline = values.get("deadline")
        values["plan_year"] = deadline.year if deadline else timezone.localdate().year
    with transaction.atomic():
        item = PlanItem(region=region, site_region=site_region, created_by=actor, **values)
        if not item.deadline_text and item.deadline:
            item.deadline_text = item.deadline.isoformat()
        item.full_clean()
        item.save()
        _event(item, actor, "created", "新建项目", _snapshot(item))
        audit.record(
            actor=actor, action=audit.Action.CREATE, obj=item, summary=f"新建建设计划项目：{item.name}"
        )
    return item


def plan_item_update(*, actor, item: PlanItem, **values) -> PlanItem:
    _require(actor, Cap.PLANNING_EDIT)
    _check_scope(actor, item)
    before = _snapshot(item)
    region = values.pop("region", item.region)
    site_region = values.pop("site_region", item.site_region)
    _check_item_region(actor, region, site_region)
    with transaction.atomic():
        item.region, item.site_region = region, site_region
        for key, value in values.items():
            setattr(item, key, value)
        if "deadline" in values and "deadline_text" not in values:
            item.deadline_text = item.deadline.isoformat() if item.deadline else ""
        item.updated_at = timezone.now()
        item.full_clean()
        item.save()
        changes = audit.diff(before, _snapshot(item), personal={"phone": "phone", "phone_text": "phone"})
        if changes:
            _event(item, actor, "updated", "修改项目：" + "、".join(_label(k) for k in changes), changes)
            audit.record(actor=actor, action=audit.Action.UPDATE, obj=item, summary=f"修改建设计划项目：{item.name}",
                         changes=changes)  # fmt: skip
    return item


def _label(name: str) -> str:
    try:
        return str(PlanItem._meta.get_field(name).verbose_name)
    except Exception:
        return name


def plan_item_link_facility(*, actor, item: PlanItem, facility: Facility | None) -> PlanItem:
    """Link an item (in operation) to its facility in the registry, or unlink it (``None``)."""
    _require(actor, Cap.PLANNING_EDIT)
    _check_scope(actor, item)
    if facility is not None and (
        not facility_selectors.scoped(actor.scope).filter(pk=facility.pk).exists()
        or not facility.region_id.startswith(item.region.prefix)
    ):
        raise ValidationError(
            {"facility": ValidationError("请从本旗县的养老服务设施中选择。", code=PlanError.FACILITY)}
        )
    with transaction.atomic():
        before = item.facility_id
        item.facility = facility
        item.updated_at = timezone.now()
        item.save(update_fields=["facility", "updated_at"])
        summary = f"关联设施：{facility.name}" if facility else "取消关联设施"
        _event(item, actor, "facility", summary, {"facility": [before, item.facility_id]})
        audit.record(actor=actor, action=audit.Action.UPDATE, obj=item, summary=f"{item.name} {summary}")
    return item


# --- writes: monthly progress ----------------------------------------------------------------------

# The minimum percent each status implies, and what "completed"/"in operation" require.
STATUS_PERCENT = {
    ProgressStatus.NOT_STARTED: (0, 0),
    ProgressStatus.DESIGN: (0, 99),
    ProgressStatus.UNDER_CONSTRUCTION: (1, 99),
    ProgressStatus.COMPLETED: (100, 100),
    ProgressStatus.IN_OPERATION: (100, 100),
}


def check_report_month(month: date, now: datetime, *, earliest: date | None = None) -> None:
    month = month_start(month)
    if now < report_opens_at(month):
        opens = report_opens_at(month)
        raise ValidationError(
            {"month": ValidationError(
                f"{month.year}年{month.month}月的进度须在{opens.year}年{opens.month}月1日起填报（当月结束后）。",
                code=PlanError.MONTH_NOT_OPEN,
            )}
        )  # fmt: skip
    if earliest is not None and month < month_start(earliest):
        raise ValidationError(
            {"month": ValidationError("不能填报计划开始之前的月份。", code=PlanError.MONTH_TOO_OLD)}
        )


def progress_report(
    *,
    actor,
    item: PlanItem,
    month: date,
    status: str,
    percent: int,
    problems: str = "",
    photos: list = (),
    facility: Facility | None = None,
    now: datetime | None = None,
) -> PlanProgress:
    """Enter (or correct) an item's report for ``month``. A later correction of the same month
    replaces the figures and keeps the history in the item's events."""
    _require(actor, Cap.PLANNING_REPORT)
    _check_scope(actor, item)
    now = now or timezone.now()
    month = month_start(month)
    check_report_month(month, now)
    errors = {}
    if status not in ProgressStatus.values:
        errors["status"] = ValidationError("请选择进展状态。", code="invalid_choice")
    else:
        low, high = STATUS_PERCENT[status]
        if not isinstance(percent, int) or not 0 <= percent <= 100:
            errors["percent"] = ValidationError("完成比例应为 0–100 的整数。", code=PlanError.STATUS_PERCENT)
        elif not low <= percent <= high:
            label = ProgressStatus(status).label
            errors["percent"] = ValidationError(
                f"“{label}”的完成比例应在 {low}%–{high}% 之间。", code=PlanError.STATUS_PERCENT
            )
        if status == ProgressStatus.IN_OPERATION and facility is None and item.facility_id is None:
            errors["facility"] = ValidationError(
                "已运营的项目须关联养老服务设施（先在设施台账中登记）。", code=PlanError.FACILITY_REQUIRED
            )
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = ValidationError(f"每月最多上传 {MAX_PHOTOS} 张照片。", code=PlanError.PHOTO)
    for photo in photos:
        if photo.size > MAX_PHOTO_BYTES:
            errors["photos"] = ValidationError("单张照片不能超过 8 MB。", code=PlanError.PHOTO)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if facility is not None and facility.pk != item.facility_id:
            plan_item_link_facility(actor=actor, item=item, facility=facility)
        progress = PlanProgress.objects.filter(item=item, month=month).first()
        before = {"status": progress.status, "percent": progress.percent} if progress else None
        progress = progress or PlanProgress(item=item, month=month)
        progress.status, progress.percent, progress.problems = status, percent, problems.strip()
        progress.reported_at, progress.reported_by = now, actor
        progress.full_clean(validate_unique=False)
        progress.save()
        for upload in photos:
            photo = ProgressPhoto(progress=progress, uploaded_by=actor)
            photo.image.save(upload.name, upload, save=False)
            photo.full_clean()
            photo.save()
        late = "（逾期报送）" if is_late(month, now) else ""
        verb = "更正" if before else "报送"
        summary = f"{verb}{month.year}年{month.month}月进度：{ProgressStatus(status).label} {percent}%{late}"
        _event(item, actor, "progress", summary, {"month": month.isoformat(), "before": before,
                                                  "status": status, "percent": percent})  # fmt: skip
        audit.record(actor=actor, action=audit.Action.UPDATE, obj=item, summary=summary)
    return progress


# --- import ------------------------------------------------------------------------------------------

# Header words → field. Order matters: the services header contains 服务, so 名 is tried after it.
HEADER_KEYS = (
    ("seq", ("序号",)),
    ("county", ("旗县",)),
    ("site", ("所在",)),
    ("covers", ("覆盖",)),
    ("deadline", ("时限", "完成时间")),
    ("beds", ("床位",)),
    ("person", ("责任人",)),
    ("phone", ("电话",)),
    ("remarks", ("备注",)),
    ("area", ("面积",)),
    ("longitude", ("经度",)),
    ("latitude", ("纬度",)),
    ("budget", ("预算",)),
    ("services", ("主要服务", "提供")),
    ("name", ("名称", "名")),
)
LABELS = {"seq": "序号", "county": "旗县（市区）", "name": "名称", "site": "所在街道/社区", "covers": "拟服务覆盖社区数",
          "deadline": "建设完成时限", "beds": "设置床位数量", "services": "主要服务", "person": "责任人",
          "phone": "联系电话", "remarks": "备注", "area": "面积", "longitude": "经度", "latitude": "纬度",
          "budget": "预算"}  # fmt: skip
KIND_WORDS = {PlanKind.STREET_CENTRE: "街道层面", PlanKind.COMMUNITY_STATION: "社区层面"}


def _field_for(header: str) -> str | None:
    text = normalize.clean_text(header).replace(" ", "").replace("\n", "")
    for key, words in HEADER_KEYS:
        if any(w in text for w in words):
            return key
    return None


def _is_header(values: list) -> bool:
    texts = [normalize.clean_text(v).replace(" ", "") for v in values]
    return "序号" in texts and any("责任人" in t for t in texts)


@dataclass
class SheetRow:
    number: int  # the spreadsheet row
    values: dict  # field → raw cell value
    merged_county: bool = False


@dataclass
class Sheet:
    title: str
    kind: str | None
    plan_year: int | None
    rows: list  # SheetRow | ("blank", number) | ("header", number)


def read_plan_sheet(content: bytes) -> Sheet:
    """The first sheet of an attachment: the title above the header, the header (found by its
    words, wherever it starts), then every row below it."""
    try:
        book = load_workbook(io.BytesIO(content), data_only=True)
    except Exception:
        raise ValidationError(
            {"file": ValidationError("文件不是有效的 Excel（.xlsx）文件。", code=PlanError.BAD_FILE)}
        ) from None
    sheet = book.worksheets[0]
    merged_rows = set()
    for merged in sheet.merged_cells.ranges:
        if merged.min_col <= 2 <= merged.max_col and merged.min_row < merged.max_row:
            merged_rows.update(range(merged.min_row + 1, merged.max_row + 1))
    all_rows = list(sheet.iter_rows(values_only=True))
    header_at, title = None, ""
    for index, values in enumerate(all_rows[:15]):
        if _is_header(list(values)):
            header_at = index
            break
        title += " ".join(normalize.clean_text(v) for v in values if v not in (None, ""))
    if header_at is None:
        raise ValidationError(
            {"file": ValidationError("找不到表头行（应有“序号”“责任人”等列）。请使用附件1/附件2的格式。", code=PlanError.NO_HEADER)}
        )  # fmt: skip
    columns = [_field_for(str(h or "")) for h in all_rows[header_at]]
    missing = [LABELS[k] for k in ("county", "name", "deadline") if k not in columns]
    if missing:
        raise ValidationError(
            {"file": ValidationError(f"表头缺少：{'、'.join(missing)}。", code=PlanError.NO_HEADER)}
        )
    header_text = title + "".join(normalize.clean_text(h) for h in all_rows[header_at] if h)
    kind = next((k for k, word in KIND_WORDS.items() if word in header_text), None)
    year = re.search(r"(20\d\d)\s*年", title)
    rows, last_data = [], 0
    for offset, values in enumerate(all_rows[header_at + 1 :], start=header_at + 2):
        if all(v is None or normalize.clean_text(v) == "" for v in values):
            rows.append(("blank", offset))
        elif _is_header(list(values)):
            rows.append(("header", offset))
            last_data = len(rows)
        else:
            record = {key: value for key, value in zip(columns, values, strict=False) if key}
            rows.append(SheetRow(number=offset, values=record, merged_county=offset in merged_rows))
            last_data = len(rows)
    return Sheet(title=title, kind=kind, plan_year=int(year[1]) if year else None, rows=rows[:last_data])


# What an official name ends with → what people keep of it (东风村委会 → 东风村, 学苑社区居委会 → 学苑社区).
_SITE_SUFFIXES = (
    ("居民委员会", ""), ("村民委员会", "村"), ("社区居委会", "社区"), ("嘎查委员会", "嘎查"), ("村委会", "村"),
    ("委员会", ""), ("居委会", ""), ("办事处", ""),
)  # fmt: skip


def _site_key(name: str) -> str:
    text = normalize.clean_text(name).replace(" ", "")
    for suffix, kept in _SITE_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)] + kept
    return text


class SiteMatcher:
    """Finds the street (附件1) or community (附件2) a row names, inside a county: 学苑社区 →
    学苑社区居委会, 明升村 → 明升村委会, 建国 → 建国街道, 滨河街道兴隆村 → 兴隆村委会 under 滨河街道."""

    def __init__(self, city_prefix: str):
        self.by_key: dict[str, list[Region]] = {}
        regions = Region.objects.filter(
            code__startswith=city_prefix, level__in=(Region.Level.TOWNSHIP, Region.Level.VILLAGE)
        ).only("code", "name", "level", "prefix")
        for region in regions:
            self.by_key.setdefault(_site_key(region.name), []).append(region)

    def _find(self, text: str, within: str) -> list[Region]:
        key = _site_key(text)
        found = [r for r in self.by_key.get(key, []) if r.code.startswith(within)]
        if not found and not key.endswith(("街道", "镇", "乡", "苏木", "社区", "村", "嘎查")):
            found = [r for r in self.by_key.get(key + "街道", []) if r.code.startswith(within)]
        if not found:  # 社区 ↔ 居委会 named without 社区
            for variant in (key.removesuffix("社区"), key + "社区"):
                if variant and variant != key:
                    found = [r for r in self.by_key.get(variant, []) if r.code.startswith(within)]
                    if found:
                        break
        return found

    def _find_all(self, text: str, within: str) -> list[Region]:
        found = self._find(text, within)
        if not found:
            m = re.match(r"(.+?(?:街道|镇|乡|苏木))(.+)", text)
            if m:
                for town in self._find(m[1], within):
                    found += self._find(m[2], town.prefix)
        return found

    def match(self, text: str, within: str) -> tuple[Region | None, str]:
        text = normalize.clean_text(text).replace(" ", "")
        if not text:
            return None, ""
        found = self._find_all(text, within)
        if len(found) == 1:
            return found[0], ""
        if len(found) > 1:
            return None, f"“{text}”在区划中有 {len(found)} 处同名，未关联，请在项目中选择"
        return None, f"“{text}”未在区划中找到，未关联"

    def counties_with(self, text: str, city_prefix: str) -> set[str]:
        return {r.code[:6] for r in self._find_all(normalize.clean_text(text).replace(" ", ""), city_prefix)}


@dataclass
class RowOutcome:
    row: int
    status: str  # created | updated | warning | error | skipped
    messages: list = field(default_factory=list)
    name: str = ""
    county: str = ""
    fields: list = field(default_factory=list)  # [{"label", "original", "value"}]

    def as_dict(self) -> dict:
        return {"row": self.row, "status": self.status, "messages": self.messages, "name": self.name,
                "county": self.county, "fields": self.fields}  # fmt: skip


_DIGITS = re.compile(r"\d{7,}")


def _text(value) -> str:
    if isinstance(value, datetime | date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value).strip()


def _json_row(values: dict) -> dict:
    return {LABELS.get(k, k): _text(v) for k, v in values.items() if _text(v)}


def _decimal(value, places: int = 6) -> Decimal | None:
    text = normalize.clean_text(value).replace(" ", "")
    if not text:
        return None
    try:
        return round(Decimal(text), places)
    except ArithmeticError:
        return None


def plan_import(
    *, actor, kind: str, filename: str, content: bytes, plan_year: int | None = None
) -> PlanImport:
    """Import an attachment. Rows of counties outside the importer's scope, and rows without a
    name or county, are reported and not imported; everything else is imported (created, or
    updated when the county already has an item of that kind with the same name), with every
    assumption noted beside the original."""
    _require(actor, Cap.PLANNING_EDIT)
    if kind not in PlanKind.values:
        raise ValidationError({"kind": ValidationError("请选择附件类型。", code="invalid_choice")})
    if len(content) > MAX_SHEET_BYTES:
        raise ValidationError({"file": ValidationError("文件超过 5 MB。", code=PlanError.BAD_FILE)})
    sheet = read_plan_sheet(content)
    if sheet.kind and sheet.kind != kind:
        raise ValidationError(
            {"kind": ValidationError(
                f"文件标题是{KIND_WORDS[sheet.kind]}的表（{PlanKind(sheet.kind).label}），与所选附件类型不符。",
                code=PlanError.WRONG_ATTACHMENT,
            )}
        )  # fmt: skip
    # The year a deadline without one (年底前) is read in; the items' plan year is the one given, else
    # the sheet title's (2021年通辽市拟新建…), else each row's deadline year, else this year.
    item_year = plan_year or sheet.plan_year
    year = item_year or timezone.localdate().year
    counties = city_counties(actor)
    names = [c.name for c in counties]
    by_name = {c.name: c for c in counties}
    city_prefix = actor.region.code[:4]
    matcher = SiteMatcher(city_prefix)
    outcomes: list[RowOutcome] = []
    carried = ""
    existing = {
        (i.region_id, normalize.clean_text(i.name)): i
        for i in actor.scope.apply(PlanItem.objects.filter(kind=kind))
    }
    batch = PlanImport(region=actor.region, kind=kind, filename=filename[:200], created_by=actor)
    with transaction.atomic():
        batch.file.save(f"plan-{kind}-{timezone.now():%Y%m%d%H%M%S}.xlsx", io.BytesIO(content), save=False)
        batch.save()
        for position, row in enumerate(sheet.rows, start=1):
            if isinstance(row, tuple):
                what, number = row
                message = "空行，已跳过" if what == "blank" else "重复的表头行（分页处），已跳过"
                outcomes.append(RowOutcome(number, "skipped", [message]))
                continue
            outcome, carried = _import_row(
                actor=actor, row=row, kind=kind, year=year, item_year=item_year, names=names, by_name=by_name, carried=carried,
                matcher=matcher, city_prefix=city_prefix, existing=existing, batch=batch, position=position,
            )  # fmt: skip
            outcomes.append(outcome)
        batch.rows_total = len(outcomes)
        batch.rows_created = sum(o.status == "created" for o in outcomes)
        batch.rows_updated = sum(o.status == "updated" for o in outcomes)
        batch.rows_warned = sum(o.status in ("created", "updated") and bool(o.messages) for o in outcomes)
        batch.rows_failed = sum(o.status == "error" for o in outcomes)
        batch.report = [o.as_dict() for o in outcomes]
        batch.save()
        audit.record(
            actor=actor, action=audit.Action.IMPORT, obj=batch,
            summary=f"导入{PlanKind(kind).label}计划表 {filename}：新增 {batch.rows_created}，更新 {batch.rows_updated}，"
                    f"未导入 {batch.rows_failed}",
        )  # fmt: skip
    return batch


def _import_row(*, actor, row: SheetRow, kind, year, item_year, names, by_name, carried, matcher, city_prefix, existing,
                batch, position) -> tuple[RowOutcome, str]:  # fmt: skip
    v = row.values
    messages, fields = [], []
    raw_county, raw_name = v.get("county"), v.get("name")
    county_text = normalize.clean_text(raw_county)
    name = normalize.clean_text(raw_name)
    # A county typed into the name cell, or a name into the county cell.
    split_county, rest = normalize.split_leading_county(str(raw_county or ""), names)
    if split_county and not name:
        county_text, name = split_county, rest
        messages.append(f"旗县单元格中含名称，已拆分为“{split_county}”和“{rest}”")
    elif not county_text:
        split_county, rest = normalize.split_leading_county(str(raw_name or ""), names)
        if split_county:
            county_text, name = split_county, rest
            messages.append(f"名称单元格以旗县开头，已拆分为“{split_county}”和“{rest}”")
    county_name, note = normalize.match_county(county_text, names) if county_text else (None, "")
    was_carried = False
    if county_text and county_name is None:
        outcome = RowOutcome(row.number, "error", [note], name=name, county=county_text)
        return outcome, carried
    if county_name:
        carried = county_name
        if note:
            messages.append(note)
    elif carried:
        county_name, was_carried = carried, True
        messages.append(f"旗县单元格为{'合并单元格' if row.merged_county else '空白'}，沿用上一行的{carried}")
    if not name:
        return RowOutcome(row.number, "error", ["缺少名称，未导入"], county=county_name or ""), carried
    if not county_name:
        return RowOutcome(row.number, "error", ["缺少旗县（市、区），未导入"], name=name), carried
    county = by_name[county_name]
    fields.append({"label": "旗县", "original": _text(raw_county), "value": county.name})
    # The site: inside the county; a carried-down county whose site lies in exactly one other
    # county of the city (or whose name begins with that county) is moved there, with a note.
    site_text = normalize.clean_text(v.get("site")).replace(" ", "")
    site, site_note = matcher.match(site_text, county.code[:6])
    if was_carried:
        elsewhere = None
        for other in names:
            for alias in sorted(normalize.county_aliases(other), key=len, reverse=True):
                if other != county.name and name.startswith(alias) and len(alias) >= 3:
                    elsewhere = by_name[other]
                    break
            if elsewhere:
                break
        if elsewhere is None and site is None and site_text:
            found = matcher.counties_with(site_text, city_prefix) - {county.code[:6]}
            if len(found) == 1:
                code = found.pop()
                elsewhere = next(c for c in by_name.values() if c.code.startswith(code))
        if elsewhere is not None:
            messages[-1] = (
                f"旗县单元格为空（沿用上一行为{county.name}），但名称或所在地属于{elsewhere.name}，按{elsewhere.name}导入，请核对"
            )
            county = elsewhere
            site, site_note = matcher.match(site_text, county.code[:6])
            fields[0]["value"] = county.name
    if site_note:
        messages.append("所在街道/社区" + site_note)
    fields.append({"label": "所在街道/社区", "original": _text(v.get("site")),
                   "value": site.name if site else "（未关联）"})  # fmt: skip
    if not actor.scope.contains(county.code):
        messages.append(f"{county.name}不在您的管辖范围内，未导入")
        return RowOutcome(
            row.number, "error", messages, name=name, county=county.name, fields=fields
        ), carried
    deadline, note = normalize.parse_deadline(v.get("deadline"), plan_year=year)
    fields.append({"label": "完成时限", "original": _text(v.get("deadline")),
                   "value": deadline.isoformat() if deadline else "（未识别）"})  # fmt: skip
    if note:
        messages.append(f"完成时限：{note}")
    phone = normalize.parse_plan_phone(v.get("phone"))
    if _text(v.get("phone")) or v.get("person"):
        fields.append({"label": "联系电话", "original": mask_phone(_text(v.get("phone"))),
                       "value": mask_phone(phone.value) if phone.ok else "（未识别）"})  # fmt: skip
    if phone.note:  # the note may quote the number: masked on the report like the values
        messages.append("联系电话：" + _DIGITS.sub(lambda m: mask_phone(m[0]), phone.note))
    person = normalize.clean_text(v.get("person"))
    if not person:
        messages.append("未填写责任人")
    beds, note = normalize.parse_count(v.get("beds"))
    if note:
        messages.append(f"床位数：{note}")
    covers = normalize.clean_text(v.get("covers"))
    count, note = normalize.parse_count(covers)
    if note:
        messages.append(f"覆盖社区数：{note}")
    remarks = normalize.clean_text(v.get("remarks"))
    area, note = normalize.parse_area(v.get("area")) if v.get("area") else (None, "")
    if area is None:
        area, note = normalize.parse_area(remarks)
    if area is not None or note:
        fields.append({"label": "面积（m²）", "original": remarks or _text(v.get("area")),
                       "value": str(area) if area is not None else "（未识别）"})  # fmt: skip
        if area is None:
            messages.append(note)
    budget_yuan = _decimal(v.get("budget"), 2)
    values = {
        "kind": kind, "plan_year": item_year or (deadline.year if deadline else year), "name": name[:200], "site_region_text": site_text[:200],
        "communities_covered": str(count) if count is not None else covers, "deadline": deadline,
        "deadline_text": _text(v.get("deadline"))[:100], "beds": beds,
        "main_services": normalize.clean_text(v.get("services")), "responsible_person": person[:100],
        "phone": phone.value, "phone_text": _text(v.get("phone"))[:100], "remarks": remarks, "area_m2": area,
        "longitude": _decimal(v.get("longitude")), "latitude": _decimal(v.get("latitude")),
        "budget_fen": int(budget_yuan * 100) if budget_yuan is not None else None,
    }  # fmt: skip
    source = _json_row(v)
    key = (county.code, normalize.clean_text(name))
    item = existing.get(key)
    if item is not None:
        before = _snapshot(item)
        for k, value in values.items():
            setattr(item, k, value)
        item.site_region, item.import_batch, item.source_row = site, batch, source
        item.updated_at = timezone.now()
        status = "updated"
    else:
        item = PlanItem(region=county, site_region=site, import_batch=batch, source_row=source, created_by=actor,
                        position=position, **values)  # fmt: skip
        before = None
        status = "created"
    try:
        item.full_clean()
    except ValidationError as exc:
        messages.extend(f"{_label(k)}：{'；'.join(m)}" for k, m in exc.message_dict.items())
        messages.append("未导入")
        return RowOutcome(
            row.number, "error", messages, name=name, county=county.name, fields=fields
        ), carried
    item.save()
    existing[key] = item
    if before is None:
        _event(item, actor, "imported", f"由导入批次 #{batch.pk} 第 {row.number} 行新建", {"row": row.number})
    else:
        changes = audit.diff(before, _snapshot(item), personal={"phone": "phone", "phone_text": "phone"})
        _event(item, actor, "imported", f"由导入批次 #{batch.pk} 第 {row.number} 行更新", changes)
    return RowOutcome(row.number, status, messages, name=name, county=county.name, fields=fields), carried


# --- export in the attachment layout ----------------------------------------------------------------

EXPORT_TITLE = {
    PlanKind.STREET_CENTRE: "通辽市拟新建（街道层面）居家社区养老服务规划统计表",
    PlanKind.COMMUNITY_STATION: "通辽市拟新建（社区层面）居家社区养老服务站规划统计表",
}
EXPORT_HEADER = {
    PlanKind.STREET_CENTRE: ["序号", "旗县（市区）", "街道层面居家社区养老服务中心名称", "所在街道"],
    PlanKind.COMMUNITY_STATION: ["序号", "旗县（市区）", "社区层面居家社区养老服务站名称", "所在社区"],
}
EXPORT_COMMON = ["拟服务覆盖几个社区", "建设完成时限", "设置床位数量(张)", "为老年人提供的主要服务", "责任人",
                 "联系电话", "备注", "面积(m²)", "进展状态", "完成比例(%)", "报送月份", "存在问题", "对应设施"]  # fmt: skip


_EXCEL_MAX_TEXT = 32_767  # Excel's limit per cell; longer text makes Excel "repair" the file


def _excel_safe(sheet, row: int) -> None:
    """Make a written row open cleanly in Excel: text that looks like a formula (=, +, -, @ typed into
    a remark) stays text instead of becoming a formula Excel evaluates or refuses, and over-long text
    is cut at Excel's limit."""
    for cell in sheet[row]:
        if cell.data_type == "f":
            cell.data_type = "s"
        if isinstance(cell.value, str) and len(cell.value) > _EXCEL_MAX_TEXT:
            cell.value = cell.value[: _EXCEL_MAX_TEXT - 1] + "…"


def _sheet_text(value):
    """Control characters (a stray BEL pasted from another system) are not allowed in the file."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def export_workbook(
    *, actor, region: str = "", filters: PlanFilters | None = None, today: date | None = None
) -> bytes:
    """Both attachments, one sheet each, in the attachment's columns (the county cell merged over
    its rows, as the counties send it) plus the latest progress. Re-importable. ``filters`` are the
    list page's (search, region, progress, overdue, plan year); the title carries the plan year.
    The responsible person's phone is masked for readers who neither edit nor report (as on the page)."""
    _require(actor, Cap.PLANNING_VIEW)
    filters = filters or PlanFilters(region=region)
    show_phone = actor.can(Cap.PLANNING_EDIT) or actor.can(Cap.PLANNING_REPORT)
    book = Workbook()
    book.remove(book.active)
    latest_problems = _latest("problems")
    for kind in PlanKind:
        items = list(
            plan_items(actor=actor, filters=replace(filters, kind=kind), today=today).annotate(
                latest_problems=latest_problems
            )
        )
        sheet = book.create_sheet("附件1" if kind == PlanKind.STREET_CENTRE else "附件2")
        header = EXPORT_HEADER[kind] + EXPORT_COMMON
        year = int(filters.year) if str(filters.year).isdigit() else (today or timezone.localdate()).year
        sheet.append([f"{year}年{EXPORT_TITLE[kind]}"])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
        sheet["A1"].font = Font(bold=True, size=14)
        sheet.append(header)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, horizontal="center")
        first_of_county, county = 3, None
        for number, item in enumerate(items, start=1):
            row = sheet.max_row + 1
            if item.region_id != county:
                if county is not None and row - 1 > first_of_county:
                    sheet.merge_cells(
                        start_row=first_of_county, start_column=2, end_row=row - 1, end_column=2
                    )
                county, first_of_county = item.region_id, row
            phone = item.phone or item.phone_text
            sheet.append([_sheet_text(v) for v in (
                number, item.region.name, item.name, item.site_region_text, item.communities_covered,
                item.deadline if item.deadline else item.deadline_text, item.beds, item.main_services,
                item.responsible_person, phone if show_phone else mask_phone(phone), item.remarks,
                float(item.area_m2) if item.area_m2 is not None else None,
                ProgressStatus(item.latest_status).label if item.latest_status else "未报送",
                item.latest_percent, item.latest_month.strftime("%Y-%m") if item.latest_month else "",
                item.latest_problems or "", item.facility.name if item.facility else "",
            )])  # fmt: skip
            _excel_safe(sheet, row)
            sheet.cell(row=row, column=6).number_format = "yyyy-mm-dd"
        if county is not None and sheet.max_row > first_of_county:
            sheet.merge_cells(start_row=first_of_county, start_column=2, end_row=sheet.max_row, end_column=2)
        for index, width in enumerate((5, 12, 30, 14, 8, 12, 8, 36, 8, 14, 10, 8, 8, 8, 9, 24, 20), start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    audit.record(actor=actor, action=audit.Action.EXPORT, object_type="planning.plans",
                 summary=f"导出建设计划进度表（区划 {filters.region or actor.region_id}，{year} 年）")  # fmt: skip
    return buffer.getvalue()


def month_choices(now: datetime, count: int = 12) -> list[date]:
    """The months a report may be entered for, newest (the one being collected) first."""
    latest = reporting_month(now)
    return [add_months(latest, -n) for n in range(count)]


def report_summary(now: datetime) -> dict:
    month = reporting_month(now)
    return {"month": month, "opens": report_opens_at(month), "due": report_due_at(month),
            "past_due": now > report_due_at(month)}  # fmt: skip
