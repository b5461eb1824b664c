"""资金结算: a provider's monthly statement for one county — build (draft), confirm (immutable).

What a statement holds
    Every order of the provider whose ``scheduled_date`` lies in the month and whose state is
    ``reviewed`` (评价完成, not yet settled):

    * anomaly decision "" (none) or ``pay`` → a paid line, priced and split by funding source;
    * anomaly decision ``no_pay`` → a line with zero amounts, listed as excluded with the reason;
    * anomaly decision ``pending`` → no line: listed for decision, and confirmation is refused
      until an officer has decided (pay / no pay) and the draft is rebuilt.

    Orders of the month that are not yet reviewed are not in the statement (they go into it once
    reviewed, before confirmation; after confirmation the month is closed for that provider).

Price (``PriceBook``)
    The unit price valid on the service date for the elder's 12-digit region, exactly the rule of
    ``selectors.prices_on``: the provider's contracted price beats any public price, then the most
    specific region prefix, then the latest ``valid_from``. ``PriceBook`` loads the candidate rows of
    a month once and applies that rule in memory (a test proves it agrees with ``price_for``).
    An order without any price is listed as unpriced and blocks confirmation.
    Amount = unit price × quantity, integer fen.

Funding split (the rule implemented here, in this order, integer fen)
    1. 政府购买服务 (government): the elder's ``home_service`` entitlement grant (003: 特困/低保 高龄,
       ≥ 1 hour a day) valid on the service date gives an allowance of minutes *per day*. Home visit
       services (items 居家照护 01.03, 喘息服务 06.01, 精神慰藉 08.01) use it in service order (date, time
       window, order number): an order whose minutes (hours × 60, or the product's standard
       minutes × quantity) fit entirely in what is left of the day's allowance is paid in full by
       the government; one that does not fit is not covered at all (no partial hours).
    2. 补贴 (subsidy): the elder's ``meal_subsidy`` grant (003: 100 yuan a month) valid on the
       service date gives an allowance of fen *per month*; 助餐 orders (category 02) use it in
       service order, partly if need be (the last meal may be part subsidy, part self-paid).
    3. 自付 (self): the rest. Other services are self-paid.
    With several grants of one kind on a day the largest counts (they are not added up).
    An allowance is shared by every provider serving the elder: what lines of *confirmed*
    statements already used is taken off first. Confirmation recomputes the statement and refuses
    if anything differs from the draft (a new reviewed order, a changed decision, a price edited,
    an allowance used meanwhile by another provider's confirmed statement): rebuild and check it.
    ``government + subsidy + self == amount`` on every line; the statement's totals are the sums of
    its lines (the database checks both, a hypothesis test proves them on random data).

Confirmation (``settlement_confirm``)
    County officers and above with ``Cap.CARE_SETTLE``, after the month has ended, with no pending
    anomaly and no unpriced order. The statement becomes immutable (the model refuses saves; the
    services refuse rebuilds), its paid orders move reviewed → settled with one conditional UPDATE
    (taking the line's frozen amounts), every order gets a ``WorkOrderEvent`` and the statement an
    audit entry.
"""

import calendar
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import F, OuterRef, Q, Subquery, Sum
from django.utils import timezone

from yanglao.accounts.roles import Cap
from yanglao.care.models import (
    AnomalyDecision,
    OrderState,
    Provider,
    ServicePrice,
    ServiceProduct,
    Settlement,
    SettlementLine,
    SettlementState,
    Unit,
    WorkOrder,
    WorkOrderEvent,
)
from yanglao.care.selectors import ancestor_prefixes
from yanglao.core import audit
from yanglao.regions.models import Region

SETTLER_LEVELS = ("province", "city", "county")
# Items whose visits the government buys against the daily home-service allowance (001 §4.2):
# 居家照护, 喘息服务, 精神慰藉. 助餐 (category 02) draws on the meal subsidy.
HOME_SERVICE_ITEMS = frozenset({"01.03", "06.01", "08.01"})
MEAL_CATEGORY = "02"
HOME_SERVICE_BENEFIT = "home_service"
MEAL_SUBSIDY_BENEFIT = "meal_subsidy"
LINE_BATCH = 2000


