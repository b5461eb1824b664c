"""Benchmark: importing 100,000 elders from .xlsx on PostgreSQL, against django-import-export.

    .venv/bin/uv sync --locked --group bench      # the baseline library (bench-only)
    .venv/bin/python bench/import_elders.py [--rows 100000] [--baseline-rows 100000]

Each import runs in its own child process on an empty registry, so wall time and peak RSS are
that import's alone. The baseline is a plain django-import-export ModelResource over the same
file, doing the same per-row work (parse and validate the row, seal the ID and phones), with the
library's defaults (row by row). Targets: < 60 s, < 1 GiB peak RSS, ≥ 10× faster than the baseline.
"""

import argparse
import json
import random
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, child_peak_rss_mib, recreate_database, setup_django, stopwatch


def make_file(path: Path, rows: int, seed: int = 7) -> None:
    from openpyxl import Workbook

    from yanglao.core.idnumber import make
    from yanglao.elders.imports import COLUMNS
    from yanglao.regions.models import Region

    rng = random.Random(seed)
    villages = list(
        Region.objects.filter(level="village", code__startswith="1505").values_list("code", flat=True)
    )
    surnames, given = (
        "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董",
        ["桂兰", "秀英", "建国", "淑珍", "玉兰", "志刚", "德福", "巴特尔", "其其格", "宝音"],
    )
    book = Workbook(write_only=True)
    sheet = book.create_sheet("老年人档案")
    sheet.append([c.header + ("*" if c.required else "") for c in COLUMNS])
    keys = [c.key for c in COLUMNS]
    used = set()
    for i in range(rows):
        village = rng.choice(villages)
        born = date(1930, 1, 1).toordinal() + rng.randrange(0, 36 * 365)
        gender = rng.choice("MF")
        while True:
            value = make(village[:6], date.fromordinal(born), rng.randrange(1000), gender)
            if value not in used:
                used.add(value)
                break
        record = {
            "name": rng.choice(surnames) + rng.choice(given), "id_number": value, "region": village,
            "phone": f"13{rng.randrange(10**9):09d}", "address": f"{i % 200} 号", "living_situation": rng.choice(["独居", "空巢", "与配偶同住"]),
            "contact_name": "李明", "contact_relation": "儿子", "contact_phone": f"15{rng.randrange(10**9):09d}",
            "cat_subsistence": "是" if rng.random() < 0.08 else "否",
        }  # fmt: skip
        sheet.append([record.get(k, "") for k in keys])
    book.save(path)


def child_import(path: str, engine: str, rows_limit: int) -> None:
    """Runs in the child process: one import, printing a JSON line with its figures."""
    setup_django()

    from common import officer

    from yanglao.core.models import Task
    from yanglao.elders.imports import run_import, seal_upload
    from yanglao.elders.models import Elder

    actor = officer("bench-city", "150500")
    with stopwatch() as timing:
        if engine == "yanglao":
            task = Task.objects.create(
                kind="elders.import",
                created_by=actor,
                params={"mode": "all_or_nothing", "filename": "b.xlsx"},
            )
            task.input_file.save("b.xlsx.sealed", seal_upload(Path(path).read_bytes(), "b.xlsx"))
            result = run_import(task)
            assert result["failed_rows"] == 0, result["problems"][:3]
        else:
            from baseline_resource import run_baseline

            run_baseline(path, actor, rows_limit)
    print(json.dumps({"seconds": timing["seconds"], "elders": Elder.objects.count()}))


def run_child(path: Path, engine: str, rows_limit: int) -> dict:
    recreate_database()  # an empty registry for each run; the child migrates it
    output = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            engine,
            "--file",
            str(path),
            "--baseline-rows",
            str(rows_limit),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if output.returncode:
        raise SystemExit(f"{engine} import failed:\n{output.stderr[-3000:]}")
    figures = json.loads(output.stdout.strip().splitlines()[-1])
    figures["peak_rss_mib"] = child_peak_rss_mib()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--baseline-rows", type=int, default=None, help="rows for the baseline (default: all)"
    )
    parser.add_argument("--child")
    parser.add_argument("--file")
    args = parser.parse_args()
    if args.child:
        child_import(args.file, args.child, args.baseline_rows or 0)
        return
    setup_django(fresh=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "elders.xlsx"
        with stopwatch() as made:
            make_file(path, args.rows)
        print(
            f"file: {args.rows} rows, {path.stat().st_size / 1e6:.1f} MB, written in {made['seconds']:.1f} s"
        )
        ours = run_child(path, "yanglao", 0)
        print(
            f"yanglao import:   {ours['seconds']:7.1f} s   peak RSS {ours['peak_rss_mib']:6.0f} MiB   elders {ours['elders']}"
        )
        baseline_rows = args.baseline_rows or args.rows
        base = run_child(path, "baseline", baseline_rows)
        per_row_ours = ours["seconds"] / args.rows
        per_row_base = base["seconds"] / baseline_rows
        print(
            f"baseline import:  {base['seconds']:7.1f} s   for {baseline_rows} rows   elders {base['elders']}"
        )
        if baseline_rows != args.rows:
            print(f"  (baseline extrapolated to {args.rows} rows: {per_row_base * args.rows:.0f} s)")
        print(f"speed-up: {per_row_base / per_row_ours:.1f}×   targets: < 60 s, < 1024 MiB, ≥ 10×")


if __name__ == "__main__":
    main()
