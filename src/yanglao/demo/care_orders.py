"""Demo work orders for 开鲁县 (150523): three months, so settlement and reports have something to show.

From the first day of the month two months back to three days ahead:

* every elder of the county holding the home-service entitlement (003: 特困/低保 高龄, one hour a
  day) has a plan order each day (生活照料, one hour, ``plan_key`` set as ``orders_generate_month``
  sets it, so generating the month later adds nothing twice);
* about forty other elders ask for a service about once a week (助洁, 助浴, 理发, 探访关爱…);
* past orders are mostly reviewed with ratings; some were checked out and await review, some failed
  (老人不在家…), some were cancelled or refused; about one in sixteen completed visits is flagged (far
  from home, too short, or checked out without check-in): decided (pay / no pay) in earlier
  months, pending in the current one;
* today: the demo caregiver ``hl-150523-1`` has four orders dispatched to it, in time order; other
  orders of the day are requested, accepted, dispatched or in progress; the next days are waiting.

Each order goes to the provider covering the elder's village/township/county for the item and to
a caregiver of that provider whom ``selectors.caregiver_can_do`` allows on the day. Rows are written
in bulk (orders, events, visits, the elder's history) — the states, prices and events are the ones
the services would produce. Reproducible from the seed; a second run changes nothing.
"""

import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import models, transaction
from django.utils import timezone

from yanglao.accounts.models import User
from yanglao.benefits.models import Benefit, EntitlementGrant
from yanglao.care.anomalies import distance_m
from yanglao.care.models import (
    Anomaly,
    AnomalyDecision,
    Caregiver,
    OrderSource,
    OrderState,
    Provider,
    ProviderCoverage,
    ProviderStatus,
    ReviewChannel,
    ServiceProduct,
    Visit,
    WorkOrder,
    WorkOrderEvent,
)
from yanglao.care.orders import HOME_VISIT_ITEMS, NUMBER_PREFIX, plan_key
from yanglao.care.selectors import caregiver_can_do, prices_on
from yanglao.elders.models import Elder, ElderEvent
from yanglao.elders.models import Status as ElderStatus

COUNTY = "150523"
DEMO_CAREGIVER = "hl-150523-1"
PLAN_PRODUCT = "01.03.06"
REQUEST_PRODUCTS = ["01.03.02", "01.03.01", "01.03.04", "01.03.05", "01.03.03", "01.03.07", "08.01.01"]
REQUEST_ELDERS = 40
FAIL_REASONS = ["老人不在家", "老人临时外出就医", "老人拒绝服务", "家属已安排其他照护"]
CANCEL_REASONS = ["老人住院", "家属来电取消", "老人去子女家暂住"]
REFUSE_REASONS = ["该时段护理员已排满", "服务区域路途过远，建议改派"]
COMMENTS = ["服务认真", "很满意", "准时上门", "态度好，老人很高兴", "", "", "希望下次早一点来"]
TZ = timezone.get_fixed_timezone(8 * 60)


def _at(day: date, clock: time, minutes: int = 0) -> datetime:
    return datetime.combine(day, clock, tzinfo=TZ) + timedelta(minutes=minutes)


def _slot(n: int) -> tuple[time, time]:
    """The n-th visit of a caregiver's day: 08:00, 09:15, 10:30, 13:30, 14:45, … (an hour each)."""
    starts = [(8, 0), (9, 15), (10, 30), (13, 30), (14, 45), (16, 0), (17, 15), (18, 30)]
    hour, minute = starts[n % len(starts)]
    return time(hour, minute), time(hour + 1, minute)


def _offset(lat, lng, rng: random.Random, metres: int):
    """A point about ``metres`` from (lat, lng) in a random direction."""
    import math

    angle = rng.uniform(0, 2 * math.pi)
    dlat = metres * math.cos(angle) / 111_320
    dlng = metres * math.sin(angle) / (111_320 * math.cos(math.radians(float(lat))))
    return (Decimal(f"{float(lat) + dlat:.6f}"), Decimal(f"{float(lng) + dlng:.6f}"))


def _event_row(kind, before, after, at, actor, note, data) -> dict:
    return {
        "at": at,
        "actor_id": actor.pk if actor is not None else None,
        "kind": kind,
        "from_state": before,
        "to_state": after,
        "note": note[:300],
        "data": data,
    }