class SettlementErrorCode(models.TextChoices):
    """Stable error codes of settlement (the API's ``code``; forms show the Chinese message)."""

    CONFIRMED = "settlement_confirmed", "结算单已确认，不能再修改或重新生成"
    LEVEL = "settle_level", "结算单须由旗县及以上民政干部生成和确认"
    PROVIDER_COUNTY = "provider_not_in_county", "服务商未与该旗县签约"
    INVALID_MONTH = "invalid_month", "结算月份格式不对"
    MONTH_IN_FUTURE = "month_in_future", "不能生成未来月份的结算单"
    MONTH_NOT_OVER = "month_not_over", "结算月份尚未结束"
    ANOMALIES_PENDING = "anomalies_pending", "有待处理的异常工单"
    UNPRICED = "unpriced_orders", "有工单没有适用的价格"
    STALE = "settlement_stale", "工单或价格已变化，请重新生成结算单"
    EMPTY = "settlement_empty", "结算单没有可结算的工单"
    PROVIDER_UNKNOWN = "provider_unknown", "服务商不存在"
    COUNTY_UNKNOWN = "county_unknown", "旗县不存在"


E = SettlementErrorCode


def _fail(field_name: str, message: str, code: str) -> ValidationError:
    return ValidationError({field_name: ValidationError(message, code=code)})


# --- months -------------------------------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def parse_month(text) -> date:
    """ "2026-03" (or "2026-03-01", or a date) → date(2026, 3, 1). Raises ValidationError on ``month``."""
    if isinstance(text, date):
        return month_start(text)
    value = str(text or "").strip()
    if not value:
        raise _fail("month", "请选择结算月份。", "required")
    parts = value.split("-")
    try:
        if len(parts) not in (2, 3) or len(parts[0]) != 4:
            raise ValueError(value)
        return date(int(parts[0]), int(parts[1]), 1)
    except ValueError:
        raise _fail("month", "结算月份格式不对，应为 2026-03。", E.INVALID_MONTH) from None


# --- who may -----------------------------------------------------------------------------------


def check_settler(actor, county_code: str) -> None:
    """Build and confirm: ``Cap.CARE_SETTLE``, a county-level officer or above, the county in scope."""
    if actor is None or not actor.can(Cap.CARE_SETTLE):
        raise PermissionDenied("您没有生成和确认结算单的权限。")
    if actor.region.level not in SETTLER_LEVELS:
        raise PermissionDenied("结算单须由旗县及以上民政干部生成和确认。")
    if not actor.scope.contains(county_code) or actor.scope.operator_id:
        raise PermissionDenied("该旗县不在您的管辖范围内。")


def may_settle(actor, settlement: Settlement | None = None) -> bool:
    try:
        check_settler(actor, settlement.county_id if settlement else actor.region_id)
    except PermissionDenied:
        return False
    return True


# --- price ----------------------------------------------------------------------------------------


class PriceBook:
    """The price rows that can apply in one county over one period, resolved in memory by the rule
    of ``selectors.prices_on`` (provider's contract price > most specific region > latest start)."""

    def __init__(self, *, county_prefix: str, first: date, last: date, providers: Iterable[int]):
        providers = list(providers)
        rows = (
            ServicePrice.objects.filter(valid_from__lte=last)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=first))
            .filter(
                Q(region_prefix__in=ancestor_prefixes(county_prefix))
                | Q(region_prefix__startswith=county_prefix)
            )
            .filter(Q(provider__isnull=True) | Q(provider_id__in=providers))
            .values_list(
                "pk", "product_id", "region_prefix", "provider_id", "valid_from", "valid_to", "price_fen"
            )
        )
        self._by_product: dict[int, list[tuple]] = defaultdict(list)
        for row in rows:
            self._by_product[row[1]].append(row)
        # Candidates for (product, provider, region code), best first: the order of the rule.
        self._ranked: dict[tuple, list[tuple]] = {}

    def _candidates(self, product_id: int, provider_id: int | None, code: str) -> list[tuple]:
        key = (product_id, provider_id, code)
        ranked = self._ranked.get(key)
        if ranked is None:
            ranked = [
                row
                for row in self._by_product.get(product_id, ())
                if code.startswith(row[2]) and row[3] in (None, provider_id)
            ]
            ranked.sort(key=lambda r: (r[3] is not None, len(r[2]), r[4]), reverse=True)
            self._ranked[key] = ranked
        return ranked

    def unit_price(self, *, product_id: int, provider_id: int | None, code: str, on: date) -> int | None:
        for _pk, _product, _prefix, _provider, valid_from, valid_to, price in self._candidates(
            product_id, provider_id, code
        ):
            if valid_from <= on and (valid_to is None or valid_to >= on):
                return price
        return None


