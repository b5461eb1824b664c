import io
from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.conftest import HORQIN_TOWN, KAILU_TOWN, make_facility, make_user
from yanglao.core.creditcode import make_credit_code
from yanglao.core.models import AuditEntry
from yanglao.facilities import selectors, services
from yanglao.facilities.models import Facility, FacilityEvent, Operator
from yanglao.facilities.validation import parse_facility
from yanglao.regions.resolver import RegionResolver

CODE = make_credit_code("91150523MA0Q3AB01")


def parse(**raw):
    return parse_facility(
        {"name": "开鲁镇养老服务站", "type": "station", "region": KAILU_TOWN, **raw},
        resolver=RegionResolver(),
        scope=None,
    )


def codes(**raw):
    with pytest.raises(ValidationError) as error:
        parse(**raw)
    return {k: [e.code for e in v] for k, v in error.value.error_dict.items()}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "raw, expected",
    [
        ({"name": ""}, {"name": ["required"]}),
        ({"type": "火箭站"}, {"type": ["invalid_choice"]}),
        ({"region": "150523"}, {"region": ["region_level"]}),
        ({"region": "15052399"}, {"region": ["region_unknown"]}),
        ({"beds_total": "10", "beds_nursing": "11"}, {"beds_nursing": ["nursing_exceeds_total"]}),
        ({"beds_total": "十"}, {"beds_total": ["invalid"]}),
        ({"floor_area": "-5"}, {"floor_area": ["out_of_range"]}),
        ({"operator_code": "91150523MA0Q3AB019"}, {"operator_code": ["credit_code_checksum"]}),
        ({"operating_mode": "公建民营"}, {"operator_name": ["operator_required"]}),
        ({"contract_start": "2025-01-01", "contract_end": "2024-12-31"}, {"contract_end": ["dates_order"]}),
        ({"services": "堂食、飞行"}, {"services": ["unknown_service"]}),
        ({"contact_phone": "123"}, {"contact_phone": ["phone_format"]}),
        ({"has_medical": "也许"}, {"has_medical": ["invalid_flag"]}),
        ({"latitude": "43.5"}, {"longitude": ["coordinates_pair"]}),
    ],
)
def test_each_bad_field_has_a_code(raw, expected):
    assert codes(**raw) == expected


@pytest.mark.django_db
def test_labels_aliases_and_area_units_are_understood():
    data = parse(
        type="敬老院",
        floor_area="300平",
        services="堂食、居家照护",
        operating_mode="公建民营",
        operator_name="康宁",
        operator_code=CODE,
    )
    assert data.type == "institution_public" and data.floor_area == 300
    assert data.services == ["meal.dine_in", "care.home"] and data.operator_code == CODE


@pytest.mark.django_db
def test_create_makes_the_operator_and_history(kailu_officer):
    facility = services.facility_create(
        actor=kailu_officer,
        data=parse(operating_mode="公建民营", operator_name="康宁养老", operator_code=CODE),
    )
    assert facility.operator.credit_code == CODE and Operator.objects.count() == 1
    assert FacilityEvent.objects.filter(facility=facility, kind="created").exists()
    assert AuditEntry.objects.filter(action="create", object_type="facilities.facility").exists()
    # The same code again reuses the operator
    services.facility_create(
        actor=kailu_officer, data=parse(name="另一站", operating_mode="公建民营", operator_code=CODE)
    )
    assert Operator.objects.count() == 1


@pytest.mark.django_db
def test_update_records_what_changed(kailu_officer):
    facility = make_facility(actor=kailu_officer, floor_area="300")
    services.facility_update(
        actor=kailu_officer, facility=facility, data=parse(floor_area="420", households_served="1800")
    )
    event = FacilityEvent.objects.filter(facility=facility, kind="updated").get()
    assert "建筑面积" in event.summary and event.changes["floor_area"] == ["300.0", "420.0"]


@pytest.mark.django_db
def test_outside_scope_is_refused(kailu_officer, horqin_officer):
    with pytest.raises(ValidationError):
        services.facility_create(actor=kailu_officer, data=parse(region=HORQIN_TOWN))
    facility = make_facility(HORQIN_TOWN, actor=horqin_officer)
    with pytest.raises(PermissionDenied):
        services.facility_update(actor=kailu_officer, facility=facility, data=parse())


