from ninja import Router, Schema

from yanglao.core.api import errors
from yanglao.regions import selectors as region_selectors
from yanglao.reports.network import region_network

regions_router = Router(tags=["行政区划"])


class TypeCountOut(Schema):
    type: str
    label: str
    total: int
    by_status: dict[str, int]


class RegionalCheckOut(Schema):
    code: str
    title: str
    rule: str
    seed: str
    status: str
    detail: str
    misses: list[str]


class NetworkOut(Schema):
    region_code: str
    region_name: str
    facilities: list[TypeCountOut]
    beds_total: int
    beds_nursing: int
    elders: int | None
    beds_per_1000: float | None
    checks: list[RegionalCheckOut]


@regions_router.get("/{code}/network", response={200: NetworkOut, **errors(403, 404)})
def region_network_summary(request, code: str):
    """区域养老服务网络：各类设施按状态的数量、床位、每千名老年人床位，以及区域性政策检查。"""
    region = region_selectors.region_get(scope=request.auth.scope, code=code)
    network = region_network(actor=request.auth, region=region)
    return {
        "region_code": region.code,
        "region_name": region.full_name,
        "facilities": [vars(row) for row in network.rows],
        "beds_total": network.beds_total,
        "beds_nursing": network.beds_nursing,
        "elders": network.elders,
        "beds_per_1000": network.beds_per_1000,
        "checks": [
            {"code": c.code, "title": c.title, "rule": c.rule, "seed": c.seed, "status": c.outcome.status,
             "detail": c.outcome.detail, "misses": c.misses}
            for c in network.checks
        ],
    }  # fmt: skip