class _Builder:
    def __init__(self, rng, today, users):
        self.rng, self.today, self.users = rng, today, users
        self.orders: list[WorkOrder] = []
        self.events: list[list[WorkOrderEvent]] = []
        self.visits: list[Visit | None] = []
        self.timeline: list[tuple[str, str]] = []  # per order: (kind, summary) for the elder, or ("", "")
        self.numbers: dict[date, int] = defaultdict(int)
        self.prices: dict[tuple[int, int, date], int | None] = {}

    def number(self, day: date) -> str:
        self.numbers[day] += 1
        return f"{NUMBER_PREFIX}{COUNTY}{day:%Y%m%d}{self.numbers[day]:05d}"

    def price(self, product, provider, day: date, region: str) -> int | None:
        key = (product.pk, provider.pk, day.replace(day=1))
        if key not in self.prices:
            row = prices_on(products=[product], prefix=region[:6], on=day, provider=provider).get(product.pk)
            self.prices[key] = row.price_fen if row else None
        return self.prices[key]

    def outcome(self, day: date) -> str:
        r = self.rng.random()
        if day < self.today - timedelta(days=2):
            return (
                "reviewed"
                if r < 0.85
                else "failed"
                if r < 0.90
                else "cancelled"
                if r < 0.94
                else "refused"
                if r < 0.96
                else "checked_out"
            )
        if day < self.today:
            return (
                "checked_out" if r < 0.6 else "reviewed" if r < 0.9 else "failed" if r < 0.95 else "cancelled"
            )
        if day == self.today:
            return (
                "dispatched"
                if r < 0.5
                else "accepted"
                if r < 0.7
                else "requested"
                if r < 0.9
                else "checked_in"
            )
        return "requested" if r < 0.6 else "accepted" if r < 0.9 else "dispatched"

    def add(self, *, elder, product, provider, caregiver, day, window, source, grant_id=None, state, note=""):
        rng, users = self.rng, self.users
        quantity = 1
        created = _at(
            min(day, self.today) - timedelta(days=rng.randrange(1, 4)), time(9), rng.randrange(0, 240)
        )
        order = WorkOrder(
            number=self.number(day),
            elder=elder,
            provider=provider,
            product=product,
            region_code=elder.region_id,
            source=source,
            grant_id=grant_id,
            plan_key=plan_key(elder.pk, day) if source == OrderSource.PLAN else "",
            requested_by=users.get("kailu"),
            request_note=note,
            scheduled_date=day,
            window_start=window[0],
            window_end=window[1],
            quantity=quantity,
            state=state,
            created_at=created,
            updated_at=created,
        )
        staff = users.get("fws-150523") if provider.pk == users.get("_provider_with_staff") else None
        events = [
            _event_row(
                "created",
                "",
                OrderState.REQUESTED,
                created,
                users.get("kailu") if source != OrderSource.PLAN else None,
                OrderSource(source).label + (f"：{note}" if note else ""),
                {"source": source},
            )
        ]
        visit, timeline = None, ("", "")

        def event(kind, before, after, at, actor=None, note="", data=None):
            events.append(_event_row(kind, before, after, at, actor, note, data or {}))
            order.updated_at = at

        if state == "refused":
            reason = rng.choice(REFUSE_REASONS)
            event("refuse", "requested", "refused", created + timedelta(hours=2), staff, reason)
            order.state_reason, order.closed_at = reason, order.updated_at
            order.caregiver = None
            return self._keep(order, events, visit, timeline)
        if state == "requested":
            order.caregiver = None
            return self._keep(order, events, visit, timeline)
        accepted_at = created + timedelta(hours=1, minutes=rng.randrange(0, 90))
        event("accept", "requested", "accepted", accepted_at, staff)
        order.accepted_at = accepted_at
        if state == "accepted" or (state == "cancelled" and rng.random() < 0.5):
            order.caregiver = None
            if state == "cancelled":
                reason = rng.choice(CANCEL_REASONS)
                event(
                    "cancel",
                    "accepted",
                    "cancelled",
                    accepted_at + timedelta(hours=3),
                    users.get("kailu"),
                    reason,
                )
                order.state_reason, order.closed_at = reason, order.updated_at
            return self._keep(order, events, visit, timeline)
        order.caregiver = caregiver
        dispatched_at = accepted_at + timedelta(minutes=rng.randrange(5, 120))
        event(
            "dispatch",
            "accepted",
            "dispatched",
            dispatched_at,
            staff,
            f"派给 {caregiver.name}",
            {"caregiver": caregiver.pk, "caregiver_name": caregiver.name},
        )
        order.dispatched_at = dispatched_at
        if state == "dispatched":
            return self._keep(order, events, visit, timeline)
        if state == "cancelled":
            reason = rng.choice(CANCEL_REASONS)
            event(
                "cancel",
                "dispatched",
                "cancelled",
                dispatched_at + timedelta(hours=2),
                users.get("kailu"),
                reason,
            )
            order.state_reason, order.closed_at = reason, order.updated_at
            return self._keep(order, events, visit, timeline)
        hand = caregiver.user if caregiver.user_id else None
        start = _at(day, window[0], rng.randrange(-10, 15))
        if state == "failed":
            reason = rng.choice(FAIL_REASONS)
            event("fail", "dispatched", "failed", start, hand, reason)
            order.state_reason, order.closed_at = reason, order.updated_at
            timeline = (
                "care_service_failed",
                f"上门服务未完成：{product.name}，{reason}（工单 {order.number}）",
            )
            return self._keep(order, events, visit, timeline)
        # a visit: check-in (unless forgotten), check-out, maybe a flag
        flag = None
        if state in ("checked_out", "reviewed") and rng.random() < 0.0625:
            flag = rng.choice([Anomaly.FAR_CHECK_IN, Anomaly.SHORT_VISIT, Anomaly.NO_CHECK_IN])
        visit = Visit(order=order, caregiver=caregiver)
        if flag != Anomaly.NO_CHECK_IN:
            metres = rng.randrange(450, 2500) if flag == Anomaly.FAR_CHECK_IN else rng.randrange(5, 180)
            if elder.latitude is not None:
                lat, lng = _offset(elder.latitude, elder.longitude, rng, metres)
                visit.distance_m = distance_m(lat, lng, elder.latitude, elder.longitude)
            else:
                lat, lng = _offset(Decimal("43.60"), Decimal("121.32"), rng, metres)
            visit.check_in_at, visit.check_in_lat, visit.check_in_lng = start, lat, lng
            visit.check_in_accuracy_m = rng.randrange(5, 40)
            found = [Anomaly.FAR_CHECK_IN.value] if flag == Anomaly.FAR_CHECK_IN and visit.distance_m else []
            event(
                "check_in",
                "dispatched",
                "checked_in",
                start,
                hand,
                "",
                {"distance_m": visit.distance_m, "accuracy_m": visit.check_in_accuracy_m, "anomalies": found},
            )
            if found:
                order.anomalies = found
        if state == "checked_in":
            return self._keep(order, events, visit, timeline)
        standard = (product.standard_minutes or 60) * quantity
        minutes = (
            rng.randrange(max(5, standard // 5), max(6, standard // 2))
            if flag == Anomaly.SHORT_VISIT
            else standard + rng.randrange(0, 16)
        )
        end = start + timedelta(minutes=minutes)
        visit.check_out_at = end
        visit.duration_minutes = minutes if visit.check_in_at else None
        visit.note = rng.choice(["", "老人精神状态良好", "已完成清洁和整理", "协助服药、测量血压", ""])
        codes = list(order.anomalies)
        if flag in (Anomaly.SHORT_VISIT, Anomaly.NO_CHECK_IN):
            codes.append(flag.value)
        order.anomalies = codes
        unit = self.price(product, provider, day, elder.region_id)
        data = {"duration_minutes": visit.duration_minutes, "anomalies": codes}
        if unit is not None:
            total = unit * quantity
            government = source == OrderSource.PLAN or (
                product.item.code in HOME_VISIT_ITEMS and elder.pk in self.users["_entitled"]
            )
            order.unit_price_fen, order.price_fen = unit, total
            order.government_fen, order.self_fen = (total, 0) if government else (0, total)
            order.priced_at = end
            data["price_fen"] = total
        event(
            "check_out",
            "checked_in" if visit.check_in_at else "dispatched",
            "checked_out",
            end,
            hand,
            "",
            data,
        )
        summary = f"上门服务已完成：{product.name}" + (
            f"，{visit.duration_minutes} 分钟" if visit.duration_minutes else "（未签到）"
        )
        timeline = ("care_service_done", f"{summary}（工单 {order.number}）")
        if codes:
            order.anomaly_decision = AnomalyDecision.PENDING
            if day < self.today.replace(day=1):
                decision = AnomalyDecision.PAY if rng.random() < 0.7 else AnomalyDecision.NO_PAY
                reason = (
                    "经电话回访核实，服务已完成"
                    if decision == AnomalyDecision.PAY
                    else "回访老人未确认当日服务，不予结算"
                )
                decided = end + timedelta(days=rng.randrange(2, 6))
                order.anomaly_decision, order.anomaly_reason = decision, reason
                order.anomaly_decided_by, order.anomaly_decided_at = users.get("kailu"), decided
                event(
                    "anomaly_decided",
                    "checked_out",
                    "checked_out",
                    decided,
                    users.get("kailu"),
                    f"{AnomalyDecision(decision).label}：{reason}",
                    {"decision": decision, "anomalies": codes},
                )
        if state == "reviewed":
            rating = rng.choices([5, 4, 3, 2], [60, 28, 9, 3])[0]
            channel = rng.choices(
                [ReviewChannel.PHONE, ReviewChannel.FAMILY, ReviewChannel.ELDER], [5, 3, 2]
            )[0]
            comment = rng.choice(COMMENTS)
            reviewed = end + timedelta(days=rng.randrange(1, 3), hours=rng.randrange(0, 6))
            reviewer = users.get("kailu") if channel == ReviewChannel.PHONE else staff
            event(
                "review",
                "checked_out",
                "reviewed",
                reviewed,
                reviewer,
                f"{rating} 分（{channel.label}）" + (f"：{comment}" if comment else ""),
                {"rating": rating, "channel": channel},
            )
            order.rating, order.comment, order.review_channel = rating, comment, channel
            order.reviewed_at, order.reviewed_by = reviewed, reviewer
        return self._keep(order, events, visit, timeline)

    def _keep(self, order, events, visit, timeline):
        self.orders.append(order)
        self.events.append(events)
        self.visits.append(visit)
        self.timeline.append(timeline)
        return order


def _insert(model, objects: list, *, ids: bool = False) -> None:
    """Write many rows fast: COPY on PostgreSQL (``core.bulk``), one ``executemany`` on SQLite with
    each column converted as the backend stores it (Django's bulk_create spends seconds building
    SQL for twenty thousand events). ``objects``: model instances, or dicts of attname → value for
    tables nothing points back to. ``ids``: give the instances their primary keys first, so rows
    written later can point at them."""
    import json

    from django.db import connection

    from yanglao.core import bulk

    if not objects:
        return
    as_dicts = isinstance(objects[0], dict)
    if connection.vendor == "postgresql":
        bulk.copy_rows(model, objects) if as_dicts else bulk.bulk_insert(model, objects)
        return
    meta, ops = model._meta, connection.ops
    if ids:
        start = (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        for n, obj in enumerate(objects):
            obj.pk = start + n
    fields = [f for f in meta.concrete_fields if ids or not f.primary_key]

    def converter(field):
        if isinstance(field, models.DateTimeField):
            return ops.adapt_datetimefield_value
        if isinstance(field, models.DateField):
            return ops.adapt_datefield_value
        if isinstance(field, models.TimeField):
            return ops.adapt_timefield_value
        if isinstance(field, models.DecimalField):
            return lambda v, f=field: ops.adapt_decimalfield_value(v, f.max_digits, f.decimal_places)
        if isinstance(field, models.JSONField):
            return json.dumps
        return None

    defaults = {f.attname: f.get_default() for f in fields if f.has_default()}
    columns = [(f.attname, converter(f), defaults.get(f.attname)) for f in fields]
    rows = []
    for obj in objects:
        values = obj if as_dicts else obj.__dict__
        row = []
        for name, convert, default in columns:
            value = values.get(name, default)
            row.append(convert(value) if convert is not None and value is not None else value)
        rows.append(row)
    table = ops.quote_name(meta.db_table)
    names = ", ".join(ops.quote_name(f.column) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 - names from the model, values bound
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)
    if not as_dicts:
        for obj in objects:
            obj._state.adding, obj._state.db = False, "default"


def _providers_for(elder_code: str, coverage, day: date) -> Provider | None:
    best = None
    for prefix, provider in coverage:
        if elder_code.startswith(prefix) and provider.contract_start <= day <= provider.contract_end:
            rank = (len(prefix), -provider.pk)
            if best is None or rank > best[0]:
                best = (rank, provider)
    return best[1] if best else None


@transaction.atomic
def seed_orders(*, seed: int, today: date | None = None) -> int:
    """Three months of work orders for 开鲁县 (see the module note); returns how many were made."""
    if WorkOrder.objects.filter(region_code__startswith=COUNTY).exists():
        return 0
    rng = random.Random(seed + 11)
    today = today or timezone.localdate()
    first = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    first = (first - timedelta(days=1)).replace(day=1)  # the first of the month two months back
    last = today + timedelta(days=3)
    products = {p.code: p for p in ServiceProduct.objects.select_related("item").filter(region__isnull=True)}
    if PLAN_PRODUCT not in products:
        return 0
    providers = list(
        Provider.objects.filter(county__code=COUNTY.ljust(12, "0"), status=ProviderStatus.ACTIVE)
    )
    if not providers:
        return 0
    coverage_by_item: dict[int, list] = defaultdict(list)
    for c in ProviderCoverage.objects.filter(provider__in=providers).select_related("provider"):
        coverage_by_item[c.item_id].append((c.region_prefix, c.provider))
    caregivers = list(
        Caregiver.objects.filter(provider__in=providers, status="active")
        .select_related("user")
        .prefetch_related("skills", "certificates")
        .order_by("pk")
    )
    by_provider: dict[int, list[Caregiver]] = defaultdict(list)
    for c in caregivers:
        by_provider[c.provider_id].append(c)
    demo = next((c for c in caregivers if c.user_id and c.user.username == DEMO_CAREGIVER), None)
    staff = User.objects.filter(username="fws-150523").first()
    users = {
        "kailu": User.objects.filter(username="kailu").first(),
        "fws-150523": staff,
        "_provider_with_staff": next(
            (p.pk for p in providers if staff and p.operator_id == staff.operator_id), None
        ),
    }
    grants = {}
    for grant_id, elder_id, valid_from, valid_to in EntitlementGrant.objects.filter(
        rule__benefit=Benefit.HOME_SERVICE,
        elder__region__code__startswith=COUNTY,
        elder__status=ElderStatus.ACTIVE,
    ).values_list("pk", "elder_id", "valid_from", "valid_to"):
        grants.setdefault(elder_id, []).append((grant_id, valid_from, valid_to))
    users["_entitled"] = set(grants)
    builder = _Builder(rng, today, users)
    can: dict[tuple[int, int, date], bool] = {}

    def able(caregiver, product, day) -> bool:
        key = (caregiver.pk, product.pk, day)
        if key not in can:
            can[key] = bool(caregiver_can_do(caregiver, product, on=day))
        return can[key]

    def assign(provider, product, day, steady: int) -> Caregiver | None:
        pool = [c for c in by_provider[provider.pk] if c is not demo]
        if not pool:
            return None
        for k in range(len(pool)):
            candidate = pool[(steady + k) % len(pool)]
            if able(candidate, product, day):
                return candidate
        return None

    slots: dict[tuple[int, date], int] = defaultdict(int)

    def window_for(caregiver, day):
        n = slots[(caregiver.pk if caregiver else 0, day)]
        slots[(caregiver.pk if caregiver else 0, day)] += 1
        return _slot(n)

    # 1. plan orders: every entitled elder, every day of the period
    elders = {e.pk: e for e in Elder.objects.filter(pk__in=list(grants)).order_by("pk")}
    plan = products[PLAN_PRODUCT]
    for elder in elders.values():
        for n_day in range((last - first).days + 1):
            day = first + timedelta(days=n_day)
            valid = [g for g in grants[elder.pk] if g[1] <= day and (g[2] is None or g[2] >= day)]
            provider = _providers_for(elder.region_id, coverage_by_item[plan.item_id], day)
            if not valid or provider is None:
                continue
            caregiver = assign(provider, plan, day, elder.pk)
            state = builder.outcome(day)
            if caregiver is None and state not in ("requested", "refused"):
                state = "requested" if day >= today else "refused"
            window = window_for(caregiver, day) if caregiver else (None, None)
            builder.add(
                elder=elder,
                product=plan,
                provider=provider,
                caregiver=caregiver,
                day=day,
                window=window,
                source=OrderSource.PLAN,
                grant_id=valid[0][0],
                state=state,
                note="服务计划：每天 60 分钟",
            )
    # 2. requests: about forty other elders, about once a week
    others = list(
        Elder.objects.filter(
            region__code__startswith=COUNTY, status=ElderStatus.ACTIVE, latitude__isnull=False
        )
        .exclude(pk__in=list(grants))
        .exclude(phone_index="")
        .order_by("pk")[:400]
    )
    rng.shuffle(others)
    for elder in others[:REQUEST_ELDERS]:
        day = first + timedelta(days=rng.randrange(0, 7))
        while day <= last:
            product = products[rng.choice(REQUEST_PRODUCTS)]
            provider = _providers_for(elder.region_id, coverage_by_item[product.item_id], day)
            if provider is not None:
                caregiver = assign(provider, product, day, elder.pk + day.toordinal())
                state = builder.outcome(day)
                if caregiver is None and state not in ("requested", "refused"):
                    state = "requested" if day >= today else "refused"
                window = window_for(caregiver, day) if caregiver else (time(9), time(10))
                source = OrderSource.REQUEST if rng.random() < 0.7 else OrderSource.OFFICER
                note = (
                    rng.choice(["女儿来电申请", "老人本人来电", "社区网格员代为申请"])
                    if source == OrderSource.REQUEST
                    else ""
                )
                builder.add(
                    elder=elder,
                    product=product,
                    provider=provider,
                    caregiver=caregiver,
                    day=day,
                    window=window,
                    source=source,
                    state=state,
                    note=note,
                )
            day += timedelta(days=rng.randrange(5, 10))
    # 3. today's visits of the demo caregiver, in time order
    if demo is not None:
        doable = [products[c] for c in [*REQUEST_PRODUCTS, PLAN_PRODUCT] if able(demo, products[c], today)]
        prefixes = {
            p for p, prov in coverage_by_item[products["01.03.02"].item_id] if prov.pk == demo.provider_id
        }
        # elders not already asking for services weekly first
        pool = others[REQUEST_ELDERS:] + others[:REQUEST_ELDERS]
        nearby = [e for e in pool if any(e.region_id.startswith(p) for p in prefixes)]
        for n, elder in enumerate(nearby[:4]):
            if not doable:
                break
            product = doable[n % len(doable)]
            window = [
                (time(8, 30), time(9, 30)),
                (time(10, 0), time(11, 0)),
                (time(14, 0), time(15, 0)),
                (time(15, 30), time(16, 30)),
            ][n]
            builder.add(
                elder=elder,
                product=product,
                provider=demo.provider,
                caregiver=demo,
                day=today,
                window=window,
                source=OrderSource.REQUEST,
                state="dispatched",
                note="老人本人来电",
            )
    # write
    _insert(WorkOrder, builder.orders, ids=True)
    events, visits, history = [], [], []
    for order, order_events, visit, (kind, summary) in zip(
        builder.orders, builder.events, builder.visits, builder.timeline, strict=True
    ):
        for e in order_events:
            e["order_id"] = order.pk
            events.append(e)
        if visit is not None:
            visit.order_id = order.pk
            visits.append(visit)
        if kind:
            history.append(
                {
                    "elder_id": order.elder_id,
                    "kind": kind,
                    "summary": summary[:300],
                    "source": "care",
                    "region_code": order.region_code,
                    "at": order.updated_at,
                    "actor_id": None,
                    "data": {"order": order.number, "order_id": order.pk, "state": order.state},
                }
            )
    _insert(WorkOrderEvent, events)
    _insert(Visit, visits)
    _insert(ElderEvent, history)
    return len(builder.orders)
