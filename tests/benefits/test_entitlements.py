"""Entitlements: the four default rules at their boundaries, rule dates and regions, the grants kept by
``entitlements_refresh`` and the receiver that runs it when a person's record changes, and the
eligibility list."""

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import HORQIN_TOWN, KAILU_TOWN, KAILU_VILLAGE, make_elder, make_user
from yanglao.assessments import services as assessment_services
from yanglao.assessments.standard import ITEMS, MAX_TOTAL
from yanglao.benefits.models import EntitlementGrant, EntitlementRule
from yanglao.benefits.rules import Facts, applies, rule_in_force
from yanglao.benefits.selectors import EligibilityFilters, eligibility_list
from yanglao.benefits.services import entitlements_for, entitlements_refresh
from yanglao.elders import services as elder_services
from yanglao.elders.models import Category, ElderEvent
from yanglao.regions.models import Region

HORQIN_VILLAGE = HORQIN_TOWN + "001"
TODAY = timezone.localdate()
SINCE = date(2020, 1, 1)
BORN = date(1944, 7, 10)  # 80 on 2024-07-10
BIRTHDAY_80 = date(2024, 7, 10)

HOME, MEAL, PRIORITY, BED = "home-service-1h", "meal-subsidy", "institution-priority", "family-care-bed"


def person(*categories, born=BORN, region=KAILU_VILLAGE, since=SINCE, level=None, level_on=SINCE, **raw):
    """An elder holding ``categories`` from ``since`` and, if given, an approved level from ``level_on``."""
    elder = make_elder(region, born=born, **raw)
    for category in categories:
        elder_services.category_add(actor=None, elder=elder, category=category, valid_from=since)
    if level is not None:
        elder_services.capability_record(elder=elder, level=level, on=level_on, reference="T-1")
    return elder


def held(elder, day) -> set[str]:
    elder.refresh_from_db()
    return {e.rule.code for e in entitlements_for(elder, day)}


def rule(
    code="local", *, region="150523", valid_from=date(2021, 1, 1), valid_to=None, conditions=None, **kwargs
):
    kwargs.setdefault("amount", 5000)
    kwargs.setdefault("unit", "fen_per_month")
    return EntitlementRule.objects.create(
        code=code, name=f"规则 {code}", benefit="other", region=Region.objects.get(code=region.ljust(12, "0")),
        valid_from=valid_from, valid_to=valid_to, conditions=conditions or {}, seed="测试", **kwargs,
    )  # fmt: skip


def open_grants(elder) -> dict[str, EntitlementGrant]:
    grants = EntitlementGrant.objects.filter(elder=elder, valid_to__isnull=True).select_related("rule")
    return {g.rule.code: g for g in grants}


def answers_with_total(total: int) -> dict[str, int]:
    answers = {code: item.max_score for code, item in ITEMS.items()}
    deficit = MAX_TOTAL - total
    for code in [c for c in ITEMS if c != "B.3.9"] + ["B.3.9"]:
        cut = min(deficit, answers[code])
        answers[code] -= cut
        deficit -= cut
    return answers


# --- the default rules at their boundaries --------------------------------------------------------


@pytest.mark.django_db
def test_the_default_rules_are_installed_for_the_whole_region():
    rules = EntitlementRule.objects.filter(code__in=[HOME, MEAL, PRIORITY, BED])
    assert {(r.code, r.region_id, r.valid_from, r.valid_to) for r in rules} == {
        (code, "150000000000", date(2021, 1, 1), None) for code in (HOME, MEAL, PRIORITY, BED)
    }


@pytest.mark.django_db
@pytest.mark.parametrize("category", [Category.DESTITUTE, Category.SUBSISTENCE])
def test_home_service_starts_on_the_80th_birthday(category):
    elder = person(category)
    assert HOME not in held(elder, BIRTHDAY_80 - timedelta(days=1))
    assert HOME in held(elder, BIRTHDAY_80)


