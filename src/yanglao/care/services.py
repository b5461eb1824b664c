"""Every write to the catalogue, providers and caregivers, and the history and audit each leaves.

Work-order transitions, dispatch and settlement are not here yet (they build on the same models).
"""

from datetime import date, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from yanglao.accounts.roles import Cap, Role
from yanglao.care import privacy
from yanglao.care.errors import CareErrorCode as E
from yanglao.care.models import (
    Caregiver,
    CaregiverCertificate,
    Provider,
    ProviderCoverage,
    ProviderEvent,
    ServiceItem,
    ServicePrice,
    ServiceProduct,
)
from yanglao.care.selectors import county_scope
from yanglao.care.validation import (
    CaregiverInput,
    CertificateInput,
    PriceInput,
    ProductInput,
    ProviderInput,
    format_fen,
)
from yanglao.core import audit
from yanglao.facilities.models import Operator
from yanglao.regions.models import Region


def _err(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def _officer_over(actor, code: str, *, what: str) -> None:
    """The actor is an officer (care.edit, not a provider's staff) whose scope holds ``code``."""
    if actor is None:
        return
    if not actor.can(Cap.CARE_EDIT) or actor.scope.operator_id:
        raise PermissionDenied(f"您没有{what}的权限。")
    if not actor.scope.contains(code):
        raise PermissionDenied(f"{what}超出您的管辖范围。")


def _audit(actor, action, obj, summary, *, region_code: str, changes=None) -> None:
    audit.record(
        actor=actor, action=action, obj=obj, summary=summary, region_code=region_code, changes=changes
    )


# --- catalogue -------------------------------------------------------------------------------------


@transaction.atomic
def product_create(*, actor, data: ProductInput) -> ServiceProduct:
    """A region's own 个性服务 product (001 §4.3) under one of the 20 items."""
    _officer_over(actor, data.region.code, what="新增个性服务")
    short = data.region.prefix
    taken = ServiceProduct.objects.filter(code__startswith=f"{data.item.code}.{short}.").count()
    product = ServiceProduct(
        code=f"{data.item.code}.{short}.{taken + 1:02d}",
        name=data.name,
        item=data.item,
        unit=data.unit,
        standard_minutes=data.standard_minutes,
        needs_certificate=data.needs_certificate,
        min_certificate_level=data.min_certificate_level,
        description=data.description,
        region=data.region,
        region_prefix=data.region.prefix,
        position=1000 + taken,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    product.full_clean()
    product.save()
    _audit(
        actor,
        audit.Action.CREATE,
        product,
        f"新增个性服务 {product.code} {product.name}（{data.region.name}）",
        region_code=data.region.code,
    )
    return product


@transaction.atomic
def price_set(
    *, actor, product: ServiceProduct, data: PriceInput, provider: Provider | None = None
) -> ServicePrice:
    """A price for ``product`` in ``data.region`` from ``valid_from`` (to ``valid_to``, or open).

    A new price starting after the current open-ended price of the same region (and provider)
    ends that one the day before; any other overlap with an existing period is refused.
    """
    region = data.region
    if provider is not None:
        _officer_over(actor, provider.county_id, what="设定服务商合同价")
        if not region.prefix.startswith(provider.county.prefix):
            raise _err("region", "合同价的适用区划须在服务商签约旗县内。", E.PRICE_REGION_OUTSIDE_PROVIDER)
    else:
        _officer_over(actor, region.code, what="设定价格")
    if product.region_id and not region.prefix.startswith(product.region_prefix):
        raise _err(
            "region",
            f"“{product.name}”是{product.region.name}的个性服务，不适用于此区划。",
            E.PRODUCT_NOT_OFFERED,
        )
    same = ServicePrice.objects.select_for_update().filter(
        product=product, region_prefix=region.prefix, provider=provider
    )
    ended = None
    for row in same:
        if row.valid_to is None and data.valid_to is None and row.valid_from < data.valid_from:
            ended = row  # the current open price ends where the new one starts
            continue
        row_end, new_end = row.valid_to or date.max, data.valid_to or date.max
        if row.valid_from <= new_end and data.valid_from <= row_end:
            until = f"{row.valid_to:%Y-%m-%d}" if row.valid_to else "长期"
            raise _err(
                "valid_from",
                f"与已有价格（{row.valid_from:%Y-%m-%d} 至 {until}，{format_fen(row.price_fen)} 元）的有效期重叠。",
                E.PRICE_OVERLAP,
            )
    if ended is not None:
        ended.valid_to = data.valid_from - timedelta(days=1)
        ended.save(update_fields=["valid_to"])
    price = ServicePrice(
        product=product,
        region=region,
        region_prefix=region.prefix,
        provider=provider,
        valid_from=data.valid_from,
        valid_to=data.valid_to,
        price_fen=data.price_fen,
        note=data.note,
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    price.full_clean()
    price.save()
    whose = f"服务商 {provider.name} 合同价" if provider else "价格"
    until = f"{data.valid_to:%Y-%m-%d}" if data.valid_to else "长期"
    summary = (
        f"设定{whose}：{product.code} {product.name} 在 {region.name} "
        f"{format_fen(data.price_fen)} 元/{product.get_unit_display()}（{data.valid_from:%Y-%m-%d} 至 {until}）"
    )
    if ended is not None:
        summary += f"；原价格截止于 {ended.valid_to:%Y-%m-%d}"
    _audit(actor, audit.Action.CREATE, price, summary, region_code=region.code)
    if provider is not None:
        provider_event_record(provider=provider, kind="price", summary=summary, actor=actor)
    return price


# --- providers -------------------------------------------------------------------------------------

PROVIDER_FIELDS = {
    "county_id": "签约旗县",
    "contract_number": "合同编号",
    "contract_start": "合同起始",
    "contract_end": "合同截止",
    "status": "状态",
    "contact_name": "联系人",
    "contact_phone": "联系电话",
    "note": "备注",
}


def _provider_snapshot(provider: Provider) -> dict:
    return {
        name: None if getattr(provider, name) is None else str(getattr(provider, name))
        for name in PROVIDER_FIELDS
    }


def provider_event_record(
    *, provider: Provider, kind: str, summary: str, actor=None, changes=None
) -> ProviderEvent:
    return ProviderEvent.objects.create(
        provider=provider,
        kind=kind,
        summary=summary[:300],
        changes=changes or {},
        actor=actor if getattr(actor, "is_authenticated", False) else None,
    )


def _check_unique(provider: Provider) -> None:
    others = Provider.objects.exclude(pk=provider.pk)
    if others.filter(operator_id=provider.operator_id, county_id=provider.county_id).exists():
        raise _err("operator", "该运营主体已与此旗县签约，请修改原合同。", E.PROVIDER_EXISTS)
    if others.filter(county_id=provider.county_id, contract_number=provider.contract_number).exists():
        raise _err("contract_number", "本旗县已有相同编号的合同。", E.CONTRACT_NUMBER_TAKEN)


def _apply_provider(provider: Provider, data: ProviderInput) -> None:
    provider.county = data.county
    for name in (
        "contract_number",
        "contract_start",
        "contract_end",
        "status",
        "contact_name",
        "contact_phone",
        "note",
    ):
        setattr(provider, name, getattr(data, name))


@transaction.atomic
def provider_create(*, actor, data: ProviderInput) -> Provider:
    _officer_over(actor, data.county.code, what="登记服务商")
    operator = Operator.objects.filter(pk=data.operator_id).first()
    if operator is None:
        raise _err("operator", "运营主体不存在，请先在“运营主体”中登记。", E.OPERATOR_UNKNOWN)
    provider = Provider(
        operator=operator, created_by=actor if getattr(actor, "is_authenticated", False) else None
    )
    _apply_provider(provider, data)
    _check_unique(provider)
    provider.full_clean()
    provider.save()
    summary = f"登记服务商 {operator.name}（{data.county.name}，合同 {data.contract_number}）"
    provider_event_record(provider=provider, kind="created", summary=summary, actor=actor)
    _audit(
        actor,
        audit.Action.CREATE,
        provider,
        summary,
        region_code=provider.county_id,
        changes=audit.diff({}, _provider_snapshot(provider)),
    )
    return provider


@transaction.atomic
def provider_update(*, actor, provider: Provider, data: ProviderInput) -> Provider:
    _officer_over(actor, provider.county_id, what="修改服务商")
    _officer_over(actor, data.county.code, what="修改服务商")
    if data.county.code != provider.county_id and (
        provider.caregivers.exists() or provider.coverage.exists()
    ):
        raise _err("county", "已有护理员或覆盖范围的服务商不能改签约旗县，请另行登记。", E.COUNTY_LOCKED)
    before = _provider_snapshot(provider)
    _apply_provider(provider, data)
    _check_unique(provider)
    provider.updated_at = timezone.now()
    provider.full_clean()
    provider.save()
    changes = audit.diff(before, _provider_snapshot(provider))
    if changes:
        summary = "修改：" + "、".join(PROVIDER_FIELDS.get(k, k) for k in changes)
        provider_event_record(
            provider=provider, kind="updated", summary=summary, actor=actor, changes=changes
        )
        _audit(actor, audit.Action.UPDATE, provider, summary, region_code=provider.county_id, changes=changes)
    return provider


@transaction.atomic
def coverage_set(*, actor, provider: Provider, items: list[ServiceItem], regions: list[Region]) -> int:
    """Replace the provider's coverage with every item × every region given (township or the county)."""
    _officer_over(actor, provider.county_id, what="修改服务商覆盖范围")
    problems = {}
    county_prefix = provider.county.prefix
    for region in regions:
        if not region.prefix.startswith(county_prefix):
            problems["regions"] = ValidationError(
                f"“{region.name}”不在签约旗县内，覆盖区域须在 {provider.county.name} 内。",
                code=E.COVERAGE_OUTSIDE_COUNTY,
            )
    if items and not regions:
        problems["regions"] = ValidationError("请选择覆盖的苏木乡镇（或全旗县）。", code="required")
    if regions and not items:
        problems["items"] = ValidationError("请选择覆盖的服务项目。", code="required")
    if problems:
        raise ValidationError(problems)
    before = sorted(f"{c.item.code}@{c.region_prefix}" for c in provider.coverage.select_related("item"))
    provider.coverage.all().delete()
    ProviderCoverage.objects.bulk_create(
        [
            ProviderCoverage(provider=provider, item=item, region=region, region_prefix=region.prefix)
            for item in items
            for region in regions
        ]
    )
    after = sorted(f"{i.code}@{r.prefix}" for i in items for r in regions)
    if before != after:
        summary = f"覆盖范围：{len(items)} 个服务项目 × {len(regions)} 个区域（{'、'.join(r.name for r in regions[:6])}）"
        changes = {"coverage": [len(before), len(after)]}
        provider_event_record(
            provider=provider, kind="coverage", summary=summary, actor=actor, changes=changes
        )
        _audit(actor, audit.Action.UPDATE, provider, summary, region_code=provider.county_id, changes=changes)
    return len(after)


# --- caregivers ------------------------------------------------------------------------------------


def check_caregiver_editor(actor, provider: Provider) -> None:
    """Officers (care.edit) over the provider's county, or the provider's own staff (care.dispatch)."""
    if actor is None:
        return
    scope = actor.scope
    if scope.operator_id:
        if (
            actor.can(Cap.CARE_DISPATCH)
            and scope.operator_id == provider.operator_id
            and county_scope(scope).contains(provider.county_id)
        ):
            return
        raise PermissionDenied("只能维护本服务商的护理员。")
    if actor.can(Cap.CARE_EDIT) and scope.contains(provider.county_id):
        return
    raise PermissionDenied("您没有维护该服务商护理员的权限。")


def _provider_for(actor, provider_id: int) -> Provider:
    from yanglao.care.selectors import provider_scoped

    scope = actor.scope if actor is not None else None
    providers = provider_scoped(scope) if scope is not None else Provider.objects.all()
    provider = providers.select_related("county", "operator").filter(pk=provider_id).first()
    if provider is None:
        raise _err("provider", "请选择您管辖范围内的服务商。", E.NOT_YOUR_PROVIDER)
    check_caregiver_editor(actor, provider)
    return provider


CAREGIVER_FIELDS = {
    "provider_id": "服务商",
    "name": "姓名",
    "gender": "性别",
    "phone": "联系电话",
    "id_number": "身份证号",
    "home_region_id": "居住地",
    "longitude": "经度",
    "latitude": "纬度",
    "skills": "技能",
    "status": "状态",
    "joined_on": "入职日期",
    "left_on": "离职日期",
}
PERSONAL = {"phone": "phone", "id_number": "id_number"}


def _caregiver_snapshot(caregiver: Caregiver, skills: list[str]) -> dict:
    values = {
        name: None if getattr(caregiver, name) is None else str(getattr(caregiver, name))
        for name in (
            "provider_id",
            "name",
            "gender",
            "home_region_id",
            "longitude",
            "latitude",
            "status",
            "joined_on",
            "left_on",
        )
    }
    # Personal values enter the snapshot only as their blind index (a change shows, the value never).
    values["phone"] = caregiver.phone_index[:12]
    values["id_number"] = caregiver.id_number_index[:12]
    values["skills"] = ",".join(sorted(skills))
    return values


def _apply_caregiver(caregiver: Caregiver, data: CaregiverInput, provider: Provider) -> None:
    caregiver.provider = provider
    for name in ("name", "gender", "longitude", "latitude", "status", "joined_on", "left_on"):
        setattr(caregiver, name, getattr(data, name))
    caregiver.home_region = data.home_region
    if data.phone is not None and caregiver.phone_index != privacy.phone_index(data.phone):
        phone = privacy.seal_phone(data.phone)
        caregiver.phone_enc, caregiver.phone_index, caregiver.phone_masked = (
            phone.enc,
            phone.index,
            phone.masked,
        )
    if data.id_number is not None:
        wanted = privacy.id_index(data.id_number) if data.id_number else ""
        if caregiver.id_number_index != wanted:
            sealed = privacy.seal_id_number(data.id_number)
            caregiver.id_number_enc, caregiver.id_number_index = sealed.enc, sealed.index
            caregiver.id_number_masked = sealed.masked


def _check_caregiver_unique(caregiver: Caregiver) -> None:
    others = Caregiver.objects.exclude(pk=caregiver.pk)
    if caregiver.id_number_index and others.filter(id_number_index=caregiver.id_number_index).exists():
        raise _err("id_number", "该身份证号已登记为其他护理员。", E.ID_TAKEN)
    if (
        caregiver.phone_index
        and others.filter(phone_index=caregiver.phone_index, status=Caregiver.Status.ACTIVE).exists()
    ):
        raise _err("phone", "该手机号已登记为其他在岗护理员。", E.PHONE_TAKEN)


@transaction.atomic
def caregiver_create(*, actor, data: CaregiverInput) -> Caregiver:
    provider = _provider_for(actor, data.provider_id)
    caregiver = Caregiver()
    _apply_caregiver(caregiver, data, provider)
    _check_caregiver_unique(caregiver)
    caregiver.full_clean(exclude=["skills"])
    caregiver.save()
    caregiver.skills.set(data.skills)
    _audit(
        actor,
        audit.Action.CREATE,
        caregiver,
        f"登记护理员 {caregiver.name}（{provider.name}）",
        region_code=caregiver.home_region_id,
        changes=audit.diff({}, _caregiver_snapshot(caregiver, [p.code for p in data.skills])),
    )
    provider_event_record(
        provider=provider, kind="caregiver_added", summary=f"新增护理员 {caregiver.name}", actor=actor
    )
    return caregiver


@transaction.atomic
def caregiver_update(*, actor, caregiver: Caregiver, data: CaregiverInput) -> Caregiver:
    check_caregiver_editor(actor, caregiver.provider)
    provider = (
        _provider_for(actor, data.provider_id)
        if data.provider_id != caregiver.provider_id
        else caregiver.provider
    )
    before = _caregiver_snapshot(caregiver, list(caregiver.skills.values_list("code", flat=True)))
    _apply_caregiver(caregiver, data, provider)
    _check_caregiver_unique(caregiver)
    caregiver.updated_at = timezone.now()
    caregiver.full_clean(exclude=["skills"])
    caregiver.save()
    caregiver.skills.set(data.skills)
    changes = audit.diff(before, _caregiver_snapshot(caregiver, [p.code for p in data.skills]))
    for name in PERSONAL:  # say that it changed, never what it was
        if name in changes:
            changes[name] = ["（已修改）", "（已修改）"]
    if changes:
        summary = f"修改护理员 {caregiver.name}：" + "、".join(CAREGIVER_FIELDS.get(k, k) for k in changes)
        _audit(
            actor,
            audit.Action.UPDATE,
            caregiver,
            summary,
            region_code=caregiver.home_region_id,
            changes=changes,
        )
    return caregiver


@transaction.atomic
def caregiver_link_user(*, actor, caregiver: Caregiver, user) -> Caregiver:
    """Give the caregiver its own login (an account of role 护理员)."""
    check_caregiver_editor(actor, caregiver.provider)
    if user.role != Role.CAREGIVER:
        raise _err("user", "只能关联“护理员”角色的账号。", E.USER_NOT_CAREGIVER)
    if Caregiver.objects.filter(user=user).exclude(pk=caregiver.pk).exists():
        raise _err("user", "该账号已关联其他护理员。", E.USER_LINKED)
    caregiver.user = user
    caregiver.save(update_fields=["user"])
    _audit(
        actor,
        audit.Action.UPDATE,
        caregiver,
        f"护理员 {caregiver.name} 关联登录账号 {user.username}",
        region_code=caregiver.home_region_id,
    )
    return caregiver


@transaction.atomic
def certificate_add(*, actor, caregiver: Caregiver, data: CertificateInput) -> CaregiverCertificate:
    check_caregiver_editor(actor, caregiver.provider)
    if caregiver.certificates.filter(kind=data.kind, number=data.number).exists():
        raise _err("number", "该护理员已登记此编号的证书。", E.CERTIFICATE_EXISTS)
    certificate = CaregiverCertificate(
        caregiver=caregiver,
        kind=data.kind,
        level=data.level,
        number=data.number,
        issued_on=data.issued_on,
        expires_on=data.expires_on,
        issuer=data.issuer,
    )
    certificate.full_clean()
    certificate.save()
    until = f"{data.expires_on:%Y-%m-%d}" if data.expires_on else "长期"
    _audit(
        actor,
        audit.Action.CREATE,
        certificate,
        f"护理员 {caregiver.name} 登记证书 {certificate.get_kind_display()}"
        f"{('（' + certificate.get_level_display() + '）') if certificate.level else ''}，有效期至 {until}",
        region_code=caregiver.home_region_id,
    )
    return certificate


@transaction.atomic
def certificate_remove(*, actor, certificate: CaregiverCertificate) -> None:
    caregiver = certificate.caregiver
    check_caregiver_editor(actor, caregiver.provider)
    summary = f"护理员 {caregiver.name} 删除证书 {certificate.get_kind_display()} {certificate.number}"
    _audit(actor, audit.Action.DELETE, certificate, summary, region_code=caregiver.home_region_id)
    certificate.delete()
