"""派单建议: assign a day's accepted orders in one township to a provider's caregivers, as routes.

The problem (a vehicle routing problem with time windows and site dependencies)
    * Clients are the orders: the elder's home (its coordinates, else its village's or township's
      centre), a service duration (the product's standard minutes × quantity, hours × 60; 60
      minutes when the product sets none) and a time window (the order's window; without one the
      whole working day). The window bounds the *start* of the service, and the service must end by
      the window's end: the latest start is ``window_end - duration``.
    * Vehicles are the caregivers: one each, starting and ending at home (their coordinates, else
      their home region's centre), working ``SHIFT_START``–``SHIFT_END``.
    * Travel: haversine distance in whole metres; time = distance / ``SPEED_KMH``, whole seconds,
      rounded up. The objective is the total distance.
    * Skills and certificates: ``selectors.caregiver_can_do`` decides, per caregiver and product,
      on the day. PyVRP 0.12 has no skills; it has *routing profiles* (one distance/duration matrix
      per vehicle type), the way its documentation models site-dependent VRPs (access
      restrictions). Caregivers able to do the same set of orders share a profile in which every
      edge into an order they may not do costs ``FORBIDDEN`` (distance and duration). Orders are
      optional clients with a ``PRIZE`` far above any real detour and far below ``FORBIDDEN``: a
      forbidden visit can never pay off, an allowed one always does when it fits in time. The
      solution is checked afterwards (skills, time warp); should a check fail, the greedy plan is
      used instead and the page says so.
    * Orders no caregiver may do are not given to the solver; they come back unassigned with the
      reason. Orders the solver leaves out come back as "cannot be fitted in working hours".

Baseline (``greedy``): nearest free caregiver. Orders in order of their window (earliest start,
then earliest latest-start); each goes to the capable caregiver who can still reach it in time and
get home by the end of the day, nearest to where that caregiver is now.

Search (``solve``): the greedy plan, the greedy plan improved by PyVRP's local search under a strict
time-window penalty (feasible, and typically a third shorter, in a fraction of a second), and a few
random starts improved the same way form the initial population of PyVRP's hybrid genetic search,
which runs for the rest of the budget (``MaxRuntime``, or ``MaxIterations`` for reproducible tests).
The best feasible solution is kept, so the answer is never worse than the baseline by the solver's
objective (total distance, plus a prize for every order left out).

Not modelled: orders a caregiver already has that day (elsewhere or dispatched earlier), breaks,
and real road distances (straight lines, the same for both methods).
"""

import math
import time
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q
from django.http import Http404

from yanglao.accounts.roles import Cap
from yanglao.care.models import (
    Caregiver,
    CaregiverCertificate,
    CaregiverStatus,
    OrderState,
    Provider,
    ServiceProduct,
    Unit,
    WorkOrder,
)
from yanglao.care.selectors import caregiver_can_do, county_scope, provider_scoped
from yanglao.regions.models import Region
from yanglao.regions.scope import Scope

SHIFT_START = 8 * 3600  # 08:00, seconds since midnight
SHIFT_END = 18 * 3600  # 18:00
SPEED_KMH = 20  # town and village roads, an electric bicycle or a small car
DEFAULT_MINUTES = 60
PRIZE = 10_000_000  # 10,000 km: any order that fits is worth its detour
FORBIDDEN = 1_000_000_000  # an edge into an order this caregiver may not do
EARTH_RADIUS_M = 6_371_008.8
DEFAULT_MAX_SECONDS = 5.0
STRICT_TW_PENALTY = 100_000  # per second late: the seeding local search keeps every window
RANDOM_STARTS = 4
MAX_ORDERS = 600


@dataclass
class Job:
    """One order to place: where, how long, when (seconds since midnight), who may do it."""

    key: int
    lat: float
    lng: float
    service_s: int
    tw_early: int
    tw_late: int
    allowed: frozenset[int]  # indices of the workers who may do it
    label: str = ""