@pytest.mark.django_db
@pytest.mark.parametrize("category", [Category.NEAR_SUBSISTENCE, Category.FAMILY_PLANNING, None])
def test_home_service_needs_destitute_or_subsistence_not_age_alone(category):
    elder = person(*([category] if category else []), born=date(1935, 1, 1))
    assert HOME not in held(elder, TODAY)


@pytest.mark.django_db
def test_home_service_is_an_hour_a_day():
    elder = person(Category.DESTITUTE)
    (home,) = [e for e in entitlements_for(elder, BIRTHDAY_80) if e.rule.code == HOME]
    assert home.rule.amount_text == "每天 1 小时"
    assert "特困人员" in home.reason and "80" in home.reason


@pytest.mark.django_db
def test_meal_subsidy_for_advanced_age_follows_the_birth_date():
    elder = person()  # no category at all: 高龄 is the birth date
    assert held(elder, BIRTHDAY_80 - timedelta(days=1)) == set()
    assert held(elder, BIRTHDAY_80) == {MEAL}
    (meal,) = entitlements_for(elder, BIRTHDAY_80)
    assert "高龄" in meal.reason and meal.rule.amount_text == "每月 100 元"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("category", "entitled"),
    [
        (Category.SUBSISTENCE, True),
        (Category.NEAR_SUBSISTENCE, True),
        (Category.DESTITUTE, True),
        (Category.FAMILY_PLANNING, False),
    ],
)
def test_meal_subsidy_at_any_age_for_the_economically_needy(category, entitled):
    elder = person(category, born=date(1958, 3, 1))
    assert (MEAL in held(elder, TODAY)) is entitled


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("category", "level", "entitled"),
    [
        (Category.DESTITUTE, 3, True),
        (Category.DESTITUTE, 4, True),
        (Category.DESTITUTE, 2, False),
        (Category.DESTITUTE, None, False),
        (Category.SUBSISTENCE, 4, False),
    ],
)
def test_institution_priority_needs_destitute_and_level_3_or_4(category, level, entitled):
    elder = person(category, level=level)
    assert (PRIORITY in held(elder, TODAY)) is entitled


@pytest.mark.django_db
def test_a_level_counts_from_its_assessment_date():
    elder = person(Category.DESTITUTE, level=3, level_on=date(2024, 6, 1))
    assert PRIORITY not in held(elder, date(2024, 5, 31))
    assert PRIORITY in held(elder, date(2024, 6, 1))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("categories", "level", "raw", "entitled"),
    [
        ([Category.SUBSISTENCE], 2, {}, True),
        ([Category.NEAR_SUBSISTENCE], 4, {}, True),
        ([Category.SUBSISTENCE], 1, {}, False),
        ([Category.SUBSISTENCE], None, {}, False),
        ([Category.FAMILY_PLANNING], 3, {}, False),
        ([], 3, {"living_situation": "独居"}, True),  # 独居/空巢 follows the living situation
        ([], 3, {"living_situation": "与子女同住"}, False),
    ],
)
def test_family_care_bed_by_level_2_to_4_and_category(categories, level, raw, entitled):
    elder = person(*categories, born=date(1955, 1, 1), level=level, **raw)
    assert (BED in held(elder, TODAY)) is entitled


@pytest.mark.django_db
def test_a_category_ending_mid_month_counts_until_its_last_day():
    elder = person(Category.SUBSISTENCE, born=date(1950, 1, 1))
    (membership,) = elder.categories.filter(category=Category.SUBSISTENCE)
    elder_services.category_end(actor=None, membership=membership, valid_to=date(2024, 3, 15))
    assert MEAL in held(elder, date(2024, 3, 15))
    assert MEAL not in held(elder, date(2024, 3, 16))


@pytest.mark.django_db
def test_the_default_rules_are_in_force_from_2021():
    elder = person(Category.DESTITUTE, born=date(1930, 1, 1), since=date(2015, 1, 1))
    assert held(elder, date(2020, 12, 31)) == set()
    assert held(elder, date(2021, 1, 1)) == {HOME, MEAL}


