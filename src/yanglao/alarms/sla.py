"""The desk's service level: how fast alarms are answered and closed, against the telecare standard.

The industry's published target is 97.5% of alarm calls answered within 60 s and 99% within 180 s.
Here "answered" is the acknowledgement (the claim on the board), and the population the targets
apply to is the *alarm calls*: emergency and urgent alarms (SOS, fall, smoke, gas, leaving the fence).
Check-on, device-offline and maintenance alarms are reported too, but no target applies to them.

Definitions (tests pin each on constructed data):

- Time to acknowledge = ``acknowledged_at − opened_at``; within 60 s means ≤ 60 s (exactly 60 s
  counts as within). An alarm still unacknowledged counts as *not within* once the threshold has
  passed at the moment of the report, and is left out (pending) before that.
- Hotline calls are left out of the acknowledgement figures: the operator registers them while
  already talking to the caller, so their ringing time is not known to the platform. They count in
  the resolution figures.
- Time to resolve = ``resolved_at − opened_at`` over the alarms resolved (still-open ones are
  counted as unresolved, not timed).
- Median: the middle value (the mean of the two middle values for an even count). p95: nearest
  rank — the smallest value with at least 95% of the values at or below it.
- The period is by local date (Asia/Shanghai) of ``opened_at``, both ends included.
"""

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone

from yanglao.alarms.desk_errors import DeskErrorCode as E
from yanglao.alarms.desk_selectors import alarms_in_scope, local_day_start
from yanglao.alarms.models import AlarmCause, AlarmKind
from yanglao.regions.models import Region
from yanglao.regions.selectors import scope_narrowed

TARGET_60 = 0.975
TARGET_180 = 0.99
MEASURED_KINDS = (AlarmKind.EMERGENCY, AlarmKind.URGENT)
MAX_PERIOD_DAYS = 366
# The level a report breaks a scope down into: the next one below the scope's own.
_CHILD_PREFIX = {2: 4, 4: 6, 6: 9, 9: 12, 12: 12}


def percentile(sorted_values: list[float], p: float) -> float | None:
    """Nearest rank: the value at rank ⌈p/100 · n⌉ of the sorted values."""
    if not sorted_values:
        return None
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


@dataclass(frozen=True)
class Row:
    kind: str
    cause: str
    region_code: str
    opened_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None


@dataclass
class Figures:
    key: str
    label: str
    targeted: bool
    alarms: int = 0
    measured_60: int = 0
    measured_180: int = 0
    within_60: int = 0
    within_180: int = 0
    pending: int = 0
    resolved: int = 0
    ack_median_s: float | None = None
    ack_p95_s: float | None = None
    resolve_median_s: float | None = None
    resolve_p95_s: float | None = None

    @property
    def share_60(self) -> float | None:
        return self.within_60 / self.measured_60 if self.measured_60 else None

    @property
    def share_180(self) -> float | None:
        return self.within_180 / self.measured_180 if self.measured_180 else None

    @property
    def meets_60(self) -> bool | None:
        return None if self.share_60 is None else self.share_60 >= TARGET_60

    @property
    def meets_180(self) -> bool | None:
        return None if self.share_180 is None else self.share_180 >= TARGET_180

    @property
    def unresolved(self) -> int:
        return self.alarms - self.resolved

    # How the page shows them.
    @property
    def share_60_text(self) -> str:
        return percent(self.share_60)

    @property
    def share_180_text(self) -> str:
        return percent(self.share_180)

    @property
    def ack_median_text(self) -> str:
        return duration(self.ack_median_s)

    @property
    def ack_p95_text(self) -> str:
        return duration(self.ack_p95_s)

    @property
    def resolve_median_text(self) -> str:
        return duration(self.resolve_median_s)

    @property
    def resolve_p95_text(self) -> str:
        return duration(self.resolve_p95_s)


def figures(
    rows: list[Row], *, now: datetime, key: str = "", label: str = "", targeted: bool = True
) -> Figures:
    out = Figures(key=key, label=label, targeted=targeted, alarms=len(rows))
    ack_times: list[float] = []
    resolve_times: list[float] = []
    for row in rows:
        if row.resolved_at is not None:
            out.resolved += 1
            resolve_times.append(max((row.resolved_at - row.opened_at).total_seconds(), 0.0))
        if row.cause == AlarmCause.HOTLINE:
            continue
        if row.acknowledged_at is not None:
            waited = max((row.acknowledged_at - row.opened_at).total_seconds(), 0.0)
            ack_times.append(waited)
            out.measured_60 += 1
            out.measured_180 += 1
            out.within_60 += waited <= 60
            out.within_180 += waited <= 180
            continue
        age = (now - row.opened_at).total_seconds()
        if age > 60:
            out.measured_60 += 1
        else:
            out.pending += 1
        if age > 180:
            out.measured_180 += 1
    ack_times.sort()
    resolve_times.sort()
    out.ack_median_s, out.ack_p95_s = median(ack_times), percentile(ack_times, 95)
    out.resolve_median_s, out.resolve_p95_s = median(resolve_times), percentile(resolve_times, 95)
    return out


@dataclass
class Report:
    date_from: date
    date_to: date
    region_code: str
    region_name: str
    overall: Figures
    by_kind: list[Figures]
    by_region: list[Figures]
    by_region_kind: list[tuple[str, Figures]] = field(default_factory=list)
    targets: tuple[float, float] = (TARGET_60, TARGET_180)