@dataclass
class Worker:
    key: int
    lat: float
    lng: float
    label: str = ""


@dataclass
class Stop:
    job: int  # index into jobs
    arrival_s: int
    start_s: int
    end_s: int
    wait_s: int
    distance_m: int  # from the previous place

    @property
    def arrival(self) -> str:
        return clock(self.arrival_s)

    @property
    def start(self) -> str:
        return clock(self.start_s)

    @property
    def end(self) -> str:
        return clock(self.end_s)


@dataclass
class Plan:
    """Routes per worker index (each a list of stops) and the totals."""

    routes: dict[int, list[Stop]]
    route_distance: dict[int, int]
    unassigned: list[int]
    distance_m: int
    method: str
    feasible: bool = True
    seconds: float = 0.0
    iterations: int = 0


# --- geometry -----------------------------------------------------------------------------------


def distance_matrix(points: list[tuple[float, float]]) -> np.ndarray:
    """Whole-metre haversine distances between (lat, lng) points."""
    if not points:
        return np.zeros((0, 0), dtype=np.int64)
    lat = np.radians(np.array([p[0] for p in points], dtype=float))
    lng = np.radians(np.array([p[1] for p in points], dtype=float))
    dlat = lat[:, None] - lat[None, :]
    dlng = lng[:, None] - lng[None, :]
    a = np.sin(dlat / 2) ** 2 + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(dlng / 2) ** 2
    metres = 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(1.0, np.sqrt(a)))
    return np.rint(metres).astype(np.int64)


def travel_seconds(distances: np.ndarray, speed_kmh: float = SPEED_KMH) -> np.ndarray:
    return np.ceil(distances * 3.6 / speed_kmh).astype(np.int64)


@dataclass
class Instance:
    jobs: list[Job]
    workers: list[Worker]
    dist: np.ndarray  # locations: workers' homes first, then jobs
    dur: np.ndarray
    shift_start: int = SHIFT_START
    shift_end: int = SHIFT_END

    @classmethod
    def build(cls, jobs: list[Job], workers: list[Worker], **shift) -> "Instance":
        points = [(w.lat, w.lng) for w in workers] + [(j.lat, j.lng) for j in jobs]
        dist = distance_matrix(points)
        return cls(jobs, workers, dist, travel_seconds(dist), **shift)

    def loc(self, job: int) -> int:
        return len(self.workers) + job


# --- the baseline -----------------------------------------------------------------------------------


def greedy(inst: Instance) -> Plan:
    """Nearest free caregiver (see the module notes)."""
    started = time.perf_counter()
    where = list(range(len(inst.workers)))  # each worker's current location
    clock = [inst.shift_start] * len(inst.workers)
    routes: dict[int, list[Stop]] = {w: [] for w in range(len(inst.workers))}
    unassigned = []
    order = sorted(range(len(inst.jobs)), key=lambda j: (inst.jobs[j].tw_early, inst.jobs[j].tw_late, j))
    for j in order:
        job, loc = inst.jobs[j], inst.loc(j)
        best = None
        for w in sorted(job.allowed):
            travel = int(inst.dist[where[w], loc])
            arrival = clock[w] + int(inst.dur[where[w], loc])
            start = max(arrival, job.tw_early)
            if start > job.tw_late:
                continue
            end = start + job.service_s
            if end + int(inst.dur[loc, w]) > inst.shift_end:
                continue
            candidate = (travel, start, w)
            if best is None or candidate < best[0]:
                best = (candidate, Stop(j, arrival, start, end, start - arrival, travel))
        if best is None:
            unassigned.append(j)
            continue
        w, stop = best[0][2], best[1]
        routes[w].append(stop)
        where[w], clock[w] = loc, stop.end_s
    route_distance = {}
    for w, stops in routes.items():
        if stops:
            route_distance[w] = sum(s.distance_m for s in stops) + int(inst.dist[inst.loc(stops[-1].job), w])
    return Plan(
        routes={w: s for w, s in routes.items() if s},
        route_distance=route_distance,
        unassigned=sorted(unassigned),
        distance_m=sum(route_distance.values()),
        method="greedy",
        seconds=time.perf_counter() - started,
    )


