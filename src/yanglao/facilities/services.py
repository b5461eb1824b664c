"""Every write to the service network, and the history each one leaves."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from yanglao.core import audit
from yanglao.core.creditcode import CreditCodeError, parse_credit_code
from yanglao.core.phones import PhoneError, parse_phone
from yanglao.facilities.models import (
    Consortium,
    ConsortiumMember,
    Facility,
    FacilityEvent,
    FacilityPhoto,
    FacilityStatus,
    FacilityType,
    Operator,
    OperatorKind,
)
from yanglao.facilities.validation import FacilityInput

FIELDS = [
    "name", "type", "region_id", "address", "longitude", "latitude", "floor_area", "beds_total", "beds_nursing",
    "residents", "households_served", "residents_65_served", "meal_capacity", "has_medical", "is_destitute_home",
    "natural_village", "operator_id", "operating_mode", "contract_start", "contract_end", "filing_number",
    "filing_date", "services", "contact_name", "contact_phone", "opening_hours",
]  # fmt: skip
LABELS = {f.attname: str(f.verbose_name) for f in Facility._meta.concrete_fields}
LABELS.update({"region_id": "所在区划", "operator_id": "运营主体"})
MAX_PHOTOS = 8
MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTO_PIXELS = 40_000_000


def _snapshot(facility: Facility) -> dict:
    values = {}
    for name in [*FIELDS, "status"]:
        value = getattr(facility, name)
        values[name] = value if value is None or isinstance(value, bool | int | str | list) else str(value)
    return values


def _check_scope(actor, facility: Facility) -> None:
    if actor is None:
        return
    scope = actor.scope
    if not scope.contains(facility.region_id) or (scope.facility_id and scope.facility_id != facility.pk):
        raise PermissionDenied("该设施不在您的管辖范围内。")


def facility_event_record(
    *, facility: Facility, kind: str, summary: str, actor=None, changes: dict | None = None
) -> FacilityEvent:
    return FacilityEvent.objects.create(
        facility=facility,
        kind=kind,
        summary=summary[:300],
        changes=changes or {},
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )


def _operator_for(*, actor, data: FacilityInput) -> Operator | None:
    """The operator named by the input: found by credit code, created when new."""
    if data.operator_code:
        operator = Operator.objects.filter(credit_code=data.operator_code).first()
        if operator is None:
            if not data.operator_name:
                raise ValidationError(
                    {"operator_name": ValidationError("新的运营主体请填写名称。", code="required")}
                )
            operator = Operator.objects.create(
                name=data.operator_name,
                credit_code=data.operator_code,
                kind=OperatorKind.ENTERPRISE,
                region_id=data.region.code[:6].ljust(12, "0"),
            )
            audit.record(
                actor=actor, action=audit.Action.CREATE, obj=operator, summary=f"新建运营主体 {operator.name}"
            )
        return operator
    if data.operator_name:
        operator = Operator.objects.filter(
            name=data.operator_name, region__code__startswith=data.region.code[:6]
        ).first()
        if operator is None:
            raise ValidationError(
                {
                    "operator_code": ValidationError(
                        f"运营主体“{data.operator_name}”尚未登记，请填写其统一社会信用代码。",
                        code="operator_unknown",
                    )
                }
            )
        return operator
    return None


def _apply(facility: Facility, data: FacilityInput, operator: Operator | None) -> None:
    for name in FIELDS:
        if name in ("region_id", "operator_id"):
            continue
        setattr(facility, name, getattr(data, name))
    facility.region_id = data.region.code
    facility.operator = operator


@transaction.atomic
def facility_create(*, actor, data: FacilityInput) -> Facility:
    if actor is not None and not actor.scope.contains(data.region.code):
        raise ValidationError(
            {"region": ValidationError("所在区划超出您的管辖范围。", code="region_out_of_scope")}
        )
    if actor is not None and actor.scope.facility_id:
        raise PermissionDenied("机构运营人员不能新建设施。")
    facility = Facility(status=data.status, status_date=timezone.localdate())
    _apply(facility, data, _operator_for(actor=actor, data=data))
    facility.full_clean()
    facility.save()
    facility_event_record(facility=facility, kind="created", summary=f"新建：{facility.name}", actor=actor)
    audit.record(
        actor=actor,
        action=audit.Action.CREATE,
        obj=facility,
        summary=f"新建设施 {facility.name}",
        changes=audit.diff({}, _snapshot(facility)),
    )
    return facility


@transaction.atomic
def facility_update(*, actor, facility: Facility, data: FacilityInput) -> Facility:
    _check_scope(actor, facility)
    if actor is not None and not actor.scope.contains(data.region.code):
        raise ValidationError(
            {"region": ValidationError("所在区划超出您的管辖范围。", code="region_out_of_scope")}
        )
    before = _snapshot(facility)
    _apply(facility, data, _operator_for(actor=actor, data=data))
    facility.updated_at = timezone.now()
    facility.full_clean()
    facility.save()
    changes = audit.diff(before, _snapshot(facility))
    changes.pop("status", None)  # the status has its own action and history line
    if changes:
        labels = "、".join(LABELS.get(k, k) for k in changes)
        facility_event_record(
            facility=facility, kind="updated", summary=f"修改：{labels}", actor=actor, changes=changes
        )
        audit.record(
            actor=actor, action=audit.Action.UPDATE, obj=facility, summary="修改设施信息", changes=changes
        )
    return facility


TRANSITIONS = {
    FacilityStatus.PLANNED: {FacilityStatus.CONSTRUCTION, FacilityStatus.OPERATING, FacilityStatus.CLOSED},
    FacilityStatus.CONSTRUCTION: {FacilityStatus.OPERATING, FacilityStatus.SUSPENDED, FacilityStatus.CLOSED},
    FacilityStatus.OPERATING: {FacilityStatus.SUSPENDED, FacilityStatus.CLOSED},
    FacilityStatus.SUSPENDED: {FacilityStatus.OPERATING, FacilityStatus.CLOSED},
    FacilityStatus.CLOSED: set(),
}


@transaction.atomic
def facility_set_status(
    *, actor, facility: Facility, status: str, reason: str, on: date | None = None
) -> Facility:
    """Start building, open, suspend, reopen or close — with a reason; never a deletion."""
    _check_scope(actor, facility)
    if actor is not None and actor.scope.facility_id:
        raise PermissionDenied("机构运营人员不能变更设施状态，请联系民政部门。")
    reason = (reason or "").strip()
    errors = {}
    if status not in FacilityStatus.values:
        errors["status"] = ValidationError("状态无效。", code="invalid_choice")
    elif status not in TRANSITIONS[facility.status]:
        allowed = "、".join(FacilityStatus(s).label for s in TRANSITIONS[facility.status]) or "无"
        errors["status"] = ValidationError(
            f"“{facility.get_status_display()}”的设施不能改为“{FacilityStatus(status).label}”（可改为：{allowed}）。",
            code="illegal_transition",
        )
    if not reason:
        errors["reason"] = ValidationError("请填写原因。", code="required")
    on = on or timezone.localdate()
    if on > timezone.localdate():
        errors["on"] = ValidationError("日期不能晚于今天。", code="future_date")
    if errors:
        raise ValidationError(errors)
    before = facility.status
    facility.status, facility.status_date = status, on
    facility.updated_at = timezone.now()
    facility.save(update_fields=["status", "status_date", "updated_at"])
    summary = f"状态：{FacilityStatus(before).label} → {FacilityStatus(status).label}（{on}）：{reason}"
    facility_event_record(
        facility=facility,
        kind="status",
        summary=summary,
        actor=actor,
        changes={"status": [before, status], "reason": reason},
    )
    audit.record(
        actor=actor,
        action=audit.Action.UPDATE,
        obj=facility,
        summary=summary,
        changes={"status": [before, status]},
    )
    return facility


def photo_add(*, actor, facility: Facility, upload, caption: str = "") -> FacilityPhoto:
    """A photo, checked to be a real image of a sane size before it is kept."""
    from PIL import Image, UnidentifiedImageError

    _check_scope(actor, facility)
    if facility.photos.count() >= MAX_PHOTOS:
        raise ValidationError(
            {"image": ValidationError(f"每个设施最多 {MAX_PHOTOS} 张照片。", code="too_many_photos")}
        )
    if upload.size > MAX_PHOTO_BYTES:
        raise ValidationError({"image": ValidationError("照片不能超过 5 MB。", code="photo_too_large")})
    try:
        with Image.open(upload) as image:
            image.verify()
            kind, (width, height) = image.format, image.size
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError):
        raise ValidationError(
            {"image": ValidationError("文件不是有效的图片（支持 JPEG、PNG、WebP）。", code="not_an_image")}
        ) from None
    if kind not in ("JPEG", "PNG", "WEBP"):
        raise ValidationError(
            {"image": ValidationError("只支持 JPEG、PNG、WebP 格式的照片。", code="not_an_image")}
        )
    if width * height > MAX_PHOTO_PIXELS:
        raise ValidationError(
            {"image": ValidationError("照片像素过大（上限 4000 万像素）。", code="photo_too_large")}
        )
    upload.seek(0)
    photo = FacilityPhoto(
        facility=facility,
        caption=(caption or "").strip()[:100],
        uploaded_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    photo.image.save(upload.name[-60:], upload, save=False)
    photo.save()
    facility_event_record(
        facility=facility,
        kind="photo_added",
        summary=f"上传照片{('：' + photo.caption) if photo.caption else ''}",
        actor=actor,
    )
    return photo


@transaction.atomic
def photo_remove(*, actor, photo: FacilityPhoto) -> None:
    _check_scope(actor, photo.facility)
    facility = photo.facility
    photo.image.delete(save=False)
    photo.delete()
    facility_event_record(facility=facility, kind="photo_removed", summary="删除照片", actor=actor)


# --- operators and consortia -----------------------------------------------------------------------


@transaction.atomic
def operator_create(
    *,
    actor,
    name: str,
    credit_code: str,
    kind: str,
    region,
    contact_name: str = "",
    contact_phone: str = "",
    address: str = "",
) -> Operator:
    if actor is not None and not actor.scope.contains(region.code):
        raise ValidationError(
            {"region": ValidationError("登记地超出您的管辖范围。", code="region_out_of_scope")}
        )
    if Operator.objects.filter(credit_code=credit_code).exists():
        raise ValidationError(
            {"credit_code": ValidationError("该统一社会信用代码已登记。", code="credit_code_taken")}
        )
    operator = Operator(
        name=name.strip(),
        credit_code=credit_code,
        kind=kind,
        region=region,
        contact_name=contact_name.strip(),
        contact_phone=contact_phone.strip(),
        address=address.strip(),
    )
    operator.full_clean()
    operator.save()
    audit.record(
        actor=actor, action=audit.Action.CREATE, obj=operator, summary=f"新建运营主体 {operator.name}"
    )
    return operator


def operator_create_from_form(*, actor, data: dict, resolver) -> Operator:
    """The console's operator form: its text checked like every other input, then ``operator_create``."""
    errors = {}
    try:
        code = parse_credit_code(data.get("credit_code", ""))
    except CreditCodeError as exc:
        errors["credit_code"] = ValidationError(exc.message, code=exc.code)
    region = resolver.resolve(data.get("region", ""))
    if region is None:
        errors["region"] = ValidationError("请选择登记地。", code="required")
    phone = ""
    if data.get("contact_phone"):
        try:
            phone = parse_phone(data["contact_phone"])
        except PhoneError as exc:
            errors["contact_phone"] = ValidationError(exc.message, code=exc.code)
    if errors:
        raise ValidationError(errors)
    return operator_create(
        actor=actor,
        name=data["name"],
        credit_code=code,
        kind=data["kind"],
        region=region,
        contact_name=data.get("contact_name", ""),
        contact_phone=phone,
        address=data.get("address", ""),
    )