# --- funding ----------------------------------------------------------------------------------------


KIND_HOME, KIND_MEAL, KIND_OTHER = "home", "meal", "other"


def product_kind(product: ServiceProduct) -> str:
    if product.item.code in HOME_SERVICE_ITEMS:
        return KIND_HOME
    if product.item.code.startswith(MEAL_CATEGORY + "."):
        return KIND_MEAL
    return KIND_OTHER


def service_minutes(product: ServiceProduct, quantity: int) -> int:
    """The minutes an order takes from the daily allowance: hours × 60, else standard minutes × quantity."""
    if product.unit == Unit.HOUR:
        return 60 * quantity
    return (product.standard_minutes or 60) * quantity


@dataclass(frozen=True)
class Charge:
    """One payable order as the funding split sees it."""

    key: int
    elder: int
    day: date
    kind: str
    minutes: int
    amount: int


@dataclass(frozen=True)
class Split:
    government: int
    subsidy: int
    self_paid: int


def allocate(
    charges: Iterable[Charge],
    *,
    home_minutes: dict[tuple[int, date], int],
    meal_fen: dict[tuple[int, date], int],
) -> dict[int, Split]:
    """The split of each charge, in the order given (service order). ``home_minutes`` is the minutes
    left per (elder, day), ``meal_fen`` the subsidy left per (elder, first of month); both are used
    up here (the caller passes copies). Every split sums to its charge's amount."""
    result: dict[int, Split] = {}
    for charge in charges:
        government = subsidy = 0
        if charge.kind == KIND_HOME and charge.amount:
            key = (charge.elder, charge.day)
            left = home_minutes.get(key, 0)
            if 0 < charge.minutes <= left:
                government = charge.amount
                home_minutes[key] = left - charge.minutes
        elif charge.kind == KIND_MEAL and charge.amount:
            key = (charge.elder, month_start(charge.day))
            left = meal_fen.get(key, 0)
            subsidy = min(left, charge.amount)
            if subsidy:
                meal_fen[key] = left - subsidy
        result[charge.key] = Split(government, subsidy, charge.amount - government - subsidy)
    return result


def _allowances(
    elder_ids: set[int], first: date, last: date, exclude_settlement: int | None
) -> tuple[dict, dict]:
    """Per (elder, day) minutes and per (elder, month) fen left, from the grants valid in the month
    minus what confirmed statements (other than ``exclude_settlement``) already used."""
    from yanglao.benefits.models import EntitlementGrant

    home: dict[tuple[int, date], int] = {}
    meal: dict[tuple[int, date], int] = {}
    if not elder_ids:
        return home, meal
    grants = (
        EntitlementGrant.objects.filter(
            elder_id__in=elder_ids,
            rule__benefit__in=(HOME_SERVICE_BENEFIT, MEAL_SUBSIDY_BENEFIT),
            valid_from__lte=last,
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=first))
        .values_list("elder_id", "rule__benefit", "rule__amount", "valid_from", "valid_to")
    )
    days = [date(first.year, first.month, d) for d in range(1, last.day + 1)]
    for elder_id, benefit, amount, valid_from, valid_to in grants:
        for day in days:
            if valid_from <= day and (valid_to is None or valid_to >= day):
                if benefit == HOME_SERVICE_BENEFIT:
                    home[(elder_id, day)] = max(home.get((elder_id, day), 0), amount)
                else:
                    meal[(elder_id, first)] = max(meal.get((elder_id, first), 0), amount)
    if home or meal:
        used = (
            SettlementLine.objects.filter(
                settlement__state=SettlementState.CONFIRMED,
                order__elder_id__in={k[0] for k in home} | {k[0] for k in meal},
                service_date__gte=first,
                service_date__lte=last,
            )
            .filter(Q(government_fen__gt=0) | Q(subsidy_fen__gt=0))
            .exclude(settlement_id=exclude_settlement)
            .values_list(
                "order__elder_id",
                "service_date",
                "government_fen",
                "subsidy_fen",
                "product__unit",
                "product__standard_minutes",
                "quantity",
            )
        )
        for elder_id, day, government, subsidy, unit, standard, quantity in used:
            if government and (elder_id, day) in home:
                minutes = 60 * quantity if unit == Unit.HOUR else (standard or 60) * quantity
                home[(elder_id, day)] = max(0, home[(elder_id, day)] - minutes)
            if subsidy and (elder_id, first) in meal:
                meal[(elder_id, first)] = max(0, meal[(elder_id, first)] - subsidy)
    return home, meal


