"""The capability-assessment workflow (GB/T 42195-2022): draft → submitted (two assessors) → approved
by a county or city officer, or returned with a reason; what approval writes to the elder's record;
and the re-assessment due list (routine after 12 months, immediate after a trigger)."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from tests.assessments.factories import TOTAL_FOR_LEVEL, answers_with_total
from tests.conftest import HORQIN_TOWN, KAILU_TOWN, KAILU_VILLAGE, make_elder, make_user
from yanglao.assessments import selectors, services
from yanglao.assessments.models import Assessment, AssessmentEvent, ReassessmentTrigger, Status
from yanglao.assessments.selectors import AssessmentFilters
from yanglao.assessments.standard import DIMENSIONS
from yanglao.core.models import AuditEntry
from yanglao.elders import services as elder_services
from yanglao.elders.models import Category, CategoryMembership, ElderEvent

HORQIN_VILLAGE = HORQIN_TOWN + "001"
TODAY = timezone.localdate()


def codes(error: ValidationError) -> set[str]:
    if hasattr(error, "error_dict"):
        return {e.code for errors in error.error_dict.values() for e in errors}
    return {e.code for e in error.error_list}


def kinds(assessment) -> list[str]:
    return list(AssessmentEvent.objects.filter(assessment=assessment).values_list("kind", flat=True))


@pytest.fixture
def elder(db):
    return make_elder(KAILU_VILLAGE, born=date(1940, 4, 1))


@pytest.fixture
def assessor(township_officer):
    return township_officer


@pytest.fixture
def second(db):
    return make_user("kailuzhen-2", "officer", KAILU_TOWN)


@pytest.fixture
def approver(kailu_officer):
    return kailu_officer


def draft(elder, actor, *, on=None, **kwargs):
    return services.assessment_create(actor=actor, elder=elder, reference_date=on or TODAY, **kwargs)


def complete(elder, actor, second, *, level=1, on=None, **kwargs):
    assessment = draft(elder, actor, on=on, **kwargs)
    return services.assessment_save(
        actor=actor,
        assessment=assessment,
        answers=answers_with_total(TOTAL_FOR_LEVEL[level]),
        assessor_2=second,
    )


def submitted(elder, actor, second, **kwargs):
    return services.assessment_submit(actor=actor, assessment=complete(elder, actor, second, **kwargs))


def approved(elder, actor, second, approver, **kwargs):
    return services.assessment_approve(actor=approver, assessment=submitted(elder, actor, second, **kwargs))


def reloaded(obj):
    return type(obj).objects.get(pk=obj.pk)


# --- drafting -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_starts_a_numbered_draft_in_the_elders_region(elder, assessor):
    assessment = draft(elder, assessor)
    assert assessment.status == Status.DRAFT
    assert assessment.number == f"PG150523{TODAY:%Y}00001"
    assert (
        draft(make_elder(KAILU_VILLAGE, name="王建国", gender="M"), assessor).number
        == f"PG150523{TODAY:%Y}00002"
    )
    assert assessment.region_id == elder.region_id and assessment.assessor_1 == assessor
    assert assessment.basic_info["name"] == elder.name


@pytest.mark.django_db
def test_partial_answers_are_saved_without_results(elder, assessor):
    assessment = draft(elder, assessor)
    services.assessment_save(actor=assessor, assessment=assessment, answers={"B.1.1": 4, "B.1.2": 3})
    services.assessment_save(actor=assessor, assessment=assessment, answers={"B.2.4": 2})
    stored = reloaded(assessment)
    assert stored.answers == {"B.1.1": 4, "B.1.2": 3, "B.2.4": 2}
    assert stored.total is None and stored.subtotals == {}
    assert stored.preliminary_level is None and stored.final_level is None


@pytest.mark.django_db
def test_complete_answers_compute_subtotals_total_and_levels(elder, assessor):
    assessment = draft(elder, assessor)
    answers = answers_with_total(40)
    services.assessment_save(actor=assessor, assessment=assessment, answers=answers)
    stored = reloaded(assessment)
    assert stored.subtotals == {d.code: sum(answers[i.code] for i in d.items) for d in DIMENSIONS}
    assert stored.total == 40
    assert stored.preliminary_level == stored.final_level == 3
    assert stored.level_reasons == []


@pytest.mark.django_db
def test_a_dementia_diagnosis_raises_the_final_level_by_one(elder, assessor):
    assessment = draft(elder, assessor)
    services.assessment_save(
        actor=assessor, assessment=assessment, answers=answers_with_total(75), diagnoses=["痴呆"]
    )
    stored = reloaded(assessment)
    assert (stored.preliminary_level, stored.final_level) == (1, 2)
    assert stored.level_reasons


@pytest.mark.django_db
def test_changing_an_answer_recomputes_the_results(elder, assessor):
    assessment = draft(elder, assessor)
    services.assessment_save(actor=assessor, assessment=assessment, answers=answers_with_total(90))
    services.assessment_save(actor=assessor, assessment=assessment, answers={"B.1.1": 0})
    stored = reloaded(assessment)
    assert stored.total == 86 and stored.subtotals["B.1"] == 28 and stored.final_level == 1


@pytest.mark.django_db
@pytest.mark.parametrize("field", ["total", "final_level", "preliminary_level", "subtotals", "status"])
def test_results_and_status_cannot_be_typed(elder, assessor, field):
    assessment = draft(elder, assessor)
    with pytest.raises(ValueError, match="unknown parts"):
        services.assessment_save(actor=assessor, assessment=assessment, **{field: 3})
    assert reloaded(assessment).total is None and reloaded(assessment).status == Status.DRAFT


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "value"),
    [("B.1.1", 5), ("B.1.1", -1), ("B.2.4", 4), ("B.3.7", 2), ("B.3.9", 3), ("B.1.1", "x"), ("B.1.1", True)],
)
def test_out_of_range_score_is_refused_and_nothing_saved(elder, assessor, code, value):
    assessment = draft(elder, assessor)
    with pytest.raises(ValidationError) as error:
        services.assessment_save(actor=assessor, assessment=assessment, answers={"B.1.2": 4, code: value})
    assert codes(error.value) == {"out_of_range"}
    assert reloaded(assessment).answers == {}


@pytest.mark.django_db
def test_unknown_item_code_is_refused(elder, assessor):
    assessment = draft(elder, assessor)
    with pytest.raises(ValidationError) as error:
        services.assessment_save(actor=assessor, assessment=assessment, answers={"B.5.1": 1, "B.1.1": 4})
    assert codes(error.value) == {"unknown_item"}
    assert reloaded(assessment).answers == {}


@pytest.mark.django_db
def test_an_unconscious_answer_needs_the_coma_question(elder, assessor):
    assessment = draft(elder, assessor)
    with pytest.raises(ValidationError) as error:
        services.assessment_save(actor=assessor, assessment=assessment, answers=answers_with_total(0))
    assert error.value.error_dict["coma"][0].code == "coma_unspecified"
    services.assessment_save(actor=assessor, assessment=assessment, answers=answers_with_total(0), coma=True)
    assert reloaded(assessment).final_level == 4


@pytest.mark.django_db
@pytest.mark.parametrize("status", ["deceased", "moved_out"])
def test_an_elder_no_longer_registered_cannot_be_assessed(elder, assessor, kailu_officer, status):
    elder_services.elder_set_status(actor=kailu_officer, elder=elder, status=status, on=TODAY)
    with pytest.raises(ValidationError) as error:
        draft(elder, assessor)
    assert codes(error.value) == {"elder_not_active"}
    assert not Assessment.objects.exists()


@pytest.mark.django_db
def test_an_elder_who_died_during_the_draft_cannot_be_approved(
    elder, assessor, second, approver, kailu_officer
):
    assessment = submitted(elder, assessor, second, level=3)
    elder_services.elder_set_status(actor=kailu_officer, elder=elder, status="deceased", on=TODAY)
    with pytest.raises(ValidationError) as error:
        services.assessment_approve(actor=approver, assessment=reloaded(assessment))
    assert codes(error.value) == {"elder_not_active"}
    assert reloaded(elder).capability_level is None
    assert not CategoryMembership.objects.filter(elder=elder, valid_to__isnull=True).exists()


@pytest.mark.django_db
def test_a_future_reference_date_is_refused_on_create(elder, assessor):
    with pytest.raises(ValidationError) as error:
        draft(elder, assessor, on=TODAY + timedelta(days=1))
    assert codes(error.value) == {"future_date"}


@pytest.mark.django_db
def test_the_reason_other_must_be_written_out(elder, assessor):
    with pytest.raises(ValidationError) as error:
        draft(elder, assessor, reason="other", reason_note="  ")
    assert codes(error.value) == {"reason_note_required"}
    assert not Assessment.objects.filter(elder=elder).exists()
    assert draft(elder, assessor, reason="other", reason_note="家属申请").reason_note == "家属申请"


@pytest.mark.django_db
def test_a_future_reference_date_is_refused_on_save(elder, assessor):
    assessment = draft(elder, assessor)
    with pytest.raises(ValidationError) as error:
        services.assessment_save(
            actor=assessor, assessment=assessment, reference_date=TODAY + timedelta(days=1)
        )
    assert codes(error.value) == {"future_date"}
    assert reloaded(assessment).reference_date == TODAY


@pytest.mark.django_db
def test_a_role_without_the_edit_capability_cannot_create_or_save(elder, assessor, auditor):
    with pytest.raises(PermissionDenied):
        draft(elder, auditor)
    assessment = draft(elder, assessor)
    with pytest.raises(PermissionDenied):
        services.assessment_save(actor=auditor, assessment=assessment, answers={"B.1.1": 0})
    assert reloaded(assessment).answers == {}


# --- submitting -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_submit_requires_all_26_items_and_changes_nothing(elder, assessor, second):
    assessment = draft(elder, assessor)
    answers = answers_with_total(60)
    answers.pop("B.4.5")
    services.assessment_save(actor=assessor, assessment=assessment, answers=answers, assessor_2=second)
    with pytest.raises(ValidationError) as error:
        services.assessment_submit(actor=assessor, assessment=assessment)
    assert codes(error.value) == {"incomplete"}
    stored = reloaded(assessment)
    assert stored.status == Status.DRAFT and stored.submitted_at is None
    assert "submitted" not in kinds(assessment)


@pytest.mark.django_db
def test_submit_requires_a_second_assessor(elder, assessor):
    assessment = draft(elder, assessor)
    services.assessment_save(actor=assessor, assessment=assessment, answers=answers_with_total(60))
    with pytest.raises(ValidationError) as error:
        services.assessment_submit(actor=assessor, assessment=assessment)
    assert codes(error.value) == {"second_assessor_required"}
    assert reloaded(assessment).status == Status.DRAFT


@pytest.mark.django_db
def test_the_second_assessor_must_be_another_person(elder, assessor):
    assessment = draft(elder, assessor)
    with pytest.raises(ValidationError) as error:
        services.assessment_save(actor=assessor, assessment=assessment, assessor_2=assessor)
    assert codes(error.value) == {"second_assessor_required"}
    assert reloaded(assessment).assessor_2 is None


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["auditor", "caregiver", "horqin_officer", "inactive"])
def test_the_second_assessor_needs_the_edit_capability_in_scope(elder, assessor, request, who):
    if who == "inactive":
        other = make_user("kailuzhen-off", "officer", KAILU_TOWN)
        other.is_active = False
        other.save()
    else:
        other = request.getfixturevalue(who)
    assessment = draft(elder, assessor)
    with pytest.raises(ValidationError) as error:
        services.assessment_save(actor=assessor, assessment=assessment, assessor_2=other)
    assert codes(error.value) == {"second_assessor_required"}


@pytest.mark.django_db
def test_only_an_assessor_may_submit(elder, assessor, second, approver):
    assessment = complete(elder, assessor, second)
    with pytest.raises(PermissionDenied):
        services.assessment_submit(actor=approver, assessment=assessment)
    assert reloaded(assessment).status == Status.DRAFT
    services.assessment_submit(actor=second, assessment=assessment)
    assert reloaded(assessment).status == Status.SUBMITTED


@pytest.mark.django_db
def test_a_submitted_assessment_is_not_editable(elder, assessor, second):
    assessment = submitted(elder, assessor, second)
    with pytest.raises(ValidationError) as error:
        services.assessment_save(actor=assessor, assessment=assessment, answers={"B.1.1": 0})
    assert codes(error.value) == {"assessment_not_editable"}


# --- approving and returning ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_county_officer_approves_and_the_elders_level_follows(elder, assessor, second, approver):
    on = TODAY - timedelta(days=3)
    assessment = approved(elder, assessor, second, approver, level=1, on=on)
    stored = reloaded(assessment)
    assert stored.status == Status.APPROVED and stored.approved_by == approver and stored.approved_at
    person = reloaded(elder)
    assert (person.capability_level, person.capability_assessed_on) == (1, on)
    assert ElderEvent.objects.filter(elder=elder, kind="capability", source="assessments").exists()


@pytest.mark.django_db
def test_a_city_officer_may_approve(elder, assessor, second, city_officer):
    approved(elder, assessor, second, city_officer, level=2)
    assert reloaded(elder).capability_level == 2


@pytest.mark.django_db
def test_a_township_officer_cannot_approve(elder, assessor, second):
    other_township_officer = make_user("kailuzhen-3", "officer", KAILU_TOWN)
    assessment = submitted(elder, assessor, second)
    with pytest.raises(ValidationError) as error:
        services.assessment_approve(actor=other_township_officer, assessment=assessment)
    assert codes(error.value) == {"approver_level"}
    assert reloaded(assessment).status == Status.SUBMITTED and reloaded(elder).capability_level is None


@pytest.mark.django_db
@pytest.mark.parametrize("position", ["assessor_1", "assessor_2"])
def test_an_assessor_cannot_approve_their_own_assessment(elder, assessor, kailu_officer, position):
    first, other = (kailu_officer, assessor) if position == "assessor_1" else (assessor, kailu_officer)
    assessment = submitted(elder, first, other)
    with pytest.raises(ValidationError) as error:
        services.assessment_approve(actor=kailu_officer, assessment=assessment)
    assert codes(error.value) == {"own_assessment"}
    assert reloaded(assessment).status == Status.SUBMITTED


@pytest.mark.django_db
def test_a_role_without_the_approve_capability_cannot_approve(elder, assessor, second, auditor):
    assessment = submitted(elder, assessor, second)
    with pytest.raises(PermissionDenied):
        services.assessment_approve(actor=auditor, assessment=assessment)


@pytest.mark.django_db
def test_only_a_submitted_assessment_can_be_approved(elder, assessor, second, approver):
    assessment = complete(elder, assessor, second)
    with pytest.raises(ValidationError) as error:
        services.assessment_approve(actor=approver, assessment=assessment)
    assert codes(error.value) == {"wrong_status"}
    services.assessment_submit(actor=assessor, assessment=assessment)
    services.assessment_approve(actor=approver, assessment=assessment)
    with pytest.raises(ValidationError) as error:
        services.assessment_approve(actor=approver, assessment=reloaded(assessment))
    assert codes(error.value) == {"wrong_status"}
    assert kinds(assessment).count("approved") == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("level", "category"),
    [
        (0, None),
        (1, None),
        (2, Category.SEMI_DISABLED),
        (3, Category.DISABLED_CARE),
        (4, Category.DISABLED_CARE),
    ],
)
def test_the_disability_category_follows_the_approved_level(
    elder, assessor, second, approver, level, category
):
    on = TODAY - timedelta(days=10)
    approved(elder, assessor, second, approver, level=level, on=on)
    held = set(
        CategoryMembership.objects.filter(elder=elder, valid_to__isnull=True)
        .filter(category__in=[Category.SEMI_DISABLED, Category.DISABLED_CARE])
        .values_list("category", "valid_from")
    )
    assert held == ({(category, on)} if category else set())


@pytest.mark.django_db
def test_a_new_level_ends_the_old_category_the_day_before(elder, assessor, second, approver):
    first_on, second_on = TODAY - timedelta(days=100), TODAY - timedelta(days=5)
    approved(elder, assessor, second, approver, level=3, on=first_on)
    approved(elder, assessor, second, approver, level=2, on=second_on)
    rows = set(
        CategoryMembership.objects.filter(elder=elder).values_list("category", "valid_from", "valid_to")
    )
    assert rows == {
        (Category.DISABLED_CARE, first_on, second_on - timedelta(days=1)),
        (Category.SEMI_DISABLED, second_on, None),
    }
    assert reloaded(elder).capability_level == 2


@pytest.mark.django_db
def test_an_older_assessment_approved_later_does_not_overwrite_the_level(elder, assessor, second, approver):
    approved(elder, assessor, second, approver, level=1, on=TODAY - timedelta(days=5))
    older = approved(
        elder, assessor, second, approver, level=4, on=TODAY - timedelta(days=60)
    )  # a paper one, entered late
    person = reloaded(elder)
    assert (person.capability_level, person.capability_assessed_on) == (1, TODAY - timedelta(days=5))
    assert reloaded(older).status == Status.APPROVED
    assert not CategoryMembership.objects.filter(elder=elder, category=Category.DISABLED_CARE).exists()


@pytest.mark.django_db
def test_a_second_unfinished_assessment_is_refused(elder, assessor, second, approver):
    first = submitted(elder, assessor, second)
    with pytest.raises(ValidationError) as error:
        draft(elder, assessor)
    assert codes(error.value) == {"open_assessment_exists"} and first.number in str(error.value)
    services.assessment_approve(actor=approver, assessment=first)
    assert draft(elder, assessor).status == Status.DRAFT


@pytest.mark.django_db
def test_return_with_a_reason_makes_it_editable_again(elder, assessor, second, approver):
    assessment = submitted(elder, assessor, second)
    services.assessment_return(actor=approver, assessment=assessment, reason="  B.1.3 与描述不符  ")
    stored = reloaded(assessment)
    assert stored.status == Status.RETURNED and stored.return_reason == "B.1.3 与描述不符"
    services.assessment_save(actor=assessor, assessment=stored, answers={"B.1.3": 2})
    services.assessment_submit(actor=assessor, assessment=stored)
    stored = reloaded(assessment)
    assert stored.status == Status.SUBMITTED and stored.return_reason == ""


@pytest.mark.django_db
@pytest.mark.parametrize("reason", ["", "   ", None])
def test_return_without_a_reason_is_refused(elder, assessor, second, approver, reason):
    assessment = submitted(elder, assessor, second)
    with pytest.raises(ValidationError) as error:
        services.assessment_return(actor=approver, assessment=assessment, reason=reason)
    assert codes(error.value) == {"required"}
    assert reloaded(assessment).status == Status.SUBMITTED


@pytest.mark.django_db
def test_an_approved_assessment_is_immutable(elder, assessor, second, approver):
    assessment = approved(elder, assessor, second, approver, level=2)
    before = reloaded(assessment)
    with pytest.raises(ValidationError) as error:
        services.assessment_save(
            actor=assessor, assessment=assessment, answers={"B.1.1": 0}, diagnoses=["痴呆"]
        )
    assert codes(error.value) == {"assessment_not_editable"}
    after = reloaded(assessment)
    assert (after.answers, after.total, after.final_level, after.diagnoses, after.updated_at) == (
        before.answers, before.total, before.final_level, before.diagnoses, before.updated_at,
    )  # fmt: skip
    with pytest.raises(ValidationError) as error:
        services.assessment_return(actor=approver, assessment=after, reason="改一下")
    assert codes(error.value) == {"wrong_status"}


# --- scope ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_officer_of_another_county_cannot_assess(elder, horqin_officer):
    with pytest.raises(PermissionDenied):
        draft(elder, horqin_officer)


@pytest.mark.django_db
def test_an_officer_of_another_county_can_neither_see_nor_act(elder, assessor, second, horqin_officer):
    assessment = submitted(elder, assessor, second)
    with pytest.raises(Http404):
        selectors.assessment_get(actor=horqin_officer, pk=assessment.pk)
    assert not selectors.assessment_list(actor=horqin_officer, filters=AssessmentFilters()).exists()
    assert not selectors.elder_assessments(actor=horqin_officer, elder=elder).exists()
    with pytest.raises(PermissionDenied):
        services.assessment_approve(actor=horqin_officer, assessment=assessment)
    with pytest.raises(PermissionDenied):
        services.assessment_return(actor=horqin_officer, assessment=assessment, reason="不对")
    assert reloaded(assessment).status == Status.SUBMITTED


@pytest.mark.django_db
def test_the_own_county_and_city_see_the_assessment(elder, assessor, kailu_officer, city_officer):
    assessment = draft(elder, assessor)
    for actor in (kailu_officer, city_officer):
        assert selectors.assessment_get(actor=actor, pk=assessment.pk) == assessment
        assert list(selectors.assessment_list(actor=actor, filters=AssessmentFilters())) == [assessment]


@pytest.mark.django_db
def test_a_role_without_the_view_capability_cannot_read(elder, assessor, caregiver):
    assessment = draft(elder, assessor)
    with pytest.raises(PermissionDenied):
        selectors.assessment_get(actor=caregiver, pk=assessment.pk)
    with pytest.raises(PermissionDenied):
        selectors.due_list(actor=caregiver)


# --- history and audit ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_step_appends_an_event(elder, assessor, second, approver):
    assessment = draft(elder, assessor)
    services.assessment_save(
        actor=assessor, assessment=assessment, answers=answers_with_total(70), assessor_2=second
    )
    services.assessment_submit(actor=assessor, assessment=assessment)
    services.assessment_return(actor=approver, assessment=assessment, reason="补充诊断")
    services.assessment_submit(actor=second, assessment=assessment)
    services.assessment_approve(actor=approver, assessment=assessment)
    events = list(AssessmentEvent.objects.filter(assessment=assessment))
    assert [e.kind for e in events] == ["created", "saved", "submitted", "returned", "submitted", "approved"]
    assert [e.actor for e in events] == [assessor, assessor, assessor, approver, second, approver]
    assert events[3].note == "补充诊断"


@pytest.mark.django_db
def test_events_cannot_be_changed_or_deleted(elder, assessor):
    event = AssessmentEvent.objects.get(assessment=draft(elder, assessor))
    event.note = "改写历史"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    assert AssessmentEvent.objects.get(pk=event.pk).note != "改写历史"


@pytest.mark.django_db
def test_every_step_is_audited(elder, assessor, second, approver):
    assessment = complete(elder, assessor, second)
    services.assessment_submit(actor=assessor, assessment=assessment)
    services.assessment_return(actor=approver, assessment=assessment, reason="补充")
    services.assessment_submit(actor=assessor, assessment=assessment)
    services.assessment_approve(actor=approver, assessment=assessment)
    entries = AuditEntry.objects.filter(object_type="assessments.assessment", object_id=str(assessment.pk))
    rows = list(entries.order_by("at", "pk").values_list("actor", "action", "region_code"))
    assert rows == [
        (assessor.pk, "create", KAILU_VILLAGE),
        (assessor.pk, "update", KAILU_VILLAGE),  # saved
        (assessor.pk, "update", KAILU_VILLAGE),  # submitted
        (approver.pk, "update", KAILU_VILLAGE),  # returned
        (assessor.pk, "update", KAILU_VILLAGE),  # submitted
        (approver.pk, "update", KAILU_VILLAGE),  # approved
    ]
    assert "审核通过" in entries.order_by("-at", "-pk").first().summary


# --- re-assessment ----------------------------------------------------------------------------------

LAST = date(2024, 6, 20)


def due(actor, **kwargs):
    return {row.elder.pk: row for row in selectors.due_list(actor=actor, **kwargs)}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("today", "kind"),
    [
        (date(2025, 5, 20), None),  # due in 31 days: not yet
        (date(2025, 5, 21), "soon"),  # due in 30 days
        (date(2025, 6, 20), "soon"),  # due today
        (date(2025, 6, 21), "overdue"),
    ],
)
def test_routine_reassessment_is_due_12_months_after_the_last_approved(
    elder, assessor, second, approver, kailu_officer, today, kind
):
    approved(elder, assessor, second, approver, on=LAST)
    rows = due(kailu_officer, today=today)
    if kind is None:
        assert elder.pk not in rows
    else:
        row = rows[elder.pk]
        assert (row.kind, row.last_date, row.due_date) == (kind, LAST, date(2025, 6, 20))


@pytest.mark.django_db
def test_a_due_list_longer_than_its_limit_keeps_the_earliest_and_says_so(
    assessor, second, approver, kailu_officer, monkeypatch
):
    monkeypatch.setattr(selectors, "DUE_LIST_LIMIT", 2)
    people = [make_elder(KAILU_VILLAGE, name=f"老人{n}", born=date(1940, 4, n + 1)) for n in range(3)]
    for n, person in enumerate(people):
        approved(person, assessor, second, approver, on=date(2024, 6, 1 + n))
    rows = selectors.due_list(actor=kailu_officer, today=date(2025, 7, 1))
    assert rows.truncated
    assert [r.elder.pk for r in rows] == [people[0].pk, people[1].pk]
    monkeypatch.setattr(selectors, "DUE_LIST_LIMIT", 3)
    assert not selectors.due_list(actor=kailu_officer, today=date(2025, 7, 1)).truncated


@pytest.mark.django_db
def test_the_reassessment_interval_is_a_setting(elder, assessor, second, approver, kailu_officer, settings):
    settings.YANGLAO_REASSESS_MONTHS = 6
    approved(elder, assessor, second, approver, on=date(2024, 10, 31))
    row = due(kailu_officer, today=date(2025, 4, 1))[elder.pk]
    assert (row.kind, row.due_date) == ("soon", date(2025, 4, 30))
    assert elder.pk not in due(kailu_officer, today=date(2025, 3, 30))


@pytest.mark.django_db
def test_only_the_latest_approved_assessment_counts(elder, assessor, second, approver, kailu_officer):
    approved(elder, assessor, second, approver, on=LAST)
    approved(elder, assessor, second, approver, on=date(2025, 1, 10))
    submitted(elder, assessor, second, on=date(2025, 6, 1))  # not approved: does not count
    assert elder.pk not in due(kailu_officer, today=date(2025, 7, 1))
    assert due(kailu_officer, today=date(2025, 12, 12))[elder.pk].due_date == date(2026, 1, 10)


@pytest.mark.django_db
def test_a_trigger_lists_the_elder_as_immediate_until_an_assessment_resolves_it(
    elder, assessor, second, approver, kailu_officer
):
    approved(elder, assessor, second, approver, on=TODAY - timedelta(days=40))
    fell = TODAY - timedelta(days=2)
    trigger = services.trigger_create(
        actor=assessor, elder=elder, kind="fall", occurred_on=fell, note="夜间跌倒"
    )
    row = due(kailu_officer)[elder.pk]
    assert (row.kind, row.due_date, row.triggers) == ("immediate", fell, [trigger])
    event = ElderEvent.objects.get(elder=elder, kind="reassessment_needed")
    assert event.source == "assessments" and "跌倒" in event.summary and "夜间跌倒" in event.summary
    resolving = approved(elder, assessor, second, approver, on=TODAY, reason="immediate")
    assert reloaded(trigger).resolved_by == resolving
    assert elder.pk not in due(kailu_officer)


@pytest.mark.django_db
def test_an_assessment_before_the_trigger_does_not_resolve_it(
    elder, assessor, second, approver, kailu_officer
):
    stale = submitted(elder, assessor, second, on=TODAY - timedelta(days=10))
    trigger = services.trigger_create(
        actor=assessor, elder=elder, kind="discharge", occurred_on=TODAY - timedelta(days=1)
    )
    services.assessment_approve(actor=approver, assessment=stale)
    assert reloaded(trigger).resolved_by is None
    assert due(kailu_officer)[elder.pk].kind == "immediate"


@pytest.mark.django_db
def test_a_draft_or_returned_assessment_leaves_the_trigger_open(
    elder, assessor, second, approver, kailu_officer
):
    trigger = services.trigger_create(actor=assessor, elder=elder, kind="family", occurred_on=TODAY)
    started = draft(elder, assessor, reason="immediate")
    assert reloaded(trigger).resolved_by is None and due(kailu_officer)[elder.pk].kind == "immediate"
    services.assessment_save(
        actor=assessor, assessment=started, answers=answers_with_total(75), assessor_2=second
    )
    services.assessment_submit(actor=assessor, assessment=started)
    services.assessment_return(actor=approver, assessment=started, reason="缺信息提供者签字")
    assert reloaded(trigger).resolved_by is None and due(kailu_officer)[elder.pk].kind == "immediate"


@pytest.mark.django_db
def test_a_trigger_in_the_future_or_of_an_unknown_kind_is_refused(elder, assessor):
    with pytest.raises(ValidationError) as error:
        services.trigger_create(
            actor=assessor, elder=elder, kind="fall", occurred_on=TODAY + timedelta(days=1)
        )
    assert codes(error.value) == {"future_date"}
    with pytest.raises(ValidationError) as error:
        services.trigger_create(actor=assessor, elder=elder, kind="earthquake", occurred_on=TODAY)
    assert codes(error.value) == {"invalid_choice"}
    assert not ReassessmentTrigger.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["horqin_officer", "auditor", "caregiver"])
def test_a_trigger_needs_the_edit_capability_in_scope(elder, request, who):
    with pytest.raises(PermissionDenied):
        services.trigger_create(
            actor=request.getfixturevalue(who), elder=elder, kind="fall", occurred_on=TODAY
        )
    assert not ReassessmentTrigger.objects.exists()


@pytest.mark.django_db
def test_the_due_list_respects_scope(assessor, second, approver, kailu_officer, horqin_officer, city_officer):
    kailu_elder = make_elder(KAILU_VILLAGE, name="张桂兰")
    horqin_elder = make_elder(HORQIN_VILLAGE, name="包巴特尔", gender="M")
    approved(kailu_elder, assessor, second, approver, on=LAST)
    services.trigger_create(actor=horqin_officer, elder=horqin_elder, kind="fall", occurred_on=TODAY)
    assert set(due(kailu_officer)) == {kailu_elder.pk}
    assert set(due(horqin_officer)) == {horqin_elder.pk}
    assert set(due(city_officer)) == {kailu_elder.pk, horqin_elder.pk}
    assert set(due(city_officer, region="150502")) == {horqin_elder.pk}
    assert set(due(kailu_officer, region="150502")) == set()


@pytest.mark.django_db
def test_the_due_list_leaves_out_elders_no_longer_registered(
    elder, assessor, second, approver, kailu_officer
):
    approved(elder, assessor, second, approver, on=LAST)
    services.trigger_create(actor=assessor, elder=elder, kind="fall", occurred_on=TODAY)
    elder_services.elder_set_status(actor=kailu_officer, elder=elder, status="deceased", on=TODAY)
    assert elder.pk not in due(kailu_officer)


@pytest.mark.django_db
def test_an_elder_never_assessed_is_not_on_the_routine_list(elder, kailu_officer):
    assert elder.pk not in due(kailu_officer)


# --- month arithmetic of the due list (pure) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2024, 10, 31), -6, date(2025, 4, 30)),
        (date(2024, 1, 31), -1, date(2024, 2, 29)),
        (date(2024, 2, 29), -12, date(2025, 2, 28)),
        (date(2025, 3, 31), 1, date(2025, 2, 28)),
        (date(2024, 3, 30), 1, date(2024, 2, 29)),
        (date(2024, 6, 20), 12, date(2023, 6, 20)),
    ],
)
def test_months_before_keeps_the_day_or_the_last_day_of_the_month(day, months, expected):
    assert selectors._months_before(day, months) == expected


@given(
    last=st.dates(min_value=date(2015, 1, 1), max_value=date(2035, 12, 31)),
    day=st.dates(min_value=date(2015, 1, 1), max_value=date(2037, 12, 31)),
    months=st.sampled_from([1, 6, 12, 24]),
)
def test_the_due_cutoff_agrees_with_the_due_date(last, day, months):
    """The database filter (last assessed on or before the cutoff) lists exactly those whose due date
    is on or before the day."""
    assert (last <= selectors._due_cutoff(day, months)) == (selectors._months_before(last, -months) <= day)
