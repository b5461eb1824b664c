"""Rules about a region's network as a whole, computed from its facilities (003, 004, 001 §5.1)."""

from dataclasses import dataclass

from django.db.models import Count, Q, Sum

from yanglao.facilities.checks import MET, NOT_MET, UNKNOWN, Outcome
from yanglao.facilities.models import INSTITUTION_TYPES, FacilityStatus, FacilityType
from yanglao.facilities.selectors import scoped
from yanglao.regions.models import Region
from yanglao.regions.scope import Scope


@dataclass
class RegionalCheck:
    code: str
    title: str
    rule: str
    seed: str
    outcome: Outcome
    misses: list[str]  # the places that miss it, for the drill-down


def streets_under(scope: Scope):
    return scope.apply(Region.objects.filter(level="township", name__endswith="街道"), "code").order_by(
        "code"
    )


def street_centres(scope: Scope) -> RegionalCheck:
    streets = list(streets_under(scope))
    centres = scoped(scope).filter(status=FacilityStatus.OPERATING, type=FacilityType.TOWNSHIP_CENTRE)
    # A centre stands in its street or in one of the street's communities: the street is the code's first 9 digits.
    with_centre = {code[:9] + "000" for code in centres.values_list("region_id", flat=True)}
    missing = [s.name for s in streets if s.code not in with_centre]
    if not streets:
        outcome = Outcome(MET, "辖区内没有街道")
    else:
        outcome = Outcome(
            MET if not missing else NOT_MET,
            f"{len(streets) - len(missing)}/{len(streets)} 个街道已有运营中的综合养老服务中心",
        )
    return RegionalCheck(
        "street_centres",
        "每个街道一个综合养老服务中心",
        "每个街道至少 1 个",
        "001 §5.1.2；002",
        outcome,
        missing,
    )


def street_canteens(scope: Scope) -> RegionalCheck:
    streets = list(streets_under(scope))
    counts = dict(
        scoped(scope)
        .filter(status=FacilityStatus.OPERATING, type=FacilityType.CANTEEN)
        .values_list("region_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    per_street = {s.name: sum(n for code, n in counts.items() if code.startswith(s.prefix)) for s in streets}
    missing = [name for name, n in per_street.items() if n < 1]
    if not streets:
        outcome = Outcome(MET, "辖区内没有街道")
    else:
        many = [name for name, n in per_street.items() if n > 2]
        detail = f"{len(streets) - len(missing)}/{len(streets)} 个街道有助餐点"
        if many:
            detail += f"；{len(many)} 个街道超过 2 个（规划 1–2 个）"
        outcome = Outcome(MET if not missing else NOT_MET, detail)
    return RegionalCheck("street_canteens", "街道老年食堂", "每个街道 1–2 个", "001 §5.1.3", outcome, missing)


def nursing_bed_share(scope: Scope) -> RegionalCheck:
    beds = (
        scoped(scope)
        .filter(status=FacilityStatus.OPERATING)
        .filter(Q(type__in=INSTITUTION_TYPES) | Q(type=FacilityType.COUNTY_CENTRE))
        .aggregate(total=Sum("beds_total"), nursing=Sum("beds_nursing"))
    )
    total, nursing = beds["total"] or 0, beds["nursing"] or 0
    if not total:
        outcome = Outcome(UNKNOWN, "没有登记床位的运营中养老机构")
    else:
        outcome = Outcome(
            MET if nursing * 100 >= total * 55 else NOT_MET,
            f"护理型床位 {nursing}/{total}（{nursing * 100 / total:.1f}%）",
        )
    return RegionalCheck(
        "nursing_bed_share", "养老机构护理型床位占比", "全市养老机构护理型床位 ≥ 55%", "004", outcome, []
    )


def regional_checks(scope: Scope) -> list[RegionalCheck]:
    """The facility rules for the region a scope stands for (narrow a user's scope to the region first)."""
    return [street_centres(scope), street_canteens(scope), nursing_bed_share(scope)]
