"""Reading the care domain inside the reader's scope.

Who sees what:
* The catalogue (categories, items, national products) is reference data. A region's 个性服务
  products and its prices are seen by users whose scope lies under that region (they apply to
  them) or above it (they oversee it) — never by a neighbouring county.
* Providers are county contracts: a user sees the providers of the counties in its scope; a
  township (or village) user sees the providers of its own county, which serve its township.
  A provider's staff (``scope.operator_id``) see only their own operator's contracts.
* Caregivers, coverage and contracted prices are seen through their provider.
"""

import contextlib
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from yanglao.accounts.roles import Cap
from yanglao.care.models import (
    Caregiver,
    CaregiverCertificate,
    CaregiverStatus,
    CertificateKind,
    Provider,
    ProviderCoverage,
    ProviderEvent,
    ProviderStatus,
    ServiceCategory,
    ServiceItem,
    ServicePrice,
    ServiceProduct,
)
from yanglao.care.privacy import phone_index
from yanglao.core.phones import PhoneError, parse_phone
from yanglao.regions.codes import next_prefix
from yanglao.regions.models import Region
from yanglao.regions.scope import Scope

EXPIRY_WARNING_DAYS = 30
COUNTY_DIGITS = 6


def _require(actor, capability=Cap.CARE_VIEW) -> None:
    if not actor.can(capability):
        raise PermissionDenied("您没有查看居家社区养老服务的权限。")


def ancestor_prefixes(prefix: str) -> list[str]:
    """The region prefixes a 2/4/6/9/12-digit prefix lies under, itself included."""
    return [prefix[:n] for n in (2, 4, 6, 9, 12) if n <= len(prefix)]


def county_scope(scope: Scope) -> Scope:
    """The scope providers are seen through: a user below a county sees its county's providers."""
    if scope.is_empty or len(scope.prefix) <= COUNTY_DIGITS:
        return scope
    return Scope(prefix=scope.prefix[:COUNTY_DIGITS], operator_id=scope.operator_id)


def _prefix_visible_q(scope: Scope, column: str) -> Q:
    """A prefix column (region_prefix) seen by ``scope``: prefixes under it or above it."""
    if scope.is_empty:
        return Q(pk__in=[])
    return scope.q(column) | Q(**{f"{column}__in": ancestor_prefixes(scope.prefix)})


# --- the catalogue -------------------------------------------------------------------------------


def products_offered_q(prefix: str) -> Q:
    """Products offered to someone living under ``prefix``: national ones and the 个性服务 of the
    regions above it."""
    return Q(region__isnull=True) | Q(region_prefix__in=ancestor_prefixes(prefix))


def product_list(*, actor, include_inactive: bool = False) -> QuerySet[ServiceProduct]:
    """The products the actor may see: national, and regional ones under or above its scope."""
    _require(actor)
    scope = actor.scope
    products = ServiceProduct.objects.filter(
        Q(region__isnull=True) | _prefix_visible_q(scope, "region_prefix")
    )
    if not include_inactive:
        products = products.filter(is_active=True)
    return products.select_related("item__category", "region")


def product_get(*, actor, pk: int) -> ServiceProduct:
    product = product_list(actor=actor, include_inactive=True).filter(pk=pk).first()
    if product is None:
        raise Http404("服务产品不存在")
    return product


def item_list() -> QuerySet[ServiceItem]:
    """The 20 items (reference data, no scope)."""
    return ServiceItem.objects.select_related("category").order_by("code")