@transaction.atomic
def consortium_create(*, actor, name: str, lead: Facility, established: date, note: str = "") -> Consortium:
    _check_scope(actor, lead)
    if lead.type != FacilityType.COUNTY_CENTRE:
        raise ValidationError(
            {"lead": ValidationError("联合体应由县级养老服务中心牵头。", code="lead_not_county_centre")}
        )
    consortium = Consortium(
        name=name.strip(),
        lead=lead,
        region_id=lead.region.code[:6].ljust(12, "0"),
        established=established,
        note=note.strip(),
    )
    consortium.full_clean()
    consortium.save()
    ConsortiumMember.objects.create(consortium=consortium, facility=lead, joined=established)
    audit.record(
        actor=actor, action=audit.Action.CREATE, obj=consortium, summary=f"成立联合体 {consortium.name}"
    )
    return consortium


@transaction.atomic
def consortium_join(*, actor, consortium: Consortium, facility: Facility, joined: date) -> ConsortiumMember:
    _check_scope(actor, facility)
    if not facility.region_id.startswith(consortium.region_id[:6]):
        raise ValidationError({"facility": ValidationError("只能吸收本旗县的设施。", code="other_county")})
    if consortium.members.filter(facility=facility, left__isnull=True).exists():
        raise ValidationError({"facility": ValidationError("该设施已在联合体中。", code="already_member")})
    member = ConsortiumMember.objects.create(consortium=consortium, facility=facility, joined=joined)
    facility_event_record(
        facility=facility,
        kind="consortium_joined",
        summary=f"加入联合体 {consortium.name}（{joined}）",
        actor=actor,
    )
    return member


@transaction.atomic
def consortium_leave(*, actor, member: ConsortiumMember, left: date) -> ConsortiumMember:
    _check_scope(actor, member.facility)
    if member.left is not None:
        raise ValidationError("该设施已退出联合体。", code="already_left")
    if left < member.joined:
        raise ValidationError({"left": ValidationError("退出日期不能早于加入日期。", code="dates_order")})
    member.left = left
    member.save(update_fields=["left"])
    facility_event_record(
        facility=member.facility,
        kind="consortium_left",
        summary=f"退出联合体 {member.consortium.name}（{left}）",
        actor=actor,
    )
    return member
