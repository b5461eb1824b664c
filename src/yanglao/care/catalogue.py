"""The national service catalogue as data (001 §4.2: 8 categories, 20 items) and its products.

The 20 items and their names come from ``facilities.catalogue`` (the codes facilities already use
in ``Facility.services``); here they get their catalogue numbers ("01.03") and the concrete
products under them, with default units, standard durations and whether a 养老护理员 certificate
is required.

Prices: ``DEFAULT_PRICES_FEN`` are plausible defaults for 通辽市 (region prefix 1505), in force
from ``PRICES_FROM``. They are starting values only — each county sets its own prices (and a
provider's contracted prices) on the catalogue pages; the most specific region wins.

``install_catalogue()`` (``yanglao install_catalogue``, run by ``make setup``) adds what is missing
and changes nothing that exists, so it is safe to run again.
"""

from dataclasses import dataclass
from datetime import date

from django.db import transaction

from yanglao.facilities import catalogue as facility_catalogue

DEFAULT_PRICE_REGION = "150500000000"  # 通辽市
PRICES_FROM = date(2025, 1, 1)

CATEGORY_NAMES = list(dict.fromkeys(category for _, category, _ in facility_catalogue.SERVICE_ITEMS))
assert len(CATEGORY_NAMES) == 8


# (number, key, category, item): "01.03" = the first category's third item (facilities.catalogue.NUMBERS).
ITEMS = [
    (facility_catalogue.NUMBERS[key], key, category, item)
    for key, category, item in facility_catalogue.SERVICE_ITEMS
]
assert len(ITEMS) == 20
NUMBER_BY_KEY = {key: number for number, key, _, _ in ITEMS}
KEY_BY_NUMBER = {number: key for number, key, _, _ in ITEMS}

ITEM_DESCRIPTIONS = {
    "01.01": "由福利院、养护院、养老院、敬老院等机构提供的集中居住和照料护理服务。",
    "01.02": "由社区综合养老服务中心等提供的全托型、阶段性照护服务，可含早晚托、接送。",
    "01.03": "由社区综合养老服务中心或社区养老服务站提供的居家上门照料服务。",
    "02.01": "老年餐厅、助餐点等场所提供的现场就餐服务。",
    "02.02": "由老年餐厅、单位食堂、餐饮企业等送餐到家的服务。",
    "03.01": "社区卫生服务中心提供的基本诊疗、家庭医生、家庭病床等服务。",
    "03.02": "医疗卫生机构与养老服务机构签约，为机构内老年人提供医疗卫生服务。",
    "04.01": "生活方式和健康状况评估、体格检查和健康指导。",
    "04.02": "身体机能训练、慢病运动干预等服务。",
    "05.01": "依托平台、呼叫中心和终端设备的 24 小时紧急呼叫救援服务。",
    "05.02": "电子围栏、烟雾报警、跌倒报警等安全技防服务。",
    "05.03": "远距离看护及技术辅助服务。",
    "06.01": "到老年人家中或接到机构进行短期照护，减轻家庭照护负担。",
    "06.02": "居室适老化改造，有条件的地区开展楼道、小区适老环境改造。",
    "06.03": "老年用品和辅助器具的展示、体验、科普、租赁。",
    "06.04": "志愿者为老年人服务，服务时间存入“时间银行”兑换服务。",
    "07.01": "养老服务资源介绍、福利政策指导等现场咨询和供需对接。",
    "07.02": "制定养老服务清单、推介“养老服务包”、巡回宣介。",
    "08.01": "文娱活动、心理疏导、社工支持等服务。",
    "08.02": "为老年人提供有益于身心健康的教育服务。",
}


@dataclass(frozen=True)
class ProductSpec:
    code: str
    name: str
    unit: str  # care.models.Unit
    minutes: int | None
    price_fen: int  # the 通辽市 default
    certificate: bool = False
    min_level: int | None = None  # CertificateLevel
    description: str = ""


