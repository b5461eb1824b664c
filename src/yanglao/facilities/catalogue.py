"""The 8 categories and 20 service items of the home-and-community service catalogue (001 §4.2).

Facilities list what they offer with these codes. The care domain later builds its full catalogue
(products, units, prices) on the same codes.
"""

SERVICE_ITEMS: list[tuple[str, str, str]] = [
    ("care.institutional", "专业照护", "机构照护"),
    ("care.short_stay", "专业照护", "短期托养"),
    ("care.home", "专业照护", "居家照护"),
    ("meal.dine_in", "助餐", "堂食"),
    ("meal.delivery", "助餐", "送餐"),
    ("medical.community_health", "医养结合", "社区卫生服务"),
    ("medical.contract", "医养结合", "医养签约"),
    ("health.management", "健康促进", "健康管理"),
    ("health.wellness", "健康促进", "康养结合"),
    ("smart.emergency", "智能服务", "紧急援助"),
    ("smart.safety", "智能服务", "安全防护"),
    ("smart.remote_care", "智能服务", "远程照护"),
    ("family.respite", "家庭支持", "喘息服务"),
    ("family.adaptation", "家庭支持", "适老化改造"),
    ("family.aids", "家庭支持", "辅具推广"),
    ("family.time_bank", "家庭支持", "时间银行"),
    ("advice.basic", "养老顾问", "基础服务"),
    ("advice.extended", "养老顾问", "拓展服务"),
    ("culture.comfort", "精神文化", "精神慰藉"),
    ("culture.education", "精神文化", "养教结合"),
]
CODES = {code for code, _, _ in SERVICE_ITEMS}
LABELS = {code: f"{category}·{item}" for code, category, item in SERVICE_ITEMS}
_CATEGORIES = list(dict.fromkeys(category for _, category, _ in SERVICE_ITEMS))
# The catalogue numbers the care domain uses ("01.03" = the first category's third item).
NUMBERS = {
    code: f"{_CATEGORIES.index(category) + 1:02d}.{[c for c, cat, _ in SERVICE_ITEMS if cat == category].index(code) + 1:02d}"
    for code, category, _ in SERVICE_ITEMS
}
BY_NAME = (
    {item: code for code, _, item in SERVICE_ITEMS}
    | {f"{c}·{i}": code for code, c, i in SERVICE_ITEMS}
    | {number: code for code, number in NUMBERS.items()}
)
