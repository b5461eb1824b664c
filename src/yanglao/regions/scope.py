"""The region scope: what a user may see is the subtree under one region code prefix.

Every selector of region-scoped data passes its queryset through ``Scope.apply``. A scope is the
code prefix of the user's region (2/4/6/9/12 digits); a row is in scope when its 12-digit region code
starts with it — ``region_code LIKE 'prefix%'``.

Because every code is exactly 12 digits, "starts with 150523" is the same set as the range
``'150523' <= code < '150524'``, and that is how the condition is written: a range is answered
from the plain B-tree index on the column by SQLite and PostgreSQL alike, whatever the collation,
and (unlike LIKE on PostgreSQL, which needs the row) it lets a count be an index-only scan.
A test proves the two forms select the same rows.
"""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from yanglao.regions.codes import next_prefix


@dataclass(frozen=True)
class Scope:
    prefix: str
    # A scope may be narrowed to explicit objects (a facility operator sees one facility); the
    # selectors of that domain read it, the region rule still applies first.
    facility_id: int | None = None
    # A provider's staff see only their operator's rows (orders, caregivers, statements).
    operator_id: int | None = None

    @classmethod
    def nothing(cls) -> "Scope":
        return cls(prefix="\x00")

    @property
    def is_empty(self) -> bool:
        return self.prefix == "\x00"

    def q(self, column: str = "region__code") -> Q:
        """The scope condition on ``column``, a lookup path ending in a 12-digit code (``elder__region__code``, ``region_code``)."""
        if self.is_empty:
            return Q(pk__in=[])
        condition = Q(**{f"{column}__gte": self.prefix})
        upper = next_prefix(self.prefix)
        if upper is not None:
            condition &= Q(**{f"{column}__lt": upper})
        return condition

    def apply(self, queryset: QuerySet, column: str = "region__code") -> QuerySet:
        return queryset.filter(self.q(column))

    def contains(self, code: str | None) -> bool:
        return bool(code) and not self.is_empty and code.startswith(self.prefix)

    def covers(self, other: "Scope") -> bool:
        """True if every row visible in ``other`` is visible in this scope (never wider)."""
        return not other.is_empty and not self.is_empty and other.prefix.startswith(self.prefix)
