"""Benchmark: the service network with 20,000 facilities in 通辽市 on PostgreSQL.

    .venv/bin/python bench/facilities.py [--facilities 20000] [--repeat 30] [--reload] [--no-gc-freeze]

Loads the network once (kept between runs; --reload rebuilds it) into a database of its own
(BENCH_DATABASE_URL, default yanglao_bench_facilities, so the elder benchmark's is left alone): the
demo network (about 1,800 facilities, operators, consortia) and then synthetic copies of its
facilities spread over every township and village of 通辽市, each in a region of the level its
template stands in, near that region's demo location, with the template's field values (so about as
many fail a policy check). Then times, through Django's full request path (test Client, session
login), the list page for the city and a county officer, the list filtered by a failing check, the
map data for the city and a county, and the region network summary. Prints p50/p95 per case, the
queries one request makes, the response size, and the full (generation 2) garbage collections that
fell into the timed requests: with ~300,000 long-lived objects in a Django process each costs ~90 ms,
and a response that allocates tens of thousands of objects triggers one every few requests.
The start-up heap is moved out of the collector's way first (gc.freeze()), as yanglao.asgi does
after loading the app; --no-gc-freeze measures without it. Target: every p95 < 200 ms.
"""

import argparse
import gc
import os
import random
import sys
import time
import unicodedata
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import describe, officer, p95, setup_django

os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/yanglao_bench_facilities")

TARGET_MS = 200
# What a copy is called after its region's name; the county centres are not copied (one per county).
NAME_SUFFIX = {
    "township_centre": "区域养老服务中心",
    "station": "养老服务站",
    "mutual_aid": "互助幸福院",
    "pastoral": "牧区养老公寓",
    "neighbour": "邻里互助点",
    "institution_public": "敬老院",
    "institution_private": "养老院",
    "canteen": "老年食堂",
}


def _short(name: str) -> str:
    for suffix in ("居委会", "村委会", "委员会"):
        name = name.removesuffix(suffix)
    return name


def load(count: int, seed: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from yanglao.core.bulk import bulk_insert, clone, copy_rows
    from yanglao.demo.facilities import COUNTIES, seed_facilities
    from yanglao.facilities.models import Facility, FacilityEvent, FacilityType, Operator
    from yanglao.regions import geo
    from yanglao.regions.models import Region

    made = seed_facilities(seed=seed)
    print(f"  demo network: {made} facilities", flush=True)
    need = count - Facility.objects.count()
    if need <= 0:
        return
    rng = random.Random(seed)
    in_city = Facility.objects.filter(region__code__startswith="1505").select_related("region").order_by("pk")
    templates = [f for f in in_city if f.type != FacilityType.COUNTY_CENTRE]
    by_level: dict[str, list[Region]] = {}
    below = Region.objects.filter(code__startswith="1505", level__in=["township", "village"]).order_by("code")
    for region in below:
        by_level.setdefault(region.level, []).append(region)
    points: dict[str, tuple[float, float]] = {}
    for county in COUNTIES:
        try:
            points.update(geo.demo_locations(county, seed))
        except (geo.NoOutline, geo.OutlineDataMissing):
            continue  # the development zone has no outline: its facilities have no coordinates
    operators: dict[str, list[int]] = {}
    registered = Operator.objects.filter(region__code__startswith="1505").values_list("pk", "region_id")
    for pk, region_id in registered:
        operators.setdefault(region_id[:6], []).append(pk)
    now = timezone.now()
    start = time.perf_counter()
    number = 0
    while need > 0:
        batch = []
        for _ in range(min(5000, need)):
            number += 1
            template = rng.choice(templates)
            region = rng.choice(by_level[template.region.level])
            facility = clone(template)
            facility.id = None
            facility.region_id = region.code
            facility.name = f"{_short(region.name)}{NAME_SUFFIX[template.type]}（{number}）"
            base = points.get(region.code)
            if base is None:
                facility.longitude = facility.latitude = None
            else:
                facility.longitude = Decimal(f"{base[0] + rng.uniform(-0.003, 0.003):.6f}")
                facility.latitude = Decimal(f"{base[1] + rng.uniform(-0.002, 0.002):.6f}")
            if template.operator_id:
                facility.operator_id = rng.choice(operators[region.code[:6]])
            facility.services = list(template.services)
            facility.created_at = facility.updated_at = now - timedelta(days=rng.randrange(0, 900))
            batch.append(facility)
        bulk_insert(Facility, batch)
        copy_rows(
            FacilityEvent,
            [{"facility_id": f.pk, "at": f.created_at, "kind": "created", "summary": f"建档：{f.name}（基准测试）"}
             for f in batch],
        )  # fmt: skip
        need -= len(batch)
        print(f"  loaded {Facility.objects.count()}/{count}", flush=True)
    print(f"  copies made in {time.perf_counter() - start:.1f} s", flush=True)
    with connection.cursor() as cursor:
        # As autovacuum would leave it: statistics, and the visibility map for index-only scans.
        cursor.execute("VACUUM ANALYZE")


def pad(text: str, width: int) -> str:
    """Left-justify to a display width (a Chinese character takes two columns)."""
    shown = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - shown)


