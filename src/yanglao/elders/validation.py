"""One validation path for an elder's fields, whether they come from the form, the API or an import row.

Input values are text as a person typed them; output is an ``ElderInput`` of parsed values, or a
ValidationError whose dict maps each field to its problems (stable codes, Chinese messages).
"""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from yanglao.core.ethnicity import BY_CODE, ethnicity_code
from yanglao.core.idnumber import IdNumber, IdNumberError
from yanglao.core.idnumber import parse as parse_id
from yanglao.core.parsing import parse_date, parse_flag
from yanglao.core.phones import PhoneError, parse_phone
from yanglao.elders.models import (
    DERIVED_CATEGORIES,
    DISABILITY_GRADES,
    Category,
    ContactKind,
    Gender,
    LivingSituation,
    MaritalStatus,
)
from yanglao.regions.models import Region
from yanglao.regions.resolver import RegionResolver
from yanglao.regions.scope import Scope

# Computed once: Django's enum .choices builds a new list on every access, and an import asks
# for them hundreds of thousands of times.
GENDER_CHOICES = tuple(Gender.choices)
LIVING_CHOICES = tuple(LivingSituation.choices)
MARITAL_CHOICES = tuple(MaritalStatus.choices)
MANUAL_CATEGORIES = tuple(c for c in Category if c not in DERIVED_CATEGORIES)
# (category value, its yes/no column) for the hand-kept categories other than 残疾, which has a grade.
FLAG_COLUMNS = tuple(
    (c.value, f"cat_{c.value}", c.label) for c in MANUAL_CATEGORIES if c != Category.DISABILITY
)
DISABILITY = Category.DISABILITY.value
CONTACT_SLOTS = (("guardian", ContactKind.GUARDIAN.value), ("contact", ContactKind.EMERGENCY.value))
WHITESPACE = re.compile(r"\s+")


@dataclass
class ContactInput:
    kind: str
    name: str
    relation: str
    phone: str


@dataclass
class CategoryInput:
    category: str
    grade: str = ""
    source_document: str = ""


@dataclass
class ElderInput:
    name: str
    id_number: IdNumber
    gender: str
    birth_date: date
    ethnicity: str
    phone: str
    phone_alt: str
    address: str
    region: Region
    hukou_region: Region | None
    longitude: Decimal | None
    latitude: Decimal | None
    living_situation: str
    marital_status: str
    contacts: list[ContactInput] = field(default_factory=list)
    categories: list[CategoryInput] = field(default_factory=list)
    id_index: str = ""  # the blind index, once someone has computed it


def _choice(value: str, choices, label: str, errors: dict, key: str, default: str) -> str:
    text = (value or "").strip()
    if not text:
        return default
    for code, name in choices:
        if text in (code, name):
            return code
    errors.setdefault(key, []).append(
        ValidationError(
            f"{label}“{text}”无效，应为：{'、'.join(n for _, n in choices)}。", code="invalid_choice"
        )
    )
    return default


def _coordinate(value: str, low: float, high: float, key: str, label: str, errors: dict) -> Decimal | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        errors.setdefault(key, []).append(ValidationError(f"{label}“{text}”不是数字。", code="invalid"))
        return None
    if not (low <= number <= high):
        errors.setdefault(key, []).append(
            ValidationError(f"{label}应在 {low} 到 {high} 之间。", code="out_of_range")
        )
        return None
    return number.quantize(Decimal("0.000001"))


def _phone(value: str, key: str, errors: dict, *, required: bool = False) -> str:
    text = (value or "").strip()
    if not text and not required:
        return ""
    try:
        return parse_phone(text)
    except PhoneError as exc:
        errors.setdefault(key, []).append(ValidationError(exc.message, code=exc.code))
        return ""


def parse_region(
    value: str,
    *,
    key: str,
    label: str,
    resolver: RegionResolver,
    scope: Scope | None,
    errors: dict,
    required: bool,
    village_only: bool = True,
) -> Region | None:
    text = (value or "").strip()
    if not text:
        if required:
            errors.setdefault(key, []).append(ValidationError(f"请填写{label}。", code="required"))
        return None
    region = resolver.resolve(text)
    if region is None:
        errors.setdefault(key, []).append(
            ValidationError(f"{label}“{text}”不存在，请填写区划代码或完整名称。", code="region_unknown")
        )
        return None
    if village_only and region.level != "village":
        errors.setdefault(key, []).append(
            ValidationError(
                f"{label}应具体到嘎查村（社区），“{region.name}”是{region.get_level_display()}。",
                code="region_level",
            )
        )
        return None
    if scope is not None and not scope.contains(region.code):
        errors.setdefault(key, []).append(
            ValidationError(f"{label}“{region.name}”超出您的管辖范围。", code="region_out_of_scope")
        )
        return None
    return region


