from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from tests.care.factories import make_provider
from tests.conftest import make_user
from yanglao.care import selectors, services
from yanglao.care.catalogue import PRODUCTS, install_catalogue
from yanglao.care.models import ServiceCategory, ServiceItem, ServicePrice, ServiceProduct
from yanglao.care.validation import PriceInput, format_fen, parse_price, parse_product, parse_yuan
from yanglao.core.models import AuditEntry
from yanglao.regions.models import Region

SEED_ITEMS = {
    "专业照护": ["机构照护", "短期托养", "居家照护"],
    "助餐": ["堂食", "送餐"],
    "医养结合": ["社区卫生服务", "医养签约"],
    "健康促进": ["健康管理", "康养结合"],
    "智能服务": ["紧急援助", "安全防护", "远程照护"],
    "家庭支持": ["喘息服务", "适老化改造", "辅具推广", "时间银行"],
    "养老顾问": ["基础服务", "拓展服务"],
    "精神文化": ["精神慰藉", "养教结合"],
}


def region(code):
    return Region.objects.get(code=code.ljust(12, "0"))


def bath():
    return ServiceProduct.objects.get(code="01.03.01")


@pytest.mark.django_db
def test_catalogue_is_the_8_categories_and_20_items_of_001():
    categories = list(ServiceCategory.objects.order_by("code"))
    assert [c.code for c in categories] == [f"{n:02d}" for n in range(1, 9)]
    tree = {c.name: [i.name for i in c.items.order_by("code")] for c in categories}
    assert tree == SEED_ITEMS
    assert ServiceItem.objects.get(code="01.03").name == "居家照护"
    assert ServiceItem.objects.get(code="01.03").key == "care.home"
    assert set(ServiceProduct.objects.filter(item__code="01.03").values_list("name", flat=True)) >= {
        "助浴",
        "助洁",
        "助行",
        "理发",
        "代购",
    }
    # every item has a product, every product a 通辽 default price
    assert not ServiceItem.objects.filter(products__isnull=True).exists()
    assert ServicePrice.objects.filter(region_prefix="1505", provider__isnull=True).count() == len(PRODUCTS)


@pytest.mark.django_db
def test_install_is_idempotent_and_keeps_changes():
    ServicePrice.objects.filter(product__code="01.03.01").update(price_fen=1)
    assert install_catalogue() == {"categories": 0, "items": 0, "products": 0, "prices": 0}
    assert ServicePrice.objects.get(product__code="01.03.01", region_prefix="1505").price_fen == 1
    call_command("install_catalogue")
    assert ServiceProduct.objects.filter(region__isnull=True).count() == len(PRODUCTS)


def test_yuan_and_fen_are_exact():
    assert parse_yuan("35") == 3500
    assert parse_yuan("35.5") == 3550
    assert parse_yuan("0.01") == 1
    assert parse_yuan("1,234.56元") == 123456
    assert parse_yuan("19.99") == 1999  # no float rounding
    for bad in ("-1", "1.234", "abc", "", "1e3"):
        with pytest.raises(ValueError):
            parse_yuan(bad)
    assert format_fen(123456) == "1,234.56"
    assert format_fen(5) == "0.05"


# --- price resolution ----------------------------------------------------------------------------


def _price(product, code, fen, start, end=None, provider=None):
    r = region(code)
    return ServicePrice.objects.create(
        product=product,
        region=r,
        region_prefix=r.prefix,
        provider=provider,
        valid_from=start,
        valid_to=end,
        price_fen=fen,
    )


@pytest.mark.django_db
def test_most_specific_region_wins():
    product = bath()
    _price(product, "150523", 7000, date(2025, 1, 1))
    _price(product, "150523100", 7500, date(2025, 1, 1))
    on = date(2025, 6, 1)
    assert selectors.price_for(product=product, region_code="150523100001", on=on).price_fen == 7500
    assert selectors.price_for(product=product, region_code="150523200001", on=on).price_fen == 7000
    assert selectors.price_for(product=product, region_code="150502001001", on=on).price_fen == 6000  # 通辽
    assert (
        selectors.price_for(product=product, region_code="150100000000", on=on) is None
    )  # 呼和浩特: unpriced


@pytest.mark.django_db
def test_validity_boundaries_are_inclusive():
    product = bath()
    _price(product, "150523", 7000, date(2025, 3, 1), date(2025, 3, 31))
    at = lambda d: selectors.price_for(product=product, region_code="150523100001", on=d).price_fen  # noqa: E731
    assert at(date(2025, 2, 28)) == 6000
    assert at(date(2025, 3, 1)) == 7000
    assert at(date(2025, 3, 31)) == 7000
    assert at(date(2025, 4, 1)) == 6000
    # the 通辽 default starts 2025-01-01: nothing before it
    assert selectors.price_for(product=product, region_code="150523100001", on=date(2024, 12, 31)) is None


