"""Reading alarms for the desk, always inside the reader's region scope.

An alarm carries ``region_code`` (the elder's village, or for a device in stock the region holding
it), so "what may this desk see" is one range on that column: a county desk (scope 150523) sees its
county, a city desk (scope 1505) every county of the city. Elders, contacts and facilities shown
beside an alarm are read through their own domains' selectors, which apply the same scope.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Prefetch, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from yanglao.accounts.roles import Cap
from yanglao.alarms.models import Alarm, AlarmState, DeviceEvent, EventKind
from yanglao.alarms.rules import distance_m
from yanglao.core.masking import mask_text
from yanglao.elders import privacy
from yanglao.elders import selectors as elder_selectors
from yanglao.elders.models import ADVANCED_AGE_YEARS, Category, CategoryMembership, Elder, ElderContact
from yanglao.elders.models import Status as ElderStatus
from yanglao.elders.services import CAPABILITY_LEVEL_NAMES
from yanglao.regions.models import Region
from yanglao.regions.selectors import region_path, scope_narrowed

# The board shows the most urgent alarms first; beyond this many, the list page has the rest.
BOARD_LIMIT = 100
OPEN_STATES = (AlarmState.OPEN, AlarmState.ACKNOWLEDGED)
# Where an elder in trouble can get help nearby: the community tier of the network.
NEARBY_TYPES = ("station", "township_centre", "county_centre", "mutual_aid", "neighbour")


def _require(actor, capability: str = Cap.ALARMS_VIEW) -> None:
    if not actor.can(capability):
        raise PermissionDenied("您没有查看告警的权限。")


def alarms_in_scope(*, actor, region: str = "") -> QuerySet[Alarm]:
    """Every alarm the actor may see, optionally narrowed to a region inside its scope."""
    _require(actor)
    scope = scope_narrowed(scope=actor.scope, code=region)
    return scope.apply(Alarm.objects.all(), "region_code")


def _current_memberships(today: date) -> QuerySet[CategoryMembership]:
    return CategoryMembership.objects.filter(valid_from__lte=today).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=today)
    )


def with_card_data(alarms: QuerySet[Alarm], *, today: date | None = None) -> QuerySet[Alarm]:
    """What a card shows, in a constant number of queries: the alarm with its elder, village,
    device and claimant (one join), the region name for alarms without an elder, and the elder's
    categories in force today (one more query)."""
    today = today or timezone.localdate()
    region_name = Region.objects.filter(code=OuterRef("region_code")).values("full_name")[:1]
    return (
        alarms.select_related("elder__region", "device", "acknowledged_by")
        .annotate(region_full_name=Subquery(region_name))
        .prefetch_related(
            Prefetch("elder__categories", queryset=_current_memberships(today), to_attr="current_categories")
        )
    )


def decorate(alarms: list[Alarm], *, today: date | None = None) -> list[Alarm]:
    """Labels the templates and the API show for the elder: categories (高龄 from the birth date)
    and the capability level's name. Uses what ``with_card_data`` prefetched; no queries."""
    today = today or timezone.localdate()
    for alarm in alarms:
        elder = alarm.elder
        if elder is None:
            alarm.elder_tags, alarm.elder_level_name, alarm.elder_age, alarm.elder_address = [], "", None, ""
            continue
        alarm.elder_address = mask_text(elder.address)
        labels = {m.get_category_display() for m in getattr(elder, "current_categories", [])}
        age = elder.age_on(today)
        if age >= ADVANCED_AGE_YEARS:
            labels.add(Category.ADVANCED_AGE.label)
        alarm.elder_tags = sorted(labels)
        alarm.elder_age = age
        alarm.elder_level_name = (
            CAPABILITY_LEVEL_NAMES[elder.capability_level] if elder.capability_level is not None else "未评估"
        )
    return alarms


def board_queryset(*, actor, region: str = "") -> QuerySet[Alarm]:
    """The unresolved alarms, most urgent first: priority, then age."""
    return (
        alarms_in_scope(actor=actor, region=region)
        .filter(state__in=OPEN_STATES)
        .order_by("priority", "opened_at", "pk")
    )


@dataclass
class Board:
    cards: list[Alarm]
    total: int
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def hidden(self) -> int:
        return max(self.total - len(self.cards), 0)