# --- PyVRP --------------------------------------------------------------------------------------------


def _problem(inst: Instance):
    from pyvrp import Client, Depot, ProblemData, VehicleType

    n_workers = len(inst.workers)
    depots = [
        Depot(x=w.lng, y=w.lat, tw_early=inst.shift_start, tw_late=inst.shift_end, name=str(w.key))
        for w in inst.workers
    ]
    clients = [
        Client(
            x=j.lng,
            y=j.lat,
            service_duration=j.service_s,
            tw_early=j.tw_early,
            tw_late=j.tw_late,
            prize=PRIZE,
            required=False,
            name=str(j.key),
        )
        for j in inst.jobs
    ]
    # One routing profile per distinct set of orders a caregiver may do.
    signatures: dict[frozenset, int] = {}
    worker_profile = []
    for w in range(n_workers):
        allowed = frozenset(j for j, job in enumerate(inst.jobs) if w in job.allowed)
        worker_profile.append(signatures.setdefault(allowed, len(signatures)))
    distances, durations = [], []
    for allowed in signatures:
        forbidden = [n_workers + j for j in range(len(inst.jobs)) if j not in allowed]
        dist, dur = inst.dist.copy(), inst.dur.copy()
        if forbidden:
            dist[:, forbidden] = FORBIDDEN
            dur[:, forbidden] = FORBIDDEN
            for f in forbidden:
                dist[f, f] = dur[f, f] = 0
        distances.append(dist)
        durations.append(dur)
    vehicle_types = [
        VehicleType(
            num_available=1,
            start_depot=w,
            end_depot=w,
            tw_early=inst.shift_start,
            tw_late=inst.shift_end,
            profile=worker_profile[w],
            name=str(inst.workers[w].key),
        )
        for w in range(n_workers)
    ]
    return ProblemData(clients, depots, vehicle_types, distances, durations)


def _solution_of(data, inst: Instance, plan: Plan):
    from pyvrp import Route, Solution

    return Solution(
        data,
        [Route(data, [inst.loc(s.job) for s in stops], w) for w, stops in plan.routes.items() if stops],
    )


def _plan_of(solution, inst: Instance, method: str) -> Plan:
    n_workers = len(inst.workers)
    routes, route_distance, served = {}, {}, set()
    for route in solution.routes():
        w = route.vehicle_type()
        stops, previous = [], w
        for visit in route.schedule():
            if visit.location < n_workers:
                continue
            j = visit.location - n_workers
            travel = int(inst.dist[previous, visit.location])
            arrival = visit.start_service - visit.wait_duration
            stops.append(
                Stop(j, arrival, visit.start_service, visit.end_service, visit.wait_duration, travel)
            )
            previous = visit.location
            served.add(j)
        if stops:
            routes[w] = stops
            route_distance[w] = sum(s.distance_m for s in stops) + int(inst.dist[previous, w])
    return Plan(
        routes=routes,
        route_distance=route_distance,
        unassigned=sorted(set(range(len(inst.jobs))) - served),
        distance_m=sum(route_distance.values()),
        method=method,
        feasible=solution.is_feasible(),
    )


def _valid(plan: Plan, inst: Instance) -> bool:
    """Every stop by an allowed caregiver, inside its window, the day ends on time."""
    for w, stops in plan.routes.items():
        for stop in stops:
            job = inst.jobs[stop.job]
            if w not in job.allowed or not (job.tw_early <= stop.start_s <= job.tw_late):
                return False
        last = stops[-1]
        if last.end_s + int(inst.dur[inst.loc(last.job), w]) > inst.shift_end:
            return False
    return plan.feasible


