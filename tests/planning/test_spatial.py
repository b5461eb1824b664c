"""planning.spatial: projection accuracy, coverage inclusive at the radius, nearest, the matrix."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yanglao.planning import spatial

R_EARTH = 6_371_008.8


def ellipsoid_step(lat1, lng1, lat2, lng2):
    """Length of a short step on the WGS-84 ellipsoid: √((M dφ)² + (N cos φ dλ)²) at the midpoint."""
    a, f = 6_378_137.0, 1 / 298.257223563
    e2 = f * (2 - f)
    phi = np.radians((np.asarray(lat1) + np.asarray(lat2)) / 2)
    s2 = np.sin(phi) ** 2
    m = a * (1 - e2) / (1 - e2 * s2) ** 1.5
    n = a / np.sqrt(1 - e2 * s2)
    dphi = np.radians(np.asarray(lat2) - np.asarray(lat1))
    dlng = np.radians(np.asarray(lng2) - np.asarray(lng1))
    return np.hypot(m * dphi, n * np.cos(phi) * dlng)


def haversine(lat1, lng1, lat2, lng2):
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lng2) - np.asarray(lng1))
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * R_EARTH * np.arcsin(np.sqrt(a))


def test_covered_on_inside_outside_the_radius():
    demand = np.array(
        [[0.0, 0.0], [800.0, 0.0], [300.0, 400.0], [0.0, 800.0001], [-565.0, -565.0], [0.0, -801.0]]
    )
    site = np.array([[0.0, 0.0]])
    assert spatial.covered(demand, site, 800.0).tolist() == [True, True, True, False, True, False]
    assert spatial.covered(demand, site, 500.0).tolist() == [True, False, True, False, False, False]


def test_covered_per_site_radius():
    demand = np.array([[0.0, 0.0], [1000.0, 0.0], [2000.0, 0.0], [2600.0, 0.0]])
    sites = np.array([[0.0, 0.0], [2000.0, 0.0]])
    # The first site reaches 1000 m (exactly the second point); the second only 500 m.
    assert spatial.covered(demand, sites, np.array([1000.0, 500.0])).tolist() == [True, True, True, False]
    assert spatial.covered(demand, sites, np.array([999.0, 600.0])).tolist() == [True, False, True, True]


def test_covered_with_many_distinct_radii_matches_brute_force():
    rng = np.random.default_rng(3)
    demand = rng.uniform(0, 5000, size=(400, 2))
    sites = rng.uniform(0, 5000, size=(60, 2))
    radius = rng.uniform(100, 700, size=60)  # 60 distinct radii: the bucketed path
    distance = np.hypot(*(demand[:, None, :] - sites[None, :, :]).transpose(2, 0, 1))
    expected = (distance <= radius[None, :]).any(axis=1)
    assert np.array_equal(spatial.covered(demand, sites, radius), expected)
    few = np.where(radius > 400, 700.0, 300.0)  # two radii: the grouped path
    assert np.array_equal(spatial.covered(demand, sites, few), (distance <= few[None, :]).any(axis=1))


def test_covered_and_nearest_without_sites_or_demand():
    demand = np.array([[1.0, 2.0]])
    empty = np.empty((0, 2))
    assert spatial.covered(demand, empty, 100).tolist() == [False]
    d, i = spatial.nearest(demand, empty)
    assert d.tolist() == [math.inf] and i.tolist() == [-1]
    assert spatial.covered(empty, demand, 100).shape == (0,)
    assert spatial.coverage_matrix(empty, demand, 100).shape == (0, 1)


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        spatial.covered(np.zeros((2, 3)), np.zeros((1, 2)), 10)
    with pytest.raises(ValueError):
        spatial.covered(np.zeros((2, 2)), np.zeros((1, 2)), -1)
    with pytest.raises(ValueError):
        spatial.coverage_matrix(np.zeros((2, 2)), np.zeros((1, 2)), float("nan"))


def test_nearest_picks_the_closest_site():
    demand = np.array([[0.0, 0.0], [10.0, 0.0], [100.0, 100.0]])
    sites = np.array([[11.0, 0.0], [0.0, 1.0], [90.0, 100.0]])
    d, i = spatial.nearest(demand, sites)
    assert i.tolist() == [1, 0, 2]
    assert np.allclose(d, [1.0, 1.0, 10.0])


def test_coverage_matrix_is_inclusive_and_matches_brute_force():
    demand = np.array([[0.0, 0.0], [800.0, 0.0], [300.0, 400.0], [1700.0, 0.0]])
    cand = np.array([[0.0, 0.0], [1600.0, 0.0]])
    matrix = spatial.coverage_matrix(demand, cand, 800.0)
    assert matrix.dtype == bool and matrix.shape == (4, 2)
    assert matrix.toarray().tolist() == [[True, False], [True, True], [True, False], [False, True]]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), radius=st.floats(50, 2000))
def test_coverage_matrix_equals_brute_force(seed, radius):
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 4000, size=(int(rng.integers(1, 80)), 2)).round(0)
    cand = rng.uniform(0, 4000, size=(int(rng.integers(1, 15)), 2)).round(0)
    distance = np.hypot(*(demand[:, None, :] - cand[None, :, :]).transpose(2, 0, 1))
    expected = distance <= radius
    assert np.array_equal(spatial.coverage_matrix(demand, cand, radius).toarray(), expected)
    assert np.array_equal(spatial.covered(demand, cand, radius), expected.any(axis=1))
    d, _ = spatial.nearest(demand, cand)
    assert np.allclose(d, distance.min(axis=1))


def test_projection_keeps_short_distances_within_the_stated_bound_over_inner_mongolia():
    rng = np.random.default_rng(11)
    lat = rng.uniform(37.4, 53.3, 2000)
    lng = rng.uniform(97.2, 126.1, 2000)
    proj = spatial.Projection.fit(lat, lng)
    bound = proj.scale_error(lat)
    assert bound < 0.007  # ≈ 0.6 % over the whole autonomous region
    # 800 m steps in random directions: plane distance vs the great-circle distance.
    bearing = rng.uniform(0, 2 * np.pi, 2000)
    dlat = np.degrees(800 * np.cos(bearing) / R_EARTH)
    dlng = np.degrees(800 * np.sin(bearing) / (R_EARTH * np.cos(np.radians(lat))))
    a = spatial.project(lat, lng, origin=proj)
    b = spatial.project(lat + dlat, lng + dlng, origin=proj)
    plane = np.hypot(*(a - b).T)
    true = ellipsoid_step(lat, lng, lat + dlat, lng + dlng)
    # Conformal on the ellipsoid: the error is |k − 1| whatever the direction.
    assert np.max(np.abs(plane / true - 1)) < bound + 1e-5
    # k itself matches the ratio at each point.
    assert np.allclose(plane / true, proj.scale_factor(lat + dlat / 2), atol=1e-5)


def test_projection_over_one_city_is_within_a_metre_at_800_m():
    lat = np.array([42.0, 46.0, 43.5])
    lng = np.array([119.2, 123.7, 122.2])
    proj = spatial.Projection.fit(lat, lng)
    assert proj.scale_error(lat) < 0.0005
    # 通辽 city: 800 m north of 43.62°N, 122.26°E
    start = spatial.project(np.array([43.62]), np.array([122.26]), origin=proj)
    north = spatial.project(np.array([43.62 + 800 / 111_100]), np.array([122.26]), origin=proj)
    true = ellipsoid_step(43.62, 122.26, 43.62 + 800 / 111_100, 122.26)
    assert abs(float(np.hypot(*(north - start)[0])) - float(true)) < 0.4
    # And against the great circle on a mean sphere: the ellipsoid differs by ~0.2 %.
    assert (
        abs(
            float(np.hypot(*(north - start)[0]))
            - float(haversine(43.62, 122.26, 43.62 + 800 / 111_100, 122.26))
        )
        < 2.5
    )


def test_project_with_a_centre_or_alone_puts_the_centre_at_the_origin():
    xy = spatial.project(np.array([43.6, 43.7]), np.array([122.2, 122.2]), origin=(43.6, 122.2))
    assert np.allclose(xy[0], [0.0, 0.0], atol=1e-6)
    assert 11_000 < xy[1, 1] < 11_200 and abs(xy[1, 0]) < 1e-6
    alone = spatial.project(np.array([43.6, 43.7]), np.array([122.1, 122.3]))
    assert alone.shape == (2, 2) and alone.dtype == np.float64
    with pytest.raises(ValueError):
        spatial.Projection.fit([], [])