@pytest.mark.django_db
def test_a_rule_ends_on_its_last_valid_day():
    rule(valid_from=date(2023, 1, 1), valid_to=date(2024, 12, 31))
    elder = make_elder(KAILU_VILLAGE, born=date(1950, 1, 1))
    assert "local" not in held(elder, date(2022, 12, 31))
    assert "local" in held(elder, date(2024, 12, 31))
    assert "local" not in held(elder, date(2025, 1, 1))


@pytest.mark.django_db
def test_a_county_rule_applies_in_that_county_only():
    rule(region="150523")
    kailu = make_elder(KAILU_VILLAGE, born=date(1950, 1, 1))
    horqin = make_elder(HORQIN_VILLAGE, born=date(1950, 1, 1), name="包巴特尔")
    assert held(kailu, TODAY) == {"local"}
    assert held(horqin, TODAY) == set()


@pytest.mark.django_db
def test_a_county_rule_is_visible_to_the_city_above_it_and_not_to_other_counties(
    city_officer, kailu_officer, horqin_officer
):
    from yanglao.benefits.selectors import rules_visible

    rule(region="150523")
    assert "local" in {r.code for r in rules_visible(actor=city_officer)}
    assert "local" in {r.code for r in rules_visible(actor=kailu_officer)}
    assert "local" not in {r.code for r in rules_visible(actor=horqin_officer)}


@pytest.mark.django_db
def test_living_situation_and_maximum_age_conditions():
    rule(conditions={"living_situations": ["alone", "empty_nest"], "max_age": 89})
    turns_90 = date(2025, 5, 1)
    alone = make_elder(KAILU_VILLAGE, born=date(1935, 5, 1), living_situation="独居")
    with_children = make_elder(
        KAILU_VILLAGE, born=date(1935, 5, 3), living_situation="与子女同住", name="王建国"
    )
    assert "local" in held(alone, turns_90 - timedelta(days=1))
    assert "local" not in held(alone, turns_90)
    assert "local" not in held(with_children, turns_90 - timedelta(days=1))


@pytest.mark.django_db
def test_a_dead_elder_is_entitled_to_nothing():
    elder = person(Category.DESTITUTE, born=date(1930, 1, 1), level=4)
    assert held(elder, TODAY) == {HOME, MEAL, PRIORITY, BED}
    elder_services.elder_set_status(actor=None, elder=elder, status="deceased", on=TODAY)
    assert held(elder, TODAY) == set()


# --- grants ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_refresh_opens_grants_from_the_given_day_and_records_it():
    elder = person(Category.DESTITUTE, born=date(1930, 1, 1))
    on = TODAY - timedelta(days=10)
    opened, closed = entitlements_refresh(elder=elder, on=on)
    assert {g.rule.code for g in opened} == {HOME, MEAL} and closed == []
    grants = open_grants(elder)
    assert {(c, g.valid_from, g.region_code) for c, g in grants.items()} == {
        (HOME, on, KAILU_VILLAGE), (MEAL, on, KAILU_VILLAGE)
    }  # fmt: skip
    event = ElderEvent.objects.get(elder=elder, kind="entitlements")
    assert event.source == "benefits" and sorted(event.data["opened"]) == [HOME, MEAL]
    assert "每天 1 小时" in event.summary


@pytest.mark.django_db
def test_refresh_is_idempotent():
    elder = person(Category.DESTITUTE, born=date(1930, 1, 1))
    entitlements_refresh(elder=elder)
    assert entitlements_refresh(elder=elder) == ([], [])
    assert EntitlementGrant.objects.filter(elder=elder).count() == 2
    assert ElderEvent.objects.filter(elder=elder, kind="entitlements").count() == 1


@pytest.mark.django_db
def test_refresh_never_opens_a_grant_in_the_future():
    elder = person(Category.DESTITUTE, born=date(1930, 1, 1))
    entitlements_refresh(elder=elder, on=TODAY + timedelta(days=5))
    assert {g.valid_from for g in open_grants(elder).values()} == {TODAY}


