"""Demo capability assessments: about one in six demo elders assessed, as counties report it.

Who gets assessed follows the registry: nearly everyone registered 失能/半失能, half of 特困 and 低保,
a quarter of the 80+, a few others. Answers are drawn to land in a level that fits the person, then
scored by the real scoring module — no level is typed. Most assessments are approved over the last
fourteen months (so the due list has overdue and soon-due people); in 开鲁县 some wait for approval,
some are drafts or returned, and a few falls and discharges call for an immediate re-assessment.

Rows are written in bulk (thousands through the services would make ``make run`` slow); the
results, the level history, the 失能/半失能 categories and the entitlement grants are the ones the
services would produce.
"""

import random
from datetime import date, datetime, time, timedelta

from django.db.models import Prefetch
from django.utils import timezone

from yanglao.accounts.models import User
from yanglao.accounts.roles import Role
from yanglao.accounts.services import user_create
from yanglao.assessments import scoring
from yanglao.assessments.models import (
    Assessment,
    AssessmentEvent,
    Reason,
    ReassessmentTrigger,
    Status,
    TriggerKind,
)
from yanglao.assessments.standard import (
    CONSCIOUSNESS_ITEM,
    DEMENTIA,
    DISEASE_DIAGNOSES,
    ITEMS,
    LEVELS,
    RISK_EVENTS,
)
from yanglao.benefits.models import EntitlementGrant, EntitlementRule
from yanglao.benefits.services import entitlements_for
from yanglao.demo.passwords import demo_password_hash
from yanglao.elders.models import Category, CategoryMembership, Elder, ElderEvent
from yanglao.elders.services import CAPABILITY_LEVEL_NAMES, DISABILITY_BY_LEVEL

PENDING_COUNTY = "150523"  # 开鲁县: where the demo officer finds work waiting
COMMON_DIAGNOSES = [d.name for d in DISEASE_DIAGNOSES[:20]]


def _assessors(counties: list[str], password: str) -> dict[str, tuple[User, User]]:
    """Two assessor accounts per county (pg-<county>-1/2), made once."""
    from yanglao.regions.models import Region

    names = dict(Region.objects.filter(code__in=[c + "000000" for c in counties]).values_list("code", "name"))
    pairs = {}
    for county in counties:
        users = []
        for n, word in ((1, "一"), (2, "二")):
            username = f"pg-{county}-{n}"
            user = User.objects.filter(username=username).first()
            if user is None:
                user, _ = user_create(
                    actor=None,
                    username=username,
                    display_name=f"{names.get(county + '000000', county)}评估员{word}",
                    role=Role.OFFICER,
                    region_code=county,
                    password_hash=demo_password_hash(password),
                    is_demo=True,
                )
            users.append(user)
        pairs[county] = (users[0], users[1])
    return pairs


def _target_level(rng: random.Random, categories: set[str], age: int) -> int:
    if Category.DISABLED_CARE in categories:
        return rng.choice([3, 3, 4])
    if Category.SEMI_DISABLED in categories:
        return rng.choice([2, 2, 2, 3])
    if age >= 85:
        return rng.choice([0, 1, 1, 2, 2, 3])
    return rng.choice([0, 0, 1, 1, 1, 2])


def _answers_for(rng: random.Random, level: int) -> dict[str, int]:
    """Answers whose total falls in the level's band, lowered item by item from full marks."""
    band = LEVELS[level]
    total = rng.randint(band.low, band.high)
    answers = {code: item.max_score for code, item in ITEMS.items()}
    deficit = sum(answers.values()) - total
    codes = [c for c in ITEMS if c != CONSCIOUSNESS_ITEM]
    while deficit > 0:
        code = rng.choice(codes)
        if answers[code] > 0:
            answers[code] -= 1
            deficit -= 1
        elif all(answers[c] == 0 for c in codes):
            answers[CONSCIOUSNESS_ITEM] -= 1
            deficit -= 1
    return answers


