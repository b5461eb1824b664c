"""Every write to the elder registry, and the history each one leaves.

Creates and edits take already-parsed values (``validation.ElderInput``): the form, the API and the
import all validate through ``validation.parse_elder`` and then call these.
"""

from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from yanglao.accounts.roles import Cap
from yanglao.core import audit, pinyin
from yanglao.core.textsearch import grams
from yanglao.elders import privacy
from yanglao.elders.errors import ElderErrorCode as E
from yanglao.elders.models import (
    DERIVED_CATEGORIES,
    Category,
    CategoryMembership,
    DuplicateFlag,
    Elder,
    ElderContact,
    ElderEvent,
    LivingSituation,
    Status,
)
from yanglao.elders.signals import elder_changed
from yanglao.elders.validation import ElderInput
from yanglao.regions.models import Region

# Snapshots carry phones already masked; only a clear ID number passed in is masked by the diff.
PERSONAL = {"id_number": "id_number"}
FIELD_LABELS = {
    "name": "姓名", "gender": "性别", "birth_date": "出生日期", "ethnicity": "民族", "id_number": "身份证号",
    "phone": "联系电话", "phone_alt": "备用电话", "address": "现住址", "region": "居住地", "hukou_region": "户籍地",
    "longitude": "经度", "latitude": "纬度", "living_situation": "居住情况", "marital_status": "婚姻状况", "status": "状态",
}  # fmt: skip


def _snapshot(elder: Elder) -> dict:
    return {
        "name": elder.name,
        "gender": elder.gender,
        "birth_date": str(elder.birth_date),
        "ethnicity": elder.ethnicity,
        "phone": elder.phone_masked,
        "phone_alt": elder.phone_alt_masked,
        "address": elder.address,
        "region": elder.region_id,
        "hukou_region": elder.hukou_region_id,
        "longitude": str(elder.longitude) if elder.longitude is not None else None,
        "latitude": str(elder.latitude) if elder.latitude is not None else None,
        "living_situation": elder.living_situation,
        "marital_status": elder.marital_status,
        "status": elder.status,
    }


def _changed(elder: Elder, on: date, what: str) -> None:
    """Tell the consumers (entitlements…) once the transaction that changed the person commits."""
    transaction.on_commit(lambda: elder_changed.send(sender=Elder, elder=elder, on=on, what=what))


def elder_event_record(
    *,
    elder: Elder,
    kind: str,
    summary: str,
    actor=None,
    data: dict | None = None,
    source: str = "elders",
    region_code: str | None = None,
    at=None,
) -> ElderEvent:
    """Append to an elder's history. Other domains (assessments, care, alarms…) call this."""
    return ElderEvent.objects.create(
        elder=elder,
        kind=kind,
        summary=summary[:300],
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        data=data or {},
        source=source,
        region_code=region_code or elder.region_id,
        at=at or timezone.now(),
    )


def _check_in_scope(actor, elder: Elder) -> None:
    if actor is not None and not actor.scope.contains(elder.region_id):
        raise PermissionDenied("该老年人不在您的管辖范围内。")


def id_conflict(*, actor, id_value: str, exclude_pk: int | None = None) -> ValidationError | None:
    """Another record holds this ID: say so, linking it only when the actor may see it."""
    existing = Elder.objects.filter(id_number_index=privacy.id_index(id_value)).exclude(pk=exclude_pk).first()
    if existing is None:
        return None
    if actor is None or actor.scope.contains(existing.region_id):
        return ValidationError(
            "该身份证号已登记：%(name)s（档案 %(pk)s）。",
            code=E.ID_EXISTS,
            params={"name": existing.name, "pk": existing.pk},
        )
    return ValidationError("该身份证号已在其他地区登记，请联系上级民政部门核实。", code=E.ID_EXISTS_ELSEWHERE)


