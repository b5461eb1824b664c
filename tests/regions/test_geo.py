"""County outlines decoded from the vendored ECharts maps, point-in-polygon, and the demo locations."""

import itertools
import math
import zlib

import numpy as np
import pytest

from tests.conftest import make_user
from yanglao.regions import geo
from yanglao.regions.models import Region

TONGLIAO_COUNTIES = {"150502", "150521", "150522", "150523", "150524", "150525", "150526", "150581"}
# The seat may sit this far outside its outline before we call the decoding wrong: the outlines are
# quantised to 1/1024° and simplified, a seat on a river border can land just across it.
SEAT_TOLERANCE_KM = 3.0


def encode_ring(points, scale=1024):
    """The inverse of ECharts' decodeRing, to build test input: zigzag deltas as chr(value + 64)."""
    ints = [(round(x * scale), round(y * scale)) for x, y in points]
    offset = list(ints[0])
    out, prev = [], offset
    for x, y in ints:
        for delta in (x - prev[0], y - prev[1]):
            out.append(chr(((delta << 1) ^ (delta >> 31)) + 64))
        prev = (x, y)
    return "".join(out), offset


def km_outside(lon: float, lat: float, feature: dict) -> float:
    """0 inside the feature, else the distance in km to its nearest edge."""
    if geo.point_in_outline(lon, lat, feature):
        return 0.0
    geometry = feature["geometry"]
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    cos_lat = math.cos(math.radians(lat))
    best = math.inf
    for polygon in polygons:
        for ring in polygon:
            a = (np.asarray(ring[:-1]) - (lon, lat)) * (cos_lat, 1)
            b = (np.asarray(ring[1:]) - (lon, lat)) * (cos_lat, 1)
            ab = b - a
            t = np.clip(
                -np.einsum("ij,ij->i", a, ab) / np.maximum(np.einsum("ij,ij->i", ab, ab), 1e-18), 0, 1
            )
            nearest = a + ab * t[:, None]
            best = min(best, float(np.min(np.hypot(nearest[:, 0], nearest[:, 1]))))
    return best * geo.KM_PER_DEGREE


def km(a, b) -> float:
    """Great-circle distance in km between two (lon, lat) points."""
    (lon1, lat1), (lon2, lat2) = (map(math.radians, p) for p in (a, b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(h))


def rings_of(feature):
    geometry = feature["geometry"]
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return [(i == 0, ring) for polygon in polygons for i, ring in enumerate(polygon)]


# --- decoding --------------------------------------------------------------------------------------


def test_decode_ring_inverts_the_echarts_encoding():
    ring = [(121.5, 43.25), (121.75, 43.5), (122.0, 43.0), (121.5, 43.25)]
    encoded, offset = encode_ring(ring)
    assert geo.decode_ring(encoded, offset).tolist() == [list(p) for p in ring]


def test_the_map_file_wrapper_is_parsed():
    text = (
        "(function (root, factory) {factory({}, root.echarts);}(this, function (exports, echarts) {"
        'echarts.registerMap(\'通辽\', {"type":"FeatureCollection","features":[],"UTF8Encoding":true});}));'
    )
    assert geo.parse_map_file(text) == {"type": "FeatureCollection", "features": [], "UTF8Encoding": True}


@pytest.mark.django_db
def test_tongliao_outlines_are_a_feature_collection_of_its_counties():
    collection = geo.county_outlines("150500")
    assert collection["type"] == "FeatureCollection"
    by_short = {f["properties"]["short_code"]: f for f in collection["features"]}
    # 通辽经济技术开发区 (150571) is a county in the region table but the map draws no outline for it.
    assert set(by_short) == TONGLIAO_COUNTIES
    kailu = by_short["150523"]
    assert kailu["type"] == "Feature"
    assert kailu["properties"] == {"code": "150523000000", "short_code": "150523", "name": "开鲁县"}
    assert kailu["geometry"]["type"] == "Polygon"
    for feature in collection["features"]:
        for exterior, ring in rings_of(feature):
            assert ring[0] == ring[-1], "GeoJSON rings are closed"
            lons, lats = zip(*ring, strict=True)
            assert all(115 < x < 126 for x in lons) and all(40 < y < 47 for y in lats)
            area = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(ring))
            assert (area > 0) == exterior, "RFC 7946 winding: exteriors counterclockwise"
    assert geo.county_outlines("1505") == geo.county_outlines("150500000000") == collection


@pytest.mark.django_db
def test_callers_cannot_alter_the_cached_outlines():
    first = geo.county_outlines("150500")
    first["features"][0]["geometry"]["coordinates"][0][0] = [0, 0]
    first["features"].clear()
    second = geo.county_outlines("150500")
    assert len(second["features"]) == 8
    assert second["features"][0]["geometry"]["coordinates"][0][0] != [0, 0]


@pytest.mark.django_db
def test_a_multipolygon_county_decodes_every_part():
    jiuyuan = next(
        f for f in geo.county_outlines("150200")["features"] if f["properties"]["name"] == "九原区"
    )
    assert jiuyuan["geometry"]["type"] == "MultiPolygon"
    assert len(jiuyuan["geometry"]["coordinates"]) == 3