@pytest.mark.django_db
def test_status_transitions_need_a_reason_and_closing_is_final(kailu_officer):
    facility = make_facility(actor=kailu_officer)
    with pytest.raises(ValidationError) as error:
        services.facility_set_status(actor=kailu_officer, facility=facility, status="suspended", reason=" ")
    assert "reason" in error.value.error_dict
    services.facility_set_status(actor=kailu_officer, facility=facility, status="suspended", reason="整改")
    services.facility_set_status(
        actor=kailu_officer, facility=facility, status="operating", reason="整改完成"
    )
    services.facility_set_status(actor=kailu_officer, facility=facility, status="closed", reason="合并")
    with pytest.raises(ValidationError) as error:
        services.facility_set_status(
            actor=kailu_officer, facility=facility, status="operating", reason="重开"
        )
    assert error.value.error_dict["status"][0].code == "illegal_transition"
    assert Facility.objects.filter(pk=facility.pk).exists()
    assert FacilityEvent.objects.filter(facility=facility, kind="status").count() == 3


def image_file(fmt="PNG", size=(40, 30), name="p.png"):
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 80)).save(buffer, fmt)
    return SimpleUploadedFile(name, buffer.getvalue())


@pytest.mark.django_db
def test_photos_are_checked_and_capped(kailu_officer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    facility = make_facility(actor=kailu_officer)
    photo = services.photo_add(actor=kailu_officer, facility=facility, upload=image_file(), caption="正门")
    assert photo.image.name.startswith(f"facilities/{facility.pk}/")
    with pytest.raises(ValidationError) as error:
        services.photo_add(
            actor=kailu_officer, facility=facility, upload=SimpleUploadedFile("x.png", b"not an image")
        )
    assert error.value.error_dict["image"][0].code == "not_an_image"
    with pytest.raises(ValidationError) as error:
        services.photo_add(
            actor=kailu_officer,
            facility=facility,
            upload=SimpleUploadedFile("big.jpg", b"x" * (5 * 1024 * 1024 + 1)),
        )
    assert error.value.error_dict["image"][0].code == "photo_too_large"
    for _ in range(7):
        services.photo_add(actor=kailu_officer, facility=facility, upload=image_file())
    with pytest.raises(ValidationError) as error:
        services.photo_add(actor=kailu_officer, facility=facility, upload=image_file())
    assert error.value.error_dict["image"][0].code == "too_many_photos"


@pytest.mark.django_db
def test_an_operator_sees_and_edits_only_its_facility(kailu_officer):
    own = make_facility(actor=kailu_officer, name="本院")
    other = make_facility(actor=kailu_officer, name="别家")
    operator = make_user("yuan", "operator", "150523", facility=own)
    assert list(selectors.facility_list(actor=operator, filters=selectors.FacilityFilters())) == [own]
    with pytest.raises(Exception, match="不存在"):
        selectors.facility_get(actor=operator, pk=other.pk)
    services.facility_update(actor=operator, facility=own, data=parse(name="本院", floor_area="500"))
    with pytest.raises(PermissionDenied):
        services.facility_update(actor=operator, facility=other, data=parse(name="别家"))
    with pytest.raises(PermissionDenied):
        services.facility_set_status(actor=operator, facility=own, status="closed", reason="x")
    with pytest.raises(PermissionDenied):
        services.facility_create(actor=operator, data=parse(name="新设施"))


@pytest.mark.django_db
def test_consortium_is_led_by_a_county_centre_and_keeps_membership_dates(kailu_officer):
    centre = make_facility(actor=kailu_officer, name="开鲁县养老服务中心", type="county_centre")
    station = make_facility(actor=kailu_officer)
    with pytest.raises(ValidationError):
        services.consortium_create(actor=kailu_officer, name="x", lead=station, established=date(2025, 1, 1))
    consortium = services.consortium_create(
        actor=kailu_officer, name="开鲁县联合体", lead=centre, established=date(2025, 1, 1)
    )
    member = services.consortium_join(
        actor=kailu_officer, consortium=consortium, facility=station, joined=date(2025, 3, 1)
    )
    with pytest.raises(ValidationError):
        services.consortium_join(
            actor=kailu_officer, consortium=consortium, facility=station, joined=date(2025, 4, 1)
        )
    services.consortium_leave(actor=kailu_officer, member=member, left=date(2025, 9, 1))
    assert consortium.members.filter(left__isnull=True).count() == 1