def board(*, actor, region: str = "") -> Board:
    open_alarms = board_queryset(actor=actor, region=region)
    cards = decorate(list(with_card_data(open_alarms)[:BOARD_LIMIT]))
    total = len(cards) if len(cards) < BOARD_LIMIT else open_alarms.count()
    counts = {"open": 0, "acknowledged": 0, "escalated": 0}
    for alarm in cards:
        counts[alarm.state] = counts.get(alarm.state, 0) + 1
        counts["escalated"] += alarm.escalation_level > 0
    return Board(cards=cards, total=total, counts=counts)


def board_card(*, actor, pk: int) -> Alarm | None:
    """One alarm as a card, or None if it is not (or no longer) in the actor's scope."""
    found = list(with_card_data(alarms_in_scope(actor=actor).filter(pk=pk)))
    return decorate(found)[0] if found else None


def board_fingerprint(*, actor) -> dict[int, tuple]:
    """What a board needs to notice a change without Redis: per open alarm, the fields a card shows
    that can change. One narrow query; the stream's polling mode compares two of these."""
    rows = board_queryset(actor=actor).values_list(
        "pk", "state", "escalation_level", "merged_count", "acknowledged_by_id", "priority"
    )[:BOARD_LIMIT]
    return {row[0]: row[1:] for row in rows}


def alarm_get(*, actor, pk: int) -> Alarm:
    """One alarm in scope, with what its card and panel show (``decorate`` it for the labels)."""
    alarm = (
        with_card_data(alarms_in_scope(actor=actor))
        .select_related("resolved_by", "created_by")
        .filter(pk=pk)
        .first()
    )
    if alarm is None:
        raise Http404("告警不存在")
    return alarm


def alarm_for_update(*, actor, pk: int) -> Alarm:
    """The alarm a handler acts on: in scope, and the actor must be a desk operator."""
    _require(actor, Cap.ALARMS_HANDLE)
    return alarm_get(actor=actor, pk=pk)


def alarm_actions(*, alarm: Alarm):
    return alarm.actions.select_related("actor").order_by("at", "pk")


def earlier_alarms(*, actor, alarm: Alarm, limit: int = 10) -> list[Alarm]:
    """The elder's other alarms, newest first (the history the operator reads before calling)."""
    if alarm.elder_id is None:
        return []
    return list(
        alarms_in_scope(actor=actor)
        .filter(elder_id=alarm.elder_id)
        .exclude(pk=alarm.pk)
        .order_by("-opened_at", "-pk")[:limit]
    )


def recent_device_events(*, alarm: Alarm, limit: int = 8) -> list[DeviceEvent]:
    """The alarm's device's latest events other than heartbeats (the device's last contact is on
    the device itself). Read through the alarm, which the caller has already found in scope."""
    if alarm.device_id is None:
        return []
    return list(
        DeviceEvent.objects.filter(device_id=alarm.device_id)
        .exclude(kind=EventKind.HEARTBEAT)
        .order_by("-occurred_at", "-pk")[:limit]
    )


def elder_contacts(*, actor, alarm: Alarm) -> list[ElderContact]:
    if alarm.elder_id is None:
        return []
    elder = elder_selectors.elder_get(actor=actor, pk=alarm.elder_id)
    return list(elder.contacts.order_by("position", "pk"))


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float
    source: str  # 设备定位 / 老人住址 / 所在村（大致位置）


def alarm_location(alarm: Alarm) -> Location | None:
    """Where to look: the device's reported position, else the elder's home, else the nearest
    region up the tree (village, township, county) that has a location."""
    if alarm.latitude is not None and alarm.longitude is not None:
        return Location(float(alarm.latitude), float(alarm.longitude), "设备定位")
    elder = alarm.elder
    if elder is not None and elder.latitude is not None and elder.longitude is not None:
        return Location(float(elder.latitude), float(elder.longitude), "老人住址")
    region = elder.region if elder is not None else Region.objects.filter(code=alarm.region_code).first()
    if region is None:
        return None
    for place in reversed(region_path(region)):
        if place.latitude is not None and place.longitude is not None:
            return Location(float(place.latitude), float(place.longitude), f"{place.name}（大致位置）")
    return None


@dataclass(frozen=True)
class Nearby:
    facility: object
    distance_m: float

    @property
    def label(self) -> str:
        if self.distance_m >= 1000:
            return f"约 {self.distance_m / 1000:.1f} 公里"
        return f"约 {self.distance_m:.0f} 米"