@pytest.mark.django_db
def test_refresh_closes_lapsed_grants_the_day_before(settings):
    elder = person(Category.SUBSISTENCE, born=date(1950, 1, 1))
    entitlements_refresh(elder=elder, on=TODAY - timedelta(days=30))
    (membership,) = elder.categories.filter(category=Category.SUBSISTENCE)
    membership.valid_to = TODAY - timedelta(days=1)  # as the daily job finds it the morning after
    membership.save()
    opened, closed = entitlements_refresh(elder=elder, on=TODAY)
    assert opened == [] and [g.rule.code for g in closed] == [MEAL]
    grant = EntitlementGrant.objects.get(elder=elder, rule__code=MEAL)
    assert grant.valid_to == TODAY - timedelta(days=1)
    event = ElderEvent.objects.filter(elder=elder, kind="entitlements").order_by("-pk").first()
    assert event.data == {"opened": [], "closed": [MEAL]}


@pytest.mark.django_db
def test_ending_a_category_closes_the_grant_on_its_last_day(django_capture_on_commit_callbacks):
    elder = person(Category.SUBSISTENCE, born=date(1950, 1, 1))
    entitlements_refresh(elder=elder, on=TODAY - timedelta(days=30))
    (membership,) = elder.categories.filter(category=Category.SUBSISTENCE)
    last_day = TODAY - timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        elder_services.category_end(actor=None, membership=membership, valid_to=last_day)
    grant = EntitlementGrant.objects.get(elder=elder, rule__code=MEAL)
    assert grant.valid_to == last_day
    assert MEAL in held(elder, last_day) and MEAL not in held(elder, last_day + timedelta(days=1))


@pytest.mark.django_db
def test_adding_a_category_grants_from_its_first_day(django_capture_on_commit_callbacks):
    elder = make_elder(KAILU_VILLAGE, born=date(1940, 1, 1))
    since = TODAY - timedelta(days=20)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        elder_services.category_add(actor=None, elder=elder, category=Category.SUBSISTENCE, valid_from=since)
    assert len(callbacks) == 1
    grant = open_grants(elder)[HOME]
    assert (grant.valid_from, grant.valid_to) == (since, None)
    assert ElderEvent.objects.filter(elder=elder, kind="entitlements").exists()


@pytest.mark.django_db
def test_approving_an_assessment_grants_what_the_level_brings(
    django_capture_on_commit_callbacks, township_officer, kailu_officer
):
    elder = person(Category.DESTITUTE, born=date(1930, 1, 1))
    entitlements_refresh(elder=elder, on=date(2024, 1, 1))
    second = make_user("kailuzhen-2", "officer", KAILU_TOWN)
    on = TODAY - timedelta(days=5)
    assessment = assessment_services.assessment_create(actor=township_officer, elder=elder, reference_date=on)
    assessment_services.assessment_save(
        actor=township_officer, assessment=assessment, answers=answers_with_total(40), assessor_2=second
    )
    assessment_services.assessment_submit(actor=township_officer, assessment=assessment)
    with django_capture_on_commit_callbacks(execute=True):
        assessment_services.assessment_approve(actor=kailu_officer, assessment=assessment)
    grants = open_grants(elder)
    assert {c: g.valid_from for c, g in grants.items()} == {
        HOME: date(2024, 1, 1), MEAL: date(2024, 1, 1), PRIORITY: on, BED: on
    }  # fmt: skip


@pytest.mark.django_db
def test_death_closes_every_grant(django_capture_on_commit_callbacks):
    elder = person(Category.DESTITUTE, born=date(1930, 1, 1), level=4)
    entitlements_refresh(elder=elder, on=date(2024, 1, 1))
    with django_capture_on_commit_callbacks(execute=True):
        elder_services.elder_set_status(
            actor=None, elder=elder, status="deceased", on=TODAY - timedelta(days=2)
        )
    assert open_grants(elder) == {}
    assert EntitlementGrant.objects.filter(elder=elder).count() == 4


