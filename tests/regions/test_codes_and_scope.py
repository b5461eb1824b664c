import pytest

from yanglao.regions.codes import RegionCodeError, canonical, next_prefix, prefix_for
from yanglao.regions.models import Region
from yanglao.regions.scope import Scope


@pytest.mark.parametrize(
    "code, full",
    [
        ("15", "150000000000"),
        ("150500", "150500000000"),
        ("150523100", "150523100000"),
        ("150523100001", "150523100001"),
    ],
)
def test_canonical_pads_to_twelve_digits(code, full):
    assert canonical(code) == full


@pytest.mark.parametrize("bad", ["", "1505x", "1505231", "15052310000100", "abc"])
def test_canonical_refuses_malformed_codes(bad):
    with pytest.raises(RegionCodeError):
        canonical(bad)


def test_prefix_by_level():
    assert prefix_for("150500", "city") == "1505"
    assert prefix_for("150523", "county") == "150523"
    assert prefix_for("150523100", "township") == "150523100"


def test_next_prefix_carries_and_ends():
    assert next_prefix("150523") == "150524"
    assert next_prefix("1509") == "1510"
    assert next_prefix("159") == "160"
    assert next_prefix("99") is None


def test_scope_contains_and_covers():
    county = Scope("150523")
    assert county.contains("150523100001")
    assert not county.contains("150502001000")
    assert Scope("1505").covers(county)
    assert county.covers(Scope("150523100"))
    assert not county.covers(Scope("1505"))
    assert not Scope.nothing().contains("150523100001")


@pytest.mark.django_db
def test_scope_filter_keeps_exactly_the_subtree():
    kailu = set(Scope("150523").apply(Region.objects.all(), "code").values_list("code", flat=True))
    expected = {c for c in Region.objects.values_list("code", flat=True) if c.startswith("150523")}
    assert kailu == expected
    assert len(kailu) == 1 + 13 + 273  # the county, its townships, its villages
    assert not Scope.nothing().apply(Region.objects.all(), "code").exists()


@pytest.mark.django_db
def test_scope_range_selects_exactly_what_like_prefix_selects():
    for prefix in ("15", "1505", "150523", "150523100", "150523100001", "159"):
        ranged = set(Scope(prefix).apply(Region.objects.all(), "code").values_list("code", flat=True))
        liked = set(Region.objects.filter(code__startswith=prefix).values_list("code", flat=True))
        assert ranged == liked, prefix


@pytest.mark.django_db
def test_scope_filter_uses_the_index():
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
    try:
        plan = Scope("150523").apply(Region.objects.only("code"), "code").explain()
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = on")
    assert "Index" in plan and "~~" not in plan  # a range on the index, no LIKE filter