def apply_input(elder: Elder, data: ElderInput, *, id_index: str | None = None) -> None:
    """Copy parsed values onto the record; ``id_index`` saves recomputing a blind index the caller has."""
    if id_index is None or id_index != elder.id_number_index:
        sealed_id = privacy.seal_id_number(data.id_number.value, index=id_index)
    else:
        sealed_id = None
    sealed_phone = privacy.seal_phone(data.phone)
    sealed_alt = privacy.seal_phone(data.phone_alt)
    elder.name = data.name
    elder.name_initials = pinyin.initials(data.name)[:50]
    elder.name_pinyin = pinyin.full(data.name)[:200]
    elder.name_grams = grams(data.name)
    elder.gender = data.gender
    elder.birth_date = data.birth_date
    if sealed_id is not None and elder.id_number_index != sealed_id.index:
        elder.id_number_enc, elder.id_number_index, elder.id_number_masked = (
            sealed_id.enc,
            sealed_id.index,
            sealed_id.masked,
        )
    if elder.phone_index != sealed_phone.index:
        elder.phone_enc, elder.phone_index, elder.phone_masked = (
            sealed_phone.enc,
            sealed_phone.index,
            sealed_phone.masked,
        )
    if elder.phone_alt_index != sealed_alt.index:
        elder.phone_alt_enc, elder.phone_alt_index, elder.phone_alt_masked = (
            sealed_alt.enc,
            sealed_alt.index,
            sealed_alt.masked,
        )
    elder.ethnicity = data.ethnicity
    elder.address = data.address
    # The ids, not the objects: assigning a related object costs a descriptor call per field and
    # an import does it a hundred thousand times.
    elder.region_id = data.region.pk
    elder.hukou_region_id = data.hukou_region.pk if data.hukou_region else None
    elder.longitude = data.longitude
    elder.latitude = data.latitude
    elder.living_situation = data.living_situation
    elder.marital_status = data.marital_status


def _replace_contacts(elder: Elder, data: ElderInput) -> None:
    elder.contacts.all().delete()
    ElderContact.objects.bulk_create(
        [
            ElderContact(
                elder=elder,
                kind=c.kind,
                name=c.name,
                relation=c.relation,
                position=i,
                **{
                    f"phone_{k}": v
                    for k, v in zip(("enc", "index", "masked"), _seal_tuple(c.phone), strict=True)
                },
            )
            for i, c in enumerate(data.contacts)
        ]
    )


def _seal_tuple(phone: str) -> tuple[str, str, str]:
    sealed = privacy.seal_phone(phone)
    return sealed.enc, sealed.index, sealed.masked


def _flag_duplicates(elder: Elder) -> list[DuplicateFlag]:
    """Same name, birth date and village under another ID: maybe one person registered twice."""
    others = Elder.objects.filter(name=elder.name, birth_date=elder.birth_date, region=elder.region).exclude(
        Q(pk=elder.pk) | Q(status=Status.MERGED)
    )
    flags = []
    for other in others:
        first, second = sorted([elder, other], key=lambda e: e.pk)
        flag, created = DuplicateFlag.objects.get_or_create(
            elder=first,
            other=second,
            defaults={"reason": "姓名、出生日期、居住地相同，身份证号不同", "region_id": first.region_id},
        )
        if created:
            flags.append(flag)
    return flags


@transaction.atomic
def elder_create(*, actor, data: ElderInput, event_kind: str = ElderEvent.Kind.CREATED) -> Elder:
    if actor is not None and not actor.scope.contains(data.region.code):
        raise ValidationError(
            {"region": ValidationError("居住地超出您的管辖范围。", code="region_out_of_scope")}
        )
    conflict = id_conflict(actor=actor, id_value=data.id_number.value)
    if conflict is not None:
        raise ValidationError({"id_number": conflict})
    elder = Elder(created_by=actor if getattr(actor, "is_authenticated", False) else None)
    apply_input(elder, data)
    elder.full_clean(exclude=["id_number_enc", "created_by"])
    elder.save()
    _replace_contacts(elder, data)
    today = timezone.localdate()
    for item in data.categories:
        _membership_create(
            elder,
            item.category,
            today,
            grade=item.grade,
            source=item.source_document or "建档登记",
            actor=actor,
        )
    _sync_living_category(elder, actor=actor, on=today)
    elder_event_record(elder=elder, kind=event_kind, summary=f"建档：{elder.name}", actor=actor)
    audit.record(
        actor=actor,
        action=audit.Action.CREATE,
        obj=elder,
        summary="新建老年人档案",
        changes=audit.diff({}, {**_snapshot(elder), "id_number": data.id_number.value}, personal=PERSONAL),
    )
    _flag_duplicates(elder)
    _changed(elder, today, "created")
    return elder