# --- the plan of a statement -----------------------------------------------------------------------


@dataclass
class PlannedLine:
    order_id: int
    service_date: date
    product_id: int
    quantity: int
    unit_price_fen: int
    amount_fen: int
    government_fen: int
    subsidy_fen: int
    self_fen: int
    anomaly_decision: str

    def key(self) -> tuple:
        return (
            self.order_id,
            self.service_date,
            self.product_id,
            self.quantity,
            self.unit_price_fen,
            self.amount_fen,
            self.government_fen,
            self.subsidy_fen,
            self.self_fen,
            self.anomaly_decision,
        )


@dataclass
class Plan:
    lines: list[PlannedLine] = field(default_factory=list)
    pending: list[int] = field(default_factory=list)  # order ids with an undecided anomaly
    unpriced: list[int] = field(default_factory=list)  # order ids without a price

    def totals(self) -> dict[str, int]:
        paid = [line for line in self.lines if line.anomaly_decision != AnomalyDecision.NO_PAY]
        return {
            "order_count": len(paid),
            "total_fen": sum(line.amount_fen for line in paid),
            "government_fen": sum(line.government_fen for line in paid),
            "subsidy_fen": sum(line.subsidy_fen for line in paid),
            "self_fen": sum(line.self_fen for line in paid),
        }


def month_orders(provider: Provider, month: date):
    """The provider's orders scheduled in the month (any state), for the statement's own reads."""
    return WorkOrder.objects.filter(
        provider=provider, scheduled_date__gte=month_start(month), scheduled_date__lte=month_end(month)
    )


def plan(*, provider: Provider, month: date, settlement_id: int | None = None) -> Plan:
    """What the statement of ``provider`` for ``month`` says now (nothing is written)."""
    first, last = month_start(month), month_end(month)
    rows = list(
        month_orders(provider, first)
        .filter(state=OrderState.REVIEWED)
        .order_by("scheduled_date", F("window_start").asc(nulls_first=True), "number", "pk")
        .values_list(
            "pk",
            "elder_id",
            "product_id",
            "region_code",
            "scheduled_date",
            "quantity",
            "anomaly_decision",
        )
    )
    result = Plan()
    if not rows:
        return result
    products = {
        p.pk: p for p in ServiceProduct.objects.filter(pk__in={r[2] for r in rows}).select_related("item")
    }
    book = PriceBook(county_prefix=provider.county_id[:6], first=first, last=last, providers=[provider.pk])
    charges, priced = [], []
    for pk, elder_id, product_id, code, day, quantity, decision in rows:
        if decision == AnomalyDecision.PENDING:
            result.pending.append(pk)
            continue
        unit = book.unit_price(product_id=product_id, provider_id=provider.pk, code=code, on=day)
        if unit is None:
            result.unpriced.append(pk)
            continue
        if decision == AnomalyDecision.NO_PAY:
            result.lines.append(
                PlannedLine(pk, day, product_id, quantity, unit, 0, 0, 0, 0, AnomalyDecision.NO_PAY)
            )
            continue
        product = products[product_id]
        amount = unit * quantity
        charges.append(
            Charge(pk, elder_id, day, product_kind(product), service_minutes(product, quantity), amount)
        )
        priced.append((pk, day, product_id, quantity, unit, amount, decision))
    home, meal = _allowances({c.elder for c in charges}, first, last, settlement_id)
    splits = allocate(charges, home_minutes=home, meal_fen=meal)
    for pk, day, product_id, quantity, unit, amount, decision in priced:
        split = splits[pk]
        result.lines.append(
            PlannedLine(
                pk,
                day,
                product_id,
                quantity,
                unit,
                amount,
                split.government,
                split.subsidy,
                split.self_paid,
                decision,
            )
        )
    result.lines.sort(key=lambda line: (line.service_date, line.order_id))
    return result


# --- writing ----------------------------------------------------------------------------------------


def statement_number(provider: Provider, month: date) -> str:
    return f"JS{provider.county_id[:6]}{month:%Y%m}{provider.pk:06d}"


def _provider_and_county(provider: Provider, county: Region) -> None:
    if county is None or county.level != Region.Level.COUNTY:
        raise _fail("county", "请选择旗县。", E.COUNTY_UNKNOWN)
    if provider.county_id != county.code:
        raise _fail("provider", f"{provider.name} 未与{county.name}签约。", E.PROVIDER_COUNTY)


