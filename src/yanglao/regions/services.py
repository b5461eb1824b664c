"""Loading the region table: idempotent, renames in place, and never orphans data."""

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path

from django.db import transaction

from yanglao.regions.codes import LEVELS, PREFIX_LENGTH, RegionCodeError, canonical
from yanglao.regions.models import Region

REQUIRED_COLUMNS = ("code", "name", "level", "parent_code")


class RegionFileError(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = "\n".join(f"  - {p}" for p in problems[:50])
        more = f"\n  …另有 {len(problems) - 50} 处" if len(problems) > 50 else ""
        super().__init__(f"区划文件有 {len(problems)} 处错误，未做任何修改：\n{shown}{more}")


class RegionsInUse(Exception):
    """Regions missing from the new table that data still points at."""

    def __init__(self, in_use: list[tuple[str, str, str, int]]):
        self.in_use = in_use
        lines = "\n".join(f"  - {code} {name}: {what} {count} 条" for code, name, what, count in in_use)
        super().__init__(f"新区划表删除了 {len(in_use)} 个仍被数据引用的区划，未做任何修改：\n{lines}")


@dataclass
class LoadResult:
    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    seats: int = 0
    problems: list[str] = field(default_factory=list)

    def __str__(self):
        return (
            f"区划：新增 {self.added}，更新 {self.updated}，删除 {self.deleted}，未变 {self.unchanged}；"
            f"驻地坐标 {self.seats}"
        )


def bundled_regions_path() -> Path:
    return Path(str(resources.files("yanglao.regions") / "data" / "regions-150000.csv"))


def bundled_seats_path() -> Path:
    return Path(str(resources.files("yanglao.regions") / "data" / "seats-150000.csv"))


def _read_csv(path: Path) -> tuple[list[dict], list[str]]:
    raw = Path(path).read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RegionFileError([f"{path}: 不是 UTF-8 或 GBK 编码的文本文件"])
    reader = csv.DictReader(io.StringIO(text))
    return list(reader), list(reader.fieldnames or [])


def parse_region_rows(path: Path) -> dict[str, dict]:
    """Validate the whole file; return canonical code → row. Raises RegionFileError listing every problem."""
    rows, columns = _read_csv(path)
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise RegionFileError([f"缺少列：{', '.join(missing)}（需要 {', '.join(REQUIRED_COLUMNS)}）"])
    problems: list[str] = []
    parsed: dict[str, dict] = {}
    for line, row in enumerate(rows, start=2):
        code, name, level = (
            (row.get("code") or "").strip(),
            (row.get("name") or "").strip(),
            (row.get("level") or "").strip(),
        )
        parent = (row.get("parent_code") or "").strip()
        if level not in LEVELS:
            problems.append(f"第 {line} 行：层级 {level!r} 无效（应为 {'/'.join(LEVELS)}）")
            continue
        if not name:
            problems.append(f"第 {line} 行：名称为空")
            continue
        try:
            full = canonical(code)
            parent_full = canonical(parent) if parent else None
        except RegionCodeError as exc:
            problems.append(f"第 {line} 行：{exc}")
            continue
        prefix = full[: PREFIX_LENGTH[level]]
        if full[len(prefix) :].strip("0"):
            problems.append(f"第 {line} 行：代码 {code} 与层级 {level} 不符")
            continue
        if full in parsed:
            problems.append(f"第 {line} 行：代码 {code} 重复")
            continue
        if (level == "province") != (parent_full is None):
            problems.append(f"第 {line} 行：只有自治区（省）一级没有上级代码")
            continue
        parsed[full] = {
            "code": full,
            "name": name,
            "level": level,
            "parent": parent_full,
            "prefix": prefix,
            "line": line,
        }
    for row in parsed.values():
        parent = row["parent"]
        if parent is None:
            continue
        if parent not in parsed:
            problems.append(f"第 {row['line']} 行：上级代码 {parent} 不在文件中")
        elif LEVELS.index(parsed[parent]["level"]) >= LEVELS.index(row["level"]) or not row[
            "prefix"
        ].startswith(parsed[parent]["prefix"]):
            problems.append(f"第 {row['line']} 行：上级 {parent} 的层级或代码与本行不符")
    if problems:
        raise RegionFileError(problems)
    if not parsed:
        raise RegionFileError(["文件中没有区划数据"])
    _fill_full_names(parsed)
    return parsed


def _fill_full_names(parsed: dict[str, dict]) -> None:
    def full_name(code: str) -> str:
        row = parsed[code]
        if "full_name" not in row:
            row["full_name"] = (
                row["name"] if row["parent"] is None else f"{full_name(row['parent'])}/{row['name']}"
            )
        return row["full_name"]

    for code in sorted(parsed, key=lambda c: LEVELS.index(parsed[c]["level"])):
        full_name(code)


def parse_seats(path: Path) -> dict[str, tuple[Decimal, Decimal]]:
    rows, columns = _read_csv(path)
    if not {"code", "longitude", "latitude"} <= set(columns):
        raise RegionFileError(["驻地文件需要列 code, longitude, latitude"])
    seats = {}
    problems = []
    for line, row in enumerate(rows, start=2):
        try:
            code = canonical(row["code"].strip())
            lon, lat = Decimal(row["longitude"].strip()), Decimal(row["latitude"].strip())
        except (RegionCodeError, InvalidOperation, AttributeError):
            problems.append(f"第 {line} 行：代码或坐标无效")
            continue
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            problems.append(f"第 {line} 行：坐标超出范围")
            continue
        seats[code] = (lon.quantize(Decimal("0.000001")), lat.quantize(Decimal("0.000001")))
    if problems:
        raise RegionFileError(problems)
    return seats


def _references(codes: set[str]) -> list[tuple[str, str, str, int]]:
    """For regions about to be deleted: every model row that points at one of them."""
    in_use = []
    names = dict(Region.objects.filter(code__in=codes).values_list("code", "name"))
    relations = [
        f
        for f in Region._meta.get_fields(include_hidden=True)
        if f.auto_created and not f.concrete and f.is_relation
    ]
    for relation in relations:
        model = relation.related_model
        if model is Region:
            continue
        column = f"{relation.field.name}__in"
        counts = Counter(
            model._default_manager.filter(**{column: codes}).values_list(relation.field.attname, flat=True)
        )
        for code, count in sorted(counts.items()):
            in_use.append((code, names.get(code, ""), str(model._meta.verbose_name), count))
    return in_use


@transaction.atomic
def regions_load(*, path: Path, seats_path: Path | None = None) -> LoadResult:
    parsed = parse_region_rows(path)
    seats = parse_seats(seats_path) if seats_path else {}
    result = LoadResult()
    existing = {r.code: r for r in Region.objects.all()}

    gone = set(existing) - set(parsed)
    if gone:
        in_use = _references(gone)
        if in_use:
            raise RegionsInUse(in_use)

    to_create, to_update = [], []
    for code in sorted(parsed, key=lambda c: (LEVELS.index(parsed[c]["level"]), c)):
        row = parsed[code]
        lon, lat = seats.get(code, (None, None))
        values = {
            "name": row["name"],
            "level": row["level"],
            "parent_id": row["parent"],
            "prefix": row["prefix"],
            "full_name": row["full_name"],
        }
        if code in seats:
            values.update(longitude=lon, latitude=lat)
            result.seats += 1
        current = existing.get(code)
        if current is None:
            to_create.append(Region(code=code, **values))
            continue
        if any(getattr(current, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(current, k, v)
            to_update.append(current)
        else:
            result.unchanged += 1

    if gone:
        # Children first: a parent is protected while any child still points at it.
        for level in reversed(LEVELS):
            Region.objects.filter(code__in=[c for c in gone if existing[c].level == level]).delete()
        result.deleted = len(gone)
    Region.objects.bulk_create(to_create, batch_size=2000)
    Region.objects.bulk_update(
        to_update,
        ["name", "level", "parent", "prefix", "full_name", "longitude", "latitude"],
        batch_size=2000,
    )
    result.added, result.updated = len(to_create), len(to_update)
    return result