@transaction.atomic
def elder_update(
    *, actor, elder: Elder, data: ElderInput, event_kind: str = ElderEvent.Kind.UPDATED
) -> Elder:
    """Edit fields in place. A change of village goes through ``elder_move``, which keeps both regions informed."""
    _check_in_scope(actor, elder)
    if elder.status == Status.MERGED:
        raise ValidationError("已合并的档案不能修改。", code=E.NOT_ACTIVE)
    if data.region.pk != elder.region_id:
        raise ValidationError({"region": ValidationError("变更居住地请使用“迁移”。", code="use_move")})
    conflict = id_conflict(actor=actor, id_value=data.id_number.value, exclude_pk=elder.pk)
    if conflict is not None:
        raise ValidationError({"id_number": conflict})
    before = _snapshot(elder)
    old_id_index = elder.id_number_index
    apply_input(elder, data)
    elder.updated_at = timezone.now()
    elder.full_clean(exclude=["id_number_enc", "created_by"])
    elder.save()
    _replace_contacts(elder, data)
    after = _snapshot(elder)
    changes = audit.diff(before, after, personal=PERSONAL)
    if elder.id_number_index != old_id_index:
        changes["id_number"] = ["（已更正）", elder.id_number_masked]
    if elder.living_situation != before["living_situation"]:
        _sync_living_category(elder, actor=actor, on=timezone.localdate())
        _changed(elder, timezone.localdate(), "living_situation")
    if changes:
        labels = "、".join(FIELD_LABELS.get(f, f) for f in changes)
        elder_event_record(
            elder=elder, kind=event_kind, summary=f"修改：{labels}", actor=actor, data={"changes": changes}
        )
        audit.record(
            actor=actor, action=audit.Action.UPDATE, obj=elder, summary="修改老年人档案", changes=changes
        )
    return elder


@transaction.atomic
def elder_move(*, actor, elder: Elder, region: Region, address: str = "", reason: str = "") -> Elder:
    """Move to another village. The old region keeps a 迁出 record, the new one gets a 迁入 record;
    from now on only the new region's users (and those above both) see the person."""
    _check_in_scope(actor, elder)
    if region.level != "village":
        raise ValidationError(
            {"region": ValidationError("迁入地应具体到嘎查村（社区）。", code="region_level")}
        )
    if region.pk == elder.region_id:
        raise ValidationError({"region": ValidationError("迁入地与现居住地相同。", code="same_region")})
    if elder.status != Status.ACTIVE:
        raise ValidationError("只有在册人员可以迁移。", code=E.NOT_ACTIVE)
    old = elder.region
    data = {
        "from": old.code,
        "from_name": old.full_name,
        "to": region.code,
        "to_name": region.full_name,
        "reason": reason,
    }
    elder_event_record(
        elder=elder,
        kind="moved_out",
        summary=f"迁出至 {region.full_name}",
        actor=actor,
        data=data,
        region_code=old.code,
    )
    elder.region = region
    if address:
        elder.address = address[:200]
    elder.longitude = elder.latitude = None  # the old coordinates describe the old home
    elder.updated_at = timezone.now()
    elder.save(update_fields=["region", "address", "longitude", "latitude", "updated_at"])
    elder_event_record(
        elder=elder,
        kind="moved_in",
        summary=f"自 {old.full_name} 迁入",
        actor=actor,
        data=data,
        region_code=region.code,
    )
    audit.record(
        actor=actor,
        action=audit.Action.UPDATE,
        obj=elder,
        region_code=old.code,
        summary=f"迁移至 {region.code}",
        changes={"region": [old.code, region.code]},
    )
    _changed(elder, timezone.localdate(), "region")
    return elder


@transaction.atomic
def elder_set_status(*, actor, elder: Elder, status: str, on: date, reason: str = "") -> Elder:
    """在册 → 迁出 (left the area) or 死亡 (with the date of death); never a deletion."""
    _check_in_scope(actor, elder)
    if status not in (Status.ACTIVE, Status.MOVED_OUT, Status.DECEASED):
        raise ValidationError({"status": ValidationError("状态无效。", code="invalid_choice")})
    if on > timezone.localdate():
        raise ValidationError({"status_date": ValidationError("日期不能晚于今天。", code="future_date")})
    if on < elder.birth_date:
        raise ValidationError({"status_date": ValidationError("日期不能早于出生日期。", code="before_birth")})
    if elder.status == Status.DECEASED and status != Status.DECEASED:
        raise ValidationError(
            {"status": ValidationError("死亡状态不能改回，如系误录请联系系统管理员。", code="deceased_final")}
        )
    before = elder.status
    elder.status, elder.status_date = status, on
    elder.updated_at = timezone.now()
    elder.save(update_fields=["status", "status_date", "updated_at"])
    if status != Status.ACTIVE:
        # Memberships end with the person's registration here (a death ends them that day); one
        # recorded as starting later ends where it starts.
        still_open = elder.categories.filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))
        still_open.filter(valid_from__lte=on).update(valid_to=on)
        still_open.filter(valid_from__gt=on).update(valid_to=F("valid_from"))
    label = Status(status).label
    elder_event_record(
        elder=elder,
        kind=ElderEvent.Kind.STATUS,
        summary=f"状态：{Status(before).label} → {label}（{on}）",
        actor=actor,
        data={"from": before, "to": status, "on": str(on), "reason": reason},
    )
    audit.record(
        actor=actor,
        action=audit.Action.UPDATE,
        obj=elder,
        summary=f"状态变更为{label}",
        changes={"status": [before, status]},
    )
    _changed(elder, on, "status")
    return elder