def nearest_stations(*, actor, location: Location | None, limit: int = 3) -> list[Nearby]:
    """The nearest operating community facilities the actor may see, by straight-line distance.
    Facilities are read through the facilities selectors (its scope rule); a box around the point
    keeps the candidate set small, widened once if it finds nothing."""
    if location is None or not actor.can(Cap.FACILITIES_VIEW):
        return []
    from yanglao.facilities import selectors as facility_selectors

    base = facility_selectors.facility_list(
        actor=actor, filters=facility_selectors.FacilityFilters(status="operating")
    ).filter(type__in=NEARBY_TYPES, latitude__isnull=False, longitude__isnull=False)
    for box in (0.3, 1.5):
        candidates = base.filter(
            latitude__range=(location.latitude - box, location.latitude + box),
            longitude__range=(location.longitude - box * 1.3, location.longitude + box * 1.3),
        )[:500]
        ranked = sorted(
            (
                Nearby(
                    f,
                    distance_m(location.latitude, location.longitude, float(f.latitude), float(f.longitude)),
                )
                for f in candidates
            ),
            key=lambda n: n.distance_m,
        )
        if ranked:
            return ranked[:limit]
    return []


# --- the list ------------------------------------------------------------------------------------


@dataclass
class AlarmFilters:
    q: str = ""
    region: str = ""
    kind: str = ""
    cause: str = ""
    state: str = ""
    date_from: date | None = None
    date_to: date | None = None


def local_day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def alarm_list(*, actor, filters: AlarmFilters) -> QuerySet[Alarm]:
    """Alarms newest first, filtered; a constant number of queries whatever the page size."""
    alarms = alarms_in_scope(actor=actor, region=filters.region)
    if filters.kind:
        alarms = alarms.filter(kind=filters.kind)
    if filters.cause:
        alarms = alarms.filter(cause=filters.cause)
    if filters.state == "unresolved":
        alarms = alarms.filter(state__in=OPEN_STATES)
    elif filters.state:
        alarms = alarms.filter(state=filters.state)
    if filters.date_from:
        alarms = alarms.filter(opened_at__gte=local_day_start(filters.date_from))
    if filters.date_to:
        alarms = alarms.filter(opened_at__lt=local_day_start(filters.date_to + timedelta(days=1)))
    text = filters.q.strip()
    if text:
        alarms = alarms.filter(
            elder__in=elder_selectors.elders_in_scope(actor=actor).filter(elder_selectors.search_q(text))
        )
    return alarms.select_related("elder", "device", "acknowledged_by").order_by("-opened_at", "-pk")


# --- the hotline ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallerMatch:
    elder: Elder
    how: str  # 本人电话 / 备用电话 / 联系人 王芳（女儿）
    contact_id: int | None = None


def caller_matches(*, actor, phone: str) -> list[CallerMatch]:
    """Who may be calling from ``phone`` (already normalised by ``core.phones.parse_phone``): elders
    whose own or second phone it is, and elders whose contact it is — only elders the actor may
    see, found through the blind index (nothing is decrypted)."""
    _require(actor, Cap.ALARMS_HANDLE)
    index = privacy.phone_index(phone)
    scoped = elder_selectors.elders_in_scope(actor=actor).exclude(status=ElderStatus.MERGED)
    own = list(scoped.filter(Q(phone_index=index) | Q(phone_alt_index=index)).select_related("region")[:20])
    matches = [CallerMatch(e, "本人电话" if e.phone_index == index else "备用电话") for e in own]
    through_contacts = list(
        scoped.filter(pk__in=ElderContact.objects.filter(phone_index=index).values("elder_id"))
        .select_related("region")
        .prefetch_related(
            Prefetch("contacts", queryset=ElderContact.objects.filter(phone_index=index), to_attr="matched")
        )[:20]
    )
    for elder in through_contacts:
        for contact in elder.matched:
            label = f"联系人 {contact.name}" + (f"（{contact.relation}）" if contact.relation else "")
            matches.append(CallerMatch(elder, label, contact.pk))
    # Elders on the register first, then by name.
    return sorted(matches, key=lambda m: (m.elder.status != ElderStatus.ACTIVE, m.elder.name, m.elder.pk))
