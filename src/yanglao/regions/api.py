from decimal import Decimal
from typing import Annotated, Literal

from ninja import Field, Router, Schema

from yanglao.core.api import errors
from yanglao.regions import geo, selectors
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


# GeoJSON (RFC 7946) in lon/lat, as Leaflet and ECharts read it.
Position = Annotated[list[float], Field(min_length=2, max_length=2, description="[经度, 纬度]")]


class PolygonGeometry(Schema):
    type: Literal["Polygon"]
    coordinates: list[list[Position]] = Field(..., description="外环（逆时针）在前，其后为内环（洞）")


class MultiPolygonGeometry(Schema):
    type: Literal["MultiPolygon"]
    coordinates: list[list[list[Position]]]


class OutlineProperties(Schema):
    code: str = Field(..., description="12 位区划代码")
    short_code: str = Field(..., description="6 位旗县代码")
    name: str


class OutlineFeature(Schema):
    type: Literal["Feature"]
    properties: OutlineProperties
    geometry: Annotated[PolygonGeometry | MultiPolygonGeometry, Field(discriminator="type")]


class OutlineCollection(Schema):
    type: Literal["FeatureCollection"]
    features: list[OutlineFeature]


@router.get("/{code}/outlines", response={200: OutlineCollection, **errors(404)})
def region_outlines(request, code: str):
    """区划下用户可见的各旗县市区的轮廓（GeoJSON FeatureCollection，经纬度）。盟市代码给出其下各旗县，
    旗县代码给出该旗县本身；苏木乡镇及以下没有旗县，返回空集合。开发区、管理区等功能区没有轮廓，不在其中。"""
    scope = request.auth.scope
    region = selectors.region_get(scope=scope, code=code)
    return geo.outline_collection(selectors.visible_counties(scope=scope, region=region))
