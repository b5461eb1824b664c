"""The policy targets of a region for a year, each with its seed, value, target, status and the
regions that miss it.

Definitions (what is measurable from the registry today):

- **Urban communities / townships / rural communities covered** (003: 100% / 100% / ≥ 60%). The
  kind of a region comes from its statistical code (GB/T 10114 / NBS 城乡划分代码): a village-level
  code ending 001–199 is a residents' committee (城镇社区), 200–399 a villagers' committee or gacha
  (农村牧区社区); a township-level code 001–099 is a street (街道), 100–399 a town, township or sumu
  (乡镇苏木); 400+ (farms, zones) is neither. A community is *covered* when an operating home- and
  community-care facility (county or township centre, station, mutual-aid home, neighbour point) is
  registered in it; a township when one is registered anywhere in it. This is presence, not
  distance: the 15-minute circle (distance coverage) is the coverage page's. "After the plan" adds
  the plan items due by the year's end whose street/community is known.
- **Beds per 1000 elders** (003: 50): beds of operating facilities with residential beds
  (facilities.BED_TYPES) ÷ elders in the registry (status 在册) × 1000.
- **A street centre in every street** (001 §5.1.2, 002): an operating township centre in each 街道.
- **Nursing-type beds ≥ 55% of institutional beds** (004): nursing beds ÷ beds of the same facilities.
- **9073** (001 §8.1.1): institutional = residents of operating facilities with beds ÷ registered
  elders; the home and community shares need service-use records that no app keeps yet: "暂无数据".
"""

from dataclasses import dataclass, field
from datetime import date

from django import forms
from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.utils import timezone

from yanglao.accounts.roles import Cap
from yanglao.elders import selectors as elder_selectors
from yanglao.elders.models import Status as ElderStatus
from yanglao.facilities import selectors as facility_selectors
from yanglao.facilities.models import BED_TYPES, FacilityStatus, FacilityType
from yanglao.planning import plans
from yanglao.regions.models import Region
from yanglao.regions.scope import Scope
from yanglao.regions.selectors import region_list, scope_narrowed
from yanglao.regions.widgets import RegionPickerWidget

COMMUNITY_TYPES = (
    FacilityType.COUNTY_CENTRE,
    FacilityType.TOWNSHIP_CENTRE,
    FacilityType.STATION,
    FacilityType.MUTUAL_AID,
    FacilityType.NEIGHBOUR,
)
DRILL_LIMIT = 200


def village_kind(code: str) -> str:
    n = int(code[9:12])
    return "urban" if 1 <= n <= 199 else "rural" if 200 <= n <= 399 else "other"


def township_kind(code: str) -> str:
    n = int(code[6:9])
    return "street" if 1 <= n <= 99 else "township" if 100 <= n <= 399 else "other"


@dataclass
class Target:
    key: str
    title: str
    seed: str
    target_text: str
    value: float | None  # a share (0–1) or a number; None: 暂无数据
    value_text: str
    status: str  # "met" | "missed" | "nodata"
    note: str = ""
    planned_text: str = ""
    missing: list = field(default_factory=list)  # [{"code", "name", "detail"}]
    missing_total: int = 0


@dataclass
class Board:
    region: Region
    year: int
    targets: list
    elders: int
    beds: int


class TargetsForm(forms.Form):
    region = forms.CharField(label="区划", required=False)
    year = forms.IntegerField(label="年度", required=False, min_value=2000, max_value=2100,
                              error_messages={"min_value": "年度应在 2000–2100 之间。",
                                              "max_value": "年度应在 2000–2100 之间。",
                                              "invalid": "年度应为四位数字年份。"})  # fmt: skip

    def __init__(self, *args, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].widget = RegionPickerWidget(scope=actor.scope)

    def chosen(self) -> tuple[str, int]:
        data = self.cleaned_data if self.is_valid() else {}
        return data.get("region") or "", data.get("year") or timezone.localdate().year


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _coverage_target(key, title, seed, target, regions, covered, planned, *, noun) -> Target:
    total = len(regions)
    hit = [r for r in regions if r.code in covered]
    after = [r for r in regions if r.code in covered or r.code in planned]
    value = _share(len(hit), total)
    missing = [r for r in regions if r.code not in covered]
    status = "nodata" if not total else ("met" if value >= target - 1e-9 else "missed")
    return Target(
        key=key, title=title, seed=seed, target_text=f"≥ {target * 100:.0f}%", value=value,
        value_text=f"{_pct(value)}（{len(hit)}/{total} 个{noun}）" if total else "本区划内没有此类区划",
        status=status,
        planned_text=f"计划完成后 {_pct(_share(len(after), total))}（{len(after)}/{total}）" if total else "",
        missing=[{"code": r.code, "name": r.full_name.split("/", 2)[-1],
                  "detail": "已列入建设计划" if r.code in planned else ""} for r in missing[:DRILL_LIMIT]],
        missing_total=len(missing),
    )  # fmt: skip


