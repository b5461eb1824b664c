"""Reading care input as people type it (console forms and the API share these): each problem is a
ValidationError on its field, with a Chinese message and a stable code, and nothing is written."""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone

from yanglao.care.errors import CareErrorCode as E
from yanglao.care.models import (
    CaregiverStatus,
    CertificateKind,
    CertificateLevel,
    ProviderStatus,
    ServiceItem,
    ServiceProduct,
    Unit,
)
from yanglao.core import idnumber
from yanglao.core.parsing import parse_date
from yanglao.core.phones import PhoneError, parse_phone
from yanglao.elders.models import Gender
from yanglao.regions.codes import RegionCodeError, canonical
from yanglao.regions.models import Region
from yanglao.regions.scope import Scope

MAX_PRICE_FEN = 100_000_000  # 100 万元: far above any one unit of service
YUAN = re.compile(r"^\d{1,9}(\.\d{1,2})?$")


def parse_yuan(text: str) -> int:
    """ "35", "35.5", "35.50" (yuan) → 3550 fen, exactly (no float). Raises ValueError."""
    value = str(text or "").strip().replace(",", "").removesuffix("元")
    if not YUAN.match(value):
        raise ValueError(value)
    try:
        fen = int(Decimal(value) * 100)
    except InvalidOperation:
        raise ValueError(value) from None
    return fen


def format_fen(fen: int | None) -> str:
    """3550 → "35.50" (integer arithmetic)."""
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    yuan, rest = divmod(abs(int(fen)), 100)
    return f"{sign}{yuan:,}.{rest:02d}"


class Problems:
    """Collects field errors; ``raise_if_any`` raises them together."""

    def __init__(self):
        self.errors: dict[str, list[ValidationError]] = {}

    def add(self, name: str, message: str, code: str) -> None:
        self.errors.setdefault(name, []).append(ValidationError(message, code=code))

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationError(self.errors)


def _text(raw: dict, name: str, limit: int) -> str:
    return str(raw.get(name) or "").strip()[:limit]


def _date(raw: dict, name: str, label: str, problems: Problems, *, required: bool) -> date | None:
    text = raw.get(name)
    if isinstance(text, date):
        return text
    try:
        value = parse_date(str(text or ""))
    except ValueError:
        problems.add(name, f"{label}格式不对，应为 2026-01-31。", "invalid_date")
        return None
    if value is None and required:
        problems.add(name, f"请填写{label}。", "required")
    return value


def region_from(
    raw: dict, name: str, label: str, problems: Problems, *, scope: Scope | None, levels: tuple[str, ...]
) -> Region | None:
    """A region by code (2–12 digits), which must exist, be of one of ``levels`` and lie in ``scope``."""
    text = str(raw.get(name) or "").strip()
    if not text:
        problems.add(name, f"请选择{label}。", "required")
        return None
    try:
        code = canonical(text)
    except RegionCodeError:
        problems.add(name, f"{label}代码 {text[:20]} 无效。", "region_unknown")
        return None
    region = Region.objects.filter(code=code).first()
    if region is None:
        problems.add(name, f"{label}代码 {text[:20]} 不存在。", "region_unknown")
        return None
    if scope is not None and not scope.contains(region.code):
        problems.add(name, f"{label}超出您的管辖范围。", E.REGION_OUT_OF_SCOPE)
        return None
    if region.level not in levels:
        wanted = "、".join(Region.Level(level).label for level in levels)
        problems.add(
            name, f"{label}应为{wanted}，“{region.name}”是{region.get_level_display()}。", E.REGION_LEVEL
        )
        return None
    return region


# --- prices and products ---------------------------------------------------------------------------


@dataclass
class PriceInput:
    region: Region
    valid_from: date
    valid_to: date | None
    price_fen: int
    note: str = ""


def parse_price(raw: dict, *, scope: Scope | None) -> PriceInput:
    problems = Problems()
    region = region_from(
        raw, "region", "适用区划", problems, scope=scope, levels=("province", "city", "county", "township")
    )
    valid_from = _date(raw, "valid_from", "生效日期", problems, required=True)
    valid_to = _date(raw, "valid_to", "失效日期", problems, required=False)
    if valid_from and valid_to and valid_to < valid_from:
        problems.add("valid_to", "失效日期不能早于生效日期。", E.PRICE_DATES)
    price_fen = 0
    text = str(raw.get("price") or "").strip()
    if not text:
        problems.add("price", "请填写单价（元）。", "required")
    else:
        try:
            price_fen = parse_yuan(text)
        except ValueError:
            problems.add("price", "单价应为不小于 0 的金额，最多两位小数，如 35 或 35.50。", "invalid_price")
        else:
            if price_fen > MAX_PRICE_FEN:
                problems.add("price", "单价超过 100 万元，请核对。", "invalid_price")
    problems.raise_if_any()
    return PriceInput(region, valid_from, valid_to, price_fen, _text(raw, "note", 200))