@pytest.mark.django_db
def test_not_a_city_code_is_refused():
    with pytest.raises(geo.NoOutline):
        geo.county_outlines("150523")
    with pytest.raises(geo.NoOutline):
        geo.county_outlines("159900")


@pytest.mark.django_db
def test_missing_vendor_files_say_to_run_make_vendor(settings, tmp_path):
    settings.STATICFILES_DIRS = [tmp_path]
    with pytest.raises(geo.OutlineDataMissing, match="make vendor"):
        geo.county_outlines("150500")
    (tmp_path / "vendor" / "china-cities" / "内蒙古").mkdir(parents=True)
    with pytest.raises(geo.OutlineDataMissing, match=r"通辽市\.js.*make vendor"):
        geo.county_outlines("150500")


def _seat_misses(city: Region) -> dict[str, float]:
    """Every county of the city that has a seat: km from the seat to its outline (0 inside)."""
    features = {f["properties"]["code"]: f for f in geo.county_outlines(city.code)["features"]}
    misses = {}
    for county in Region.objects.filter(parent=city, level="county", longitude__isnull=False):
        assert county.code in features, f"{county.name} has a seat but no outline"
        misses[county.name] = km_outside(
            float(county.longitude), float(county.latitude), features[county.code]
        )
    return misses


@pytest.mark.django_db
def test_every_tongliao_seat_lies_in_its_outline():
    misses = _seat_misses(Region.objects.get(code="150500000000"))
    assert len(misses) == 8
    assert all(km == 0 for km in misses.values()), misses


@pytest.mark.django_db
def test_every_seat_of_every_city_with_a_map_lies_in_its_outline():
    cities = [c for c in Region.objects.filter(level="city") if (geo.outline_dir() / f"{c.name}.js").exists()]
    assert len(cities) == 12
    misses = {}
    for city in cities:
        misses.update(_seat_misses(city))
    assert len(misses) == 103
    far = {name: km for name, km in misses.items() if km > SEAT_TOLERANCE_KM}
    assert not far, far


# --- point in polygon ------------------------------------------------------------------------------

SQUARE_WITH_HOLE = {
    "type": "Feature",
    "properties": {},
    "geometry": {
        "type": "MultiPolygon",
        "coordinates": [
            [
                [[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]],
                [[3, 3], [3, 7], [7, 7], [7, 3], [3, 3]],
            ],
            [[[20, 20], [30, 20], [30, 30], [20, 30]]],  # left open: accepted as closed
        ],
    },
}


@pytest.mark.parametrize(
    ("lon", "lat", "inside"),
    [
        (1, 1, True),
        (5, 5, False),  # in the hole
        (5, 1, True),
        (11, 5, False),
        (-1, 5, False),
        (1, 3, True),  # level with the hole's corners: a ray through vertices is counted once
        (1, 7, True),
        (-1, 10, False),  # level with the top edge, outside
        (25, 25, True),  # the second polygon
        (15, 15, False),
    ],
)
def test_point_in_square_with_a_hole(lon, lat, inside):
    assert geo.point_in_outline(lon, lat, SQUARE_WITH_HOLE) is inside


def test_points_in_outline_is_vectorised_and_agrees_with_the_geometry():
    rng = np.random.default_rng(3)
    lons = rng.uniform(-2, 32, (40, 50))
    lats = rng.uniform(-2, 32, (40, 50))
    got = geo.points_in_outline(lons, lats, SQUARE_WITH_HOLE)
    square = (lons > 0) & (lons < 10) & (lats > 0) & (lats < 10)
    hole = (lons > 3) & (lons < 7) & (lats > 3) & (lats < 7)
    second = (lons > 20) & (lons < 30) & (lats > 20) & (lats < 30)
    assert got.shape == (40, 50) and got.dtype == bool
    assert np.array_equal(got, (square & ~hole) | second)
    assert np.array_equal(got, geo.points_in_outline(lons, lats, SQUARE_WITH_HOLE["geometry"]))


def test_winding_does_not_matter():
    clockwise = {"type": "Polygon", "coordinates": [[[0, 0], [0, 10], [10, 10], [10, 0], [0, 0]]]}
    assert geo.point_in_outline(5, 5, clockwise)
    assert not geo.point_in_outline(15, 5, clockwise)


# --- random points ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_random_points_are_inside_and_reproducible():
    points = geo.random_points_in_county("150523", 500, np.random.default_rng(7))
    assert len(points) == 500 and len(set(points)) == 500
    lons, lats = np.array(points).T
    kailu = geo.county_outline("150523")
    assert geo.points_in_outline(lons, lats, kailu).all()
    assert geo.random_points_in_county("150523000000", 500, np.random.default_rng(7)) == points
    assert geo.random_points_in_county("150523", 500, np.random.default_rng(8)) != points
    assert geo.random_points_in_county("150523", 0, np.random.default_rng(7)) == []