def _one(rng, elder, categories, on, assessors, status) -> tuple[Assessment, scoring.Result | None]:
    age = elder.age_on(on)
    answers = _answers_for(rng, _target_level(rng, categories, age))
    diagnoses = rng.sample(COMMON_DIAGNOSES, rng.choice([0, 1, 1, 2, 2, 3]))
    if rng.random() < 0.04:
        diagnoses.append(DEMENTIA.name)
    risk = dict.fromkeys(RISK_EVENTS, 0)
    if rng.random() < 0.06:
        risk["跌倒"] = rng.choice([1, 2, 2, 3])
    coma = answers[CONSCIOUSNESS_ITEM] == 0
    result = scoring.score(
        answers,
        coma=coma,
        dementia_or_mental_disorder=DEMENTIA.name in diagnoses,
        risk_events_30d=sum(risk.values()),
    )
    if status == Status.DRAFT:  # half-filled: the assessor is still at it
        answers = dict(list(answers.items())[: rng.randint(5, 20)])
        result = None
    first, second = assessors
    assessment = Assessment(
        elder=elder, region_id=elder.region_id, reference_date=on, status=status, answers=answers,
        reason=Reason.FIRST, diagnoses=diagnoses, risk_events=risk, coma=coma,
        informant_name=elder.name if rng.random() < 0.6 else "", informant_relation="本人",
        basic_info={"name": elder.name, "gender": elder.get_gender_display(), "birth_date": str(elder.birth_date),
                    "id_number_masked": elder.id_number_masked, "education": rng.choice(["文盲", "小学", "小学", "初中", "高中/技校/中专"]),
                    "payment": "城乡居民基本医疗保险", "income": "退休金/养老金"},
        assessor_1=first, assessor_2=second if status != Status.DRAFT else None,
    )  # fmt: skip
    if result is not None:
        assessment.subtotals, assessment.total = dict(result.subtotals), result.total
        assessment.preliminary_level, assessment.final_level = (
            result.preliminary_level.code,
            result.final_level.code,
        )
        assessment.level_reasons = list(result.reasons)
    at = timezone.make_aware(datetime.combine(on, time(10)))
    assessment.created_at = assessment.updated_at = at
    if status in (Status.SUBMITTED, Status.APPROVED, Status.RETURNED):
        assessment.submitted_at = at + timedelta(hours=2)
    if status == Status.RETURNED:
        assessment.return_reason = "信息提供者未签字，请补充后重新提交"
    return assessment, result


def seed_assessments(*, seed: int, password: str) -> int:
    """Create the demo assessments unless Tongliao already has some (a second run changes nothing)."""
    if Assessment.objects.filter(region__code__startswith="1505").exists():
        return 0
    rng = random.Random(seed * 7 + 6)
    today = timezone.localdate()
    active = Prefetch(
        "categories",
        queryset=CategoryMembership.objects.filter(valid_to__isnull=True),
        to_attr="open_memberships",
    )
    elders = list(
        Elder.objects.filter(region__code__startswith="1505", status="active")
        .prefetch_related(active)
        .order_by("pk")
    )
    counties = sorted({e.region_id[:6] for e in elders})
    assessors = _assessors(counties, password)
    approvers = {
        c: User.objects.filter(username={"150502": "horqin", "150523": "kailu"}.get(c, "tongliao")).first()
        for c in counties
    }
    fallback = User.objects.filter(username="tongliao").first() or approvers.get(counties[0])

    chosen = []
    for elder in elders:
        categories = {m.category for m in elder.open_memberships}
        age = elder.age_on(today)
        chance = 0.03
        if categories & {Category.DISABLED_CARE, Category.SEMI_DISABLED}:
            chance = 0.85
        elif categories & {Category.DESTITUTE, Category.SUBSISTENCE}:
            chance = 0.45
        elif age >= 80:
            chance = 0.2
        if rng.random() < chance:
            chosen.append((elder, categories))

    assessments, numbers = [], {}
    # The last month in 开鲁县: mostly approved, the rest waiting, half-filled or sent back.
    recent = [
        Status.SUBMITTED,
        Status.APPROVED,
        Status.SUBMITTED,
        Status.DRAFT,
        Status.APPROVED,
        Status.SUBMITTED,
        Status.RETURNED,
    ]
    for elder, categories in chosen:
        county = elder.region_id[:6]
        on = max(today - timedelta(days=rng.randrange(3, 420)), timezone.localdate(elder.created_at))
        status = Status.APPROVED
        if county == PENDING_COUNTY and on > today - timedelta(days=30):
            status = recent[len(assessments) % len(recent)]
        assessment, _ = _one(rng, elder, categories, on, assessors[county], status)
        prefix = f"PG{elder.region_id[:6]}{on:%Y}"
        numbers[prefix] = numbers.get(prefix, 0) + 1
        assessment.number = f"{prefix}{numbers[prefix]:05d}"
        if status == Status.APPROVED:
            assessment.approved_by = approvers.get(county) or fallback
            assessment.approved_at = timezone.make_aware(
                datetime.combine(on + timedelta(days=rng.randint(1, 6)), time(15))
            )
        assessments.append(assessment)
    Assessment.objects.bulk_create(assessments, batch_size=1000)

    events = []
    for a in assessments:
        events.append(
            AssessmentEvent(
                assessment=a, kind="created", actor=a.assessor_1, at=a.created_at, note="首次评估（演示数据）"
            )
        )
        if a.submitted_at:
            events.append(
                AssessmentEvent(
                    assessment=a,
                    kind="submitted",
                    actor=a.assessor_1,
                    at=a.submitted_at,
                    note=f"总分 {a.total}，最终等级 {a.final_level_name}",
                )
            )
        if a.status == Status.RETURNED:
            events.append(
                AssessmentEvent(
                    assessment=a,
                    kind="returned",
                    actor=approvers.get(PENDING_COUNTY),
                    at=a.submitted_at + timedelta(hours=3),
                    note=a.return_reason,
                )
            )
        if a.approved_at:
            events.append(
                AssessmentEvent(assessment=a, kind="approved", actor=a.approved_by, at=a.approved_at)
            )
    AssessmentEvent.objects.bulk_create(events, batch_size=2000)

    _apply_levels([a for a in assessments if a.status == Status.APPROVED])
    _add_triggers(rng, [e for e, _ in chosen if e.region_id.startswith(PENDING_COUNTY)], today)
    grant_all(today)
    return len(assessments)