@dataclass
class ProductInput:
    item: ServiceItem
    region: Region
    name: str
    unit: str
    standard_minutes: int | None
    needs_certificate: bool
    min_certificate_level: int | None
    description: str = ""


def _int(raw, name, label, problems, *, low: int, high: int) -> int | None:
    text = str(raw.get(name) or "").strip()
    if not text:
        return None
    if not text.isdigit() or not low <= int(text) <= high:
        problems.add(name, f"{label}应为 {low}–{high} 之间的整数。", "invalid_number")
        return None
    return int(text)


def parse_product(raw: dict, *, scope: Scope | None) -> ProductInput:
    problems = Problems()
    item = ServiceItem.objects.filter(code=str(raw.get("item") or "").strip()).first()
    if item is None:
        problems.add("item", "请选择所属服务项目。", "required")
    region = region_from(
        raw, "region", "适用区划", problems, scope=scope, levels=("city", "county", "township")
    )
    name = _text(raw, "name", 50)
    if not name:
        problems.add("name", "请填写服务产品名称。", "required")
    unit = str(raw.get("unit") or "")
    if unit not in Unit.values:
        problems.add("unit", "请选择计价单位。", "invalid_choice")
    minutes = _int(raw, "standard_minutes", "标准时长（分钟）", problems, low=5, high=1440)
    needs = bool(raw.get("needs_certificate")) and str(raw.get("needs_certificate")) not in (
        "否",
        "false",
        "0",
    )
    level = _int(raw, "min_certificate_level", "最低证书等级", problems, low=1, high=5)
    if level and not needs:
        problems.add(
            "min_certificate_level", "不要求证书的服务不能设置最低证书等级。", "level_without_certificate"
        )
    problems.raise_if_any()
    if ServiceProduct.objects.filter(item=item, region=region, name=name).exists():
        problems.add("name", f"“{region.name}”已有同名的服务产品。", E.PRODUCT_EXISTS)
        problems.raise_if_any()
    return ProductInput(item, region, name, unit, minutes, needs, level, _text(raw, "description", 300))


# --- providers -------------------------------------------------------------------------------------


@dataclass
class ProviderInput:
    operator_id: int | None
    county: Region
    contract_number: str
    contract_start: date
    contract_end: date
    status: str = ProviderStatus.ACTIVE
    contact_name: str = ""
    contact_phone: str = ""
    note: str = ""


def parse_provider(raw: dict, *, scope: Scope | None, editing: bool = False) -> ProviderInput:
    problems = Problems()
    operator_id = None
    if not editing:
        text = str(raw.get("operator") or "").strip()
        if not text.isdigit():
            problems.add("operator", "请选择运营主体。", "required")
        else:
            operator_id = int(text)
    county = region_from(raw, "county", "签约旗县", problems, scope=scope, levels=("county",))
    number = _text(raw, "contract_number", 50)
    if not number:
        problems.add("contract_number", "请填写合同编号。", "required")
    start = _date(raw, "contract_start", "合同起始日期", problems, required=True)
    end = _date(raw, "contract_end", "合同截止日期", problems, required=True)
    if start and end and end < start:
        problems.add("contract_end", "合同截止日期不能早于起始日期。", E.CONTRACT_DATES)
    status = str(raw.get("status") or ProviderStatus.ACTIVE)
    if status not in ProviderStatus.values:
        problems.add("status", "状态无效。", "invalid_choice")
    phone = ""
    if str(raw.get("contact_phone") or "").strip():
        try:
            phone = parse_phone(raw["contact_phone"])
        except PhoneError as exc:
            problems.add("contact_phone", exc.message, exc.code)
    problems.raise_if_any()
    return ProviderInput(
        operator_id,
        county,
        number,
        start,
        end,
        status,
        _text(raw, "contact_name", 50),
        phone,
        _text(raw, "note", 200),
    )


# --- caregivers ------------------------------------------------------------------------------------


@dataclass
class CaregiverInput:
    provider_id: int
    name: str
    gender: str
    phone: str | None  # None: keep the stored one
    id_number: str | None
    home_region: Region
    longitude: Decimal | None = None
    latitude: Decimal | None = None
    skills: list[ServiceProduct] = field(default_factory=list)
    status: str = CaregiverStatus.ACTIVE
    joined_on: date | None = None
    left_on: date | None = None