def solve(
    inst: Instance,
    *,
    max_seconds: float | None = DEFAULT_MAX_SECONDS,
    max_iterations: int | None = None,
    seed: int = 0,
    baseline: Plan | None = None,
) -> Plan:
    """The PyVRP plan (hybrid genetic search), seeded with the greedy plan; greedy if it fails a check."""
    from pyvrp import (
        CostEvaluator,
        GeneticAlgorithm,
        PenaltyManager,
        Population,
        RandomNumberGenerator,
        Solution,
    )
    from pyvrp.crossover import ordered_crossover as ox
    from pyvrp.crossover import selective_route_exchange as srex
    from pyvrp.diversity import broken_pairs_distance as bpd
    from pyvrp.search import NODE_OPERATORS, ROUTE_OPERATORS, LocalSearch, compute_neighbours
    from pyvrp.solve import SolveParams
    from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

    baseline = baseline or greedy(inst)
    if not inst.jobs or not inst.workers or all(not j.allowed for j in inst.jobs):
        return Plan(
            routes={}, route_distance={}, unassigned=list(range(len(inst.jobs))), distance_m=0, method="pyvrp"
        )
    started = time.perf_counter()
    data = _problem(inst)
    params = SolveParams()
    rng = RandomNumberGenerator(seed=seed)
    search = LocalSearch(data, rng, compute_neighbours(data, params.neighbourhood))
    for op in NODE_OPERATORS:
        if op.supports(data):
            search.add_node_operator(op(data))
    for op in ROUTE_OPERATORS:
        if op.supports(data):
            search.add_route_operator(op(data))
    # Start from the baseline improved by local search under a strict time-window penalty (feasible
    # and far shorter within a fraction of a second), plus a few random starts improved the same
    # way for diversity; the genetic search then works from these for the rest of the budget.
    strict = CostEvaluator([0.0] * data.num_load_dimensions, STRICT_TW_PENALTY, 0)
    greedy_solution = _solution_of(data, inst, baseline)
    initial = [greedy_solution, search(greedy_solution, strict)]
    initial += [search(Solution.make_random(data, rng), strict) for _ in range(RANDOM_STARTS)]
    criteria = []
    if max_iterations is not None:
        criteria.append(MaxIterations(max_iterations))
    if max_seconds is not None:
        criteria.append(MaxRuntime(max_seconds))
    stop = MultipleCriteria(criteria) if len(criteria) > 1 else criteria[0]
    algorithm = GeneticAlgorithm(
        data,
        PenaltyManager.init_from(data, params.penalty),
        rng,
        Population(bpd, params.population),
        search,
        srex if data.num_vehicles > 1 else ox,
        initial,
        params.genetic,
    )
    result = algorithm.run(stop, collect_stats=False, display=False)
    plan = _plan_of(result.best, inst, "pyvrp")
    plan.seconds = time.perf_counter() - started
    plan.iterations = result.num_iterations
    if not _valid(plan, inst) or len(plan.unassigned) > len(baseline.unassigned):
        baseline.method = "greedy-fallback"
        return baseline
    return plan


# --- from the database --------------------------------------------------------------------------------


def _require(actor) -> None:
    if actor is None or not (actor.can(Cap.CARE_DISPATCH) or actor.can(Cap.CARE_EDIT)):
        raise PermissionDenied("您没有派单的权限。")


def township_choices(*, actor) -> list[Region]:
    """The townships the actor may plan for: under its scope (a provider's staff: its county)."""
    _require(actor)
    scope = county_scope(actor.scope) if actor.scope.operator_id else actor.scope
    if scope.is_empty:
        return []
    if len(scope.prefix) > 9:
        scope = Scope(prefix=scope.prefix[:9], operator_id=scope.operator_id)
    return list(scope.apply(Region.objects.filter(level=Region.Level.TOWNSHIP), "code").order_by("code"))


def township_get(*, actor, code: str) -> Region:
    for township in township_choices(actor=actor):
        if township.code == code or township.prefix == code:
            return township
    raise Http404("苏木乡镇不存在或不在您的管辖范围内")


