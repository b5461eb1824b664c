"""Benchmark: service-circle coverage (who has a facility within reach) for a city and for the region.

    .venv/bin/python bench/coverage.py [--only city,region] [--radius 1000] [--workers 1] [--seed 3]

Synthetic elders in settlements (~300 per settlement, σ 700 m) and facilities near settlements (90 %)
or anywhere (10 %), as latitude/longitude in degrees:
  city    700,000 elders × 20,000 facilities in 通辽市's box (42.2°–45.7° N, 119.2°–123.7° E) — < 5 s
  region  4,800,000 elders × 100,000 facilities over Inner Mongolia's box (37.4°–53.3° N,
          97.2°–126.1° E) — < 30 s and < 4 GiB peak RSS
Times, with yanglao.planning.spatial: the projection of both sets (one fitted projection), `covered`
(within the radius), `nearest` (distance and index of the closest facility). Prints each step,
the share covered, the projection's worst scale error over the data, and the process's peak RSS
(resource.getrusage; it includes making the synthetic data). CPU seconds are printed next to the
wall-clock ones: on a shared machine the wall clock measures the neighbours too.
"""

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from yanglao.planning import spatial  # noqa: E402

CASES = {
    "city": {"elders": 700_000, "facilities": 20_000, "box": (42.2, 45.7, 119.2, 123.7), "seconds": 5.0},
    "region": {"elders": 4_800_000, "facilities": 100_000, "box": (37.4, 53.3, 97.2, 126.1), "seconds": 30.0},
}
GIB = 1024**3


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


def synthetic(case: dict, seed: int):
    rng = np.random.default_rng(seed)
    south, north, west, east = case["box"]
    settlements = max(10, case["elders"] // 300)
    c_lat = rng.uniform(south, north, settlements)
    c_lng = rng.uniform(west, east, settlements)
    which = rng.integers(0, settlements, case["elders"])
    deg = 700.0 / 111_000  # σ 700 m in degrees of latitude
    lat = c_lat[which] + rng.normal(0, deg, case["elders"])
    lng = c_lng[which] + rng.normal(0, deg, case["elders"]) / np.cos(np.radians(c_lat[which]))
    del which
    near = int(case["facilities"] * 0.9)
    pick = rng.integers(0, settlements, near)
    f_lat = np.concatenate(
        [c_lat[pick] + rng.normal(0, deg, near), rng.uniform(south, north, case["facilities"] - near)]
    )
    f_lng = np.concatenate(
        [
            c_lng[pick] + rng.normal(0, deg, near) / np.cos(np.radians(c_lat[pick])),
            rng.uniform(west, east, case["facilities"] - near),
        ]
    )
    return lat, lng, f_lat, f_lng


def run(name: str, case: dict, radius: float, workers: int, seed: int) -> bool:
    print(f"[{name}] {case['elders']:,} elders × {case['facilities']:,} facilities, radius {radius:.0f} m")
    lat, lng, f_lat, f_lng = synthetic(case, seed)
    print(f"  synthetic data made; peak RSS so far {peak_rss() / GIB:.2f} GiB")
    t0, cpu0 = time.perf_counter(), time.process_time()
    step = max(1, len(lat) // 100_000)  # a sample of the elders is enough to fit the projection
    proj = spatial.Projection.fit(np.concatenate([lat[::step], f_lat]), np.concatenate([lng[::step], f_lng]))
    elders = spatial.project(lat, lng, origin=proj)
    sites = spatial.project(f_lat, f_lng, origin=proj)
    t1 = time.perf_counter()
    inside = spatial.covered(elders, sites, radius, workers=workers)
    t2 = time.perf_counter()
    distance, index = spatial.nearest(elders, sites, workers=workers)
    t3 = time.perf_counter()
    total, cpu = t3 - t0, time.process_time() - cpu0
    assert np.array_equal(inside, distance <= radius + 1e-6)
    error = proj.scale_error(np.array([case["box"][0], case["box"][1]]))
    print(
        f"  project {t1 - t0:.2f} s (worst scale error over the box {error:.3%}, i.e. ±{radius * error:.1f} m at the radius)"
    )
    print(f"  covered {t2 - t1:.2f} s: {inside.mean():.1%} of elders within {radius:.0f} m of a facility")
    print(
        f"  nearest {t3 - t2:.2f} s: median distance {np.median(distance):,.0f} m, farthest {distance.max() / 1000:,.1f} km"
    )
    rss = peak_rss()
    ok = total < case["seconds"] and (name != "region" or rss < 4 * GIB)
    limits = f"< {case['seconds']:.0f} s" + (" and < 4 GiB" if name == "region" else "")
    print(
        f"  total {total:.2f} s wall, {cpu:.2f} s CPU ({total / case['seconds']:.0%} of the {case['seconds']:.0f} s budget), "
        f"peak RSS {rss / GIB:.2f} GiB; target {limits} → {'OK' if ok else 'MISSED'}"
    )
    del lat, lng, f_lat, f_lng, elders, sites, inside, distance, index
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="city,region", help="comma-separated cases")
    parser.add_argument("--radius", type=float, default=1000.0, help="metres (15 minutes on foot ≈ 1 km)")
    parser.add_argument("--workers", type=int, default=1, help="threads for the k-d tree queries")
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    failures = 0
    for name in [c.strip() for c in args.only.split(",") if c.strip()]:
        failures += not run(name, CASES[name], args.radius, args.workers, args.seed)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