def prices_on(
    *, products, prefix: str, on: date, provider: Provider | None = None
) -> dict[int, ServicePrice]:
    """The price in force on ``on`` for someone living under ``prefix``, per product id, in one query.

    Rows valid on the date whose region prefix lies above (or is) ``prefix`` compete; a row of
    ``provider`` (its contracted price) beats every public row; then the most specific region;
    then the latest ``valid_from``.
    """
    ids = [p.pk if hasattr(p, "pk") else p for p in products]
    rows = (
        ServicePrice.objects.filter(
            product_id__in=ids,
            region_prefix__in=ancestor_prefixes(prefix),
            valid_from__lte=on,
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=on))
        .select_related("region")
    )
    rows = (
        rows.filter(Q(provider__isnull=True) | Q(provider=provider))
        if provider
        else rows.filter(provider__isnull=True)
    )
    best: dict[int, ServicePrice] = {}
    for row in rows:
        rank = (row.provider_id is not None, len(row.region_prefix), row.valid_from)
        current = best.get(row.product_id)
        if current is None or rank > (
            current.provider_id is not None,
            len(current.region_prefix),
            current.valid_from,
        ):
            best[row.product_id] = row
    return best


def price_for(
    *, product: ServiceProduct, region_code: str, on: date, provider: Provider | None = None
) -> ServicePrice | None:
    """The one price rule: what one unit of ``product`` costs on ``on`` for an elder living at
    ``region_code`` (12 digits, or any region prefix), served by ``provider``. None if unpriced."""
    return prices_on(products=[product], prefix=region_code, on=on, provider=provider).get(product.pk)


@dataclass
class CatalogueItem:
    item: ServiceItem
    products: list  # (product, ServicePrice | None)


@dataclass
class CatalogueCategory:
    category: ServiceCategory
    items: list[CatalogueItem]


def catalogue_tree(*, actor, region: Region, on: date | None = None) -> list[CatalogueCategory]:
    """Categories → items → products offered in ``region`` with the public price valid on ``on``.

    ``region`` must be one the actor may see (``regions.selectors.region_get``)."""
    _require(actor)
    on = on or timezone.localdate()
    products = list(
        ServiceProduct.objects.filter(products_offered_q(region.prefix), is_active=True)
        .select_related("region")
        .order_by("item__code", "region_prefix", "position", "code")
    )
    prices = prices_on(products=products, prefix=region.prefix, on=on)
    by_item: dict[int, list] = {}
    for product in products:
        by_item.setdefault(product.item_id, []).append((product, prices.get(product.pk)))
    tree: dict[int, CatalogueCategory] = {}
    for item in item_list():
        node = tree.setdefault(item.category_id, CatalogueCategory(item.category, []))
        node.items.append(CatalogueItem(item, by_item.get(item.pk, [])))
    return list(tree.values())


def price_list(*, actor, product: ServiceProduct) -> QuerySet[ServicePrice]:
    """The product's price rows the actor may see: public rows above or under its scope, and the
    contracted rows of providers it may see."""
    _require(actor)
    scope = actor.scope
    public = Q(provider__isnull=True) & _prefix_visible_q(scope, "region_prefix")
    contracted = Q(provider__in=provider_scoped(scope).values("pk"))
    return (
        ServicePrice.objects.filter(product=product)
        .filter(public | contracted)
        .select_related("region", "provider__operator", "created_by")
        .order_by("provider_id", "region_prefix", "-valid_from")
    )


# --- providers -----------------------------------------------------------------------------------


def provider_scoped(scope: Scope) -> QuerySet[Provider]:
    seen = county_scope(scope)
    providers = seen.apply(Provider.objects.all(), "county__code")
    if scope.operator_id:
        providers = providers.filter(operator_id=scope.operator_id)
    return providers


@dataclass
class ProviderFilters:
    q: str = ""
    county: str = ""
    status: str = ""


def provider_list(*, actor, filters: ProviderFilters | None = None) -> QuerySet[Provider]:
    _require(actor)
    filters = filters or ProviderFilters()
    providers = provider_scoped(actor.scope)
    if filters.county:
        providers = providers.filter(county__code__startswith=filters.county[:COUNTY_DIGITS])
    if filters.status:
        providers = providers.filter(status=filters.status)
    text = filters.q.strip()
    if text:
        providers = providers.filter(
            Q(operator__name__contains=text) | Q(contract_number=text) | Q(operator__credit_code=text.upper())
        )
    return (
        providers.select_related("operator", "county")
        .annotate(
            caregiver_count=Count(
                "caregivers", filter=Q(caregivers__status=CaregiverStatus.ACTIVE), distinct=True
            )
        )
        .order_by("county_id", "operator__name", "pk")
    )


