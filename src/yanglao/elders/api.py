from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from ninja import Field, Query, Router, Schema
from ninja import Status as Respond

from yanglao.accounts.roles import Cap
from yanglao.core.api import ApiError, Page, PageParams, errors, paginate
from yanglao.elders import selectors, services
from yanglao.elders.forms import elder_raw
from yanglao.elders.models import Category, Gender, LivingSituation, MaritalStatus, Status
from yanglao.elders.validation import parse_elder
from yanglao.regions.resolver import RegionResolver

router = Router(tags=["老年人档案"])


class ContactOut(Schema):
    id: int
    kind: str
    name: str
    relation: str
    phone_masked: str


class ElderOut(Schema):
    id: int
    name: str
    gender: str
    birth_date: date
    age: int
    id_number_masked: str
    ethnicity: str
    phone_masked: str
    phone_alt_masked: str
    address: str
    region_code: str = Field(..., alias="region_id")
    region_name: str
    living_situation: str
    marital_status: str
    status: str
    status_date: date | None
    categories: list[str]
    longitude: Decimal | None
    latitude: Decimal | None
    created_at: datetime

    @staticmethod
    def resolve_region_name(obj):
        return obj.region.full_name

    @staticmethod
    def resolve_categories(obj):
        labels = [m.category for m in getattr(obj, "current_categories", obj.categories.all())]
        if obj.is_advanced_age:
            labels.append(Category.ADVANCED_AGE.value)
        return sorted(set(labels))


class ElderDetailOut(ElderOut):
    contacts: list[ContactOut]
    hukou_region_code: str | None = Field(None, alias="hukou_region_id")

    @staticmethod
    def resolve_contacts(obj):
        return list(obj.contacts.all())


class ElderFilterIn(Schema):
    q: str = Field("", max_length=40, description="姓名、拼音首字母、身份证号（精确）或电话（精确）")
    region: str = Field("", pattern=r"^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})?$")
    age_band: str = Field("", pattern=r"^(60-69|70-79|80-89|90-99|100\+|under60)?$")
    gender: Gender | None = None
    category: Category | None = None
    living_situation: LivingSituation | None = None
    status: str = Field(Status.ACTIVE, pattern=r"^(active|moved_out|deceased|all)$")
    sort: str = Field("region", pattern=r"^(name|-name|age|-age|region|-created)$")


class ContactIn(Schema):
    kind: str = Field("emergency", pattern=r"^(guardian|emergency)$")
    name: str = Field(..., max_length=50)
    relation: str = Field("", max_length=20)
    phone: str = Field(..., max_length=30)


class ElderIn(Schema):
    name: str = Field(..., max_length=50)
    id_number: str = Field(..., max_length=24)
    gender: Gender | None = None
    birth_date: str = Field("", max_length=20)
    ethnicity: str = Field("01", max_length=10, description="民族代码（01–56）或名称")
    phone: str = Field("", max_length=30)
    phone_alt: str = Field("", max_length=30)
    address: str = Field("", max_length=200)
    region: str = Field(..., max_length=120, description="嘎查村（社区）12 位代码或完整名称")
    hukou_region: str = Field("", max_length=120)
    longitude: str = Field("", max_length=20)
    latitude: str = Field("", max_length=20)
    living_situation: LivingSituation = LivingSituation.OTHER
    marital_status: MaritalStatus = MaritalStatus.UNKNOWN
    contacts: list[ContactIn] = Field(default_factory=list, max_length=10)
    categories: list[Category] = Field(
        default_factory=list, description="手工维护的类别（高龄等自动判定的类别会被拒绝）"
    )
    disability_grade: str = Field("", pattern=r"^[1-4]?$")


class ElderPatch(Schema):
    name: str | None = Field(None, max_length=50)
    id_number: str | None = Field(None, max_length=24)
    ethnicity: str | None = Field(None, max_length=10)
    phone: str | None = Field(None, max_length=30)
    phone_alt: str | None = Field(None, max_length=30)
    address: str | None = Field(None, max_length=200)
    hukou_region: str | None = Field(None, max_length=120)
    longitude: str | None = Field(None, max_length=20)
    latitude: str | None = Field(None, max_length=20)
    living_situation: LivingSituation | None = None
    marital_status: MaritalStatus | None = None
    contacts: list[ContactIn] | None = Field(None, max_length=10)


class RevealIn(Schema):
    field: str = Field(..., pattern=r"^(id_number|phone|phone_alt)$")


class RevealOut(Schema):
    field: str
    value: str


class EventOut(Schema):
    id: int
    at: datetime
    kind: str
    summary: str
    source: str
    actor: str | None

    @staticmethod
    def resolve_actor(obj):
        return obj.actor.display_name if obj.actor_id else None