def parse_elder(
    raw: dict, *, resolver: RegionResolver, scope: Scope | None, today: date | None = None
) -> ElderInput:
    """Parse and check every field; raise one ValidationError listing every problem."""
    errors: dict[str, list[ValidationError]] = {}
    name = WHITESPACE.sub("", str(raw.get("name") or ""))
    if not name:
        errors["name"] = [ValidationError("请填写姓名。", code="required")]
    elif len(name) > 50:
        errors["name"] = [ValidationError("姓名过长。", code="too_long")]

    id_number = None
    try:
        id_number = parse_id(raw.get("id_number") or "")
    except IdNumberError as exc:
        errors["id_number"] = [ValidationError(exc.message, code=exc.code)]

    gender = _choice(raw.get("gender"), GENDER_CHOICES, "性别", errors, "gender", "")
    birth = None
    try:
        birth = parse_date(str(raw.get("birth_date") or ""))
    except ValueError:
        errors["birth_date"] = [ValidationError("出生日期格式应为 1950-01-31。", code="invalid_date")]
    if id_number is not None:
        if gender and gender != id_number.gender:
            errors.setdefault("gender", []).append(
                ValidationError(
                    f"性别与身份证号不符（身份证号显示为{Gender(id_number.gender).label}）。",
                    code="gender_mismatch",
                )
            )
        if birth and birth != id_number.birth_date:
            errors.setdefault("birth_date", []).append(
                ValidationError(
                    f"出生日期与身份证号不符（身份证号显示为 {id_number.birth_date}）。",
                    code="birth_mismatch",
                )
            )
        gender, birth = id_number.gender, id_number.birth_date

    ethnicity_text = str(raw.get("ethnicity") or "").strip()
    ethnicity = ethnicity_code(ethnicity_text) if ethnicity_text else "01"
    if ethnicity is None:
        errors["ethnicity"] = [
            ValidationError(f"民族“{ethnicity_text}”不是 56 个民族之一。", code="invalid_choice")
        ]
        ethnicity = "01"

    phone = _phone(raw.get("phone"), "phone", errors)
    phone_alt = _phone(raw.get("phone_alt"), "phone_alt", errors)
    region = parse_region(
        raw.get("region"),
        key="region",
        label="居住地",
        resolver=resolver,
        scope=scope,
        errors=errors,
        required=True,
    )
    hukou = parse_region(
        raw.get("hukou_region"),
        key="hukou_region",
        label="户籍地",
        resolver=resolver,
        scope=None,
        errors=errors,
        required=False,
        village_only=False,
    )
    longitude = _coordinate(raw.get("longitude"), 73, 136, "longitude", "经度", errors)
    latitude = _coordinate(raw.get("latitude"), 3, 54, "latitude", "纬度", errors)
    if (longitude is None) != (latitude is None) and "longitude" not in errors and "latitude" not in errors:
        errors["longitude"] = [ValidationError("经度和纬度应同时填写。", code="coordinates_pair")]
    living = _choice(
        raw.get("living_situation"),
        LIVING_CHOICES,
        "居住情况",
        errors,
        "living_situation",
        LivingSituation.OTHER,
    )
    marital = _choice(
        raw.get("marital_status"),
        MARITAL_CHOICES,
        "婚姻状况",
        errors,
        "marital_status",
        MaritalStatus.UNKNOWN,
    )
    address = str(raw.get("address") or "").strip()
    if len(address) > 200:
        errors["address"] = [ValidationError("地址过长（最多 200 字）。", code="too_long")]

    contacts = []
    for prefix, kind in CONTACT_SLOTS:
        c_name = str(raw.get(f"{prefix}_name") or "").strip()
        c_phone_text = str(raw.get(f"{prefix}_phone") or "").strip()
        c_relation = str(raw.get(f"{prefix}_relation") or "").strip()
        if not (c_name or c_phone_text or c_relation):
            continue
        if not c_name:
            errors.setdefault(f"{prefix}_name", []).append(
                ValidationError("请填写联系人姓名。", code="required")
            )
        c_phone = _phone(c_phone_text, f"{prefix}_phone", errors, required=True)
        contacts.append(ContactInput(kind=kind, name=c_name, relation=c_relation[:20], phone=c_phone))
    for extra in raw.get("contacts") or []:
        c_phone = _phone(extra.get("phone", ""), "contacts", errors, required=True)
        if not (extra.get("name") or "").strip():
            errors.setdefault("contacts", []).append(ValidationError("请填写联系人姓名。", code="required"))
        contacts.append(
            ContactInput(
                kind=extra.get("kind") or ContactKind.EMERGENCY,
                name=(extra.get("name") or "").strip(),
                relation=(extra.get("relation") or "").strip()[:20],
                phone=c_phone,
            )
        )

    categories = []
    for value, column, label in FLAG_COLUMNS:
        flag = parse_flag(str(raw.get(column) or ""))
        if flag is None:
            errors.setdefault(column, []).append(
                ValidationError(f"{label}应填“是”或“否”。", code="invalid_flag")
            )
        elif flag:
            categories.append(CategoryInput(category=value))
    disabled_flag = parse_flag(str(raw.get(f"cat_{DISABILITY}") or ""))
    if disabled_flag is None:
        errors.setdefault(f"cat_{DISABILITY}", []).append(
            ValidationError("残疾应填“是”或“否”。", code="invalid_flag")
        )
    grade_text = str(raw.get("disability_grade") or "").strip()
    if grade_text:
        grade = _choice(grade_text, DISABILITY_GRADES, "残疾等级", errors, "disability_grade", "")
        if grade:
            categories.append(CategoryInput(category=DISABILITY, grade=grade))
    elif disabled_flag:
        errors.setdefault("disability_grade", []).append(
            ValidationError("残疾人员请填写残疾等级。", code="required")
        )

    if errors:
        raise ValidationError(errors)
    return ElderInput(
        name=name,
        id_number=id_number,
        gender=gender,
        birth_date=birth,
        ethnicity=ethnicity,
        phone=phone,
        phone_alt=phone_alt,
        address=address,
        region=region,
        hukou_region=hukou,
        longitude=longitude,
        latitude=latitude,
        living_situation=living,
        marital_status=marital,
        contacts=contacts,
        categories=categories,
    )


def ethnicity_label(code: str) -> str:
    return BY_CODE.get(code, "")
