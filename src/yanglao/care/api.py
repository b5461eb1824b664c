"""The JSON API of care, mounted at the API root: /catalogue, /providers, /caregivers (and, from
the work-order and settlement work, /orders, /settlements, /meals)."""

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja import Status as Respond
from pydantic import field_validator

from yanglao.accounts.roles import Cap
from yanglao.care import selectors, services, validation
from yanglao.care.models import CaregiverStatus, ProviderStatus
from yanglao.core.api import ApiError, Page, PageParams, errors, paginate
from yanglao.elders.models import Gender
from yanglao.regions.selectors import region_get

router = Router(tags=["居家社区养老服务"])

REGION_PATTERN = r"^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})?$"


# --- catalogue -------------------------------------------------------------------------------------


class ProductOut(Schema):
    code: str
    name: str
    unit: str
    unit_label: str
    standard_minutes: int | None
    needs_certificate: bool
    min_certificate_level: int | None
    region_code: str | None = Field(None, description="个性服务所属区划；全国目录为 null")
    price_fen: int | None = Field(None, description="该区划当日有效的单价（分）；未定价为 null")
    price_region_code: str | None = Field(None, description="价格所属区划")
    price_valid_from: date | None
    price_valid_to: date | None


class ItemOut(Schema):
    code: str
    key: str = Field(..., description="设施服务项目代码（Facility.services 使用）")
    name: str
    products: list[ProductOut]


class CategoryOut(Schema):
    code: str
    name: str
    items: list[ItemOut]


class CatalogueOut(Schema):
    region_code: str
    region_name: str
    on: date
    categories: list[CategoryOut]


class CatalogueQuery(Schema):
    region: str = Field("", pattern=REGION_PATTERN, description="区划代码，默认为本人所属区划")
    on: date | None = Field(None, description="价格日期，默认今天")


@router.get("/catalogue", response={200: CatalogueOut, **errors(403, 404)})
def catalogue_tree(request, query: Query[CatalogueQuery]):
    """服务目录：8 大类 20 个服务项目及其服务产品，附该区划在该日有效的价格（最具体的区划优先）。"""
    actor = request.auth
    if not actor.can(Cap.CARE_VIEW):
        raise PermissionDenied("您没有查看服务目录的权限。")
    place = region_get(scope=actor.scope, code=query.region) if query.region else actor.region
    on = query.on or timezone.localdate()
    tree = selectors.catalogue_tree(actor=actor, region=place, on=on)
    return {
        "region_code": place.code,
        "region_name": place.full_name,
        "on": on,
        "categories": [
            {
                "code": node.category.code,
                "name": node.category.name,
                "items": [
                    {
                        "code": entry.item.code,
                        "key": entry.item.key,
                        "name": entry.item.name,
                        "products": [_product_out(product, price) for product, price in entry.products],
                    }
                    for entry in node.items
                ],
            }
            for node in tree
        ],
    }


def _product_out(product, price) -> dict:
    return {
        "code": product.code,
        "name": product.name,
        "unit": product.unit,
        "unit_label": product.get_unit_display(),
        "standard_minutes": product.standard_minutes,
        "needs_certificate": product.needs_certificate,
        "min_certificate_level": product.min_certificate_level,
        "region_code": product.region_id,
        "price_fen": price.price_fen if price else None,
        "price_region_code": price.region_id if price else None,
        "price_valid_from": price.valid_from if price else None,
        "price_valid_to": price.valid_to if price else None,
    }


# --- providers -------------------------------------------------------------------------------------


class CoverageOut(Schema):
    item_code: str
    item_name: str
    region_code: str
    region_name: str


class ProviderOut(Schema):
    id: int
    name: str
    operator_id: int
    credit_code: str
    county_code: str = Field(..., alias="county_id")
    county_name: str
    contract_number: str
    contract_start: date
    contract_end: date
    status: str
    in_contract_today: bool
    contact_name: str
    contact_phone: str
    note: str
    created_at: datetime

    @staticmethod
    def resolve_name(obj):
        return obj.operator.name

    @staticmethod
    def resolve_credit_code(obj):
        return obj.operator.credit_code

    @staticmethod
    def resolve_county_name(obj):
        return obj.county.name

    @staticmethod
    def resolve_in_contract_today(obj):
        return obj.in_contract_on(timezone.localdate())