@pytest.mark.django_db
def test_random_points_cover_the_county_evenly():
    # 开鲁县's west and east halves by longitude hold shares of points close to their shares of area.
    points = np.array(geo.random_points_in_county("150523", 4000, np.random.default_rng(1)))
    kailu = geo.county_outline("150523")
    ring = np.array(kailu["geometry"]["coordinates"][0])
    middle = (ring[:, 0].min() + ring[:, 0].max()) / 2
    grid_lon, grid_lat = np.meshgrid(
        np.linspace(ring[:, 0].min(), ring[:, 0].max(), 300),
        np.linspace(ring[:, 1].min(), ring[:, 1].max(), 300),
    )
    inside = geo.points_in_outline(grid_lon, grid_lat, kailu)
    west_area = inside[grid_lon < middle].sum() / inside.sum()
    west_points = (points[:, 0] < middle).mean()
    assert abs(west_points - west_area) < 0.03


@pytest.mark.django_db
def test_a_county_without_an_outline_is_reported():
    with pytest.raises(geo.NoOutline, match="通辽经济技术开发区"):
        geo.random_points_in_county("150571", 5, np.random.default_rng(1))


# --- demo locations --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_demo_locations_cover_every_township_and_village_of_kailu():
    locations = geo.demo_locations("150523", 2026)
    townships = list(Region.objects.filter(parent_id="150523000000", level="township"))
    villages = list(Region.objects.filter(parent__parent_id="150523000000", level="village"))
    assert (len(townships), len(villages)) == (13, 273)
    assert set(locations) == {r.code for r in townships + villages}

    lons, lats = np.array(list(locations.values())).T
    assert geo.points_in_outline(lons, lats, geo.county_outline("150523")).all()
    # 开鲁镇, the seat town, sits at the county seat.
    assert locations["150523100000"] == (121.319308, 43.601244)
    for village in villages:
        assert km(locations[village.code], locations[village.parent_id]) <= 6.05
    # Townships spread out: none within 5 km of another.
    assert min(km(locations[a.code], locations[b.code]) for a in townships for b in townships if a != b) > 5


@pytest.mark.django_db
def test_demo_locations_are_reproducible():
    first = geo.demo_locations("150523", 2026)
    assert geo.demo_locations("150523000000", 2026) == first
    assert geo.demo_locations("150523", 2027) != first
    # The seed is the caller's plus a hash that is the same in every process (unlike Python's hash()).
    assert geo.stable_hash("150523000000") == zlib.crc32(b"150523000000") == 2010518389
    # Pinned (the same under any PYTHONHASHSEED): a change of algorithm or of NumPy's random stream
    # would move every demo village, and should be a deliberate one.
    assert first["150523105000"] == (121.471292, 43.873381)  # 建华镇
    assert first["150523109201"] == (121.020618, 43.641573)  # 东来镇兴蒙村委会


@pytest.mark.django_db
def test_horqin_streets_cluster_at_the_seat():
    locations = geo.demo_locations("150502", 2026)
    seat = (122.255671, 43.623078)
    streets = Region.objects.filter(parent_id="150502000000", name__endswith="街道")
    assert streets.count() == 11
    assert locations["150502001000"] == seat  # 科尔沁街道
    for street in streets:
        assert km(locations[street.code], seat) <= 6.05


# --- the API ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_city_officer_gets_every_outlined_county(client, city_officer, auth_headers):
    response = client.get("/api/v1/regions/150500/outlines", headers=auth_headers(city_officer))
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert {f["properties"]["short_code"] for f in body["features"]} == TONGLIAO_COUNTIES
    assert body == geo.county_outlines("150500")


@pytest.mark.django_db
def test_county_officer_gets_only_its_own_county(client, kailu_officer, auth_headers):
    headers = auth_headers(kailu_officer)
    city = client.get("/api/v1/regions/150500/outlines", headers=headers).json()
    assert [f["properties"]["name"] for f in city["features"]] == ["开鲁县"]
    county = client.get("/api/v1/regions/150523/outlines", headers=headers).json()
    assert county["features"] == city["features"]
    foreign = client.get("/api/v1/regions/150502/outlines", headers=headers)
    assert foreign.status_code == 404
    assert foreign.json()["code"] == "not_found"
    assert client.get("/api/v1/regions/abc/outlines", headers=headers).status_code == 404


@pytest.mark.django_db
def test_township_officer_sees_its_county_but_a_township_has_no_counties(client, auth_headers):
    officer = make_user("kailuzhen-geo", "officer", "150523100")
    headers = auth_headers(officer)
    county = client.get("/api/v1/regions/150523/outlines", headers=headers).json()
    assert [f["properties"]["name"] for f in county["features"]] == ["开鲁县"]
    own = client.get("/api/v1/regions/150523100/outlines", headers=headers).json()
    assert own == {"type": "FeatureCollection", "features": []}


@pytest.mark.django_db
def test_outlines_route_is_documented(client):
    operation = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/regions/{code}/outlines"]["get"]
    assert {"200", "401", "404", "422"} <= set(operation["responses"])
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("/OutlineCollection")
