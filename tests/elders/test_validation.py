from datetime import date

import pytest
from django.core.exceptions import ValidationError

from tests.conftest import KAILU_VILLAGE
from yanglao.core.idnumber import make
from yanglao.elders.validation import parse_elder
from yanglao.regions.resolver import RegionResolver
from yanglao.regions.scope import Scope

GOOD_ID = make("150523", date(1945, 3, 15), 122, "F")


def parse(scope=None, **raw):
    return parse_elder(
        {"name": "张桂兰", "id_number": GOOD_ID, "region": KAILU_VILLAGE, **raw},
        resolver=RegionResolver(),
        scope=scope,
    )


def codes(**raw):
    with pytest.raises(ValidationError) as error:
        parse(**raw)
    return {k: [e.code for e in v] for k, v in error.value.error_dict.items()}


@pytest.mark.django_db
def test_birth_date_and_gender_come_from_the_id():
    data = parse()
    assert data.birth_date == date(1945, 3, 15) and data.gender == "F"
    assert data.region.code == KAILU_VILLAGE


@pytest.mark.django_db
def test_entered_values_that_contradict_the_id_are_errors():
    assert codes(gender="男", birth_date="1945-03-16") == {
        "gender": ["gender_mismatch"],
        "birth_date": ["birth_mismatch"],
    }


@pytest.mark.django_db
def test_fifteen_digit_ids_are_converted():
    data = parse(id_number="150523450315122")
    assert len(data.id_number.value) == 18 and data.id_number.converted_from_15


@pytest.mark.django_db
@pytest.mark.parametrize(
    "raw, expected",
    [
        ({"id_number": "150523194503151220"}, {"id_number": ["id_checksum"]}),
        ({"name": ""}, {"name": ["required"]}),
        ({"region": "150523100"}, {"region": ["region_level"]}),
        ({"region": "999999999999"}, {"region": ["region_unknown"]}),
        ({"phone": "8835970"}, {"phone": ["phone_area_code"]}),
        ({"ethnicity": "火星族"}, {"ethnicity": ["invalid_choice"]}),
        ({"living_situation": "住养老院"}, {"living_situation": ["invalid_choice"]}),
        ({"longitude": "121.3"}, {"longitude": ["coordinates_pair"]}),
        ({"longitude": "200", "latitude": "43"}, {"longitude": ["out_of_range"]}),
        ({"birth_date": "1945年3月"}, {"birth_date": ["invalid_date"]}),
        ({"cat_destitute": "可能"}, {"cat_destitute": ["invalid_flag"]}),
        ({"cat_disability": "是"}, {"disability_grade": ["required"]}),
        ({"contact_name": "李明"}, {"contact_phone": ["phone_required"]}),
    ],
)
def test_each_bad_field_is_named_with_a_code(raw, expected):
    assert codes(**raw) == expected


@pytest.mark.django_db
def test_every_problem_is_reported_at_once():
    assert set(codes(name="", id_number="123", region="", phone="1")) == {
        "name",
        "id_number",
        "region",
        "phone",
    }


@pytest.mark.django_db
def test_region_by_full_name_path_and_out_of_scope():
    from yanglao.regions.models import Region

    village = Region.objects.get(code=KAILU_VILLAGE)
    path = "/".join(village.full_name.split("/")[1:])  # without the province
    assert parse(region=path).region == village
    with pytest.raises(ValidationError) as error:
        parse(scope=Scope("150502"))
    assert error.value.error_dict["region"][0].code == "region_out_of_scope"


@pytest.mark.django_db
def test_categories_labels_and_flags():
    data = parse(
        cat_destitute="是",
        cat_subsistence="否",
        disability_grade="二级",
        living_situation="独居",
        marital_status="丧偶",
    )
    assert [(c.category, c.grade) for c in data.categories] == [("destitute", ""), ("disability", "2")]
    assert data.living_situation == "alone" and data.marital_status == "widowed"
