from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from tests.conftest import HORQIN_TOWN, KAILU_VILLAGE, make_elder
from yanglao.core.idnumber import make
from yanglao.core.models import AuditEntry
from yanglao.elders import selectors, services
from yanglao.elders.models import Category, CategoryMembership, DuplicateFlag, Elder, ElderEvent, Status
from yanglao.elders.validation import parse_elder
from yanglao.regions.models import Region
from yanglao.regions.resolver import RegionResolver

HORQIN_VILLAGE = HORQIN_TOWN + "001"


def parsed(region=KAILU_VILLAGE, **raw):
    raw.setdefault("id_number", make(region[:6], date(1950, 1, 2), 311, "M"))
    return parse_elder({"name": "王建国", "region": region, **raw}, resolver=RegionResolver(), scope=None)


@pytest.mark.django_db
def test_id_and_phones_are_encrypted_at_rest_and_masked(kailu_officer):
    elder = services.elder_create(
        actor=kailu_officer,
        data=parsed(phone="13812345678", contact_name="王明", contact_phone="13987654321"),
    )
    id_value = make("150523", date(1950, 1, 2), 311, "M")
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM elders_elder WHERE id = %s", [elder.pk])
        row = " ".join(str(v) for v in cursor.fetchone())
        cursor.execute("SELECT * FROM elders_eldercontact WHERE elder_id = %s", [elder.pk])
        contact = " ".join(str(v) for v in cursor.fetchone())
    assert id_value not in row and "13812345678" not in row and "13987654321" not in contact
    assert elder.id_number_masked == id_value[:6] + "********" + id_value[-4:]
    assert elder.phone_masked == "138****5678"
    entries = " ".join(str(e.changes) + e.summary for e in AuditEntry.objects.all())
    assert id_value not in entries and "13812345678" not in entries


@pytest.mark.django_db
def test_one_person_one_record(kailu_officer):
    first = services.elder_create(actor=kailu_officer, data=parsed())
    with pytest.raises(ValidationError) as error:
        services.elder_create(actor=kailu_officer, data=parsed())
    problem = error.value.error_dict["id_number"][0]
    assert problem.code == "id_exists" and problem.params["pk"] == first.pk


@pytest.mark.django_db
def test_an_id_registered_elsewhere_is_not_revealed(kailu_officer, horqin_officer):
    services.elder_create(
        actor=horqin_officer,
        data=parsed(HORQIN_VILLAGE, id_number=make("150523", date(1950, 1, 2), 311, "M")),
    )
    with pytest.raises(ValidationError) as error:
        services.elder_create(actor=kailu_officer, data=parsed())
    problem = error.value.error_dict["id_number"][0]
    assert problem.code == "id_exists_elsewhere" and not problem.params
    assert "王建国" not in problem.message


@pytest.mark.django_db
def test_same_name_birth_and_village_is_flagged_for_review(kailu_officer):
    a = services.elder_create(
        actor=kailu_officer, data=parsed(id_number=make("150523", date(1950, 1, 2), 311, "M"))
    )
    b = services.elder_create(
        actor=kailu_officer, data=parsed(id_number=make("150523", date(1950, 1, 2), 313, "M"))
    )
    flag = DuplicateFlag.objects.get()
    assert {flag.elder_id, flag.other_id} == {a.pk, b.pk} and flag.state == "open"


@pytest.mark.django_db
def test_merge_keeps_both_histories_and_the_contacts(kailu_officer):
    a = services.elder_create(
        actor=kailu_officer, data=parsed(id_number=make("150523", date(1950, 1, 2), 311, "M"))
    )
    b = services.elder_create(
        actor=kailu_officer,
        data=parsed(
            id_number=make("150523", date(1950, 1, 2), 313, "M"),
            contact_name="王明",
            contact_phone="13987654321",
            cat_destitute="是",
        ),
    )
    flag = DuplicateFlag.objects.get()
    services.duplicate_merge(actor=kailu_officer, flag=flag, keep=a)
    b.refresh_from_db()
    assert b.status == Status.MERGED and b.merged_into == a
    timeline = list(selectors.elder_timeline(elder=a))
    assert {e.elder_id for e in timeline} == {a.pk, b.pk}
    assert [c.name for c in a.contacts.all()] == ["王明"]
    assert a.categories.filter(category=Category.DESTITUTE).exists()
    flag.refresh_from_db()
    assert flag.state == "merged"
    with pytest.raises(ValidationError):
        services.duplicate_merge(actor=kailu_officer, flag=flag, keep=a)


