"""Finding a region from what a person typed: a code, or a name path."""

import re

from yanglao.regions.codes import RegionCodeError, canonical
from yanglao.regions.models import Region


class RegionResolver:
    """Finds a region by code (6/9/12 digits) or by its name path (``通辽市/开鲁县/开鲁镇/新华社区``,
    the province optional). One record looks up what it needs; an import (``preload=True``)
    reads the whole table (16,000 rows) once, because thousands of lookups cost more than one read."""

    AMBIGUOUS = object()

    def __init__(self, *, preload: bool = False):
        self._by_code: dict[str, Region | None] = {}
        self._by_path: dict[str, object] = {}
        self._complete = False
        if preload:
            self._load_all()

    def _load_all(self) -> None:
        for region in Region.objects.all():
            self._remember(region)
        self._complete = True

    def _remember(self, region: Region) -> None:
        self._by_code[region.code] = region
        parts = region.full_name.split("/")
        # Every tail of the path names the region too: 开鲁镇/新华社区, 开鲁县/开鲁镇/新华社区…
        for start in range(len(parts)):
            key = "/".join(parts[start:])
            known = self._by_path.get(key)
            if known is None:
                self._by_path[key] = region
            elif known is not self.AMBIGUOUS and known.code != region.code:
                self._by_path[key] = self.AMBIGUOUS

    def resolve(self, text: str) -> Region | None:
        found = self._find(text.strip())
        return None if found is self.AMBIGUOUS else found

    def is_ambiguous(self, text: str) -> bool:
        return self._find(text.strip()) is self.AMBIGUOUS

    def _find(self, key: str):
        if re.fullmatch(r"\d{6,12}", key):
            try:
                code = canonical(key)
            except RegionCodeError:
                return None
            if code not in self._by_code and not self._complete:
                self._by_code[code] = Region.objects.filter(code=code).first()
            return self._by_code.get(code)
        path = "/".join(p for p in re.split(r"[/／\\>＞\-—\s]+", key) if p)
        if path and path not in self._by_path and not self._complete:
            leaf = path.rsplit("/", 1)[-1]
            for region in Region.objects.filter(name=leaf):
                self._remember(region)
        return self._by_path.get(path)
