"""Shared by the benchmarks: a PostgreSQL database of their own, Django set up against it, and timing.

Every benchmark prints its figures and, where the issue asks for one, the ratio against a baseline
measured in the same run. Run them from the project root with the venv's Python, e.g.
``.venv/bin/python bench/import_elders.py``. They need PostgreSQL (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/yanglao_bench), which they create and migrate themselves.
"""

import os
import resource
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/yanglao_bench"


def recreate_database() -> None:
    """Drop and create the benchmark database (closing this process's own connection first)."""
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    name = url.rsplit("/", 1)[1].split("?")[0]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    if "django" in sys.modules:
        from django.db import connections

        connections.close_all()
    subprocess.run(
        ["psql", admin, "-qc", f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"],
        check=True,
        capture_output=True,
    )
    subprocess.run(["psql", admin, "-qc", f"CREATE DATABASE {name}"], check=True, capture_output=True)


def setup_django(*, fresh: bool = False) -> str:
    """Point Django at the benchmark database (recreated when ``fresh``), migrate, load regions."""
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    name = url.rsplit("/", 1)[1].split("?")[0]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    exists = subprocess.run(
        ["psql", admin, "-tAc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    if fresh or not exists:
        recreate_database()
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("YANGLAO_ENV", "development")
    os.environ.setdefault("YANGLAO_VAR_DIR", str(ROOT / "var" / "bench"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yanglao.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
    os.environ.setdefault("DEBUG", "0")  # timings as in production: no debug toolbar of queries
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from yanglao.regions.models import Region

    if not Region.objects.exists():
        from yanglao.regions.services import bundled_regions_path, bundled_seats_path, regions_load

        regions_load(path=bundled_regions_path(), seats_path=bundled_seats_path())
    return url


def officer(username: str, region: str, role: str = "officer"):
    from yanglao.accounts.models import User
    from yanglao.regions.codes import canonical

    user, _ = User.objects.get_or_create(
        username=username,
        defaults={
            "display_name": username,
            "role": role,
            "region_id": canonical(region),
            "must_change_password": False,
        },
    )
    return User.objects.select_related("region").get(pk=user.pk)


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


@contextmanager
def stopwatch():
    result = {}
    start = time.perf_counter()
    yield result
    result["seconds"] = time.perf_counter() - start


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def describe(samples_ms: list[float]) -> str:
    return (
        f"p50 {statistics.median(samples_ms):7.1f} ms   p95 {p95(samples_ms):7.1f} ms   n={len(samples_ms)}"
    )