@pytest.mark.django_db
def test_move_shows_in_both_regions_and_the_old_one_loses_access(kailu_officer, horqin_officer):
    elder = make_elder(actor=kailu_officer)
    services.elder_move(
        actor=kailu_officer, elder=elder, region=Region.objects.get(code=HORQIN_VILLAGE), reason="随子女"
    )
    with pytest.raises(Exception, match="不存在"):
        selectors.elder_get(actor=kailu_officer, pk=elder.pk)
    assert selectors.elder_get(actor=horqin_officer, pk=elder.pk) == elder
    assert [e.kind for e in selectors.move_log(actor=kailu_officer)] == ["moved_out"]
    assert [e.kind for e in selectors.move_log(actor=horqin_officer)] == ["moved_in"]
    kinds = [e.kind for e in selectors.elder_timeline(elder=elder)]
    assert kinds[:2] == ["moved_in", "moved_out"]


@pytest.mark.django_db
def test_move_needs_a_village_and_the_elder_in_scope(kailu_officer, horqin_officer):
    elder = make_elder(actor=kailu_officer)
    with pytest.raises(ValidationError):
        services.elder_move(
            actor=kailu_officer, elder=elder, region=Region.objects.get(code=HORQIN_TOWN + "000")
        )
    with pytest.raises(PermissionDenied):
        services.elder_move(actor=horqin_officer, elder=elder, region=Region.objects.get(code=HORQIN_VILLAGE))


@pytest.mark.django_db
def test_death_ends_memberships_and_is_final(kailu_officer):
    elder = make_elder(actor=kailu_officer, cat_destitute="是")
    services.category_add(
        actor=kailu_officer, elder=elder, category=Category.SUBSISTENCE, valid_from=date(2024, 1, 1)
    )
    died = timezone.localdate() - timedelta(days=3)
    services.elder_set_status(actor=kailu_officer, elder=elder, status=Status.DECEASED, on=died)
    assert elder.categories.get(category=Category.SUBSISTENCE).valid_to == died
    registered_today = elder.categories.get(category=Category.DESTITUTE)
    assert (
        registered_today.valid_to == registered_today.valid_from
    )  # recorded after the death: ends where it starts
    assert Elder.objects.filter(pk=elder.pk).exists()  # never deleted
    with pytest.raises(ValidationError):
        services.elder_set_status(
            actor=kailu_officer, elder=elder, status=Status.ACTIVE, on=timezone.localdate()
        )
    with pytest.raises(ValidationError):
        services.elder_set_status(
            actor=kailu_officer,
            elder=make_elder(actor=kailu_officer, name="李四"),
            status=Status.DECEASED,
            on=timezone.localdate() + timedelta(days=1),
        )


@pytest.mark.django_db
def test_derived_categories_cannot_be_added_by_hand(kailu_officer):
    elder = make_elder(actor=kailu_officer)
    for category in (Category.ADVANCED_AGE, Category.DISABLED_CARE, Category.ALONE_OR_EMPTY_NEST):
        with pytest.raises(ValidationError) as error:
            services.category_add(
                actor=kailu_officer, elder=elder, category=category, valid_from=date(2024, 1, 1)
            )
        assert error.value.error_dict["category"][0].code == "category_derived"