class FullCollections:
    """Counts Python's full (generation 2) garbage collections and the time they take."""

    def __init__(self):
        self.count, self.ms, self._start = 0, 0.0, 0.0

    def __call__(self, phase, info):
        if info["generation"] != 2:
            return
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.count += 1
            self.ms += (time.perf_counter() - self._start) * 1000

    def __enter__(self):
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc):
        gc.callbacks.remove(self)


def timed_get(client, url, params, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url, params)
        assert response.status_code == 200, (url, params, response.status_code)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def query_count(client, url, params) -> tuple[int, float]:
    """Queries one request makes, and the time PostgreSQL reported for them (ms, as Django saw it)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(url, params)
    return len(queries), sum(float(q["time"]) for q in queries.captured_queries) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--facilities", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--reload", action="store_true")
    parser.add_argument(
        "--no-gc-freeze",
        dest="gc_freeze",
        action="store_false",
        help="skip the gc.freeze() that yanglao.asgi does after start-up (to see what it saves)",
    )
    args = parser.parse_args()
    setup_django(fresh=args.reload)
    from django.test import Client

    from yanglao.facilities.models import Facility

    have = Facility.objects.count()
    if have < args.facilities * 0.98:
        print(f"loading {args.facilities} facilities (have {have}) …", flush=True)
        start = time.perf_counter()
        load(args.facilities, seed=args.seed)
        print(f"loaded in {time.perf_counter() - start:.0f} s")
    total = Facility.objects.count()
    located = Facility.objects.exclude(longitude__isnull=True).count()
    in_kailu = Facility.objects.filter(region__code__startswith="150523").count()
    print(f"facilities: {total} ({located} with coordinates), of them in 开鲁县: {in_kailu}")

    city, kailu = Client(), Client()
    city.force_login(officer("bench-city", "150500"))
    kailu.force_login(officer("bench-kailu", "150523"))
    cases = [
        ("list page, city officer", city, "/facilities/", {}),
        ("list page, county officer (开鲁县)", kailu, "/facilities/", {}),
        ("list page, failing=any (city)", city, "/facilities/", {"failing": "any"}),
        ("map data, city-wide", city, "/api/v1/facilities/map", {}),
        ("map data, one county (开鲁县 officer)", kailu, "/api/v1/facilities/map", {}),
        ("map data, city officer filtered to 开鲁县", city, "/api/v1/facilities/map", {"region": "150523"}),
        ("region network summary 150500", city, "/api/v1/regions/150500/network", {}),
    ]
    if args.gc_freeze:
        for _, client, url, params in cases:
            client.get(url, params)
        gc.collect()
        gc.freeze()
    print(
        f"Python objects tracked by the garbage collector: {len(gc.get_objects()):,}"
        f" (frozen: {gc.get_freeze_count():,})"
    )
    worst = (0.0, "")
    for label, client, url, params in cases:
        probe = client.get(url, params)
        if probe.status_code == 404 and "/network" in url:
            print(f"{pad(label, 42)} network endpoint not available")
            continue
        timed_get(client, url, params, 2)  # warm the caches
        with FullCollections() as full:
            samples = timed_get(client, url, params, args.repeat)
        queries, sql_ms = query_count(client, url, params)
        if p95(samples) > worst[0]:
            worst = (p95(samples), label)
        size = len(probe.content) / 1024
        print(
            f"{pad(label, 42)} {describe(samples)}   {queries:2d} queries ({sql_ms:3.0f} ms SQL)  {size:5.0f} KiB"
            f"   full GCs {full.count:2d} ({full.ms:4.0f} ms)"
        )
    verdict = "met" if worst[0] < TARGET_MS else "MISSED"
    print(f"worst p95: {worst[0]:.0f} ms ({worst[1]}); target < {TARGET_MS} ms: {verdict}")


if __name__ == "__main__":
    main()