# --- categories ---------------------------------------------------------------------------------


def _membership_create(elder, category, valid_from, *, valid_to=None, grade="", source="", actor=None):
    membership = CategoryMembership(
        elder=elder,
        category=category,
        valid_from=valid_from,
        valid_to=valid_to,
        grade=grade,
        source_document=source[:200],
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    membership.full_clean(exclude=["created_by"])
    membership.save()
    return membership


def _overlaps(elder, category, valid_from, valid_to, exclude_pk=None):
    overlapping = elder.categories.filter(category=category).exclude(pk=exclude_pk)
    overlapping = overlapping.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from))
    if valid_to is not None:
        overlapping = overlapping.filter(valid_from__lte=valid_to)
    return overlapping.exists()


@transaction.atomic
def category_add(
    *,
    actor,
    elder: Elder,
    category: str,
    valid_from: date,
    valid_to: date | None = None,
    grade: str = "",
    source_document: str = "",
) -> CategoryMembership:
    _check_in_scope(actor, elder)
    errors = {}
    if category not in Category.values:
        errors["category"] = ValidationError("类别无效。", code="invalid_choice")
    elif category in DERIVED_CATEGORIES:
        errors["category"] = ValidationError(
            f"“{Category(category).label}”由系统根据出生日期、评估或居住情况自动判定，不能手工添加。",
            code=E.DERIVED_CATEGORY,
        )
    elif category == Category.DISABILITY and not grade:
        errors["grade"] = ValidationError("残疾人员请选择残疾等级。", code="required")
    if valid_to is not None and valid_to < valid_from:
        errors["valid_to"] = ValidationError("截止日期不能早于起始日期。", code="dates_order")
    if valid_from < elder.birth_date:
        errors["valid_from"] = ValidationError("起始日期不能早于出生日期。", code="before_birth")
    if not errors and _overlaps(elder, category, valid_from, valid_to):
        errors["valid_from"] = ValidationError("该类别在此期间已有有效记录。", code=E.CATEGORY_OVERLAP)
    if errors:
        raise ValidationError(errors)
    membership = _membership_create(
        elder, category, valid_from, valid_to=valid_to, grade=grade, source=source_document, actor=actor
    )
    summary = f"新增类别：{membership.get_category_display()}（自 {valid_from}{' 至 ' + str(valid_to) if valid_to else ''}）"
    elder_event_record(
        elder=elder,
        kind=ElderEvent.Kind.CATEGORY_ADDED,
        summary=summary,
        actor=actor,
        data={
            "category": category,
            "valid_from": str(valid_from),
            "valid_to": str(valid_to) if valid_to else None,
            "source_document": source_document,
        },
    )
    audit.record(actor=actor, action=audit.Action.CREATE, obj=elder, summary=summary)
    _changed(elder, valid_from, "category")
    return membership


@transaction.atomic
def category_end(
    *, actor, membership: CategoryMembership, valid_to: date, reason: str = ""
) -> CategoryMembership:
    elder = membership.elder
    _check_in_scope(actor, elder)
    if membership.category in DERIVED_CATEGORIES:
        raise ValidationError(
            {"category": ValidationError("自动判定的类别不能手工终止。", code=E.DERIVED_CATEGORY)}
        )
    if valid_to < membership.valid_from:
        raise ValidationError({"valid_to": ValidationError("截止日期不能早于起始日期。", code="dates_order")})
    membership.valid_to = valid_to
    membership.save(update_fields=["valid_to"])
    summary = f"类别终止：{membership.get_category_display()}（至 {valid_to}）"
    elder_event_record(
        elder=elder,
        kind=ElderEvent.Kind.CATEGORY_ENDED,
        summary=summary,
        actor=actor,
        data={"category": membership.category, "valid_to": str(valid_to), "reason": reason},
    )
    audit.record(actor=actor, action=audit.Action.UPDATE, obj=elder, summary=summary)
    _changed(elder, valid_to + timedelta(days=1), "category")  # the first day without it
    return membership


