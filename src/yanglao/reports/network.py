"""A region's service network: what it has, and whether it meets the regional rules.

Facilities come from the facilities domain, older people from the registry; only here, where both
are read, can the beds-per-1,000-elders rule (003) be computed.
"""

from dataclasses import dataclass

from yanglao.elders import selectors as elder_selectors
from yanglao.facilities import regional
from yanglao.facilities import selectors as facility_selectors
from yanglao.facilities.checks import MET, NOT_MET, UNKNOWN, Outcome
from yanglao.facilities.models import FacilityStatus, FacilityType
from yanglao.regions.models import Region
from yanglao.regions.scope import Scope

BEDS_PER_1000_TARGET = 50


@dataclass
class TypeRow:
    type: str
    label: str
    total: int
    by_status: dict[str, int]

    @property
    def cells(self) -> list[tuple[str, int]]:
        return [(FacilityStatus(code).label, n) for code, n in self.by_status.items()]


@dataclass
class Network:
    region: Region
    rows: list[TypeRow]
    beds_total: int
    beds_nursing: int
    elders: int | None
    beds_per_1000: float | None
    checks: list[regional.RegionalCheck]


def region_network(*, actor, region: Region) -> Network:
    """``region`` must already be one the actor may see (regions.selectors.region_get)."""
    scope = Scope(prefix=region.prefix) if actor.scope.covers(Scope(prefix=region.prefix)) else actor.scope
    counts = facility_selectors.network_counts(scope=scope)
    rows = []
    for type_ in FacilityType:
        by_status = counts["by_type_status"].get(type_.value, {})
        rows.append(
            TypeRow(
                type_.value,
                type_.label,
                sum(by_status.values()),
                {s: by_status.get(s, 0) for s in FacilityStatus.values},
            )
        )
    elders = None
    if actor.can("elders.view"):
        elders = elder_selectors.registry_counts(actor=actor, region_code=region.code)["total"]
    per_1000 = round(counts["beds_total"] * 1000 / elders, 1) if elders else None
    checks = regional.regional_checks(scope)
    if elders is None:
        outcome = Outcome(UNKNOWN, "无权查看老年人数")
    elif not elders:
        outcome = Outcome(UNKNOWN, "辖区内没有在册老年人")
    else:
        outcome = Outcome(
            MET if per_1000 >= BEDS_PER_1000_TARGET else NOT_MET,
            f"运营中床位 {counts['beds_total']} 张，在册老年人 {elders} 人，每千人 {per_1000} 张",
        )
    checks.append(
        regional.RegionalCheck(
            "beds_per_1000", "每千名老年人养老床位", f"≥ {BEDS_PER_1000_TARGET} 张", "003", outcome, []
        )
    )
    return Network(region, rows, counts["beds_total"], counts["beds_nursing"], elders, per_1000, checks)
