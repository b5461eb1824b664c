from django.db import models

from yanglao.regions.codes import LEVEL_LABELS, LEVELS


class Region(models.Model):
    class Level(models.TextChoices):
        PROVINCE = "province", LEVEL_LABELS["province"]
        CITY = "city", LEVEL_LABELS["city"]
        COUNTY = "county", LEVEL_LABELS["county"]
        TOWNSHIP = "township", LEVEL_LABELS["township"]
        VILLAGE = "village", LEVEL_LABELS["village"]

    code = models.CharField("区划代码", max_length=12, primary_key=True)
    name = models.CharField("名称", max_length=64)
    level = models.CharField("层级", max_length=10, choices=Level.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name="上级"
    )
    prefix = models.CharField("范围前缀", max_length=12, unique=True)
    # "内蒙古自治区/通辽市/开鲁县": imports accept a region by this path as well as by code.
    full_name = models.CharField("全称", max_length=200, db_index=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)

    class Meta:
        ordering = ["code"]
        indexes = [models.Index(fields=["parent", "code"])]
        verbose_name = "行政区划"

    def __str__(self):
        return self.name

    @property
    def depth(self) -> int:
        return LEVELS.index(self.level)

    @property
    def child_level(self) -> str | None:
        index = LEVELS.index(self.level)
        return LEVELS[index + 1] if index + 1 < len(LEVELS) else None

    @property
    def short_code(self) -> str:
        """The code as the statistics tables write it (6 digits down to county)."""
        return self.code[: max(len(self.prefix), 6)]
