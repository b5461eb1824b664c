"""Benchmark: the elder list with 700,000 elders (about 通辽市's 60+ population) on PostgreSQL.

    .venv/bin/python bench/elder_lists.py [--elders 700000] [--repeat 30]

Loads the registry once (kept between runs: pass --reload to rebuild it), then times, as a county
officer (开鲁县) and as the city officer, through Django's full request path: the list page
filtered by county, deep paging (page 500), a name search, an ID search, and the Excel export of
one county (with its peak memory). Prints p50/p95 per case; target: lists < 200 ms p95.
"""

import argparse
import resource
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import describe, officer, p95, setup_django


def load(count: int, seed: int) -> None:
    from django.db import connection

    from yanglao.core.bulk import bulk_insert, copy_rows
    from yanglao.demo.elders import build_inputs
    from yanglao.elders import privacy
    from yanglao.elders.models import CategoryMembership, Elder, ElderContact
    from yanglao.elders.services import apply_input

    day = date.today()
    made = 0
    batch = 20000
    while made < count:
        rows = build_inputs(count=min(batch, count - made), seed=seed + made, today=day)
        elders = []
        for data, extra in rows:
            elder = Elder()
            apply_input(elder, data)
            elders.append((elder, data, extra))
        # Demo IDs are unique within one batch; across batches the sequence space can collide.
        taken = set(
            Elder.objects.filter(id_number_index__in=[e.id_number_index for e, _, _ in elders]).values_list(
                "id_number_index", flat=True
            )
        )
        seen = set()
        fresh = []
        for item in elders:
            key = item[0].id_number_index
            if key not in taken and key not in seen:
                seen.add(key)
                fresh.append(item)
        bulk_insert(Elder, [e for e, _, _ in fresh])
        copy_rows(
            ElderContact,
            [
                {"elder_id": e.pk, "kind": c.kind, "name": c.name, "relation": c.relation, "position": i,
                 "phone_enc": (s := privacy.seal_phone(c.phone)).enc, "phone_index": s.index, "phone_masked": s.masked}
                for e, data, _ in fresh
                for i, c in enumerate(data.contacts)
            ],
        )  # fmt: skip
        copy_rows(
            CategoryMembership,
            [
                {"elder_id": e.pk, "category": c.category, "grade": c.grade, "valid_from": extra["since"], "source_document": "基准测试"}
                for e, data, extra in fresh
                for c in data.categories
            ],
        )  # fmt: skip
        made += len(rows)
        print(f"  loaded {made}/{count}", flush=True)
    with connection.cursor() as cursor:
        # As autovacuum would leave it: statistics, and the visibility map that lets a count be an
        # index-only scan.
        cursor.execute("VACUUM ANALYZE")


def timed_get(client, url, params, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url, params)
        assert response.status_code == 200, (url, response.status_code)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--elders", type=int, default=700_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--reload", action="store_true")
    parser.add_argument("--export-child", action="store_true")
    args = parser.parse_args()
    if args.export_child:
        export_child()
        return
    setup_django(fresh=args.reload)
    from django.test import Client

    from yanglao.elders.models import Elder
    from yanglao.elders.privacy import open_id_number

    have = Elder.objects.count()
    if have < args.elders * 0.98:
        print(f"loading {args.elders} elders (have {have}) …", flush=True)
        start = time.perf_counter()
        load(args.elders - have, seed=have + 1)
        print(f"loaded in {time.perf_counter() - start:.0f} s")
    total = Elder.objects.count()
    kailu_user = officer("bench-kailu", "150523")
    city_user = officer("bench-city", "150500")
    kailu, city = Client(), Client()
    kailu.force_login(kailu_user)
    city.force_login(city_user)
    sample = Elder.objects.filter(region__code__startswith="150523").order_by("pk")[1000]
    id_number = open_id_number(sample.id_number_enc)
    in_kailu = Elder.objects.filter(region__code__startswith="150523").count()
    print(f"elders: {total}, of them in 开鲁县: {in_kailu}")
    cases = [
        ("county list (开鲁县 officer, page 1)", kailu, "/elders/", {}),
        ("city list filtered to 开鲁县", city, "/elders/", {"region": "150523"}),
        ("deep paging, page 500 (city)", city, "/elders/", {"page": 500}),
        ("deep paging, page 500 (city, sorted by name)", city, "/elders/", {"page": 500, "sort": "name"}),
        ("name search 桂兰 (city)", city, "/elders/", {"q": "桂兰"}),
        ("pinyin initials zgl (city)", city, "/elders/", {"q": "zgl"}),
        ("ID search (city)", city, "/elders/", {"q": id_number}),
        ("API list, county (50 per page)", kailu, "/api/v1/elders", {"page_size": 50}),
    ]
    worst = 0.0
    for label, client, url, params in cases:
        timed_get(client, url, params, 2)  # warm the caches
        samples = timed_get(client, url, params, args.repeat)
        worst = max(worst, p95(samples))
        print(f"{label:42s} {describe(samples)}")
    print(f"worst list p95: {worst:.0f} ms (target < 200 ms)")
    # The export in a process of its own, so its peak memory is its own.
    result = subprocess.run(
        [sys.executable, __file__, "--export-child"], capture_output=True, text=True, check=True
    )
    print(result.stdout.strip().splitlines()[-1].replace("ROWS", str(in_kailu)))


def export_child() -> None:
    setup_django()
    from django.test import Client

    client = Client()
    client.force_login(officer("bench-kailu", "150523"))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    response = client.get("/elders/export.xlsx")
    size = sum(len(chunk) for chunk in response.streaming_content)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"export of 开鲁县 (ROWS rows): {seconds:.1f} s, {size / 1e6:.1f} MB; "
        f"peak RSS {peak / 1024:.0f} MiB (before the export {before / 1024:.0f} MiB)"
    )


if __name__ == "__main__":
    main()