@pytest.mark.django_db
def test_a_move_takes_the_grants_to_the_new_region(django_capture_on_commit_callbacks, city_officer):
    elder = person(Category.DESTITUTE, born=date(1930, 1, 1))
    entitlements_refresh(elder=elder, on=date(2024, 1, 1))
    with django_capture_on_commit_callbacks(execute=True):
        elder_services.elder_move(
            actor=city_officer, elder=elder, region=Region.objects.get(code=HORQIN_VILLAGE)
        )
    grants = EntitlementGrant.objects.filter(elder=elder)
    assert {(g.region_code, g.valid_to) for g in grants.filter(rule__code=MEAL)} == {
        (KAILU_VILLAGE, TODAY - timedelta(days=1)), (HORQIN_VILLAGE, None)
    }  # fmt: skip
    assert {g.region_code for g in grants.filter(valid_to__isnull=True)} == {HORQIN_VILLAGE}


# --- the eligibility list -------------------------------------------------------------------------


@pytest.fixture
def granted(db):
    kailu = person(Category.DESTITUTE, born=date(1930, 1, 1))
    horqin = person(born=date(1930, 1, 1), region=HORQIN_VILLAGE, name="包巴特尔")
    ended = person(Category.SUBSISTENCE, born=date(1950, 1, 1), name="王建国")
    for elder in (kailu, horqin, ended):
        entitlements_refresh(elder=elder, on=date(2024, 1, 1))
    (membership,) = ended.categories.all()
    membership.valid_to = TODAY - timedelta(days=1)
    membership.save()
    entitlements_refresh(elder=ended)
    return SimpleNamespace(kailu=kailu, horqin=horqin, ended=ended)


def listed(actor, **filters) -> set[tuple[int, str]]:
    return {
        (g.elder_id, g.rule.code)
        for g in eligibility_list(actor=actor, filters=EligibilityFilters(**filters))
    }


@pytest.mark.django_db
def test_the_eligibility_list_respects_scope(granted, kailu_officer, horqin_officer, city_officer):
    kailu = {(granted.kailu.pk, HOME), (granted.kailu.pk, MEAL)}
    horqin = {(granted.horqin.pk, MEAL)}
    assert listed(kailu_officer) == kailu
    assert listed(horqin_officer) == horqin
    assert listed(city_officer) == kailu | horqin
    assert listed(city_officer, region="150502") == horqin
    assert listed(kailu_officer, region="150502") == set()


@pytest.mark.django_db
def test_the_eligibility_list_filters_by_rule(granted, city_officer):
    assert listed(city_officer, rule=HOME) == {(granted.kailu.pk, HOME)}
    assert listed(city_officer, rule="no-such-rule") == set()


@pytest.mark.django_db
def test_the_eligibility_list_needs_the_view_capability(caregiver):
    with pytest.raises(PermissionDenied):
        eligibility_list(actor=caregiver, filters=EligibilityFilters())


# --- amounts --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "unit", "text"),
    [
        (10000, "fen_per_month", "每月 100 元"),
        (12345, "fen_per_month", "每月 123.45 元"),
        (5, "fen_per_month", "每月 0.05 元"),
        (10050, "fen_per_month", "每月 100.50 元"),
        (60, "minutes_per_day", "每天 1 小时"),
        (120, "minutes_per_day", "每天 2 小时"),
        (90, "minutes_per_day", "每天 90 分钟"),
        (0, "flag", "具备资格"),
    ],
)
def test_amount_text_from_integer_units(amount, unit, text):
    assert EntitlementRule(amount=amount, unit=unit).amount_text == text


# --- the rules, pure ------------------------------------------------------------------------------

CATEGORIES = [c.value for c in Category]


