from decimal import Decimal

from ninja import Router, Schema

from yanglao.core.api import errors
from yanglao.regions import selectors
from yanglao.regions.models import Region

router = Router(tags=["行政区划"])


class RegionBrief(Schema):
    code: str
    short_code: str
    name: str
    level: str
    level_label: str
    prefix: str


class RegionOut(RegionBrief):
    full_name: str
    longitude: Decimal | None
    latitude: Decimal | None
    path: list[RegionBrief]
    children: list[RegionBrief]


def _brief(region: Region) -> dict:
    return {
        "code": region.code,
        "short_code": region.short_code,
        "name": region.name,
        "level": region.level,
        "level_label": region.get_level_display(),
        "prefix": region.prefix,
    }


@router.get("/{code}", response={200: RegionOut, **errors(404)})
def region_detail(request, code: str):
    """区划节点、它到自治区的路径和它的下级（只含用户可见的部分）。代码可写 6、9 或 12 位。"""
    scope = request.auth.scope
    region = selectors.region_get(scope=scope, code=code)
    return {
        **_brief(region),
        "full_name": region.full_name,
        "longitude": region.longitude,
        "latitude": region.latitude,
        "path": [_brief(r) for r in selectors.region_path(region)],
        "children": [_brief(r) for r in selectors.region_children(scope=scope, region=region)],
    }