def provider_get(*, actor, pk: int) -> Provider:
    _require(actor)
    provider = provider_scoped(actor.scope).select_related("operator", "county").filter(pk=pk).first()
    if provider is None:
        raise Http404("服务商不存在")
    return provider


def provider_coverage(*, provider: Provider) -> QuerySet[ProviderCoverage]:
    return provider.coverage.select_related("item__category", "region").order_by(
        "item__code", "region_prefix"
    )


def provider_prices(*, provider: Provider) -> QuerySet[ServicePrice]:
    return provider.prices.select_related("product", "region").order_by("product__code", "-valid_from")


def provider_events(*, provider: Provider) -> QuerySet[ProviderEvent]:
    return ProviderEvent.objects.filter(provider=provider).select_related("actor").order_by("-at", "-pk")


def provider_facilities(*, actor, provider: Provider):
    """The facilities the provider's operator runs, as far as the reader may see them."""
    from yanglao.facilities.selectors import scoped

    return scoped(county_scope(actor.scope)).filter(operator_id=provider.operator_id).select_related("region")


def provider_choices(*, actor) -> QuerySet[Provider]:
    return (
        provider_scoped(actor.scope)
        .select_related("operator", "county")
        .order_by("county_id", "operator__name")
    )


# --- caregivers ----------------------------------------------------------------------------------


def caregiver_scoped(scope: Scope) -> QuerySet[Caregiver]:
    return Caregiver.objects.filter(provider__in=provider_scoped(scope).values("pk"))


def _valid_on(on: date) -> Q:
    return Q(issued_on__lte=on) & (Q(expires_on__isnull=True) | Q(expires_on__gte=on))


def with_certificate_terms(caregivers: QuerySet[Caregiver], on: date) -> QuerySet[Caregiver]:
    """Annotate each caregiver's 养老护理员 certificate standing on ``on``:
    ``cert_open`` (a valid one without expiry), ``cert_until`` (the latest expiry among valid ones),
    ``cert_level`` (the highest valid level), ``cert_any`` (holds any, valid or not)."""
    certs = CaregiverCertificate.objects.filter(caregiver=OuterRef("pk"), kind=CertificateKind.ELDER_CARE)
    valid = certs.filter(_valid_on(on))
    return caregivers.annotate(
        cert_open=Exists(valid.filter(expires_on__isnull=True)),
        cert_until=Subquery(
            valid.exclude(expires_on__isnull=True).order_by("-expires_on").values("expires_on")[:1]
        ),
        cert_level=Subquery(valid.order_by("-level").values("level")[:1]),
        cert_any=Exists(certs),
    )


CERT_FILTERS = {
    "expiring": f"{EXPIRY_WARNING_DAYS} 天内到期",
    "expired": "已过期",
    "none": "无证书",
    "valid": "证书有效",
}


@dataclass
class CaregiverFilters:
    q: str = ""
    provider: int | None = None
    certificate: str = ""  # a key of CERT_FILTERS
    skill: str = ""  # a product code
    status: str = CaregiverStatus.ACTIVE  # or "left" or "all"