def _apply_levels(approved: list[Assessment]) -> None:
    """What capability_record does, in bulk: the level, the 失能/半失能 category from the assessment
    date (the registration-time one ends the day before), and a line in the history."""
    elders, ends, drops, starts, events = [], [], [], [], []
    for a in approved:
        elder = a.elder
        elder.capability_level, elder.capability_assessed_on = a.final_level, a.reference_date
        elders.append(elder)
        wanted = DISABILITY_BY_LEVEL.get(a.final_level)
        held = [
            m
            for m in elder.open_memberships
            if m.category in (Category.DISABLED_CARE, Category.SEMI_DISABLED)
        ]
        for m in held:
            if m.category != wanted and m.valid_from >= a.reference_date:
                drops.append(m.pk)  # registered after the assessment date: the assessment replaces it
            elif m.category != wanted:
                m.valid_to = max(a.reference_date - timedelta(days=1), m.valid_from)
                m.source_document = f"{m.source_document}；能力评估 {a.number}"[:200]
                ends.append(m)
        if wanted and wanted not in {m.category for m in held}:
            starts.append(
                CategoryMembership(
                    elder=elder,
                    category=wanted,
                    valid_from=a.reference_date,
                    source_document=f"能力评估 {a.number}",
                )
            )
        events.append(ElderEvent(elder=elder, kind="capability", region_code=elder.region_id, at=a.approved_at, source="assessments",
                                 actor=a.approved_by, summary=f"能力等级：未评估 → {CAPABILITY_LEVEL_NAMES[a.final_level]}（评估 {a.number}，{a.reference_date}）",
                                 data={"from": None, "to": a.final_level, "assessment": a.number}))  # fmt: skip
    Elder.objects.bulk_update(elders, ["capability_level", "capability_assessed_on"], batch_size=1000)
    CategoryMembership.objects.filter(pk__in=drops).delete()
    CategoryMembership.objects.bulk_update(ends, ["valid_to", "source_document"], batch_size=1000)
    CategoryMembership.objects.bulk_create(starts, batch_size=1000)
    ElderEvent.objects.bulk_create(events, batch_size=2000)


def _add_triggers(rng: random.Random, elders: list[Elder], today: date) -> None:
    kinds = [TriggerKind.FALL, TriggerKind.FALL, TriggerKind.DISCHARGE, TriggerKind.CAREGIVER]
    notes = {
        TriggerKind.FALL: "在家中跌倒，家属报告",
        TriggerKind.DISCHARGE: "脑梗塞住院治疗后出院",
        TriggerKind.CAREGIVER: "护理员报告进食明显减少",
    }
    picked = [e for e in elders if e.capability_level is not None]
    for elder in rng.sample(picked, min(6, len(picked))):
        kind = rng.choice(kinds)
        on = today - timedelta(days=rng.randint(1, 12))
        ReassessmentTrigger.objects.create(
            elder=elder, region_id=elder.region_id, kind=kind, occurred_on=on, note=notes[kind]
        )
        ElderEvent.objects.create(
            elder=elder,
            kind="reassessment_needed",
            region_code=elder.region_id,
            source="assessments",
            summary=f"需即时评估：{kind.label}（{on}），{notes[kind]}",
        )


def grant_all(today: date) -> int:
    """Every demo elder's entitlements as of today, recorded as grants (what the daily refresh
    would leave), from when the person came to qualify as far as the demo record tells."""
    EntitlementGrant.objects.filter(region_code__startswith="1505").delete()
    rules = list(EntitlementRule.objects.select_related("region"))  # each elder's region picks its own
    grants = []
    elders = (
        Elder.objects.filter(region__code__startswith="1505", status="active")
        .prefetch_related("categories")
        .order_by("pk")
    )
    for elder in elders.iterator(chunk_size=2000):
        for entitlement in entitlements_for(elder, today, rules):
            rule = entitlement.rule
            since = max(elder.created_at.date(), rule.valid_from)
            if rule.conditions.get("levels") and elder.capability_assessed_on:
                since = max(since, elder.capability_assessed_on)
            if rule.conditions.get("min_age"):
                year = elder.birth_date.year + int(rule.conditions["min_age"])
                try:
                    birthday = elder.birth_date.replace(year=year)
                except ValueError:  # born on 29 February
                    birthday = date(year, 3, 1)
                since = max(since, birthday)
            grants.append(
                EntitlementGrant(
                    elder=elder, rule=rule, region_code=elder.region_id, valid_from=min(since, today)
                )
            )
    EntitlementGrant.objects.bulk_create(grants, batch_size=2000)
    return len(grants)