def provider_choices(*, actor, township: Region) -> list[Provider]:
    """The providers contracted with the township's county, as the actor may see them."""
    _require(actor)
    return list(
        provider_scoped(actor.scope)
        .filter(county_id=township.code[:6] + "000000")
        .select_related("operator")
        .order_by("operator__name")
    )


def provider_get(*, actor, township: Region, pk) -> Provider:
    for provider in provider_choices(actor=actor, township=township):
        if str(provider.pk) == str(pk):
            return provider
    raise Http404("服务商不存在或不在您的管辖范围内")


def pending_orders(*, actor, provider: Provider, township: Region, day: date):
    """Accepted, not yet dispatched orders of the provider in the township on the day (in scope)."""
    _require(actor)
    orders = Scope(prefix=township.prefix).apply(
        WorkOrder.objects.filter(
            provider=provider, scheduled_date=day, state=OrderState.ACCEPTED, caregiver__isnull=True
        ),
        "region_code",
    )
    seen = county_scope(actor.scope) if actor.scope.operator_id else actor.scope
    orders = seen.apply(orders, "region_code")
    if actor.scope.operator_id and provider.operator_id != actor.scope.operator_id:
        return orders.none()
    return orders.select_related("product", "elder").order_by("window_start", "number")


def available_caregivers(*, provider: Provider, day: date):
    return (
        Caregiver.objects.filter(provider=provider, status=CaregiverStatus.ACTIVE)
        .filter(Q(joined_on__isnull=True) | Q(joined_on__lte=day))
        .filter(Q(left_on__isnull=True) | Q(left_on__gte=day))
        .select_related("home_region")
        .prefetch_related(
            Prefetch("skills", queryset=ServiceProduct.objects.only("pk", "name")),
            Prefetch("certificates", queryset=CaregiverCertificate.objects.all()),
        )
        .order_by("name", "pk")
    )


def service_seconds(product: ServiceProduct, quantity: int) -> int:
    if product.unit == Unit.HOUR:
        return 3600 * quantity
    return 60 * (product.standard_minutes or DEFAULT_MINUTES) * quantity


def _seconds(value) -> int | None:
    return None if value is None else value.hour * 3600 + value.minute * 60 + value.second


def _point(obj) -> tuple[float, float] | None:
    if obj is None or obj.latitude is None or obj.longitude is None:
        return None
    return float(obj.latitude), float(obj.longitude)


def _window(order, service_s: int, shift_start: int, shift_end: int) -> tuple[int, int]:
    early = _seconds(order.window_start)
    late = _seconds(order.window_end)
    early = shift_start if early is None else early
    late = shift_end if late is None else late
    return early, max(early, late - service_s)


@dataclass
class Unassigned:
    order: WorkOrder
    code: str
    reason: str


@dataclass
class RouteView:
    caregiver: Caregiver
    stops: list  # (Stop, WorkOrder, (lat, lng))
    distance_m: int
    home: tuple[float, float]


@dataclass
class Suggestion:
    township: Region
    provider: Provider
    day: date
    routes: list[RouteView] = field(default_factory=list)
    unassigned: list[Unassigned] = field(default_factory=list)
    distance_m: int = 0
    method: str = "pyvrp"
    seconds: float = 0.0
    greedy_distance_m: int = 0
    greedy_assigned: int = 0
    assigned: int = 0
    order_count: int = 0
    caregiver_count: int = 0

    @property
    def ratio(self) -> float | None:
        return self.distance_m / self.greedy_distance_m if self.greedy_distance_m else None

    def assignments(self) -> list[tuple[int, int]]:
        return [(order.pk, route.caregiver.pk) for route in self.routes for _, order, _ in route.stops]


