from datetime import timedelta

import pytest
from django.utils import timezone

from tests.care.factories import item, make_provider
from tests.conftest import make_facility
from yanglao.care import selectors, services
from yanglao.regions.models import Region


@pytest.mark.django_db
def test_facility_services_map_to_catalogue_items(kailu_officer, client_for):
    facility = make_facility("150523100001", services="居家照护、堂食、08.02")
    assert facility.services == ["care.home", "meal.dine_in", "culture.education"]
    items = selectors.facility_items(facility)
    assert [(i.code, i.name) for i in items] == [
        ("01.03", "居家照护"),
        ("02.01", "堂食"),
        ("08.02", "养教结合"),
    ]
    html = client_for(kailu_officer).get(f"/facilities/{facility.pk}/").content.decode()
    assert "01.03 专业照护·居家照护" in html and "08.02 精神文化·养教结合" in html


@pytest.mark.django_db
def test_coverage_counts_facilities_and_providers_per_township(kailu_officer):
    make_facility("150523100001", services="居家照护、堂食")
    make_facility("150523100002", services="堂食、精神慰藉", status="规划")  # not operating: does not count
    county_wide = make_provider()
    services.coverage_set(
        actor=kailu_officer,
        provider=county_wide,
        items=[item("06.01")],
        regions=[Region.objects.get(code="150523000000")],
    )
    town = make_provider()
    services.coverage_set(
        actor=kailu_officer,
        provider=town,
        items=[item("01.03"), item("02.02")],
        regions=[Region.objects.get(code="150523100000")],
    )
    expired = make_provider(
        start=timezone.localdate() - timedelta(days=800), end=timezone.localdate() - timedelta(days=1)
    )
    services.coverage_set(
        actor=kailu_officer,
        provider=expired,
        items=[item("08.02")],
        regions=[Region.objects.get(code="150523100000")],
    )
    townships = list(selectors.coverage_townships(actor=kailu_officer))
    assert townships and all(t.code.startswith("150523") and t.level == "township" for t in townships)
    rows = {r.township.code: r for r in selectors.coverage_rows(actor=kailu_officer, townships=townships)}
    kailu_town = rows["150523100000"]
    assert kailu_town.reached == {
        "01.03": "both",
        "02.01": "facility",
        "02.02": "provider",
        "06.01": "provider",
    }
    assert kailu_town.count == 4
    other = next(r for code, r in rows.items() if code != "150523100000")
    assert other.reached == {"06.01": "provider"}


@pytest.mark.django_db
def test_coverage_page_in_scope(
    client_for, kailu_officer, township_officer, horqin_officer, django_assert_max_num_queries
):
    make_facility("150523100001", services="居家照护")
    client = client_for(kailu_officer)
    client.get("/care/coverage/")
    with django_assert_max_num_queries(14):
        html = client.get("/care/coverage/", {"page_size": "50"}).content.decode()
    assert "开鲁镇" in html and "居家照护" in html and "1</b>/20" in html
    html = client_for(township_officer).get("/care/coverage/").content.decode()
    assert "开鲁镇" in html and "共 1 条" in html
    html = client_for(horqin_officer).get("/care/coverage/").content.decode()
    assert "开鲁镇" not in html
    html = client_for(horqin_officer).get("/care/coverage/", {"region": "150523"}).content.decode()
    assert "开鲁镇" not in html and "共 0 条" in html