@transaction.atomic
def settlement_build(*, actor, provider: Provider, county: Region, month) -> Settlement:
    """Create or refresh the draft statement of ``provider`` in ``county`` for ``month``."""
    month = parse_month(month)
    _provider_and_county(provider, county)
    check_settler(actor, county.code)
    if month > month_start(timezone.localdate()):
        raise _fail("month", "不能生成未来月份的结算单。", E.MONTH_IN_FUTURE)
    settlement, created = _lock_or_create(actor=actor, provider=provider, county=county, month=month)
    if settlement.state == SettlementState.CONFIRMED:
        raise _fail("__all__", f"结算单 {settlement.number} 已确认，不能重新生成。", E.CONFIRMED)
    result = plan(provider=provider, month=month, settlement_id=settlement.pk)
    write_lines(settlement, result)
    settlement.created_by = settlement.created_by or actor
    settlement.save()
    audit.record(
        actor=actor,
        action=audit.Action.CREATE if created else audit.Action.UPDATE,
        obj=settlement,
        region_code=county.code,
        summary=(
            f"{'生成' if created else '重新生成'}结算单 {settlement.number}（{provider.name} {month:%Y年%m月}）："
            f"{settlement.order_count} 单，合计 {settlement.total_fen} 分"
            + (f"，待处理异常 {len(result.pending)} 单" if result.pending else "")
            + (f"，无价格 {len(result.unpriced)} 单" if result.unpriced else "")
        ),
    )
    return settlement


def write_lines(settlement: Settlement, result: Plan) -> None:
    """Replace a draft's lines and totals with ``result`` (the caller saves the statement)."""
    SettlementLine.objects.filter(settlement=settlement).delete()
    SettlementLine.objects.bulk_create(
        [
            SettlementLine(
                settlement=settlement,
                order_id=line.order_id,
                service_date=line.service_date,
                product_id=line.product_id,
                quantity=line.quantity,
                unit_price_fen=line.unit_price_fen,
                amount_fen=line.amount_fen,
                government_fen=line.government_fen,
                subsidy_fen=line.subsidy_fen,
                self_fen=line.self_fen,
                anomaly_decision=line.anomaly_decision,
            )
            for line in result.lines
        ],
        batch_size=LINE_BATCH,
    )
    for name, value in result.totals().items():
        setattr(settlement, name, value)


def _lock_or_create(*, actor, provider: Provider, county: Region, month: date) -> tuple[Settlement, bool]:
    for _ in range(2):
        existing = Settlement.objects.select_for_update().filter(provider=provider, month=month).first()
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                created = Settlement.objects.create(
                    number=statement_number(provider, month),
                    provider=provider,
                    county=county,
                    month=month,
                    created_by=actor,
                )
                return created, True
        except IntegrityError:  # built at the same moment by someone else: take theirs
            continue
    raise _fail("__all__", "结算单正在由他人生成，请稍后重试。", E.STALE)  # pragma: no cover


def _stored_keys(settlement: Settlement) -> list[tuple]:
    return list(
        SettlementLine.objects.filter(settlement=settlement)
        .order_by("service_date", "order_id")
        .values_list(
            "order_id",
            "service_date",
            "product_id",
            "quantity",
            "unit_price_fen",
            "amount_fen",
            "government_fen",
            "subsidy_fen",
            "self_fen",
            "anomaly_decision",
        )
    )