def _require(actor, capability):
    if not actor.can(capability):
        raise PermissionDenied("您没有此项权限。")


def _raw_from(payload: ElderIn) -> dict:
    raw = payload.dict(exclude={"contacts", "categories"})
    raw = {k: ("" if v is None else str(v.value if hasattr(v, "value") else v)) for k, v in raw.items()}
    for category in payload.categories:
        raw[f"cat_{category.value}"] = "是"
    if payload.disability_grade:
        raw["disability_grade"] = payload.disability_grade
    raw["contacts"] = [c.dict() for c in payload.contacts]
    return raw


@router.get("", response={200: Page[ElderOut], **errors(403)})
def elder_list(request, filters: Query[ElderFilterIn], paging: Query[PageParams]):
    """老年人列表：按区划、年龄段、性别、类别、居住情况、状态筛选；按姓名、拼音首字母、身份证号或电话查找。"""
    data = filters.dict()
    for key in ("gender", "category", "living_situation"):
        data[key] = data[key].value if data[key] is not None else ""
    return paginate(selectors.elder_list(actor=request.auth, filters=selectors.ElderFilters(**data)), paging)


@router.post("", response={201: ElderDetailOut, **errors(403, 409)})
def elder_create(request, payload: ElderIn):
    """新建档案。身份证号已登记时返回 409 `id_exists`（在您辖区内时附档案编号）。"""
    _require(request.auth, Cap.ELDERS_EDIT)
    for category in payload.categories:
        if category in (
            Category.ADVANCED_AGE,
            Category.DISABLED_CARE,
            Category.SEMI_DISABLED,
            Category.ALONE_OR_EMPTY_NEST,
        ):
            raise ApiError(
                422,
                "category_derived",
                f"“{category.label}”由系统自动判定，不能手工设置。",
                {"categories": [category.label]},
            )
    data = parse_elder(_raw_from(payload), resolver=RegionResolver(), scope=request.auth.scope)
    try:
        elder = services.elder_create(actor=request.auth, data=data)
    except ValidationError as exc:
        _raise_conflict(exc)
        raise
    return Respond(201, selectors.elder_get(actor=request.auth, pk=elder.pk))


def _raise_conflict(exc: ValidationError) -> None:
    for error in getattr(exc, "error_dict", {}).get("id_number", []):
        if error.code in ("id_exists", "id_exists_elsewhere"):
            message = error.message % error.params if error.params else error.message
            raise ApiError(409, error.code, message, {"id_number": [message]}) from None


@router.get("/{elder_id}", response={200: ElderDetailOut, **errors(403, 404)})
def elder_detail(request, elder_id: int):
    return selectors.elder_get(actor=request.auth, pk=elder_id)


@router.patch("/{elder_id}", response={200: ElderDetailOut, **errors(403, 404, 409)})
def elder_update(request, elder_id: int, payload: ElderPatch):
    """修改档案：只需提交要改的字段。变更居住地请用控制台的“迁移”。"""
    _require(request.auth, Cap.ELDERS_EDIT)
    elder = selectors.elder_get(actor=request.auth, pk=elder_id)
    raw = elder_raw(elder)
    changes = payload.dict(exclude_unset=True)
    contacts = changes.pop("contacts", None)
    for key, value in changes.items():
        raw[key] = "" if value is None else str(value.value if hasattr(value, "value") else value)
    if contacts is not None:
        for prefix in ("guardian", "contact"):
            for part in ("name", "relation", "phone"):
                raw.pop(f"{prefix}_{part}", None)
        raw["contacts"] = contacts
    else:
        raw["contacts"] = []
    data = parse_elder(raw, resolver=RegionResolver(), scope=request.auth.scope)
    try:
        services.elder_update(actor=request.auth, elder=elder, data=data)
    except ValidationError as exc:
        _raise_conflict(exc)
        raise
    return selectors.elder_get(actor=request.auth, pk=elder_id)


@router.post("/{elder_id}/reveal", response={200: RevealOut, **errors(403, 404)})
def elder_reveal(request, elder_id: int, payload: RevealIn):
    """查看一个脱敏字段的完整值（需 elders.reveal 权限；每次写入审计日志）。"""
    elder = selectors.elder_get(actor=request.auth, pk=elder_id)
    value = services.elder_reveal(actor=request.auth, elder=elder, field=payload.field)
    return {"field": payload.field, "value": value}


@router.get("/{elder_id}/events", response={200: Page[EventOut], **errors(403, 404)})
def elder_events(request, elder_id: int, paging: Query[PageParams]):
    """档案记录（时间倒序），含合并进来的档案的记录。"""
    elder = selectors.elder_get(actor=request.auth, pk=elder_id)
    return paginate(selectors.elder_timeline(elder=elder), paging)