class ProviderListOut(ProviderOut):
    caregiver_count: int


class ProviderDetailOut(ProviderOut):
    coverage: list[CoverageOut]
    caregiver_count: int

    @staticmethod
    def resolve_coverage(obj):
        return [
            {
                "item_code": c.item.code,
                "item_name": c.item.name,
                "region_code": c.region_id,
                "region_name": c.region.name,
            }
            for c in selectors.provider_coverage(provider=obj)
        ]

    @staticmethod
    def resolve_caregiver_count(obj):
        return obj.caregivers.filter(status=CaregiverStatus.ACTIVE).count()


class ProviderFilterIn(Schema):
    q: str = Field("", max_length=60)
    county: str = Field("", pattern=r"^(\d{6}|\d{12})?$")
    status: ProviderStatus | None = None

    @field_validator("status", mode="before")
    @classmethod
    def _blank_is_all(cls, value):
        return value or None


class ProviderIn(Schema):
    operator_id: int = Field(..., ge=1, description="运营主体编号（facilities 的 /operators）")
    county: str = Field(..., pattern=r"^(\d{6}|\d{12})$", description="签约旗县代码")
    contract_number: str = Field(..., max_length=50)
    contract_start: date
    contract_end: date
    status: ProviderStatus = ProviderStatus.ACTIVE
    contact_name: str = Field("", max_length=50)
    contact_phone: str = Field("", max_length=30)
    note: str = Field("", max_length=200)


@router.get("/providers", response={200: Page[ProviderListOut], **errors(403)})
def provider_list(request, filters: Query[ProviderFilterIn], paging: Query[PageParams]):
    """服务商列表（本人管辖旗县；服务商人员只见本服务商）。"""
    data = filters.dict()
    data["status"] = data["status"].value if data["status"] is not None else ""
    return paginate(
        selectors.provider_list(actor=request.auth, filters=selectors.ProviderFilters(**data)), paging
    )


@router.post("/providers", response={201: ProviderDetailOut, **errors(403)})
def provider_create(request, payload: ProviderIn):
    """登记服务商（须 care.edit，签约旗县在本人管辖范围内）。"""
    actor = request.auth
    if not actor.can(Cap.CARE_EDIT):
        raise PermissionDenied("您没有登记服务商的权限。")
    raw = payload.dict()
    raw["operator"] = str(raw.pop("operator_id"))
    raw["status"] = payload.status.value
    data = validation.parse_provider(raw, scope=actor.scope)
    provider = services.provider_create(actor=actor, data=data)
    return Respond(201, selectors.provider_get(actor=actor, pk=provider.pk))


@router.get("/providers/{provider_id}", response={200: ProviderDetailOut, **errors(403, 404)})
def provider_detail(request, provider_id: int):
    return selectors.provider_get(actor=request.auth, pk=provider_id)


# --- caregivers ------------------------------------------------------------------------------------


class CertificateOut(Schema):
    id: int
    kind: str
    level: int | None
    number: str
    issued_on: date
    expires_on: date | None
    issuer: str


class CaregiverOut(Schema):
    id: int
    name: str
    gender: str
    phone_masked: str
    id_number_masked: str
    provider_id: int
    provider_name: str
    home_region_code: str = Field(..., alias="home_region_id")
    home_region_name: str
    status: str
    certificate: str = Field(
        ..., description="养老护理员证书：valid 有效、expiring 30 天内到期、expired 已过期、none 无"
    )
    certificate_until: date | None = Field(None, description="有效证书的最晚到期日（长期有效为 null）")

    @staticmethod
    def resolve_provider_name(obj):
        return obj.provider.operator.name

    @staticmethod
    def resolve_home_region_name(obj):
        return obj.home_region.name

    @staticmethod
    def resolve_certificate(obj):
        return selectors.certificate_standing(obj, timezone.localdate())[0]

    @staticmethod
    def resolve_certificate_until(obj):
        return getattr(obj, "cert_until", None)