def check_period(date_from: date | None, date_to: date | None) -> tuple[date, date]:
    """Default: this month up to today. Refuses an inverted or over-long period."""
    today = timezone.localdate()
    date_to = date_to or today
    date_from = date_from or date_to.replace(day=1)
    if date_from > date_to:
        raise ValidationError(
            {"date_from": ValidationError("起始日期不能晚于截止日期。", code=E.PERIOD_INVALID)}
        )
    if (date_to - date_from).days >= MAX_PERIOD_DAYS:
        raise ValidationError(
            {"date_from": ValidationError(f"统计期间不能超过 {MAX_PERIOD_DAYS} 天。", code=E.PERIOD_INVALID)}
        )
    return date_from, date_to


def report(
    *,
    actor,
    date_from: date | None = None,
    date_to: date | None = None,
    region: str = "",
    now: datetime | None = None,
) -> Report:
    now = now or timezone.now()
    date_from, date_to = check_period(date_from, date_to)
    scope = scope_narrowed(scope=actor.scope, code=region)
    alarms = alarms_in_scope(actor=actor, region=region).filter(
        opened_at__gte=local_day_start(date_from), opened_at__lt=local_day_start(date_to + timedelta(days=1))
    )
    rows = [
        Row(*values)
        for values in alarms.order_by().values_list(
            "kind", "cause", "region_code", "opened_at", "acknowledged_at", "resolved_at"
        )
    ]
    region_obj = Region.objects.filter(prefix=scope.prefix).first() if not scope.is_empty else None
    overall = figures(
        [r for r in rows if r.kind in MEASURED_KINDS], now=now, key="calls", label="呼叫类告警（紧急、加急）"
    )
    by_kind = [
        figures(
            [r for r in rows if r.kind == kind],
            now=now,
            key=kind,
            label=kind.label,
            targeted=kind in MEASURED_KINDS,
        )
        for kind in AlarmKind
    ]
    width = _CHILD_PREFIX.get(len(scope.prefix), 12)
    groups: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        groups[row.region_code[:width]].append(row)
    names = dict(Region.objects.filter(prefix__in=list(groups)).values_list("prefix", "name"))
    by_region = []
    by_region_kind = []
    for prefix in sorted(groups):
        name = names.get(prefix, prefix)
        members = groups[prefix]
        by_region.append(
            figures([r for r in members if r.kind in MEASURED_KINDS], now=now, key=prefix, label=name)
        )
        for kind in AlarmKind:
            of_kind = [r for r in members if r.kind == kind]
            if of_kind:
                by_region_kind.append(
                    (
                        name,
                        figures(
                            of_kind, now=now, key=kind, label=kind.label, targeted=kind in MEASURED_KINDS
                        ),
                    )
                )
    return Report(
        date_from=date_from,
        date_to=date_to,
        region_code=region_obj.code if region_obj else "",
        region_name=region_obj.full_name if region_obj else "",
        overall=overall,
        by_kind=by_kind,
        by_region=by_region,
        by_region_kind=by_region_kind,
    )


def duration(seconds: float | None) -> str:
    """``75`` → ``1分15秒``; ``None`` → ``—``."""
    if seconds is None:
        return "—"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}小时{minutes}分"
    if minutes:
        return f"{minutes}分{secs}秒"
    return f"{secs}秒"


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.1f}%"


def xlsx(report: Report) -> bytes:
    """The report as a workbook: the headline, by kind, by region, by region and kind."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    header = ["项目", "告警数", "60秒内受理", "60秒受理率", "180秒内受理", "180秒受理率", "达标(97.5%)", "达标(99%)",
              "受理时长中位数(秒)", "受理时长P95(秒)", "已结案", "结案时长中位数(秒)", "结案时长P95(秒)"]  # fmt: skip

    def line(label: str, f: Figures) -> list:
        def ok(value):
            return "" if value is None or not f.targeted else ("是" if value else "否")

        def num(value):
            return None if value is None else round(value, 1)

        return [label, f.alarms, f.within_60, num(f.share_60 and f.share_60 * 100), f.within_180,
                num(f.share_180 and f.share_180 * 100), ok(f.meets_60), ok(f.meets_180), num(f.ack_median_s),
                num(f.ack_p95_s), f.resolved, num(f.resolve_median_s), num(f.resolve_p95_s)]  # fmt: skip

    book = Workbook()
    summary = book.active
    summary.title = "总体"
    summary.append([f"呼叫中心服务水平 {report.region_name}", f"{report.date_from} 至 {report.date_to}"])
    summary["A1"].font = Font(bold=True)
    summary.append(
        ["目标：60秒内受理率 ≥ 97.5%，180秒内受理率 ≥ 99%（呼叫类告警：紧急、加急；热线来电不计受理时长）"]
    )
    summary.append(header)
    summary.append(line(report.overall.label, report.overall))
    for title, rows in (("按类别", [(f.label, f) for f in report.by_kind]),
                        ("按区划", [(f.label, f) for f in report.by_region])):  # fmt: skip
        sheet = book.create_sheet(title)
        sheet.append(header)
        for label, f in rows:
            sheet.append(line(label, f))
    sheet = book.create_sheet("按区划和类别")
    sheet.append(["区划", *header])
    for region_name, f in report.by_region_kind:
        sheet.append([region_name, *line(f.label, f)])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