def facts(**changes) -> Facts:
    base = {"day": date(2025, 1, 1), "age": 80, "categories": frozenset(), "level": None,
            "region_code": KAILU_VILLAGE, "living_situation": "other", "active": True}  # fmt: skip
    return Facts(**{**base, **changes})


conditions_strategy = st.fixed_dictionaries(
    {},
    optional={
        "categories_any": st.lists(st.sampled_from(CATEGORIES), max_size=3),
        "categories_all": st.lists(st.sampled_from(CATEGORIES), max_size=2),
        "min_age": st.integers(60, 100),
        "max_age": st.integers(60, 110),
        "levels": st.lists(st.integers(0, 4), max_size=3),
        "living_situations": st.lists(
            st.sampled_from(["alone", "empty_nest", "spouse", "children"]), max_size=2
        ),
    },
)
facts_strategy = st.builds(
    facts,
    age=st.integers(55, 110),
    categories=st.frozensets(st.sampled_from(CATEGORIES)),
    level=st.none() | st.integers(0, 4),
    living_situation=st.sampled_from(["alone", "empty_nest", "spouse", "children", "other"]),
)


@given(conditions_strategy, facts_strategy)
def test_an_inactive_person_meets_no_rule(conditions, person_facts):
    assert not applies(conditions, Facts(**{**person_facts.__dict__, "active": False}))


@given(facts_strategy)
def test_a_rule_without_conditions_applies_to_every_registered_person(person_facts):
    assert applies({}, person_facts)


@given(conditions_strategy, facts_strategy)
def test_applies_is_the_conjunction_of_the_conditions(conditions, f):
    expected = all(
        [
            not conditions.get("categories_any") or bool(set(conditions["categories_any"]) & f.categories),
            set(conditions.get("categories_all") or []) <= f.categories,
            "min_age" not in conditions or f.age >= conditions["min_age"],
            "max_age" not in conditions or f.age <= conditions["max_age"],
            not conditions.get("levels") or f.level in conditions["levels"],
            not conditions.get("living_situations") or f.living_situation in conditions["living_situations"],
        ]
    )
    assert applies(conditions, f) is expected


@given(st.integers(60, 100), st.integers(55, 110))
def test_min_and_max_age_are_inclusive(limit, age):
    assert applies({"min_age": limit}, facts(age=age)) is (age >= limit)
    assert applies({"max_age": limit}, facts(age=age)) is (age <= limit)


def test_any_needs_one_category_and_all_needs_every_one():
    conditions = {"categories_any": ["destitute", "subsistence"], "categories_all": ["advanced_age"]}
    assert applies(conditions, facts(categories=frozenset({"subsistence", "advanced_age"})))
    assert not applies(conditions, facts(categories=frozenset({"subsistence"})))
    assert not applies(conditions, facts(categories=frozenset({"near_subsistence", "advanced_age"})))


def test_a_level_condition_is_not_met_before_any_assessment():
    assert not applies({"levels": [0, 1, 2, 3, 4]}, facts(level=None))
    assert applies({"levels": [0]}, facts(level=0))
    assert applies({"levels": []}, facts(level=None))


@pytest.mark.parametrize(
    ("prefix", "valid_to", "day", "code", "expected"),
    [
        ("15", None, date(2021, 1, 1), KAILU_VILLAGE, True),
        ("15", None, date(2020, 12, 31), KAILU_VILLAGE, False),
        ("15", date(2022, 6, 30), date(2022, 6, 30), KAILU_VILLAGE, True),
        ("15", date(2022, 6, 30), date(2022, 7, 1), KAILU_VILLAGE, False),
        ("150523", None, date(2022, 1, 1), KAILU_VILLAGE, True),
        ("150523", None, date(2022, 1, 1), HORQIN_VILLAGE, False),
    ],
)
def test_rule_in_force_by_date_and_region(prefix, valid_to, day, code, expected):
    candidate = SimpleNamespace(
        valid_from=date(2021, 1, 1), valid_to=valid_to, region=SimpleNamespace(prefix=prefix)
    )
    assert rule_in_force(candidate, day, code) is expected