class CaregiverDetailOut(CaregiverOut):
    skills: list[str] = Field(..., description="服务产品代码")
    certificates: list[CertificateOut]
    longitude: Decimal | None
    latitude: Decimal | None
    joined_on: date | None
    left_on: date | None
    has_login: bool

    @staticmethod
    def resolve_skills(obj):
        return [p.code for p in obj.skills.all()]

    @staticmethod
    def resolve_certificates(obj):
        return list(obj.certificates.all())

    @staticmethod
    def resolve_has_login(obj):
        return obj.user_id is not None


class CaregiverFilterIn(Schema):
    q: str = Field("", max_length=40, description="姓名（包含）或手机号（精确）")
    provider: int | None = Field(None, ge=1)
    certificate: str = Field("", pattern=r"^(expiring|expired|none|valid)?$")
    skill: str = Field("", max_length=32, description="服务产品代码")
    status: str = Field(CaregiverStatus.ACTIVE, pattern=r"^(active|left|all)$")


class CertificateIn(Schema):
    kind: str = Field("elder_care", pattern=r"^(elder_care|health|nurse|other)$")
    level: int | None = Field(None, ge=1, le=5)
    number: str = Field(..., max_length=50)
    issued_on: date
    expires_on: date | None = None
    issuer: str = Field("", max_length=100)


class CaregiverIn(Schema):
    provider_id: int = Field(..., ge=1)
    name: str = Field(..., max_length=50)
    gender: Gender
    phone: str = Field(..., max_length=30)
    id_number: str = Field("", max_length=24)
    home_region: str = Field(..., pattern=r"^\d{12}$", description="居住地嘎查村（社区）12 位代码")
    longitude: Decimal | None = Field(None, ge=97, le=127)
    latitude: Decimal | None = Field(None, ge=37, le=54)
    skills: list[str] = Field(default_factory=list, max_length=100, description="服务产品代码")
    joined_on: date | None = None
    certificates: list[CertificateIn] = Field(default_factory=list, max_length=10)


@router.get("/caregivers", response={200: Page[CaregiverOut], **errors(403)})
def caregiver_list(request, filters: Query[CaregiverFilterIn], paging: Query[PageParams]):
    """护理员列表：按姓名或手机号查找，按服务商、证书状态、技能、在岗状态筛选。"""
    return paginate(
        selectors.caregiver_list(actor=request.auth, filters=selectors.CaregiverFilters(**filters.dict())),
        paging,
    )


@router.post("/caregivers", response={201: CaregiverDetailOut, **errors(403)})
def caregiver_create(request, payload: CaregiverIn):
    """登记护理员（民政干部，或服务商人员为本服务商登记），可同时登记证书。"""
    actor = request.auth
    if not (actor.can(Cap.CARE_EDIT) or actor.can(Cap.CARE_DISPATCH)):
        raise PermissionDenied("您没有登记护理员的权限。")
    raw = payload.dict(exclude={"certificates"})
    raw["provider"] = str(raw.pop("provider_id"))
    raw["gender"] = payload.gender.value
    data = validation.parse_caregiver(
        {k: ("" if v is None else v if isinstance(v, list) else str(v)) for k, v in raw.items()}, scope=None
    )
    certificates = []
    for n, cert in enumerate(payload.certificates):
        try:
            certificates.append(validation.parse_certificate(cert.dict()))
        except ValidationError as exc:
            fields = {
                f"certificates.{n}.{k}": [m for e in v for m in e.messages] for k, v in exc.error_dict.items()
            }
            first = next(iter(fields.values()))[0]
            raise ApiError(
                422, next(iter(exc.error_dict.values()))[0].code or "validation_error", first, fields
            ) from None
    with transaction.atomic():
        caregiver = services.caregiver_create(actor=actor, data=data)
        for cert in certificates:
            services.certificate_add(actor=actor, caregiver=caregiver, data=cert)
    return Respond(201, selectors.caregiver_get(actor=actor, pk=caregiver.pk))


@router.get("/caregivers/{caregiver_id}", response={200: CaregiverDetailOut, **errors(403, 404)})
def caregiver_detail(request, caregiver_id: int):
    return selectors.caregiver_get(actor=request.auth, pk=caregiver_id)