@pytest.mark.django_db
def test_provider_contract_price_beats_public_prices_for_its_orders_only():
    product = bath()
    provider = make_provider("150523")
    _price(product, "150523100", 7500, date(2025, 1, 1))
    _price(product, "150523", 5500, date(2025, 1, 1), provider=provider)
    on = date(2025, 6, 1)
    assert (
        selectors.price_for(product=product, region_code="150523100001", on=on, provider=provider).price_fen
        == 5500
    )
    assert selectors.price_for(product=product, region_code="150523100001", on=on).price_fen == 7500
    other = make_provider("150523")
    assert (
        selectors.price_for(product=product, region_code="150523100001", on=on, provider=other).price_fen
        == 7500
    )


@pytest.mark.django_db
def test_prices_on_answers_for_many_products_in_one_query(django_assert_num_queries):
    products = list(ServiceProduct.objects.all())
    with django_assert_num_queries(1):
        prices = selectors.prices_on(products=products, prefix="150523100001", on=date(2025, 6, 1))
    assert len(prices) == len(PRODUCTS)


# --- setting prices --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_new_open_price_ends_the_current_one(kailu_officer):
    product = bath()
    first = services.price_set(
        actor=kailu_officer, product=product, data=PriceInput(region("150523"), date(2025, 1, 1), None, 7000)
    )
    services.price_set(
        actor=kailu_officer, product=product, data=PriceInput(region("150523"), date(2026, 1, 1), None, 7200)
    )
    first.refresh_from_db()
    assert first.valid_to == date(2025, 12, 31)
    assert (
        selectors.price_for(product=product, region_code="150523100001", on=date(2025, 12, 31)).price_fen
        == 7000
    )
    assert (
        selectors.price_for(product=product, region_code="150523100001", on=date(2026, 1, 1)).price_fen
        == 7200
    )
    entry = AuditEntry.objects.filter(object_type="care.serviceprice").latest("pk")
    assert "72.00 元" in entry.summary and "原价格截止于 2025-12-31" in entry.summary


@pytest.mark.django_db
def test_overlapping_periods_are_refused(kailu_officer):
    product = bath()
    services.price_set(
        actor=kailu_officer,
        product=product,
        data=PriceInput(region("150523"), date(2025, 1, 1), date(2025, 12, 31), 7000),
    )
    count = ServicePrice.objects.count()
    for start, end in (
        (date(2025, 6, 1), None),
        (date(2024, 6, 1), date(2025, 1, 1)),
        (date(2025, 1, 1), None),
    ):
        with pytest.raises(ValidationError) as info:
            services.price_set(
                actor=kailu_officer, product=product, data=PriceInput(region("150523"), start, end, 7100)
            )
        assert info.value.error_dict["valid_from"][0].code == "price_overlap"
    assert ServicePrice.objects.count() == count
    # the day after is free
    services.price_set(
        actor=kailu_officer, product=product, data=PriceInput(region("150523"), date(2026, 1, 1), None, 7100)
    )


@pytest.mark.django_db
def test_price_outside_scope_or_by_provider_staff_is_refused(kailu_officer, horqin_officer):
    product = bath()
    with pytest.raises(PermissionDenied):
        services.price_set(
            actor=horqin_officer,
            product=product,
            data=PriceInput(region("150523"), date(2025, 1, 1), None, 1),
        )
    provider = make_provider("150523")
    staff = make_user("fws-x", "provider", "150523")
    staff.operator = provider.operator
    with pytest.raises(PermissionDenied):
        services.price_set(
            actor=staff, product=product, data=PriceInput(region("150523"), date(2025, 1, 1), None, 1)
        )
    with pytest.raises(ValidationError) as info:
        services.price_set(
            actor=kailu_officer,
            product=product,
            provider=provider,
            data=PriceInput(region("1505"), date(2025, 1, 1), None, 1),
        )
    assert "region" in info.value.error_dict
    assert not ServicePrice.objects.filter(price_fen=1).exists()


def test_price_input_errors_are_per_field_in_chinese(db):
    with pytest.raises(ValidationError) as info:
        parse_price(
            {"region": "150523", "price": "-3", "valid_from": "2025-13-01", "valid_to": ""}, scope=None
        )
    errors = info.value.error_dict
    assert "单价应为不小于 0 的金额" in errors["price"][0].message
    assert "生效日期格式不对" in errors["valid_from"][0].message
    with pytest.raises(ValidationError) as info:
        parse_price(
            {"region": "", "price": "", "valid_from": "2025-02-01", "valid_to": "2025-01-01"}, scope=None
        )
    errors = info.value.error_dict
    assert errors["region"][0].message == "请选择适用区划。"
    assert errors["price"][0].message == "请填写单价（元）。"
    assert errors["valid_to"][0].code == "price_dates"