def _coordinate(raw, name, label, problems, low, high) -> Decimal | None:
    text = str(raw.get(name) or "").strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        problems.add(name, f"{label}应为数字。", "invalid_coordinate")
        return None
    if not low <= value <= high:
        problems.add(name, f"{label}应在 {low}–{high} 之间（内蒙古境内）。", "invalid_coordinate")
        return None
    return value.quantize(Decimal("0.000001"))


def parse_caregiver(raw: dict, *, scope: Scope | None, editing: bool = False) -> CaregiverInput:
    """``editing``: a blank phone or ID number keeps the stored one (they are shown masked)."""
    problems = Problems()
    text = str(raw.get("provider") or "").strip()
    provider_id = int(text) if text.isdigit() else 0
    if not provider_id:
        problems.add("provider", "请选择所属服务商。", "required")
    name = _text(raw, "name", 50)
    if not name:
        problems.add("name", "请填写姓名。", "required")
    gender = str(raw.get("gender") or "")
    if gender not in Gender.values:
        problems.add("gender", "请选择性别。", "required")
    phone = ""
    if not str(raw.get("phone") or "").strip():
        if editing:
            phone = None
        else:
            problems.add("phone", "请填写联系电话（手机号）。", "required")
    else:
        try:
            phone = parse_phone(raw["phone"])
        except PhoneError as exc:
            problems.add("phone", exc.message, exc.code)
    id_value = None if editing else ""
    if str(raw.get("id_number") or "").strip():
        try:
            id_value = idnumber.parse(raw["id_number"]).value
        except idnumber.IdNumberError as exc:
            problems.add("id_number", exc.message, exc.code)
    home = region_from(raw, "home_region", "居住地（嘎查村/社区）", problems, scope=None, levels=("village",))
    longitude = _coordinate(raw, "longitude", "经度", problems, Decimal("97"), Decimal("127"))
    latitude = _coordinate(raw, "latitude", "纬度", problems, Decimal("37"), Decimal("54"))
    codes = [str(c).strip() for c in (raw.get("skills") or []) if str(c).strip()]
    skills = list(ServiceProduct.objects.filter(code__in=codes, is_active=True))
    unknown = sorted(set(codes) - {p.code for p in skills})
    if unknown:
        problems.add("skills", f"没有这些服务产品：{'、'.join(unknown[:5])}。", E.UNKNOWN_SKILL)
    status = str(raw.get("status") or CaregiverStatus.ACTIVE)
    if status not in CaregiverStatus.values:
        problems.add("status", "状态无效。", "invalid_choice")
    joined = _date(raw, "joined_on", "入职日期", problems, required=False)
    left = _date(raw, "left_on", "离职日期", problems, required=False)
    if joined and left and left < joined:
        problems.add("left_on", "离职日期不能早于入职日期。", "dates_order")
    if status == CaregiverStatus.LEFT and left is None and "left_on" not in problems.errors:
        problems.add("left_on", "离职的护理员请填写离职日期。", "required")
    problems.raise_if_any()
    return CaregiverInput(
        provider_id, name, gender, phone, id_value, home, longitude, latitude, skills, status, joined, left
    )


@dataclass
class CertificateInput:
    kind: str
    level: int | None
    number: str
    issued_on: date
    expires_on: date | None
    issuer: str = ""


def parse_certificate(raw: dict) -> CertificateInput:
    problems = Problems()
    kind = str(raw.get("kind") or CertificateKind.ELDER_CARE)
    if kind not in CertificateKind.values:
        problems.add("kind", "请选择证书类型。", "invalid_choice")
    level_text = str(raw.get("level") or "").strip()
    level = int(level_text) if level_text.isdigit() and int(level_text) in CertificateLevel.values else None
    if level_text and level is None:
        problems.add("level", "证书等级无效。", "invalid_choice")
    elif kind == CertificateKind.ELDER_CARE and level is None:
        problems.add("level", "养老护理员证书请选择等级（初级至高级技师）。", E.CERTIFICATE_LEVEL_REQUIRED)
    number = _text(raw, "number", 50)
    if not number:
        problems.add("number", "请填写证书编号。", "required")
    issued = _date(raw, "issued_on", "发证日期", problems, required=True)
    expires = _date(raw, "expires_on", "有效期至", problems, required=False)
    if issued and expires and expires < issued:
        problems.add("expires_on", "有效期不能早于发证日期。", E.CERTIFICATE_DATES)
    if issued and issued > timezone.localdate():
        problems.add("issued_on", "发证日期不能晚于今天。", "future_date")
    problems.raise_if_any()
    return CertificateInput(kind, level, number, issued, expires, _text(raw, "issuer", 100))