def caregiver_list(
    *, actor, filters: CaregiverFilters | None = None, on: date | None = None
) -> QuerySet[Caregiver]:
    _require(actor)
    filters = filters or CaregiverFilters()
    on = on or timezone.localdate()
    caregivers = with_certificate_terms(caregiver_scoped(actor.scope), on)
    if filters.status in CaregiverStatus.values:
        caregivers = caregivers.filter(status=filters.status)
    if filters.provider:
        caregivers = caregivers.filter(provider_id=filters.provider)
    if filters.skill:
        caregivers = caregivers.filter(skills__code=filters.skill)
    text = filters.q.strip()
    if text:
        condition = Q(name__contains=text)
        with contextlib.suppress(PhoneError):
            condition |= Q(phone_index=phone_index(parse_phone(text)))
        caregivers = caregivers.filter(condition)
    soon = on + timedelta(days=EXPIRY_WARNING_DAYS)
    if filters.certificate == "expiring":
        caregivers = caregivers.filter(cert_open=False, cert_until__isnull=False, cert_until__lte=soon)
    elif filters.certificate == "expired":
        caregivers = caregivers.filter(cert_open=False, cert_until__isnull=True, cert_any=True)
    elif filters.certificate == "none":
        caregivers = caregivers.filter(cert_any=False)
    elif filters.certificate == "valid":
        caregivers = caregivers.filter(Q(cert_open=True) | Q(cert_until__isnull=False))
    return caregivers.select_related("provider__operator", "home_region").order_by(
        "provider_id", "name", "pk"
    )


def caregiver_get(*, actor, pk: int) -> Caregiver:
    _require(actor)
    caregiver = (
        with_certificate_terms(caregiver_scoped(actor.scope), timezone.localdate())
        .select_related("provider__operator", "provider__county", "home_region", "user")
        .prefetch_related(
            Prefetch("skills", queryset=ServiceProduct.objects.select_related("item").order_by("code")),
            Prefetch(
                "certificates",
                queryset=CaregiverCertificate.objects.order_by(
                    "kind", F("expires_on").desc(nulls_first=True)
                ),
            ),
        )
        .filter(pk=pk)
        .first()
    )
    if caregiver is None:
        raise Http404("护理员不存在")
    return caregiver


def certificate_standing(caregiver: Caregiver, on: date) -> tuple[str, str]:
    """(key, label) of an annotated caregiver's certificate standing, for lists and badges."""
    if getattr(caregiver, "cert_open", False):
        return "valid", "长期有效"
    until = getattr(caregiver, "cert_until", None)
    if until is not None:
        if until <= on + timedelta(days=EXPIRY_WARNING_DAYS):
            return "expiring", f"{until:%Y-%m-%d} 到期"
        return "valid", f"有效至 {until:%Y-%m-%d}"
    if getattr(caregiver, "cert_any", False):
        return "expired", "已过期"
    return "none", "无证书"


@dataclass(frozen=True)
class Verdict:
    ok: bool
    code: str  # "ok" or a reason code
    reason: str  # Chinese, for the dispatcher

    def __bool__(self) -> bool:
        return self.ok


def caregiver_can_do(caregiver: Caregiver, product: ServiceProduct, *, on: date) -> Verdict:
    """May ``caregiver`` be dispatched for ``product`` on ``on``? The one place this rule lives.

    * a caregiver who has left may do nothing;
    * the product must be among the caregiver's skills;
    * if the product needs a certificate, the caregiver must hold a 养老护理员 certificate valid on
      that date (issued on or before it, expiring on or after it — the expiry day itself still
      counts), of at least the product's minimum level if it sets one.

    Uses ``caregiver.skills`` and ``caregiver.certificates`` (prefetch them when checking many).
    """
    if caregiver.status != CaregiverStatus.ACTIVE or (
        caregiver.left_on is not None and caregiver.left_on < on
    ):
        return Verdict(False, "caregiver_left", f"{caregiver.name} 已离职。")
    if not any(skill.pk == product.pk for skill in caregiver.skills.all()):
        return Verdict(False, "skill_missing", f"{caregiver.name} 不具备“{product.name}”服务技能。")
    if not product.needs_certificate:
        return Verdict(True, "ok", "")
    certificates = [c for c in caregiver.certificates.all() if c.kind == CertificateKind.ELDER_CARE]
    if not certificates:
        return Verdict(
            False, "certificate_missing", f"“{product.name}”须持养老护理员证书，{caregiver.name} 未登记证书。"
        )
    valid = [c for c in certificates if c.valid_on(on)]
    if not valid:
        latest = max(certificates, key=lambda c: c.expires_on or date.max)
        when = (
            f"已于 {latest.expires_on:%Y-%m-%d} 过期"
            if latest.expires_on and latest.expires_on < on
            else "尚未生效"
        )
        return Verdict(False, "certificate_expired", f"{caregiver.name} 的养老护理员证书{when}。")
    if product.min_certificate_level and max(c.level or 0 for c in valid) < product.min_certificate_level:
        from yanglao.care.models import CertificateLevel

        need = CertificateLevel(product.min_certificate_level).label
        return Verdict(False, "certificate_level_low", f"“{product.name}”须持{need}及以上养老护理员证书。")
    return Verdict(True, "ok", "")


