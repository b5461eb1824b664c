"""The anomaly rules of a home visit, as pure functions (no database): what the check-in and the
check-out are flagged with so that a doubtful visit is reviewed rather than silently paid.

The rules and their thresholds (settings, read when a rule runs):

* ``far_check_in`` — the check-in position is more than ``YANGLAO_CHECKIN_MAX_DISTANCE_M`` metres
  (default 300) from the elder's home coordinates. Exactly 300 m is not flagged, 301 m is. When the
  elder's home or the phone's position is unknown no distance is computed and nothing is flagged:
  the order page says "距离未知" and the officer can see it.
* ``short_visit`` — the visit (check-out minus check-in, whole minutes) is shorter than
  ``YANGLAO_SHORT_VISIT_PERCENT`` percent (default 50) of the product's standard duration times the
  ordered quantity: for 60 minutes of 生活照料, 30 minutes is fine, 29 is flagged. Products without
  a standard duration (meals, monthly services) are never short.
* ``overlap`` — two visits of one caregiver whose [check-in, check-out) intervals intersect; a visit
  still open (checked in, not out) has no end yet, so two open visits always overlap. Touching
  intervals (one ends as the next begins) do not overlap.
* ``no_check_in`` — a check-out without a check-in (the caregiver forgot): the check-out is
  recorded, the order moves to checked_out, and the order is flagged.

Integer arithmetic throughout: distances are rounded to whole metres before they are compared.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from yanglao.care.models import Anomaly

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)
DEFAULT_MAX_DISTANCE_M = 300
DEFAULT_SHORT_VISIT_PERCENT = 50


def max_distance_m() -> int:
    return int(getattr(settings, "YANGLAO_CHECKIN_MAX_DISTANCE_M", DEFAULT_MAX_DISTANCE_M))


def short_visit_percent() -> int:
    return int(getattr(settings, "YANGLAO_SHORT_VISIT_PERCENT", DEFAULT_SHORT_VISIT_PERCENT))


def distance_m(lat1, lng1, lat2, lng2) -> int | None:
    """Great-circle (haversine) distance in whole metres between two WGS-84 points; None if any
    coordinate is missing. Accepts Decimal, float or str."""
    if None in (lat1, lng1, lat2, lng2):
        return None
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp = p2 - p1
    dl = math.radians(float(lng2) - float(lng1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return round(2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a))))


def is_far(distance: int | None, *, limit: int | None = None) -> bool:
    """True when the check-in is farther than the limit (an unknown distance is not flagged)."""
    limit = max_distance_m() if limit is None else limit
    return distance is not None and distance > limit


def minutes_between(start: datetime, end: datetime) -> int:
    """Whole minutes from ``start`` to ``end`` (rounded down; never negative)."""
    return max(0, int((end - start).total_seconds()) // 60)


def is_short(
    duration_minutes: int | None,
    standard_minutes: int | None,
    quantity: int = 1,
    *,
    percent: int | None = None,
) -> bool:
    """True when the visit lasted less than ``percent`` % of the standard duration × quantity."""
    if duration_minutes is None or not standard_minutes:
        return False
    percent = short_visit_percent() if percent is None else percent
    return duration_minutes * 100 < percent * standard_minutes * max(1, quantity)


@dataclass(frozen=True)
class Interval:
    key: object  # what the caller identifies the visit by (an order number)
    start: datetime
    end: datetime | None  # None: still open


def overlapping(start: datetime, end: datetime | None, others: Iterable[Interval]) -> list:
    """The keys of ``others`` whose interval intersects [start, end); an open interval (end None)
    runs without end."""
    return [
        other.key
        for other in others
        if (end is None or other.start < end) and (other.end is None or start < other.end)
    ]


@dataclass
class Findings:
    """What a check-in or check-out found: anomaly codes (in ``Anomaly`` order) and the details."""

    codes: list[str]
    details: dict

    def __bool__(self) -> bool:
        return bool(self.codes)


def _ordered(codes: set[str]) -> list[str]:
    return [a.value for a in Anomaly if a.value in codes]


def at_check_in(*, distance: int | None, at: datetime, other_visits: Iterable[Interval]) -> Findings:
    """Flags at check-in: far from home; another visit of the caregiver still open, or one whose
    recorded interval holds the check-in time."""
    codes, details = set(), {}
    if is_far(distance):
        codes.add(Anomaly.FAR_CHECK_IN)
        details["far_check_in"] = {"distance_m": distance, "limit_m": max_distance_m()}
    others = overlapping(at, None, other_visits)
    if others:
        codes.add(Anomaly.OVERLAP)
        details["overlap"] = {"orders": sorted(str(o) for o in others)}
    return Findings(_ordered(codes), details)


def at_check_out(
    *,
    check_in_at: datetime | None,
    check_out_at: datetime,
    standard_minutes: int | None,
    quantity: int,
    other_visits: Iterable[Interval],
) -> Findings:
    """Flags at check-out: no check-in; a short visit; overlapping another visit of the caregiver."""
    codes, details = set(), {}
    if check_in_at is None:
        codes.add(Anomaly.NO_CHECK_IN)
        return Findings(_ordered(codes), details)
    duration = minutes_between(check_in_at, check_out_at)
    if is_short(duration, standard_minutes, quantity):
        codes.add(Anomaly.SHORT_VISIT)
        details["short_visit"] = {
            "minutes": duration,
            "standard_minutes": (standard_minutes or 0) * max(1, quantity),
            "percent": short_visit_percent(),
        }
    others = overlapping(check_in_at, check_out_at, other_visits)
    if others:
        codes.add(Anomaly.OVERLAP)
        details["overlap"] = {"orders": sorted(str(o) for o in others)}
    return Findings(_ordered(codes), details)


def merge(existing: list[str], new: list[str]) -> list[str]:
    """The union of two code lists, in ``Anomaly`` order."""
    return _ordered(set(existing) | set(new))