@transaction.atomic
def category_sync(*, elder: Elder, category: str, active: bool, on: date, source: str, actor=None) -> bool:
    """Make a derived category follow its source (an assessment level, the living situation):
    open a membership from ``on`` when it becomes true, end it the day before when it stops."""
    current = (
        elder.categories.filter(category=category, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .first()
    )
    if active and current is None:
        _membership_create(elder, category, on, source=source, actor=actor)
        elder_event_record(
            elder=elder,
            kind=ElderEvent.Kind.CATEGORY_ADDED,
            actor=actor,
            source=source,
            summary=f"类别：{Category(category).label}（自 {on}，依据：{source}）",
            data={"category": category},
        )
        return True
    if not active and current is not None:
        end = max(on - timedelta(days=1), current.valid_from)
        current.valid_to = end
        current.save(update_fields=["valid_to"])
        elder_event_record(
            elder=elder,
            kind=ElderEvent.Kind.CATEGORY_ENDED,
            actor=actor,
            source=source,
            summary=f"类别终止：{Category(category).label}（至 {end}，依据：{source}）",
            data={"category": category},
        )
        return True
    return False


def _sync_living_category(elder: Elder, *, actor, on: date) -> None:
    alone = elder.living_situation in (LivingSituation.ALONE, LivingSituation.EMPTY_NEST)
    category_sync(
        elder=elder,
        category=Category.ALONE_OR_EMPTY_NEST,
        active=alone,
        on=on,
        source="居住情况",
        actor=actor,
    )


# --- privacy ------------------------------------------------------------------------------------

REVEALABLE = {"id_number": "身份证号", "phone": "联系电话", "phone_alt": "备用电话"}


def elder_reveal(*, actor, elder: Elder, field: str, contact: ElderContact | None = None) -> str:
    """The clear value of one masked field, for a role allowed to see it. Every reveal is audited."""
    _check_in_scope(actor, elder)
    if not actor.can(Cap.ELDERS_REVEAL):
        raise PermissionDenied("您的角色不能查看完整的身份证号和电话。")
    if contact is not None:
        if contact.elder_id != elder.pk:
            raise PermissionDenied("联系人不属于该老年人。")
        value, label = privacy.open_phone(contact.phone_enc), f"联系人 {contact.name} 的电话"
    elif field == "id_number":
        value, label = privacy.open_id_number(elder.id_number_enc), REVEALABLE[field]
    elif field in ("phone", "phone_alt"):
        value, label = privacy.open_phone(getattr(elder, f"{field}_enc")), REVEALABLE[field]
    else:
        raise ValidationError({"field": ValidationError("只能查看身份证号或电话。", code="invalid_choice")})
    audit.record(actor=actor, action=audit.Action.REVEAL, obj=elder, summary=f"查看完整{label}")
    return value


# --- duplicates ---------------------------------------------------------------------------------


@transaction.atomic
def duplicate_merge(*, actor, flag: DuplicateFlag, keep: Elder) -> Elder:
    """Keep one record; the other becomes 已合并 and points at it. Contacts and memberships the kept
    record lacks are copied over; both histories stay, shown together on the kept record."""
    if flag.state != DuplicateFlag.State.OPEN:
        raise ValidationError("该疑似重复已处理。", code=E.MERGE_INVALID)
    if keep.pk not in (flag.elder_id, flag.other_id):
        raise ValidationError("只能保留这两条档案之一。", code=E.MERGE_INVALID)
    drop = flag.other if keep.pk == flag.elder_id else flag.elder
    for record in (keep, drop):
        _check_in_scope(actor, record)
    kept_phones = set(keep.contacts.values_list("phone_index", flat=True))
    for contact in drop.contacts.all():
        if contact.phone_index not in kept_phones:
            ElderContact.objects.create(
                elder=keep,
                kind=contact.kind,
                name=contact.name,
                relation=contact.relation,
                phone_enc=contact.phone_enc,
                phone_index=contact.phone_index,
                phone_masked=contact.phone_masked,
                position=99,
            )
    for membership in drop.categories.all():
        if membership.category not in DERIVED_CATEGORIES and not _overlaps(
            keep, membership.category, membership.valid_from, membership.valid_to
        ):
            _membership_create(
                keep,
                membership.category,
                membership.valid_from,
                valid_to=membership.valid_to,
                grade=membership.grade,
                source=f"合并自档案 {drop.pk}：{membership.source_document}",
                actor=actor,
            )
    drop.status, drop.status_date, drop.merged_into = Status.MERGED, timezone.localdate(), keep
    drop.save(update_fields=["status", "status_date", "merged_into"])
    flag.state, flag.resolved_at, flag.resolved_by = DuplicateFlag.State.MERGED, timezone.now(), actor
    flag.save(update_fields=["state", "resolved_at", "resolved_by"])
    DuplicateFlag.objects.filter(state=DuplicateFlag.State.OPEN).filter(Q(elder=drop) | Q(other=drop)).update(
        state=DuplicateFlag.State.MERGED, resolved_at=timezone.now(), resolved_by=actor
    )
    elder_event_record(
        elder=keep,
        kind=ElderEvent.Kind.MERGED,
        actor=actor,
        summary=f"合并档案 {drop.pk}（{drop.id_number_masked}）到本档案",
        data={"merged": drop.pk},
    )
    elder_event_record(
        elder=drop,
        kind=ElderEvent.Kind.MERGED,
        actor=actor,
        summary=f"已合并到档案 {keep.pk}",
        data={"into": keep.pk},
    )
    audit.record(actor=actor, action=audit.Action.UPDATE, obj=drop, summary=f"合并到档案 {keep.pk}")
    return keep


@transaction.atomic
def duplicate_dismiss(*, actor, flag: DuplicateFlag, reason: str) -> DuplicateFlag:
    for record in (flag.elder, flag.other):
        _check_in_scope(actor, record)
    if flag.state != DuplicateFlag.State.OPEN:
        raise ValidationError("该疑似重复已处理。", code=E.MERGE_INVALID)
    flag.state, flag.resolved_at, flag.resolved_by = DuplicateFlag.State.DISMISSED, timezone.now(), actor
    flag.save(update_fields=["state", "resolved_at", "resolved_by"])
    audit.record(
        actor=actor,
        action=audit.Action.UPDATE,
        obj=flag.elder,
        summary=f"核实与档案 {flag.other_id} 不是同一人：{reason}"[:500],
    )
    return flag


# --- capability (written by the assessments domain) ---------------------------------------------

CAPABILITY_LEVEL_NAMES = [
    "能力完好",
    "能力轻度受损（轻度失能）",
    "能力中度受损（中度失能）",
    "能力重度受损（重度失能）",
    "能力完全丧失（完全失能）",
]
# Which levels make a person 失能 or 半失能 in the registry's categories: the moderate level is
# 半失能, the severe and total ones 失能 (GB/T 42195 levels 2, 3–4).
DISABILITY_BY_LEVEL = {2: Category.SEMI_DISABLED, 3: Category.DISABLED_CARE, 4: Category.DISABLED_CARE}


@transaction.atomic
def capability_record(*, elder: Elder, level: int, on: date, reference: str, actor=None) -> Elder:
    """An approved assessment's final level becomes the person's level from ``on``; the 失能/半失能
    category follows it, and the history says where it came from."""
    if level not in range(5):
        raise ValueError(f"capability level {level!r} is not 0–4")
    before = elder.capability_level
    elder.capability_level, elder.capability_assessed_on = level, on
    elder.save(update_fields=["capability_level", "capability_assessed_on"])
    wanted = DISABILITY_BY_LEVEL.get(level)
    for category in (Category.DISABLED_CARE, Category.SEMI_DISABLED):
        category_sync(
            elder=elder,
            category=category,
            active=category == wanted,
            on=on,
            source=f"能力评估 {reference}",
            actor=actor,
        )
    was = CAPABILITY_LEVEL_NAMES[before] if before is not None else "未评估"
    elder_event_record(
        elder=elder,
        kind="capability",
        source="assessments",
        actor=actor,
        summary=f"能力等级：{was} → {CAPABILITY_LEVEL_NAMES[level]}（评估 {reference}，{on}）",
        data={"from": before, "to": level, "assessment": reference},
    )
    _changed(elder, on, "capability")
    return elder