@transaction.atomic
def settlement_confirm(*, actor, settlement: Settlement) -> Settlement:
    """Confirm a draft: immutable afterwards, its paid orders settled (see the module notes)."""
    check_settler(actor, settlement.county_id)
    locked = Settlement.objects.select_for_update().select_related("provider__operator").get(pk=settlement.pk)
    if locked.state == SettlementState.CONFIRMED:
        raise _fail("__all__", f"结算单 {locked.number} 已确认。", E.CONFIRMED)
    if month_end(locked.month) >= timezone.localdate():
        raise _fail("__all__", f"{locked.month:%Y年%m月}尚未结束，月末之后才能确认结算单。", E.MONTH_NOT_OVER)
    fresh = plan(provider=locked.provider, month=locked.month, settlement_id=locked.pk)
    if fresh.pending:
        raise _fail(
            "__all__",
            f"有 {len(fresh.pending)} 张异常工单尚未处理（予以结算或不予结算），处理后重新生成结算单再确认。",
            E.ANOMALIES_PENDING,
        )
    if fresh.unpriced:
        raise _fail(
            "__all__",
            f"有 {len(fresh.unpriced)} 张工单没有适用的价格，请先维护价格并重新生成结算单。",
            E.UNPRICED,
        )
    if [line.key() for line in fresh.lines] != _stored_keys(locked):
        raise _fail(
            "__all__", "生成结算单后工单、价格或补贴额度有变化，请重新生成结算单并核对后再确认。", E.STALE
        )
    if not fresh.totals()["order_count"]:
        raise _fail("__all__", "结算单没有可结算的工单。", E.EMPTY)
    now = timezone.now()
    confirmed = Settlement.objects.filter(pk=locked.pk, state=SettlementState.DRAFT).update(
        state=SettlementState.CONFIRMED, confirmed_at=now, confirmed_by=actor
    )
    if confirmed != 1:  # pragma: no cover - the row lock makes this unreachable
        raise _fail("__all__", "结算单已被他人确认。", E.CONFIRMED)
    paid_ids = [line.order_id for line in fresh.lines if line.anomaly_decision != AnomalyDecision.NO_PAY]
    excluded_ids = [line.order_id for line in fresh.lines if line.anomaly_decision == AnomalyDecision.NO_PAY]
    line = SettlementLine.objects.filter(order_id=OuterRef("pk"))
    settled = (
        WorkOrder.objects.filter(settlement_line__settlement_id=locked.pk, state=OrderState.REVIEWED)
        .exclude(settlement_line__anomaly_decision=AnomalyDecision.NO_PAY)
        .update(
            state=OrderState.SETTLED,
            settlement_id=locked.pk,
            closed_at=now,
            updated_at=now,
            priced_at=now,
            unit_price_fen=Subquery(line.values("unit_price_fen")[:1]),
            price_fen=Subquery(line.values("amount_fen")[:1]),
            government_fen=Subquery(line.values("government_fen")[:1]),
            subsidy_fen=Subquery(line.values("subsidy_fen")[:1]),
            self_fen=Subquery(line.values("self_fen")[:1]),
        )
    )
    if settled != len(paid_ids):  # an order moved on meanwhile: undo everything
        raise _fail("__all__", "部分工单状态已变化，请重新生成结算单。", E.STALE)
    WorkOrder.objects.filter(
        settlement_line__settlement_id=locked.pk, settlement_line__anomaly_decision=AnomalyDecision.NO_PAY
    ).update(settlement_id=locked.pk, updated_at=now)
    user = actor if getattr(actor, "is_authenticated", False) else None
    note = f"结算单 {locked.number}（{locked.month:%Y年%m月}）"
    WorkOrderEvent.objects.bulk_create(
        [
            WorkOrderEvent(
                order_id=pk,
                at=now,
                actor=user,
                kind="settled",
                from_state=OrderState.REVIEWED,
                to_state=OrderState.SETTLED,
                note=f"已结算：{note}",
                data={"settlement": locked.pk},
            )
            for pk in paid_ids
        ]
        + [
            WorkOrderEvent(
                order_id=pk,
                at=now,
                actor=user,
                kind="settlement_excluded",
                from_state=OrderState.REVIEWED,
                to_state=OrderState.REVIEWED,
                note=f"不予结算：{note}",
                data={"settlement": locked.pk},
            )
            for pk in excluded_ids
        ],
        batch_size=LINE_BATCH,
    )
    locked.refresh_from_db()
    audit.record(
        actor=actor,
        action=audit.Action.UPDATE,
        obj=locked,
        region_code=locked.county_id,
        summary=(
            f"确认结算单 {locked.number}（{locked.provider.name} {locked.month:%Y年%m月}）："
            f"{locked.order_count} 单，合计 {locked.total_fen} 分，不予结算 {len(excluded_ids)} 单"
        ),
        changes={"state": [SettlementState.DRAFT.value, SettlementState.CONFIRMED.value]},
    )
    return locked


def line_sums(settlement: Settlement) -> dict[str, int]:
    """The sums of a statement's paid lines, per source (for checks and tests)."""
    sums = (
        SettlementLine.objects.filter(settlement=settlement)
        .exclude(anomaly_decision=AnomalyDecision.NO_PAY)
        .aggregate(
            total_fen=Sum("amount_fen"),
            government_fen=Sum("government_fen"),
            subsidy_fen=Sum("subsidy_fen"),
            self_fen=Sum("self_fen"),
        )
    )
    return {k: v or 0 for k, v in sums.items()}
