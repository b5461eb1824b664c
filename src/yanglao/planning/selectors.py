"""Reading planning data, always inside the reader's region scope, and computing service-circle coverage.

Coverage (15 分钟服务圈, 001 §2.2; 15–20 分钟 in 003)
-------------------------------------------------------
A facility covers the elders within its *service circle*: a travel time turned into a straight-line
radius, ``radius = minutes / 60 × speed × 1000 / detour`` metres. The figures come from the nearest
``CoverageSetting`` on the facility's region path (village → township → county → 盟市 → 自治区); a
region with none uses the defaults below, chosen by the kind of area the facility stands in:

* urban (城镇): a 社区 (its name has 社区), or anything under a 街道 — on foot, 4.5 km/h, detour
  factor 1.3 (street grids): 15 min → about 865 m;
* rural and pastoral (农村牧区): a 嘎查, 村, 苏木, 乡 or 镇 that is not a 社区 — by road, 30 km/h,
  detour 1.4 (roads wind between settlements): 15 min → about 5.4 km.

Only facilities that are operating and offer the service asked about count (``service`` is a
catalogue code, or empty for any facility); ``include_planned`` adds facilities that are planned or
under construction, and the construction plan's items that have coordinates and are not yet linked
to a facility (an item with no services listed counts for every service: a street centre or
community station provides the home-and-community catalogue, 001 §5). Facilities are those the
reader may see anywhere in its scope, so a township's elders can be covered by the next township's
station; facilities of other counties are outside a county officer's view and are not counted.

Where an elder lives: the elder's own coordinates when recorded, otherwise the location of the
elder's village (嘎查村/社区), otherwise of its township — a region's recorded coordinates, or else
the centre of its elders who have coordinates; an elder with none of these is "位置不明",
counted in the total but in neither covered nor uncovered (the page says how many, and which source
each located elder's position came from).

Weights: every elder counts 1; 失能 adds 2, 半失能 1, 独居 1 and 高龄 (80 岁及以上) 1, so a disabled
85-year-old living alone weighs 5. The weights are the setting ``YANGLAO_COVERAGE_WEIGHTS`` (a dict
with the keys of ``DEFAULT_WEIGHTS``) and are shown on the page.

The computation projects everything onto one conformal plane (``spatial.project``) and answers
"is some site within its radius" with k-d trees (``spatial.covered``), never a loop over pairs.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Case, FloatField, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Coalesce
from django.http import Http404
from django.utils import timezone

from yanglao.accounts.roles import Cap
from yanglao.elders import selectors as elder_selectors
from yanglao.elders.models import Category, Elder, LivingSituation
from yanglao.elders.models import Status as ElderStatus
from yanglao.facilities import catalogue
from yanglao.facilities import selectors as facility_selectors
from yanglao.facilities.models import FacilityStatus
from yanglao.planning import spatial
from yanglao.planning.models import (
    CandidateSite,
    CoverageSetting,
    PlanItem,
    RunStatus,
    SitingRun,
    TravelMode,
)
from yanglao.regions.codes import PREFIX_LENGTH
from yanglao.regions.models import Region
from yanglao.regions.scope import Scope
from yanglao.regions.selectors import region_children, region_get, region_root, scope_narrowed

DEFAULT_MINUTES = 15
URBAN_DEFAULT = {"mode": TravelMode.WALK, "speed_kmh": 4.5, "detour": 1.3}
RURAL_DEFAULT = {"mode": TravelMode.ROAD, "speed_kmh": 30.0, "detour": 1.4}
DEFAULT_WEIGHTS = {"disabled": 2.0, "semi_disabled": 1.0, "alone": 1.0, "advanced_age": 1.0}
WEIGHT_LABELS = {
    "disabled": "失能",
    "semi_disabled": "半失能",
    "alone": "独居",
    "advanced_age": "高龄（80 岁及以上）",
}
SERVICE_CHOICES = [("", "任一设施")] + [
    (code, f"{cat}·{item}") for code, cat, item in catalogue.SERVICE_ITEMS
]
# The hex layer: about this many cells across the larger side of the area, never finer than this.
HEX_ACROSS = 40
HEX_MIN_M = 250.0
_NO_COORD = -999.0  # stands for a missing coordinate in the query (NaN is not portable SQL)


def _require(actor, capability=Cap.PLANNING_VIEW) -> None:
    if not actor.can(capability):
        raise PermissionDenied("您没有查看规划数据的权限。")


def weights() -> dict[str, float]:
    return {**DEFAULT_WEIGHTS, **getattr(settings, "YANGLAO_COVERAGE_WEIGHTS", {})}


# --- service-circle settings -----------------------------------------------------------------------


def is_urban(name: str, township_name: str = "") -> bool:
    """A 社区, or anything under a 街道, is urban; 嘎查/村/苏木/乡/镇 otherwise are rural and pastoral."""
    return "社区" in name or "街道" in name or "街道" in township_name


@dataclass(frozen=True)
class Circle:
    minutes: int
    mode: str
    speed_kmh: float
    detour: float
    source: str  # the region code whose setting applies, or "default-urban" / "default-rural"

    @property
    def radius_m(self) -> float:
        return self.minutes / 60.0 * self.speed_kmh * 1000.0 / self.detour

    @property
    def mode_label(self) -> str:
        return TravelMode(self.mode).label


def default_circle(urban: bool) -> Circle:
    values = URBAN_DEFAULT if urban else RURAL_DEFAULT
    return Circle(
        minutes=DEFAULT_MINUTES,
        mode=values["mode"],
        speed_kmh=values["speed_kmh"],
        detour=values["detour"],
        source="default-urban" if urban else "default-rural",
    )


class CircleResolver:
    """The service circle for any region code: the nearest setting up its path, else the default."""

    def __init__(self):
        self.settings = {
            s.region_id: Circle(s.minutes, s.mode, float(s.speed_kmh), float(s.detour), s.region_id)
            for s in CoverageSetting.objects.all()
        }
        self._names: dict[str, str] = {}
        self._cache: dict[str, Circle] = {}

    def load_names(self, codes) -> None:
        wanted = set()
        for code in codes:
            wanted.add(code)
            wanted.add(code[:9].ljust(12, "0"))
        wanted -= set(self._names)
        for start in range(0, len(wanted), 900):
            chunk = list(wanted)[start : start + 900]
            self._names.update(Region.objects.filter(code__in=chunk).values_list("code", "name"))

    def circle(self, code: str) -> Circle:
        if code in self._cache:
            return self._cache[code]
        found = None
        for n in (12, 9, 6, 4, 2):
            candidate = code[:n].ljust(12, "0")
            if candidate in self.settings:
                found = self.settings[candidate]
                break
        if found is None:
            name = self._names.get(code, "")
            township = self._names.get(code[:9].ljust(12, "0"), "") if code[9:] != "000" else ""
            found = default_circle(is_urban(name, township))
        self._cache[code] = found
        return found


def circle_for(region: Region) -> Circle:
    resolver = CircleResolver()
    resolver.load_names([region.code])
    return resolver.circle(region.code)


def coverage_settings(*, actor) -> QuerySet[CoverageSetting]:
    _require(actor)
    return actor.scope.apply(CoverageSetting.objects.select_related("region", "updated_by")).order_by(
        "region_id"
    )


# --- coverage --------------------------------------------------------------------------------------


@dataclass
class CoverageQuery:
    region: str = ""
    service: str = ""
    include_planned: bool = False


@dataclass
class Sites:
    """The sites that cover: facilities (and plan items) with coordinates and their circles."""

    lat: np.ndarray
    lng: np.ndarray
    radius: np.ndarray
    rows: list[dict]  # {"kind": "facility"|"plan", "id", "name", "type", "status", "planned", "radius"}


@dataclass
class Demand:
    ids: np.ndarray
    region: np.ndarray  # 12-digit village codes (str)
    lat: np.ndarray  # nan where unknown
    lng: np.ndarray
    source: np.ndarray  # 0 own coordinates, 1 village, 2 township, 3 unknown
    weight: np.ndarray
    disabled: np.ndarray
    alone: np.ndarray
    advanced: np.ndarray


@dataclass
class SubRow:
    region: Region
    total: int = 0
    located: int = 0
    covered: int = 0
    weight_total: float = 0.0
    weight_covered: float = 0.0

    @property
    def share(self) -> float | None:
        return self.covered / self.located if self.located else None

    @property
    def weighted_share(self) -> float | None:
        return self.weight_covered / self.weight_total if self.weight_total else None

    @property
    def uncovered(self) -> int:
        return self.located - self.covered

    @property
    def share_pct(self) -> str:
        return _pct(self.share)

    @property
    def weighted_pct(self) -> str:
        return _pct(self.weighted_share)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


@dataclass
class CoverageReport:
    region: Region
    query: CoverageQuery
    total: int
    own_location: int
    village_location: int
    township_location: int
    unlocated: int
    covered: int
    weight_total: float
    weight_covered: float
    groups: list[dict]
    rows: list[SubRow]
    sites: list[dict]
    hexes: list[list]
    hex_size_m: float
    circles: list[dict]
    weights: dict
    seconds: float
    demand: Demand = field(repr=False)
    covered_mask: np.ndarray = field(repr=False)
    distance: np.ndarray = field(repr=False)

    @property
    def located(self) -> int:
        return self.total - self.unlocated

    @property
    def uncovered(self) -> int:
        return self.located - self.covered

    @property
    def share(self) -> float | None:
        return self.covered / self.located if self.located else None

    @property
    def weighted_share(self) -> float | None:
        return self.weight_covered / self.weight_total if self.weight_total else None

    @property
    def share_pct(self) -> str:
        return _pct(self.share)

    @property
    def weighted_pct(self) -> str:
        return _pct(self.weighted_share)

    def uncovered_ids(self) -> list[int]:
        """Uncovered located elders, the heaviest first, then by village and id."""
        mask = (~self.covered_mask) & (self.demand.source < 3)
        rows = np.flatnonzero(mask)
        order = np.lexsort((self.demand.ids[rows], self.demand.region[rows], -self.demand.weight[rows]))
        return [int(i) for i in self.demand.ids[rows][order]]

    def distance_of(self) -> dict[int, float]:
        mask = (~self.covered_mask) & (self.demand.source < 3)
        return {int(i): float(d) for i, d in zip(self.demand.ids[mask], self.distance[mask], strict=True)}

    def source_of(self, ids: list[int]) -> dict[int, int]:
        """Where each of ``ids`` was placed: 0 own coordinates, 1 village, 2 township, 3 unknown."""
        wanted = np.isin(self.demand.ids, np.asarray(ids, dtype=np.int64))
        return dict(zip(self.demand.ids[wanted].tolist(), self.demand.source[wanted].tolist(), strict=True))

    def weight_of(self) -> dict[int, float]:
        return {int(i): float(w) for i, w in zip(self.demand.ids, self.demand.weight, strict=True)}


def coverage_region(*, actor, code: str) -> Region:
    """The region a coverage question is asked for: one the reader may see (404 otherwise); none → its own."""
    _require(actor)
    if not code:
        region = region_root(scope=actor.scope)
        if region is None:
            raise Http404("区划不存在")
        return region
    region = region_get(scope=actor.scope, code=code)
    if not actor.scope.contains(region.code):  # above the reader's own region: its own region, then
        region = region_root(scope=actor.scope) or region
    return region


def _centres(codes: np.ndarray, lat: np.ndarray, lng: np.ndarray) -> dict[str, tuple[float, float]]:
    """The mean position of the points of each code."""
    if len(codes) == 0:
        return {}
    keys, inverse = np.unique(codes, return_inverse=True)
    inverse = inverse.ravel()
    n = np.bincount(inverse)
    la = np.bincount(inverse, weights=lat) / n
    ln = np.bincount(inverse, weights=lng) / n
    return {k: (float(a), float(b)) for k, a, b in zip(keys.tolist(), la, ln, strict=True)}


def demand_points(*, actor, scope: Scope, today: date | None = None) -> Demand:
    """Every active elder under ``scope`` (inside the reader's), located and weighted."""
    today = today or timezone.localdate()
    elders = scope.apply(elder_selectors.elders_in_scope(actor=actor)).filter(status=ElderStatus.ACTIVE)
    cutoff = elder_selectors.years_ago(today, 80)
    # Floats and 0/1 flags computed by the database: no per-row Decimal or date conversion here.
    rows = list(
        elders.order_by()
        .annotate(
            lat_f=Coalesce(Cast("latitude", FloatField()), Value(_NO_COORD)),
            lng_f=Coalesce(Cast("longitude", FloatField()), Value(_NO_COORD)),
            advanced_i=Case(
                When(birth_date__lte=cutoff, then=Value(1)), default=Value(0), output_field=IntegerField()
            ),
            alone_i=Case(
                When(living_situation=LivingSituation.ALONE, then=Value(1)),
                default=Value(0),
                output_field=IntegerField(),
            ),
        )
        .values_list("pk", "region_id", "lat_f", "lng_f", "advanced_i", "alone_i")
    )
    n = len(rows)
    if n:
        pk_col, region_col, lat_col, lng_col, adv_col, alone_col = zip(*rows, strict=True)
    else:
        pk_col = region_col = lat_col = lng_col = adv_col = alone_col = ()
    del rows
    ids = np.array(pk_col, dtype=np.int64)
    region = np.array(region_col, dtype="U12")
    lat = np.array(lat_col, dtype=np.float64)
    lng = np.array(lng_col, dtype=np.float64)
    lat[lat == _NO_COORD] = np.nan
    lng[lng == _NO_COORD] = np.nan
    advanced = np.array(adv_col, dtype=bool)
    alone = np.array(alone_col, dtype=bool)
    disabled_ids = set(
        elders.filter(elder_selectors.active_category_q(Category.DISABLED_CARE, today)).values_list(
            "pk", flat=True
        )
    )
    semi_ids = set(
        elders.filter(elder_selectors.active_category_q(Category.SEMI_DISABLED, today)).values_list(
            "pk", flat=True
        )
    )
    disabled = np.isin(ids, np.fromiter(disabled_ids, dtype=np.int64, count=len(disabled_ids)))
    semi = np.isin(ids, np.fromiter(semi_ids, dtype=np.int64, count=len(semi_ids))) & ~disabled
    w = weights()
    weight = (
        1.0
        + w["disabled"] * disabled
        + w["semi_disabled"] * semi
        + w["alone"] * alone
        + w["advanced_age"] * advanced
    )
    # Where the elder has no coordinates: the village's location, else the township's.
    source = np.where(np.isnan(lat) | np.isnan(lng), 3, 0).astype(np.int8)
    missing = np.flatnonzero(source == 3)
    if len(missing):
        villages = set(region[missing].tolist())
        townships = {code[:9].ljust(12, "0") for code in villages}
        # A region without recorded coordinates is placed at the centre of its elders who have them.
        own = np.flatnonzero(source == 0)
        located = _centres(region[own], lat[own], lng[own])
        located.update(_centres(np.array([c[:9].ljust(12, "0") for c in region[own].tolist()], dtype="U12"),
                                lat[own], lng[own]))  # fmt: skip
        located.update(
            {
                code: (float(la), float(ln))
                for code, la, ln in Region.objects.filter(
                    code__in=list(villages | townships), latitude__isnull=False, longitude__isnull=False
                ).values_list("code", "latitude", "longitude")
            }
        )
        for i in missing:
            code = region[i]
            if code in located:
                lat[i], lng[i] = located[code]
                source[i] = 1
            else:
                town = code[:9].ljust(12, "0")
                if town in located:
                    lat[i], lng[i] = located[town]
                    source[i] = 2
    return Demand(ids, region, lat, lng, source, weight, disabled | semi, alone, advanced)


def plan_item_q(scope: Scope, prefix: str = "") -> Q:
    """The plan items a scope reads. An item belongs to its county (the level that files and reports
    it), so a county or city scope reads its counties' items; a township (苏木乡镇/街道) or village
    scope lies below the county and reads the items sited in it (``site_region`` under its prefix).
    Items whose street/community is not known stay with the county. ``prefix`` is the lookup path to
    the item (``progress__item__``). Writes stay with the county (``plans._check_scope``)."""
    return scope.q(f"{prefix}region_id") | scope.q(f"{prefix}site_region_id")


def plan_items_in(scope: Scope, queryset: QuerySet | None = None) -> QuerySet[PlanItem]:
    return (PlanItem.objects.all() if queryset is None else queryset).filter(plan_item_q(scope))


def covering_sites(*, actor, query: CoverageQuery) -> Sites:
    """The located facilities in the reader's scope that count for ``query`` (and plan items when planned)."""
    statuses = [FacilityStatus.OPERATING]
    if query.include_planned:
        statuses += [FacilityStatus.PLANNED, FacilityStatus.CONSTRUCTION]
    facilities = (
        facility_selectors.scoped(actor.scope)
        .filter(status__in=statuses, latitude__isnull=False, longitude__isnull=False)
        .order_by()
        .values_list("pk", "name", "type", "status", "region_id", "latitude", "longitude", "services")
    )
    resolver = CircleResolver()
    picked = []
    for pk, name, type_, status, region_id, lat, lng, services in facilities:
        if query.service and query.service not in (services or []):
            continue
        picked.append(
            {
                "kind": "facility",
                "id": pk,
                "name": name,
                "type": type_,
                "status": status,
                "planned": status != FacilityStatus.OPERATING,
                "region": region_id,
                "lat": float(lat),
                "lng": float(lng),
            }
        )
    if query.include_planned:
        items = (
            plan_items_in(actor.scope)
            .filter(facility__isnull=True, latitude__isnull=False, longitude__isnull=False)
            .order_by()
            .values_list(
                "pk", "name", "kind", "region_id", "site_region_id", "latitude", "longitude", "services"
            )
        )
        for pk, name, kind, county, site_region, lat, lng, services in items:
            if query.service and services and query.service not in services:
                continue
            picked.append(
                {
                    "kind": "plan",
                    "id": pk,
                    "name": name,
                    "type": kind,
                    "status": "plan",
                    "planned": True,
                    "region": site_region or county,
                    "lat": float(lat),
                    "lng": float(lng),
                }
            )
    resolver.load_names({row["region"] for row in picked})
    for row in picked:
        circle = resolver.circle(row["region"])
        row["radius"] = circle.radius_m
    return Sites(
        lat=np.array([r["lat"] for r in picked], dtype=np.float64),
        lng=np.array([r["lng"] for r in picked], dtype=np.float64),
        radius=np.array([r["radius"] for r in picked], dtype=np.float64),
        rows=picked,
    )


def _child_prefix_length(region: Region) -> int | None:
    child = region.child_level
    return PREFIX_LENGTH[child] if child else None


def hex_bins(lat: np.ndarray, lng: np.ndarray, values: np.ndarray, size_m: float) -> list[list]:
    """Aggregate points into pointy-top hexagons of circumradius ``size_m`` (on a local equirectangular
    plane, for display only): [[centre lat, centre lng, count, weight], …]."""
    if len(lat) == 0:
        return []
    lat0 = float(np.mean(lat))
    k = 111_195.0
    kx = k * math.cos(math.radians(lat0))
    x = lng * kx
    y = lat * k
    q = (math.sqrt(3) / 3 * x - y / 3) / size_m
    r = (2 / 3 * y) / size_m
    # cube rounding
    cx, cz = q, r
    cy = -cx - cz
    rx, ry, rz = np.round(cx), np.round(cy), np.round(cz)
    dx, dy, dz = np.abs(rx - cx), np.abs(ry - cy), np.abs(rz - cz)
    fix_x = (dx > dy) & (dx > dz)
    fix_y = ~fix_x & (dy > dz)
    rx = np.where(fix_x, -ry - rz, rx)
    ry = np.where(fix_y, -rx - rz, ry)
    rz = np.where(~fix_x & ~fix_y, -rx - ry, rz)
    keys = np.stack([rx, rz], axis=1).astype(np.int64)
    cells, inverse, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    sums = np.bincount(inverse.ravel(), weights=values, minlength=len(cells))
    hx = size_m * (math.sqrt(3) * cells[:, 0] + math.sqrt(3) / 2 * cells[:, 1])
    hy = size_m * (1.5 * cells[:, 1])
    return [
        [round(float(yy / k), 6), round(float(xx / kx), 6), int(c), round(float(s), 1)]
        for xx, yy, c, s in zip(hx, hy, counts, sums, strict=True)
    ]


def coverage(*, actor, query: CoverageQuery, today: date | None = None) -> CoverageReport:
    """Who is covered under ``query.region`` (the reader's own region if empty), by sub-region."""
    started = time.perf_counter()
    region = coverage_region(actor=actor, code=query.region)
    scope = scope_narrowed(scope=actor.scope, code=region.code)
    demand = demand_points(actor=actor, scope=scope, today=today)
    sites = covering_sites(actor=actor, query=query)
    located = demand.source < 3
    covered_mask = np.zeros(len(demand.ids), dtype=bool)
    distance = np.full(len(demand.ids), np.inf)
    rows_at = np.flatnonzero(located)
    if len(rows_at) and len(sites.rows):
        all_lat = np.concatenate([demand.lat[rows_at], sites.lat])
        all_lng = np.concatenate([demand.lng[rows_at], sites.lng])
        origin = spatial.Projection.fit(all_lat, all_lng)
        demand_xy = spatial.project(demand.lat[rows_at], demand.lng[rows_at], origin=origin)
        site_xy = spatial.project(sites.lat, sites.lng, origin=origin)
        covered_mask[rows_at] = spatial.covered(demand_xy, site_xy, sites.radius)
        distance[rows_at], _ = spatial.nearest(demand_xy, site_xy)

    # By sub-region (the region's children; a village is its own single row).
    length = _child_prefix_length(region)
    children = list(region_children(scope=actor.scope, region=region)) if length else []
    table: dict[str, SubRow] = {child.prefix: SubRow(child) for child in children}
    if not table:
        table = {region.prefix: SubRow(region)}
        length = len(region.prefix)
    heads = np.array([code[:length] for code in demand.region.tolist()], dtype=f"U{length}")
    keys, inverse = np.unique(heads, return_inverse=True)
    inverse = inverse.ravel()
    sums = {
        "total": np.bincount(inverse, minlength=len(keys)),
        "located": np.bincount(inverse, weights=located, minlength=len(keys)),
        "covered": np.bincount(inverse, weights=covered_mask, minlength=len(keys)),
        "weight_total": np.bincount(inverse, weights=demand.weight * located, minlength=len(keys)),
        "weight_covered": np.bincount(inverse, weights=demand.weight * covered_mask, minlength=len(keys)),
    }
    for index, prefix in enumerate(keys.tolist()):
        row = table.get(prefix)
        if row is None:
            continue
        row.total = int(sums["total"][index])
        row.located = int(sums["located"][index])
        row.covered = int(sums["covered"][index])
        row.weight_total = float(sums["weight_total"][index])
        row.weight_covered = float(sums["weight_covered"][index])

    groups = []
    for key, label, flags in (
        ("disabled", "失能/半失能", demand.disabled),
        ("alone", "独居", demand.alone),
        ("advanced_age", "高龄（80 岁及以上）", demand.advanced),
    ):
        members = flags & located
        groups.append(
            {
                "key": key,
                "label": label,
                "total": int(members.sum()),
                "covered": int((members & covered_mask).sum()),
            }
        )

    uncovered = located & ~covered_mask
    if uncovered.any():
        span_y = (np.nanmax(demand.lat[located]) - np.nanmin(demand.lat[located])) * 111_195.0
        span_x = (
            (np.nanmax(demand.lng[located]) - np.nanmin(demand.lng[located]))
            * 111_195.0
            * math.cos(math.radians(float(np.nanmean(demand.lat[located]))))
        )
        size = max(HEX_MIN_M, max(span_x, span_y) / HEX_ACROSS / math.sqrt(3))
        hexes = hex_bins(demand.lat[uncovered], demand.lng[uncovered], demand.weight[uncovered], size)
    else:
        size, hexes = HEX_MIN_M, []

    circles = {}
    for row in sites.rows:
        circles.setdefault(row["radius"], 0)
        circles[row["radius"]] += 1
    return CoverageReport(
        region=region,
        query=query,
        total=len(demand.ids),
        own_location=int((demand.source == 0).sum()),
        village_location=int((demand.source == 1).sum()),
        township_location=int((demand.source == 2).sum()),
        unlocated=int((demand.source == 3).sum()),
        covered=int(covered_mask.sum()),
        weight_total=float(demand.weight[located].sum()),
        weight_covered=float(demand.weight[covered_mask].sum()),
        groups=groups,
        rows=list(table.values()),
        sites=sites.rows,
        hexes=hexes,
        hex_size_m=round(size, 1),
        circles=[{"radius_m": round(r, 1), "sites": n} for r, n in sorted(circles.items())],
        weights=weights(),
        seconds=round(time.perf_counter() - started, 3),
        demand=demand,
        covered_mask=covered_mask,
        distance=distance,
    )


def uncovered_elders(*, actor, ids: list[int]) -> list[Elder]:
    """The elders of ``ids`` (one page of a report's uncovered list), in that order, masked fields only."""
    _require(actor)
    found = {
        e.pk: e
        for e in elder_selectors.elders_in_scope(actor=actor)
        .filter(pk__in=ids)
        .select_related("region")
        .only(
            "pk",
            "name",
            "gender",
            "birth_date",
            "id_number_masked",
            "phone_masked",
            "address",
            "living_situation",
            "region__name",
            "region__full_name",
            "latitude",
            "longitude",
        )
    }
    return [found[i] for i in ids if i in found]


# --- siting ----------------------------------------------------------------------------------------


def candidate_list(*, actor, region: str = "", q: str = "") -> QuerySet[CandidateSite]:
    _require(actor)
    scope = scope_narrowed(scope=actor.scope, code=region)
    sites = scope.apply(CandidateSite.objects.all())
    if q.strip():
        sites = sites.filter(name__contains=q.strip())
    return sites.select_related("region").order_by("region_id", "name", "pk")


def candidate_get(*, actor, pk: int) -> CandidateSite:
    _require(actor)
    site = actor.scope.apply(CandidateSite.objects.select_related("region")).filter(pk=pk).first()
    if site is None:
        raise Http404("候选站点不存在")
    return site


def run_list(*, actor, region: str = "", question: str = "", status: str = "") -> QuerySet[SitingRun]:
    """Siting runs in scope, newest first; ``status`` as run_state shows it (a run whose task died
    is failed, whatever its own row still says)."""
    _require(actor)
    scope = scope_narrowed(scope=actor.scope, code=region)
    # The task too: run_state reads it for every row.
    runs = scope.apply(SitingRun.objects.select_related("region", "created_by", "task"))
    if question:
        runs = runs.filter(question=question)
    if status:
        pending = Q(status__in=[RunStatus.QUEUED, RunStatus.RUNNING])
        task_failed = Q(task__status="failed")
        if status == RunStatus.FAILED:
            runs = runs.filter(Q(status=RunStatus.FAILED) | (pending & task_failed))
        elif status in (RunStatus.QUEUED, RunStatus.RUNNING):
            runs = runs.filter(pending & ~task_failed & _task_state(status))
        else:
            runs = runs.filter(status=status)
    return runs.order_by("-created_at", "-pk")


def _task_state(status: str) -> Q:
    """queued vs running among unfinished runs, as run_state tells them: by the task's status."""
    running = Q(task__status="running")
    return running if status == RunStatus.RUNNING else ~running | Q(task__isnull=True)


def run_get(*, actor, pk: int) -> SitingRun:
    _require(actor)
    run = (
        actor.scope.apply(SitingRun.objects.select_related("region", "created_by", "task"))
        .filter(pk=pk)
        .first()
    )
    if run is None:
        raise Http404("选址计算不存在")
    return run


@dataclass(frozen=True)
class RunState:
    """Where a run stands, for its page's progress bar and the API: the run's own status, except
    that a run whose task gave up (the worker died three times) counts as failed."""

    status: str
    label: str
    percent: int
    note: str
    error: str
    error_code: str

    @property
    def finished(self) -> bool:
        return self.status in (RunStatus.DONE, RunStatus.FAILED)


def run_state(*, run: SitingRun) -> RunState:
    task = run.task
    status, error, code = run.status, run.error, run.error_code
    if status in (RunStatus.QUEUED, RunStatus.RUNNING) and task is not None and task.status == "failed":
        status, error, code = RunStatus.FAILED, task.error, "solver_failed"
    if status in (RunStatus.DONE, RunStatus.FAILED):
        percent, note = 100, ""
    elif task is not None and task.status == "running":
        percent, note = task.percent, task.progress_note
        status = RunStatus.RUNNING
    else:
        percent, note = 0, ""
    return RunState(
        status=status, label=RunStatus(status).label, percent=percent, note=note, error=error, error_code=code
    )


def run_plan_items(*, run: SitingRun) -> dict[int, PlanItem]:
    """The plan items made from a run (the run was read in scope), by the rank of their site."""
    return {
        item.source_row.get("rank"): item
        for item in PlanItem.objects.filter(siting_run=run).only("pk", "name", "source_row")
    }
