from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests.conftest import make_elder, make_user
from tests.residential.factories import make_canteen, make_centre
from yanglao.elders.models import ElderEvent
from yanglao.residential import selectors, services
from yanglao.residential.models import Attendance, Enrolment, RespiteStay


@pytest.fixture
def centre(db):
    return make_centre()


def _code(exc, field):
    return exc.value.error_dict[field][0].code


def test_enrol_once(kailu_officer, centre):
    elder = make_elder()
    services.enrol(actor=kailu_officer, facility=centre, elder=elder, start_date=date(2026, 1, 1))
    assert ElderEvent.objects.filter(elder=elder, kind="daycare_enrolled", source="residential").exists()
    with pytest.raises(ValidationError) as exc:
        services.enrol(actor=kailu_officer, facility=centre, elder=elder, start_date=date(2026, 2, 1))
    assert _code(exc, "elder") == "already_enrolled"
    assert Enrolment.objects.count() == 1


def test_canteen_is_not_a_daycare_centre(kailu_officer):
    with pytest.raises(ValidationError) as exc:
        services.enrol(
            actor=kailu_officer, facility=make_canteen(), elder=make_elder(), start_date=date(2026, 1, 1)
        )
    assert _code(exc, "facility") == "not_daycare_centre"


def test_check_in_twice_refused_then_check_out(kailu_officer, centre):
    elder = make_elder()
    services.enrol(actor=kailu_officer, facility=centre, elder=elder, start_date=date(2026, 1, 1))
    at = timezone.make_aware(datetime(2026, 3, 2, 8, 30))
    row = services.check_in(actor=kailu_officer, facility=centre, elder=elder, at=at)
    assert row.date == date(2026, 3, 2)
    with pytest.raises(ValidationError) as exc:
        services.check_in(actor=kailu_officer, facility=centre, elder=elder, at=at + timedelta(hours=1))
    assert _code(exc, "elder") == "already_checked_in"
    assert Attendance.objects.count() == 1
    out = services.check_out(actor=kailu_officer, facility=centre, elder=elder, at=at + timedelta(hours=8))
    assert out.check_out_at == at + timedelta(hours=8)
    with pytest.raises(ValidationError) as exc:
        services.check_out(actor=kailu_officer, facility=centre, elder=elder, at=at + timedelta(hours=9))
    assert _code(exc, "elder") == "already_checked_out"
    # the next day is a new day
    services.check_in(actor=kailu_officer, facility=centre, elder=elder, at=at + timedelta(days=1))
    month = selectors.daycare_month(facility=centre, month=date(2026, 3, 1))
    assert (month["person_days"], month["elders"]) == (2, 1)


def test_check_in_needs_enrolment_and_check_out_needs_check_in(kailu_officer, centre):
    elder = make_elder()
    with pytest.raises(ValidationError) as exc:
        services.check_in(actor=kailu_officer, facility=centre, elder=elder)
    assert _code(exc, "elder") == "not_enrolled"
    services.enrol(actor=kailu_officer, facility=centre, elder=elder, start_date=timezone.localdate())
    with pytest.raises(ValidationError) as exc:
        services.check_out(actor=kailu_officer, facility=centre, elder=elder)
    assert _code(exc, "elder") == "not_checked_in"


def test_respite_overlap_refused(kailu_officer, centre):
    elder = make_elder()
    other_centre = make_centre(name="另一中心")
    services.respite_create(actor=kailu_officer, facility=centre, elder=elder, start_date=date(2026, 3, 1),
                            end_date=date(2026, 3, 7))  # fmt: skip
    for start, end in ((date(2026, 3, 7), date(2026, 3, 9)), (date(2026, 2, 25), date(2026, 3, 1)),
                       (date(2026, 3, 2), date(2026, 3, 3)), (date(2026, 2, 20), date(2026, 3, 10))):  # fmt: skip
        with pytest.raises(ValidationError) as exc:
            services.respite_create(actor=kailu_officer, facility=other_centre, elder=elder, start_date=start,
                                    end_date=end)  # fmt: skip
        assert _code(exc, "start_date") == "respite_overlap", (start, end)
    # touching but not overlapping is fine; another elder is not concerned
    services.respite_create(actor=kailu_officer, facility=centre, elder=elder, start_date=date(2026, 3, 8),
                            end_date=date(2026, 3, 10))  # fmt: skip
    services.respite_create(actor=kailu_officer, facility=centre, elder=make_elder(name="李"),
                            start_date=date(2026, 3, 1), end_date=date(2026, 3, 7))  # fmt: skip
    assert RespiteStay.objects.count() == 3
    month = selectors.daycare_month(facility=centre, month=date(2026, 3, 1))
    assert (month["respite_stays"], month["respite_days"]) == (3, 7 + 3 + 7)


def test_respite_dates(kailu_officer, centre):
    elder = make_elder()
    with pytest.raises(ValidationError) as exc:
        services.respite_create(actor=kailu_officer, facility=centre, elder=elder, start_date=date(2026, 3, 5),
                                end_date=date(2026, 3, 4))  # fmt: skip
    assert _code(exc, "end_date") == "respite_dates"
    with pytest.raises(ValidationError) as exc:
        services.respite_create(actor=kailu_officer, facility=centre, elder=elder, start_date=date(2026, 3, 1),
                                end_date=date(2026, 3, 31))  # fmt: skip
    assert _code(exc, "end_date") == "respite_too_long"


def test_scope(kailu_officer, horqin_officer, centre):
    elder = make_elder()
    with pytest.raises(PermissionDenied):
        services.enrol(actor=horqin_officer, facility=centre, elder=elder, start_date=date(2026, 1, 1))
    services.enrol(actor=kailu_officer, facility=centre, elder=elder, start_date=date(2026, 1, 1))
    assert selectors.centre_list(actor=horqin_officer, day=date(2026, 1, 1)) == []
    assert selectors.enrolment_list(actor=horqin_officer).count() == 0
    assert selectors.enrolment_list(actor=kailu_officer).count() == 1
    other = make_centre(name="另一中心")
    operator = make_user("centre-op", "operator", centre.region_id, facility=other)
    assert selectors.enrolment_list(actor=operator).count() == 0
    assert [c.pk for c in selectors.centre_list(actor=operator, day=date(2026, 1, 1))] == [other.pk]
    with pytest.raises(PermissionDenied):
        services.check_in(actor=operator, facility=centre, elder=elder)


def test_operator_quick_list_queries(kailu_officer, centre, django_assert_num_queries):
    for n in range(6):
        elder = make_elder(name=f"老人{n}")
        services.enrol(actor=kailu_officer, facility=centre, elder=elder, start_date=date(2026, 1, 1))
        if n % 2:
            services.check_in(actor=kailu_officer, facility=centre, elder=elder)
    with django_assert_num_queries(2):
        rows = selectors.enrolled_on(facility=centre, day=timezone.localdate())
        assert len(rows) == 6 and sum(1 for r in rows if r.today) == 3
        assert all(r.elder.name for r in rows)