# --- facilities and coverage ---------------------------------------------------------------------


def facility_items(facility) -> list[ServiceItem]:
    """The catalogue items a facility offers (its ``services`` hold item keys such as "care.home",
    or catalogue numbers such as "01.03"), in catalogue order."""
    codes = [str(code) for code in facility.services or []]
    items = ServiceItem.objects.filter(Q(key__in=codes) | Q(code__in=codes)).select_related("category")
    return list(items.order_by("code"))


@dataclass
class CoverageRow:
    township: Region
    reached: dict[str, str]  # item code → "facility" / "provider" / "both"

    @property
    def count(self) -> int:
        return len(self.reached)


def coverage_townships(*, actor, region_code: str = "") -> QuerySet[Region]:
    """The townships (苏木乡镇/街道) in the actor's scope, narrowed to ``region_code`` if given."""
    from yanglao.regions.selectors import scope_narrowed

    _require(actor)
    scope = scope_narrowed(scope=actor.scope, code=region_code)
    if scope.is_empty:
        return Region.objects.none()
    if len(scope.prefix) > 9:  # a village user: its township
        scope = Scope(prefix=scope.prefix[:9])
    return scope.apply(Region.objects.filter(level=Region.Level.TOWNSHIP), "code").order_by("code")


def coverage_rows(*, actor, townships: list[Region], on: date | None = None) -> list[CoverageRow]:
    """Which of the 20 items are reachable in each township (``townships`` in code order): offered by an operating facility in
    the township, or covered by an active provider in contract on ``on`` whose coverage region is
    the township, a region above it (the county) or a village in it."""
    from yanglao.facilities.models import FacilityStatus
    from yanglao.facilities.selectors import scoped

    on = on or timezone.localdate()
    if not townships:
        return []
    key_to_code = dict(ServiceItem.objects.values_list("key", "code"))
    codes = set(key_to_code.values())
    rows = {t.prefix: CoverageRow(t, {}) for t in townships}

    def mark(prefix: str, code: str, how: str) -> None:
        row = rows.get(prefix)
        if row is None or code not in codes:
            return
        before = row.reached.get(code)
        row.reached[code] = how if before in (None, how) else "both"

    prefixes = list(rows)
    upper = next_prefix(prefixes[-1])
    facilities = scoped(actor.scope).filter(status=FacilityStatus.OPERATING, region__code__gte=prefixes[0])
    if upper is not None:
        facilities = facilities.filter(region__code__lt=upper)
    facilities = facilities.values_list("region_id", "services")
    for region_code, services in facilities:
        for service in services or []:
            code = key_to_code.get(service, service)
            mark(region_code[:9], code, "facility")
    providers = provider_scoped(actor.scope).filter(
        status=ProviderStatus.ACTIVE, contract_start__lte=on, contract_end__gte=on
    )
    coverage = ProviderCoverage.objects.filter(provider__in=providers.values("pk")).values_list(
        "region_prefix", "item__code"
    )
    for prefix, code in coverage:
        if len(prefix) >= 9:
            mark(prefix[:9], code, "provider")
        else:
            for township_prefix in prefixes:
                if township_prefix.startswith(prefix):
                    mark(township_prefix, code, "provider")
    return [rows[t.prefix] for t in townships]
