from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from yanglao.regions.services import (
    RegionFileError,
    RegionsInUse,
    bundled_regions_path,
    bundled_seats_path,
    regions_load,
)


class Command(BaseCommand):
    help = "Load (or update) the region table from a CSV: code,name,level,parent_code. Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("file", nargs="?", help="区划 CSV；省略时使用随软件发布的内蒙古区划表")
        parser.add_argument(
            "--seats", help="驻地坐标 CSV：code,name,longitude,latitude（省略 FILE 时使用随附文件）"
        )

    def handle(self, *args, file=None, seats=None, **options):
        path = Path(file) if file else bundled_regions_path()
        seats_path = Path(seats) if seats else (None if file else bundled_seats_path())
        for candidate in filter(None, [path, seats_path]):
            if not candidate.exists():
                raise CommandError(f"文件不存在：{candidate}")
        try:
            result = regions_load(path=path, seats_path=seats_path)
        except (RegionFileError, RegionsInUse) as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(str(result))