P = ProductSpec
PRODUCTS: list[ProductSpec] = [
    P(
        "01.01.01",
        "机构全托照护（失能）",
        "day",
        None,
        10000,
        True,
        None,
        "失能、半失能老年人入住机构的全天照护",
    ),
    P("01.01.02", "机构全托照护（自理）", "day", None, 5000, False, None, "自理老年人入住机构的生活照料"),
    P("01.02.01", "日间照料", "day", 480, 4000, False, None, "白天在中心照料，含午餐、午休、活动"),
    P("01.02.02", "短期全托", "day", None, 9000, True, None, "阶段性全托照护"),
    P("01.02.03", "接送服务", "visit", 30, 1500, False, None, "早晚托接送"),
    P("01.03.01", "助浴", "visit", 60, 6000, True, None, "上门协助洗浴或擦浴"),
    P("01.03.02", "助洁", "hour", 60, 3500, False, None, "居室清洁、衣物清洗"),
    P("01.03.03", "助行", "hour", 60, 3000, False, None, "陪同外出、散步、办事"),
    P("01.03.04", "理发", "visit", 30, 2000, False, None, "上门理发、修面"),
    P("01.03.05", "代购", "visit", 30, 1500, False, None, "代购生活用品、代缴费用"),
    P("01.03.06", "生活照料", "hour", 60, 4000, True, None, "协助进食、穿衣、如厕、翻身等"),
    P("01.03.07", "助医陪诊", "hour", 60, 3500, False, None, "陪同就医、代取药品"),
    P("01.03.08", "基础护理", "visit", 60, 6000, True, 2, "压疮预防、管路护理等，须中级及以上证书"),
    P("02.01.01", "午餐堂食", "meal", None, 1200, False, None, "老年餐厅、助餐点现场就餐"),
    P("02.01.02", "晚餐堂食", "meal", None, 1000, False, None, ""),
    P("02.02.01", "送餐上门", "meal", 20, 1500, False, None, "送餐到家（含配送费）"),
    P("03.01.01", "家庭医生上门巡诊", "visit", 30, 3000, False, None, "由签约医疗机构提供"),
    P("03.01.02", "家庭病床护理", "visit", 60, 8000, True, 2, ""),
    P("03.02.01", "医养签约巡诊", "visit", 60, 5000, False, None, "签约医疗机构到养老机构巡诊"),
    P("04.01.01", "健康评估与体检", "visit", 60, 5000, False, None, ""),
    P("04.01.02", "慢病随访与健康指导", "visit", 30, 2000, False, None, ""),
    P("04.02.01", "康复训练", "hour", 60, 5000, True, None, "身体机能训练、慢病运动干预"),
    P("04.02.02", "集体健身指导", "visit", 60, 1000, False, None, ""),
    P("05.01.01", "一键通紧急呼叫服务", "month", None, 3000, False, None, "24 小时呼叫中心响应"),
    P("05.02.01", "智能安防设备安装", "item", 60, 30000, False, None, "烟感、燃气、跌倒报警等"),
    P("05.02.02", "安全监测服务", "month", None, 2000, False, None, ""),
    P("05.03.01", "远程看护服务", "month", None, 3000, False, None, ""),
    P("05.03.02", "视频问候", "visit", 15, 500, False, None, ""),
    P("06.01.01", "居家喘息照护", "hour", 60, 4500, True, None, "专业人员上门替代家属照护"),
    P("06.01.02", "机构喘息照护", "day", None, 10000, True, None, "接到机构短期照护"),
    P("06.02.01", "适老化改造评估", "visit", 60, 10000, False, None, ""),
    P(
        "06.02.02",
        "居室适老化改造（基础包）",
        "item",
        None,
        300000,
        False,
        None,
        "扶手、防滑、照明等基础改造",
    ),
    P("06.03.01", "辅具适配指导", "visit", 30, 2000, False, None, ""),
    P("06.03.02", "辅具租赁", "month", None, 5000, False, None, "轮椅、护理床等"),
    P("06.04.01", "志愿陪伴服务", "hour", 60, 0, False, None, "时间银行志愿服务，不计费"),
    P("07.01.01", "政策咨询与资源对接", "visit", 30, 0, False, None, "免费"),
    P("07.02.01", "上门养老顾问", "visit", 60, 3000, False, None, "制定个人养老服务清单"),
    P("08.01.01", "探访关爱", "visit", 60, 2500, False, None, "上门探访、聊天陪伴"),
    P("08.01.02", "心理疏导", "hour", 60, 6000, False, None, "由社工或心理咨询师提供"),
    P("08.02.01", "老年课堂", "visit", 90, 1000, False, None, "健康、书法、智能手机等课程"),
]
assert {p.code[:5] for p in PRODUCTS} == set(KEY_BY_NUMBER), "every item has at least one product"


@transaction.atomic
def install_catalogue() -> dict[str, int]:
    """Add the categories, items, products and 通辽 default prices that are missing; returns counts added."""
    from yanglao.care.models import ServiceCategory, ServiceItem, ServicePrice, ServiceProduct
    from yanglao.regions.models import Region

    added = {"categories": 0, "items": 0, "products": 0, "prices": 0}
    categories = {c.code: c for c in ServiceCategory.objects.all()}
    for position, name in enumerate(CATEGORY_NAMES, start=1):
        code = f"{position:02d}"
        if code not in categories:
            categories[code] = ServiceCategory.objects.create(code=code, name=name, position=position)
            added["categories"] += 1
    items = {i.code: i for i in ServiceItem.objects.all()}
    for position, (number, key, _, name) in enumerate(ITEMS, start=1):
        if number not in items:
            items[number] = ServiceItem.objects.create(
                code=number,
                key=key,
                name=name,
                category=categories[number[:2]],
                description=ITEM_DESCRIPTIONS.get(number, ""),
                position=position,
            )
            added["items"] += 1
    products = {p.code: p for p in ServiceProduct.objects.filter(region__isnull=True)}
    new_products = []
    for position, spec in enumerate(PRODUCTS, start=1):
        if spec.code not in products:
            new_products.append(
                ServiceProduct(
                    code=spec.code,
                    name=spec.name,
                    item=items[spec.code[:5]],
                    unit=spec.unit,
                    standard_minutes=spec.minutes,
                    needs_certificate=spec.certificate,
                    min_certificate_level=spec.min_level,
                    description=spec.description,
                    position=position,
                )
            )
    for product in ServiceProduct.objects.bulk_create(new_products):
        products[product.code] = product
    added["products"] = len(new_products)
    city = Region.objects.filter(code=DEFAULT_PRICE_REGION).first()
    if city is not None:
        priced = set(
            ServicePrice.objects.filter(region_prefix=city.prefix, provider__isnull=True).values_list(
                "product__code", flat=True
            )
        )
        prices = [
            ServicePrice(
                product=products[spec.code],
                region=city,
                region_prefix=city.prefix,
                valid_from=PRICES_FROM,
                price_fen=spec.price_fen,
                note="通辽市默认价格（各旗县区可另行设定）",
            )
            for spec in PRODUCTS
            if spec.code not in priced
        ]
        ServicePrice.objects.bulk_create(prices)
        added["prices"] = len(prices)
    return added