# --- regional products -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_county_adds_its_own_product_seen_only_there(kailu_officer, horqin_officer, township_officer):
    data = parse_product(
        {"item": "01.03", "region": "150523", "name": "上门修脚", "unit": "visit", "standard_minutes": "40"},
        scope=kailu_officer.scope,
    )
    product = services.product_create(actor=kailu_officer, data=data)
    assert product.code == "01.03.150523.01" and product.region_prefix == "150523"
    assert AuditEntry.objects.filter(object_type="care.serviceproduct", summary__contains="上门修脚").exists()
    assert selectors.product_list(actor=township_officer).filter(pk=product.pk).exists()
    assert not selectors.product_list(actor=horqin_officer).filter(pk=product.pk).exists()
    kailu_tree = selectors.catalogue_tree(actor=kailu_officer, region=region("150523100"))
    horqin_tree = selectors.catalogue_tree(actor=horqin_officer, region=region("150502"))
    names = lambda tree: {p.name for c in tree for i in c.items for p, _ in i.products}  # noqa: E731
    assert "上门修脚" in names(kailu_tree) and "上门修脚" not in names(horqin_tree)


def test_product_input_errors(db, kailu_officer):
    with pytest.raises(ValidationError) as info:
        parse_product(
            {
                "item": "",
                "region": "150502",
                "name": "",
                "unit": "x",
                "standard_minutes": "0",
                "min_certificate_level": "2",
            },
            scope=kailu_officer.scope,
        )
    errors = info.value.error_dict
    assert errors["item"][0].message == "请选择所属服务项目。"
    assert errors["region"][0].code == "region_out_of_scope"
    assert errors["name"][0].message == "请填写服务产品名称。"
    assert errors["unit"][0].message == "请选择计价单位。"
    assert "5–1440" in errors["standard_minutes"][0].message
    assert errors["min_certificate_level"][0].code == "level_without_certificate"


@pytest.mark.django_db
def test_catalogue_page_shows_todays_price_and_adds_a_product(client_for, kailu_officer):
    client = client_for(kailu_officer)
    html = client.get("/care/catalogue/").content.decode()
    assert "01.03 居家照护" in html and "助浴" in html and "60.00" in html and "通辽市" in html
    bad = client.post("/care/catalogue/", {"item": "01.03", "region": "150523", "name": "", "unit": "visit"})
    assert bad.status_code == 200 and "请填写服务产品名称。" in bad.content.decode()
    assert not ServiceProduct.objects.filter(region__isnull=False).exists()
    good = client.post(
        "/care/catalogue/", {"item": "01.03", "region": "150523", "name": "上门修脚", "unit": "visit"}
    )
    product = ServiceProduct.objects.get(name="上门修脚")
    assert good["Location"] == f"/care/catalogue/products/{product.pk}/"


@pytest.mark.django_db
def test_product_page_sets_a_price_with_errors_beside_fields(client_for, kailu_officer, caregiver):
    client = client_for(kailu_officer)
    url = f"/care/catalogue/products/{bath().pk}/"
    bad = client.post(url, {"region": "150523", "price": "abc", "valid_from": ""})
    html = bad.content.decode()
    assert "单价应为不小于 0 的金额" in html and "请填写生效日期。" in html
    today = date.today()
    good = client.post(url, {"region": "150523", "price": "65.5", "valid_from": f"{today:%Y-%m-%d}"})
    assert good.status_code == 302
    assert ServicePrice.objects.get(region_prefix="150523").price_fen == 6550
    assert "65.50" in client.get(url).content.decode()
    # a caregiver has no care.view
    assert client_for(caregiver).get(url).status_code == 403


@pytest.mark.django_db
def test_township_officer_cannot_set_a_county_price(client_for, township_officer):
    response = client_for(township_officer).post(
        f"/care/catalogue/products/{bath().pk}/",
        {"region": "150523", "price": "70", "valid_from": f"{date.today() - timedelta(days=1):%Y-%m-%d}"},
    )
    assert response.status_code == 200 and "超出您的管辖范围" in response.content.decode()
    assert not ServicePrice.objects.filter(region_prefix="150523").exists()


@pytest.mark.django_db
def test_catalogue_page_query_count_is_flat(client_for, kailu_officer, django_assert_max_num_queries):
    client = client_for(kailu_officer)
    client.get("/care/catalogue/")
    with django_assert_max_num_queries(16):
        response = client.get("/care/catalogue/")
    assert response.content.decode().count("/care/catalogue/products/") == len(PRODUCTS)