def targets_for(*, actor, region: str = "", year: int | None = None, today: date | None = None) -> Board:
    plans._require(actor, Cap.PLANNING_VIEW)
    today = today or timezone.localdate()
    year = year or today.year
    scope = scope_narrowed(scope=actor.scope, code=region) if region else actor.scope
    place = Region.objects.filter(prefix=scope.prefix).first() if not scope.is_empty else None
    if place is None:
        place = actor.region
        scope = Scope.nothing()
    year_end = date(year, 12, 31)
    facilities = list(
        facility_selectors.scoped(scope)
        .filter(status=FacilityStatus.OPERATING)
        .values_list("region_id", "type", "beds_total", "beds_nursing", "residents")
    )
    community_sites = {code for code, kind, *_ in facilities if kind in COMMUNITY_TYPES}
    # Planned by the year's end: an item of this year's plan or an earlier one, unless its deadline
    # falls after the year (an item whose deadline could not be read counts by its plan year).
    planned_by = Q(plan_year__lte=year) & (Q(deadline__isnull=True) | Q(deadline__lte=year_end))
    planned_sites = set(
        plans.plan_items_in(
            scope, plans.PlanItem.objects.filter(planned_by, site_region__isnull=False)
        ).values_list("site_region_id", flat=True)
    )
    tree = list(region_list(scope=scope).filter(Q(level__in=("township", "village"))).filter(scope.q("code")))
    villages = [r for r in tree if r.level == "village"]
    townships = [r for r in tree if r.level == "township"]

    def towns_with(codes: set[str]) -> set[str]:
        # One set of 9-digit township prefixes, then one lookup per township.
        prefixes = {c[:9] for c in codes}
        return {t.code for t in townships if t.prefix in prefixes}

    covered_town = towns_with(community_sites)
    planned_town = towns_with(planned_sites)
    street_centres = {code for code, kind, *_ in facilities if kind == FacilityType.TOWNSHIP_CENTRE}
    planned_centres = set(
        plans.plan_items_in(scope, plans.PlanItem.objects.filter(
            planned_by, kind=plans.PlanKind.STREET_CENTRE, site_region__isnull=False))
        .values_list("site_region_id", flat=True)
    )  # fmt: skip
    streets = [t for t in townships if township_kind(t.code) == "street"]
    covered_streets = towns_with(street_centres) & {s.code for s in streets}
    planned_streets = towns_with(planned_centres) & {s.code for s in streets}

    elders_q = scope.apply(elder_selectors.elders_in_scope(actor=actor)).filter(status=ElderStatus.ACTIVE)
    elder_count = elders_q.count()
    bed_rows = [(code, beds or 0, nursing or 0, residents) for code, kind, beds, nursing, residents in facilities
                if kind in BED_TYPES]  # fmt: skip
    beds = sum(b for _, b, _, _ in bed_rows)
    nursing = sum(n for _, _, n, _ in bed_rows)
    residents_known = [r for *_, r in bed_rows if r is not None]
    residents = sum(residents_known)

    out = [
        _coverage_target("urban", "城镇社区养老服务设施覆盖率", "003 三（全面普及阶段）", 1.0,
                         [v for v in villages if village_kind(v.code) == "urban"], community_sites, planned_sites,
                         noun="社区"),
        _coverage_target("township", "乡镇（苏木）养老服务设施覆盖率", "003 三（全面普及阶段）", 1.0,
                         [t for t in townships if township_kind(t.code) == "township"], covered_town, planned_town,
                         noun="乡镇"),
        _coverage_target("rural", "农村牧区社区养老服务设施覆盖率", "003 三（全面普及阶段）", 0.6,
                         [v for v in villages if village_kind(v.code) == "rural"], community_sites, planned_sites,
                         noun="村（嘎查）"),
        _coverage_target("street", "每个街道至少 1 个综合养老服务中心", "001 §5.1.2；002", 1.0, streets,
                         covered_streets, planned_streets, noun="街道"),
    ]  # fmt: skip
    out[0].note = "代码末三位 001–199 的村级区划（居委会）；设施登记在该社区即计为覆盖。"
    out[1].note = "代码 100–399 的乡级区划（镇、乡、苏木）；街道、农牧场不计。"
    out[2].note = "代码末三位 200–399 的村级区划（村委会、嘎查）。"
    out[3].note = "代码 001–099 的乡级区划（街道）中有运营中的苏木乡镇(街道)区域养老服务中心。"

    per_1000 = beds / elder_count * 1000 if elder_count else None
    beds_target = Target(
        key="beds", title="每千名老年人养老床位数", seed="003 二", target_text="≥ 50 张",
        value=per_1000, value_text=f"{per_1000:.1f} 张（{beds} 张 / {elder_count} 人）" if per_1000 is not None else "暂无数据",
        status="nodata" if per_1000 is None else ("met" if per_1000 >= 50 else "missed"),
        note="运营中、有床位的设施（县级中心、乡镇中心、牧区养老公寓、养老机构）的床位 ÷ 在册老年人。",
    )  # fmt: skip
    nursing_share = _share(nursing, beds)
    nursing_target = Target(
        key="nursing", title="护理型床位占养老机构床位比例", seed="004 （二）三", target_text="≥ 55%",
        value=nursing_share, value_text=f"{_pct(nursing_share)}（{nursing}/{beds} 张）" if beds else "暂无数据",
        status="nodata" if nursing_share is None else ("met" if nursing_share >= 0.55 else "missed"),
        note="按全市（所选区划）合计考核；下列为低于 55% 的下级区划。",
    )  # fmt: skip
    institutional = _share(residents, elder_count) if residents_known else None
    share_target = Target(
        key="9073", title="“9073”养老服务格局（居家 / 社区 / 机构）", seed="001 §8.1.1", target_text="90% / 7% / 3%",
        value=institutional,
        value_text=f"居家 暂无数据 / 社区 暂无数据 / 机构 {_pct(institutional)}（{residents} 人在住）"
        if institutional is not None else "暂无数据",
        status="nodata",
        note="机构养老 = 运营中有床位设施的在住人数 ÷ 在册老年人；居家、社区养老需服务使用记录，暂无数据，不作判定。",
    )  # fmt: skip
    # Drill-down of the ratio targets: the child regions below the target.
    children = {r.code: r for r in region_list(scope=scope).filter(parent_id=place.code)} if place else {}
    if children:
        by_child_beds: dict[str, list[int]] = {c: [0, 0] for c in children}
        for code, b, n, _ in bed_rows:
            key = next((c for c, r in children.items() if code.startswith(r.prefix)), None)
            if key:
                by_child_beds[key][0] += b
                by_child_beds[key][1] += n
        width = len(next(iter(children.values())).prefix)
        by_prefix = dict(
            elders_q.annotate(p=Substr("region_id", 1, width)).values("p").annotate(n=Count("pk")).order_by()
            .values_list("p", "n")
        )  # fmt: skip
        elders_by_child = {c: by_prefix.get(r.prefix, 0) for c, r in children.items()}
        for code, region_obj in sorted(children.items()):
            b, n = by_child_beds[code]
            e = elders_by_child[code]
            if e and b / e * 1000 < 50:
                beds_target.missing.append({"code": code, "name": region_obj.name,
                                            "detail": f"{b / e * 1000:.1f} 张/千人（{b} 张，{e} 人）"})  # fmt: skip
            if b and n / b < 0.55:
                nursing_target.missing.append({"code": code, "name": region_obj.name,
                                               "detail": f"{n / b * 100:.1f}%（{n}/{b} 张）"})  # fmt: skip
        beds_target.missing_total = len(beds_target.missing)
        nursing_target.missing_total = len(nursing_target.missing)
    out += [beds_target, nursing_target, share_target]
    return Board(region=place, year=year, targets=out, elders=elder_count, beds=beds)