@pytest.mark.django_db
def test_overlapping_memberships_are_refused_and_history_is_kept(kailu_officer):
    elder = make_elder(actor=kailu_officer)
    first = services.category_add(
        actor=kailu_officer,
        elder=elder,
        category=Category.SUBSISTENCE,
        valid_from=date(2023, 1, 1),
        source_document="开民发〔2023〕1号",
    )
    with pytest.raises(ValidationError) as error:
        services.category_add(
            actor=kailu_officer, elder=elder, category=Category.SUBSISTENCE, valid_from=date(2024, 6, 1)
        )
    assert error.value.error_dict["valid_from"][0].code == "category_overlap"
    services.category_end(actor=kailu_officer, membership=first, valid_to=date(2024, 5, 31))
    services.category_add(
        actor=kailu_officer, elder=elder, category=Category.SUBSISTENCE, valid_from=date(2024, 6, 1)
    )
    assert elder.categories.filter(category=Category.SUBSISTENCE).count() == 2
    kinds = list(ElderEvent.objects.filter(elder=elder).values_list("kind", flat=True))
    assert kinds.count("category_added") == 2 and kinds.count("category_ended") == 1


@pytest.mark.django_db
def test_living_alone_follows_the_living_situation(kailu_officer):
    elder = make_elder(actor=kailu_officer, living_situation="独居")
    membership = elder.categories.get(category=Category.ALONE_OR_EMPTY_NEST)
    assert membership.valid_to is None and membership.source_document == "居住情况"
    data = parse_elder(
        {**_raw(elder), "living_situation": "与子女同住"}, resolver=RegionResolver(), scope=None
    )
    services.elder_update(actor=kailu_officer, elder=elder, data=data)
    membership.refresh_from_db()
    assert membership.valid_to is not None


def _raw(elder):
    from yanglao.elders.forms import elder_raw

    return elder_raw(elder)


@pytest.mark.django_db
def test_category_sync_opens_and_closes_a_derived_category(kailu_officer):
    elder = make_elder(actor=kailu_officer)
    on = date(2026, 3, 1)
    assert services.category_sync(
        elder=elder, category=Category.DISABLED_CARE, active=True, on=on, source="能力评估"
    )
    assert not services.category_sync(
        elder=elder, category=Category.DISABLED_CARE, active=True, on=on, source="能力评估"
    )
    assert services.category_sync(
        elder=elder, category=Category.DISABLED_CARE, active=False, on=date(2026, 9, 1), source="能力评估"
    )
    membership = CategoryMembership.objects.get(elder=elder, category=Category.DISABLED_CARE)
    assert (membership.valid_from, membership.valid_to) == (on, date(2026, 8, 31))


@pytest.mark.django_db
def test_reveal_is_audited_and_refused_to_the_auditor(kailu_officer, auditor):
    elder = make_elder(actor=kailu_officer, phone="13812345678")
    assert services.elder_reveal(actor=kailu_officer, elder=elder, field="phone") == "13812345678"
    entry = AuditEntry.objects.filter(action="reveal").get()
    assert entry.actor == kailu_officer and "13812345678" not in entry.summary
    with pytest.raises(PermissionDenied):
        services.elder_reveal(actor=auditor, elder=elder, field="id_number")


@pytest.mark.django_db
def test_update_records_changed_fields_masked(kailu_officer):
    elder = make_elder(actor=kailu_officer, phone="13812345678")
    data = parse_elder(
        {**_raw(elder), "phone": "13900001111", "address": "新地址 1 号"},
        resolver=RegionResolver(),
        scope=None,
    )
    services.elder_update(actor=kailu_officer, elder=elder, data=data)
    event = ElderEvent.objects.filter(elder=elder, kind="updated").get()
    assert "联系电话" in event.summary and "现住址" in event.summary
    assert event.data["changes"]["phone"] == ["138****5678", "139****1111"]
    assert "13900001111" not in str(AuditEntry.objects.filter(action="update").get().changes)


@pytest.mark.django_db
def test_event_history_is_append_only(kailu_officer):
    event = ElderEvent.objects.filter(elder=make_elder(actor=kailu_officer)).first()
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
