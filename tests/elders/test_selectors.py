from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.conftest import KAILU_VILLAGE, make_elder
from yanglao.core.idnumber import make
from yanglao.elders.selectors import ElderFilters, elder_list, years_ago

TODAY = timezone.localdate()


def names(actor, **filters):
    return sorted(e.name for e in elder_list(actor=actor, filters=ElderFilters(**filters), today=TODAY))


@pytest.fixture
def people(kailu_officer):
    return {
        "zhang": make_elder(
            name="张桂兰",
            born=date(1950, 5, 5),
            phone="13812345678",
            living_situation="独居",
            cat_subsistence="是",
        ),
        "wang": make_elder(
            name="王建国",
            gender="M",
            born=years_ago(TODAY, 80),  # 80 today
            contact_name="王明",
            contact_phone="13900001111",
        ),
        # 80 tomorrow: still 79 today
        "bao": make_elder(
            name="包巴特尔", gender="M", born=years_ago(TODAY + timedelta(days=1), 80), ethnicity="蒙古族"
        ),
        "young": make_elder(name="李秀英", born=date(1965, 1, 1)),
    }


@pytest.mark.django_db
def test_search_by_name_fragment_initials_and_full_pinyin(people, kailu_officer):
    assert names(kailu_officer, q="桂兰") == ["张桂兰"]
    assert names(kailu_officer, q="zgl") == ["张桂兰"]
    assert names(kailu_officer, q="ZhangGui") == ["张桂兰"]
    assert names(kailu_officer, q="bbte") == ["包巴特尔"]


@pytest.mark.django_db
def test_search_by_exact_id_and_phone_including_a_contacts(people, kailu_officer):
    wang = people["wang"]
    from yanglao.elders.privacy import open_id_number

    assert names(kailu_officer, q=open_id_number(wang.id_number_enc)) == ["王建国"]
    assert names(kailu_officer, q=open_id_number(wang.id_number_enc)[:17]) == []  # not a prefix search
    assert names(kailu_officer, q="138 1234 5678") == ["张桂兰"]
    assert names(kailu_officer, q="13900001111") == ["王建国"]
    assert names(kailu_officer, q="13900001112") == []


@pytest.mark.django_db
def test_age_80_starts_on_the_80th_birthday(people, kailu_officer):
    assert names(kailu_officer, category="advanced_age") == ["王建国"]
    assert names(kailu_officer, age_band="80-89") == ["王建国"]
    assert "包巴特尔" in names(kailu_officer, age_band="70-79")
    assert years_ago(date(2024, 2, 29), 81) == date(1943, 2, 28)  # no 29 February in 1943


@pytest.mark.django_db
def test_filters_by_category_gender_living_and_region(people, kailu_officer):
    assert names(kailu_officer, category="subsistence") == ["张桂兰"]
    assert names(kailu_officer, category="alone_empty_nest") == ["张桂兰"]
    assert names(kailu_officer, gender="M") == ["包巴特尔", "王建国"]
    assert names(kailu_officer, living_situation="alone") == ["张桂兰"]
    assert len(names(kailu_officer, region=KAILU_VILLAGE)) == 4
    assert names(kailu_officer, region="150502") == []


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_the_page(client_for, kailu_officer):
    client = client_for(kailu_officer)
    for i in range(3):
        make_elder(name=f"甲{i}", id_number=make("150523", date(1950, 1, 1), 500 + 2 * i, "F"))
    client.get("/elders/")
    with CaptureQueriesContext(connection) as few:
        assert client.get("/elders/").status_code == 200
    for i in range(40):
        make_elder(
            name=f"乙{i}",
            id_number=make("150523", date(1951, 1, 1), 500 + 2 * i, "F"),
            cat_subsistence="是",
            contact_name="某",
            contact_phone="13800000000",
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get("/elders/", {"page_size": 50})
    assert response.content.decode().count("/elders/") > 40
    assert len(many) == len(few)


def test_name_grams_and_their_query():
    from yanglao.core.textsearch import gram_query, grams

    assert grams("张桂兰") == "张 桂 兰 张桂 桂兰"
    assert gram_query("桂兰") == "桂兰" and gram_query("张桂兰") == "张桂 & 桂兰" and gram_query("桂") == "桂"


@pytest.mark.django_db
def test_name_search_finds_substrings_only(kailu_officer):
    make_elder(name="张桂兰")
    make_elder(name="桂张兰", born=date(1950, 2, 2))  # the same characters, not the substring
    assert names(kailu_officer, q="桂兰") == ["张桂兰"]
    assert names(kailu_officer, q="张桂兰") == ["张桂兰"]
    assert sorted(names(kailu_officer, q="桂")) == ["张桂兰", "桂张兰"]
