"""The policy rules that apply to a single facility, each a named check with its seed reference.

Every check answers, from the record alone, ``met``, ``not_met`` or ``unknown`` (data missing),
and can say in SQL which facilities fail it, so the list can be filtered by a failing check.
Both forms are tested to agree. Regional rules (a centre in every street, beds per 1000 elders…)
are in ``regional.py``.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import F, Q

from yanglao.facilities.models import INSTITUTION_TYPES, Facility, FacilityType, OperatingMode

MET, NOT_MET, UNKNOWN = "met", "not_met", "unknown"
STATUS_LABELS = {MET: "达标", NOT_MET: "未达标", UNKNOWN: "信息不全"}


@dataclass(frozen=True)
class Outcome:
    status: str
    detail: str

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]


@dataclass(frozen=True)
class Check:
    code: str
    title: str
    rule: str
    seed: str
    applies: Callable[[Facility], bool]
    evaluate: Callable[[Facility, date], Outcome]
    failing: Callable[[date], Q]


# --- where a facility stands --------------------------------------------------------------------

COMMUNITY_MARKS = ("社区", "居委会")


def in_street(facility: Facility) -> bool:
    region = facility.region
    parent = region.parent if region.level == "village" else None
    return region.name.endswith("街道") or (parent is not None and parent.name.endswith("街道"))


def in_community(facility: Facility) -> bool:
    name = facility.region.name
    return facility.region.level == "village" and (
        any(m in name for m in COMMUNITY_MARKS) or name.endswith("生活区")
    )


def in_village(facility: Facility) -> bool:
    return facility.region.level == "village" and not in_community(facility)


Q_STREET = Q(region__name__endswith="街道") | Q(
    region__level="village", region__parent__name__endswith="街道"
)
Q_COMMUNITY = Q(region__level="village") & (
    Q(region__name__contains="社区") | Q(region__name__contains="居委会") | Q(region__name__endswith="生活区")
)
Q_VILLAGE = Q(region__level="village") & ~Q_COMMUNITY


# --- the checks -----------------------------------------------------------------------------------


def _ratio_text(part, whole) -> str:
    return f"{part}/{whole}（{Decimal(part) * 100 / whole:.1f}%）"


def county_centre_nursing_beds(f: Facility, today: date) -> Outcome:
    if not f.beds_total or f.beds_nursing is None:
        return Outcome(UNKNOWN, "未填写床位数或护理型床位数")
    ok = f.beds_nursing * 5 >= f.beds_total * 4
    return Outcome(
        MET if ok else NOT_MET, f"护理型床位 {_ratio_text(f.beds_nursing, f.beds_total)}，要求 ≥ 80%"
    )


def street_centre_area(f: Facility, today: date) -> Outcome:
    if f.floor_area is None:
        return Outcome(UNKNOWN, "未填写建筑面积")
    return Outcome(MET if f.floor_area >= 1000 else NOT_MET, f"建筑面积 {f.floor_area} m²，要求 ≥ 1000 m²")


def community_station_area(f: Facility, today: date) -> Outcome:
    if f.floor_area is None:
        return Outcome(UNKNOWN, "未填写建筑面积")
    if f.floor_area < 350:
        return Outcome(NOT_MET, f"建筑面积 {f.floor_area} m²，要求 ≥ 350 m²")
    if not f.households_served:
        return Outcome(
            UNKNOWN, f"建筑面积 {f.floor_area} m² 达到 350 m²；未填写服务户数，无法核对每百户 20 m²"
        )
    needed = Decimal(f.households_served) * Decimal("0.2")
    ok = f.floor_area >= needed
    return Outcome(
        MET if ok else NOT_MET,
        f"建筑面积 {f.floor_area} m²，服务 {f.households_served} 户需 ≥ {needed:.0f} m²（每百户 20 m²）",
    )


def village_point_area(f: Facility, today: date) -> Outcome:
    if f.floor_area is None:
        return Outcome(UNKNOWN, "未填写建筑面积")
    need = 150 if f.natural_village else 200
    where = "自然村" if f.natural_village else "行政村"
    return Outcome(
        MET if f.floor_area >= need else NOT_MET, f"建筑面积 {f.floor_area} m²，{where}要求 ≥ {need} m²"
    )


def institution_medical(f: Facility, today: date) -> Outcome:
    reasons = []
    if f.beds_total is not None and f.beds_total >= 100:
        reasons.append(f"床位 {f.beds_total} 张（≥ 100）")
    if f.is_destitute_home and f.residents is not None and f.residents >= 30:
        reasons.append(f"特困供养机构在住 {f.residents} 人（≥ 30）")
    if not reasons:
        return Outcome(MET, "规模未达到须设医疗机构的标准")
    need = "、".join(reasons)
    return Outcome(
        MET if f.has_medical else NOT_MET, f"{need}，{'已' if f.has_medical else '未'}设医疗机构或护理站"
    )


def canteen_capacity(f: Facility, today: date) -> Outcome:
    if not f.residents_65_served or f.meal_capacity is None:
        return Outcome(UNKNOWN, "未填写日供餐能力或服务范围内 65 岁以上人数")
    needed = Decimal(f.residents_65_served) * Decimal("0.05")
    ok = f.meal_capacity * 20 >= f.residents_65_served
    return Outcome(
        MET if ok else NOT_MET,
        f"日供餐 {f.meal_capacity} 份，{f.residents_65_served} 位 65 岁以上老人的 5% 为 {needed:.0f} 份",
    )


def contract_valid(f: Facility, today: date) -> Outcome:
    if f.contract_end is None:
        return Outcome(UNKNOWN, "未填写公建民营合同期限")
    if f.contract_end < today:
        return Outcome(NOT_MET, f"合同已于 {f.contract_end} 到期")
    return Outcome(MET, f"合同有效至 {f.contract_end}")


CHECKS: list[Check] = [
    Check(
        "county_centre_nursing_beds", "县级中心护理型床位", "护理型床位占比 ≥ 80%", "000 §14",
        applies=lambda f: f.type == FacilityType.COUNTY_CENTRE,
        evaluate=county_centre_nursing_beds,
        failing=lambda today: Q(type=FacilityType.COUNTY_CENTRE, beds_total__gt=0, beds_nursing__isnull=False)
        & Q(nursing_x5__lt=F("beds_total") * 4),
    ),
    Check(
        "street_centre_area", "街道综合养老服务中心面积", "建筑面积 ≥ 1000 m²", "001 §5.1.2；002",
        applies=lambda f: f.type == FacilityType.TOWNSHIP_CENTRE and in_street(f),
        evaluate=street_centre_area,
        failing=lambda today: Q(type=FacilityType.TOWNSHIP_CENTRE, floor_area__lt=1000) & Q_STREET,
    ),
    Check(
        "community_station_area", "社区养老服务站面积", "≥ 350 m²，且每百户 ≥ 20 m²", "001 §5.2.2",
        applies=lambda f: f.type == FacilityType.STATION and in_community(f),
        evaluate=community_station_area,
        failing=lambda today: Q(type=FacilityType.STATION)
        & Q_COMMUNITY
        & (Q(floor_area__lt=350) | Q(households_served__gt=0, area_x5__lt=F("households_served"))),
    ),
    Check(
        "village_point_area", "嘎查村养老服务点面积", "行政村 ≥ 200 m²，自然村 ≥ 150 m²", "003",
        applies=lambda f: f.type in (FacilityType.STATION, FacilityType.MUTUAL_AID) and in_village(f),
        evaluate=village_point_area,
        failing=lambda today: Q(type__in=[FacilityType.STATION, FacilityType.MUTUAL_AID])
        & Q_VILLAGE
        & (Q(natural_village=False, floor_area__lt=200) | Q(natural_village=True, floor_area__lt=150)),
    ),
    Check(
        "institution_medical", "养老机构医疗机构或护理站", "≥ 100 张床位或在住 ≥ 30 名特困人员的机构须设医疗机构或护理站", "004",
        applies=lambda f: f.type in (*INSTITUTION_TYPES, FacilityType.COUNTY_CENTRE) or f.is_destitute_home,
        evaluate=institution_medical,
        failing=lambda today: (Q(type__in=[*INSTITUTION_TYPES, FacilityType.COUNTY_CENTRE]) | Q(is_destitute_home=True))
        & Q(has_medical=False)
        & (Q(beds_total__gte=100) | Q(is_destitute_home=True, residents__gte=30)),
    ),
    Check(
        "canteen_capacity", "助餐点供餐能力", "日供餐能力 ≥ 服务范围内 65 岁以上老人的 5%", "001 §5.1.3",
        applies=lambda f: f.type == FacilityType.CANTEEN,
        evaluate=canteen_capacity,
        failing=lambda today: Q(type=FacilityType.CANTEEN, residents_65_served__gt=0, meal_capacity__isnull=False)
        & Q(meals_x20__lt=F("residents_65_served")),
    ),
    Check(
        "contract_valid", "公建民营合同", "运营合同在有效期内", "000；003",
        applies=lambda f: f.operating_mode == OperatingMode.PUBLIC_PRIVATE,
        evaluate=contract_valid,
        failing=lambda today: Q(operating_mode=OperatingMode.PUBLIC_PRIVATE, contract_end__lt=today),
    ),
]  # fmt: skip
BY_CODE = {check.code: check for check in CHECKS}


def with_check_terms(queryset):
    """The integer products the failing conditions compare (exact, where 0.8 × n in floating
    point is not): annotate a queryset before filtering it with a check's ``failing`` Q."""
    return queryset.annotate(
        nursing_x5=F("beds_nursing") * 5,
        area_x5=F("floor_area") * 5,
        meals_x20=F("meal_capacity") * 20,
    )


@dataclass(frozen=True)
class CheckResult:
    check: Check
    outcome: Outcome


def evaluate(facility: Facility, today: date) -> list[CheckResult]:
    """Every check that applies to this facility, with its outcome (needs region and its parent loaded)."""
    return [
        CheckResult(check, check.evaluate(facility, today)) for check in CHECKS if check.applies(facility)
    ]


def summary(results: list[CheckResult]) -> str:
    if any(r.outcome.status == NOT_MET for r in results):
        return NOT_MET
    if any(r.outcome.status == UNKNOWN for r in results):
        return UNKNOWN
    return MET if results else ""