def suggest(
    *,
    actor,
    provider: Provider,
    township: Region,
    day: date,
    max_seconds: float | None = DEFAULT_MAX_SECONDS,
    max_iterations: int | None = None,
    seed: int = 0,
) -> Suggestion:
    """Routes per caregiver for the day's accepted orders of ``provider`` in ``township``."""
    _require(actor)
    suggestion = Suggestion(township=township, provider=provider, day=day)
    orders = list(pending_orders(actor=actor, provider=provider, township=township, day=day)[:MAX_ORDERS])
    caregivers = list(available_caregivers(provider=provider, day=day))
    suggestion.order_count, suggestion.caregiver_count = len(orders), len(caregivers)
    if not orders:
        return suggestion
    codes = {o.region_code for o in orders} | {o.region_code[:9] + "000" for o in orders}
    codes |= {c.home_region_id for c in caregivers}
    centres = {r.code: _point(r) for r in Region.objects.filter(code__in=codes)}
    workers, homes = [], []
    for index, caregiver in enumerate(caregivers):
        home = _point(caregiver) or centres.get(caregiver.home_region_id) or _point(township)
        if home is None:
            continue
        workers.append(Worker(index, home[0], home[1], caregiver.name))
        homes.append(home)
    jobs, job_orders = [], []
    for order in orders:
        where = (
            _point(order.elder)
            or centres.get(order.region_code)
            or centres.get(order.region_code[:9] + "000")
        )
        if where is None:
            suggestion.unassigned.append(
                Unassigned(order, "no_location", "老年人住址和所在区划都没有坐标，无法安排路线。")
            )
            continue
        verdicts = [caregiver_can_do(caregivers[w.key], order.product, on=day) for w in workers]
        allowed = frozenset(i for i, verdict in enumerate(verdicts) if verdict)
        if not workers:
            suggestion.unassigned.append(Unassigned(order, "no_caregiver", "该服务商当天没有在岗护理员。"))
            continue
        if not allowed:
            codes_seen = {v.code for v in verdicts}
            why = (
                f"没有持有效养老护理员证书并具备“{order.product.name}”技能的护理员。"
                if codes_seen & {"certificate_expired", "certificate_missing", "certificate_level_low"}
                else f"没有具备“{order.product.name}”技能的护理员。"
            )
            suggestion.unassigned.append(Unassigned(order, "no_capable_caregiver", why))
            continue
        service = service_seconds(order.product, order.quantity)
        early, late = _window(order, service, SHIFT_START, SHIFT_END)
        jobs.append(Job(order.pk, where[0], where[1], service, early, late, allowed, order.number))
        job_orders.append((order, where))
    if not jobs:
        return suggestion
    inst = Instance.build(jobs, workers)
    baseline = greedy(inst)
    suggestion.greedy_distance_m = baseline.distance_m
    suggestion.greedy_assigned = len(jobs) - len(baseline.unassigned)
    plan = solve(inst, max_seconds=max_seconds, max_iterations=max_iterations, seed=seed, baseline=baseline)
    suggestion.method, suggestion.seconds, suggestion.distance_m = plan.method, plan.seconds, plan.distance_m
    for w, stops in sorted(plan.routes.items(), key=lambda item: workers[item[0]].label):
        caregiver = caregivers[workers[w].key]
        suggestion.routes.append(
            RouteView(
                caregiver=caregiver,
                stops=[(stop, job_orders[stop.job][0], job_orders[stop.job][1]) for stop in stops],
                distance_m=plan.route_distance[w],
                home=homes[w],
            )
        )
    for j in plan.unassigned:
        suggestion.unassigned.append(
            Unassigned(
                job_orders[j][0],
                "not_scheduled",
                "护理员工作时间内排不下（时间窗、服务时长或路程冲突），请调整时间窗或人工派单。",
            )
        )
    suggestion.assigned = sum(len(r.stops) for r in suggestion.routes)
    return suggestion


def clock(seconds: int) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def km(metres: int) -> str:
    return f"{metres / 1000:.1f}"


def ceil_minutes(seconds: int) -> int:
    return math.ceil(seconds / 60)
