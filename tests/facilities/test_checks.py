"""Every single-facility check at its boundary, and the SQL filter agreeing with the Python rule."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yanglao.facilities import checks
from yanglao.facilities.checks import MET, NOT_MET, UNKNOWN
from yanglao.facilities.models import Facility
from yanglao.regions.models import Region

TODAY = date(2026, 6, 30)
STREET = "150502001000"  # 科尔沁街道
STREET_COMMUNITY = "150502001001"
TOWNSHIP = "150523100000"  # 开鲁镇


def village_code():
    return (
        Region.objects.filter(code__startswith="150523", level="village", name__endswith="村委会")
        .values_list("code", flat=True)
        .first()
    )


def community_code():
    return (
        Region.objects.filter(code__startswith="150523", level="village", name__contains="社区")
        .values_list("code", flat=True)
        .first()
    )


def facility(region_code, **values) -> Facility:
    f = Facility(name="x", region=Region.objects.select_related("parent").get(code=region_code), **values)
    return f


def outcome(check_code, f):
    check = checks.BY_CODE[check_code]
    assert check.applies(f), check_code
    return check.evaluate(f, TODAY).status


@pytest.mark.django_db
@pytest.mark.parametrize(
    "total, nursing, expected",
    [(100, 80, MET), (100, 79, NOT_MET), (5, 4, MET), (0, 0, UNKNOWN), (100, None, UNKNOWN)],
)
def test_county_centre_nursing_beds_at_80_percent(total, nursing, expected):
    assert (
        outcome(
            "county_centre_nursing_beds",
            facility(TOWNSHIP, type="county_centre", beds_total=total, beds_nursing=nursing),
        )
        == expected
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "area, expected", [(Decimal("1000"), MET), (Decimal("999.9"), NOT_MET), (None, UNKNOWN)]
)
def test_street_centre_area_at_1000(area, expected):
    assert (
        outcome("street_centre_area", facility(STREET, type="township_centre", floor_area=area)) == expected
    )
    assert (
        outcome("street_centre_area", facility(STREET_COMMUNITY, type="township_centre", floor_area=area))
        == expected
    )


@pytest.mark.django_db
def test_township_centres_outside_streets_have_no_area_rule():
    assert not checks.BY_CODE["street_centre_area"].applies(
        facility(TOWNSHIP, type="township_centre", floor_area=Decimal(10))
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "area, households, expected",
    [
        (350, None, UNKNOWN),
        (349, None, NOT_MET),
        (350, 1750, MET),
        (350, 1751, NOT_MET),
        (400, 2000, MET),
        (400, 2001, NOT_MET),
        (None, 100, UNKNOWN),
    ],
)
def test_community_station_350_and_20_per_100_households(area, households, expected):
    f = facility(
        community_code(),
        type="station",
        floor_area=None if area is None else Decimal(area),
        households_served=households,
    )
    assert outcome("community_station_area", f) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    "area, natural, expected",
    [(200, False, MET), (199, False, NOT_MET), (150, True, MET), (149, True, NOT_MET)],
)
def test_village_point_200_or_150(area, natural, expected):
    for type_ in ("station", "mutual_aid"):
        f = facility(village_code(), type=type_, floor_area=Decimal(area), natural_village=natural)
        assert outcome("village_point_area", f) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    "beds, destitute, residents, medical, expected",
    [(99, False, None, False, MET), (100, False, None, False, NOT_MET), (100, False, None, True, MET),
     (20, True, 29, False, MET), (20, True, 30, False, NOT_MET), (20, True, 30, True, MET)],
)  # fmt: skip
def test_institution_medical_at_100_beds_or_30_destitute_residents(
    beds, destitute, residents, medical, expected
):
    f = facility(
        TOWNSHIP,
        type="institution_private",
        beds_total=beds,
        is_destitute_home=destitute,
        residents=residents,
        has_medical=medical,
    )
    assert outcome("institution_medical", f) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    "served, meals, expected",
    [(1000, 50, MET), (1000, 49, NOT_MET), (1001, 50, NOT_MET), (None, 50, UNKNOWN)],
)
def test_canteen_capacity_at_5_percent(served, meals, expected):
    assert (
        outcome(
            "canteen_capacity",
            facility(TOWNSHIP, type="canteen", residents_65_served=served, meal_capacity=meals),
        )
        == expected
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "end, expected", [(TODAY, MET), (TODAY - timedelta(days=1), NOT_MET), (None, UNKNOWN)]
)
def test_contract_valid_until_its_last_day(end, expected):
    f = facility(TOWNSHIP, type="station", operating_mode="public_private", contract_end=end)
    assert outcome("contract_valid", f) == expected


@pytest.mark.django_db
def test_summary_is_the_worst_outcome():
    f = facility(
        TOWNSHIP,
        type="county_centre",
        beds_total=100,
        beds_nursing=50,
        operating_mode="public_private",
        contract_end=TODAY,
    )
    assert checks.summary(checks.evaluate(f, TODAY)) == NOT_MET
    assert checks.summary([]) == ""


facilities_st = st.fixed_dictionaries({
    "type": st.sampled_from(["county_centre", "township_centre", "station", "mutual_aid", "institution_public", "institution_private", "canteen"]),
    "region": st.sampled_from(["street", "street_community", "township", "community", "village"]),
    "floor_area": st.one_of(st.none(), st.integers(100, 1200).map(Decimal)),
    "beds_total": st.one_of(st.none(), st.integers(0, 150)),
    "beds_nursing": st.one_of(st.none(), st.integers(0, 150)),
    "residents": st.one_of(st.none(), st.integers(0, 60)),
    "households_served": st.one_of(st.none(), st.integers(0, 3000)),
    "residents_65_served": st.one_of(st.none(), st.integers(0, 3000)),
    "meal_capacity": st.one_of(st.none(), st.integers(0, 200)),
    "has_medical": st.booleans(),
    "is_destitute_home": st.booleans(),
    "natural_village": st.booleans(),
    "operating_mode": st.sampled_from(["public", "public_private"]),
    "contract_end": st.one_of(st.none(), st.integers(-3, 3).map(lambda d: TODAY + timedelta(days=d))),
})  # fmt: skip


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(facilities_st)
def test_sql_filter_and_python_rule_agree(values):
    codes = {
        "street": STREET,
        "street_community": STREET_COMMUNITY,
        "township": TOWNSHIP,
        "community": community_code(),
        "village": village_code(),
    }
    values = dict(values)
    if values["beds_total"] is not None and values["beds_nursing"] is not None:
        values["beds_nursing"] = min(values["beds_nursing"], values["beds_total"])
    f = Facility.objects.create(name="h", region_id=codes[values.pop("region")], **values)
    f = Facility.objects.select_related("region__parent").get(pk=f.pk)
    for check in checks.CHECKS:
        python_fails = check.applies(f) and check.evaluate(f, TODAY).status == NOT_MET
        sql_fails = (
            checks.with_check_terms(Facility.objects.filter(pk=f.pk)).filter(check.failing(TODAY)).exists()
        )
        assert python_fails == sql_fails, (check.code, values)
    f.delete()
