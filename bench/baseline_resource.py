"""The bench-only baseline: a plain django-import-export ModelResource for the elder registry.

It produces the same records as yanglao's import — the elder with its sealed ID and phones, its
contacts, its category memberships, a history event and an audit line — in the library's own
row-by-row loop (``before_import_row`` parses and validates the row with the same ``parse_elder``,
``after_save_instance`` writes what hangs off the saved elder). So the comparison is of the import
machinery doing the same job, not of two jobs.
"""

import tablib
from django.utils import timezone
from import_export import fields, resources

from yanglao.core.models import AuditEntry
from yanglao.elders import privacy
from yanglao.elders.imports import COLUMNS
from yanglao.elders.models import (
    Category,
    CategoryMembership,
    Elder,
    ElderContact,
    ElderEvent,
    LivingSituation,
)
from yanglao.elders.services import apply_input
from yanglao.elders.validation import parse_elder
from yanglao.regions.resolver import RegionResolver

HEADER_TO_KEY = {c.header: c.key for c in COLUMNS}


class ElderResource(resources.ModelResource):
    id_number_index = fields.Field(attribute="id_number_index", column_name="id_number_index")

    class Meta:
        model = Elder
        import_id_fields = ("id_number_index",)
        fields = ("id_number_index",)

    def __init__(self, actor):
        super().__init__()
        self.actor = actor
        self.resolver = RegionResolver(preload=True)
        self.parsed = {}

    def before_import_row(self, row, **kwargs):
        raw = {HEADER_TO_KEY.get(k.rstrip("*"), k): ("" if v is None else str(v)) for k, v in row.items()}
        data = parse_elder(raw, resolver=self.resolver, scope=self.actor.scope)
        index = privacy.id_index(data.id_number.value)
        row["id_number_index"] = index
        self.parsed[index] = data

    def import_instance(self, instance, row, **kwargs):
        super().import_instance(instance, row, **kwargs)
        apply_input(instance, self.parsed[row["id_number_index"]])
        instance.created_by = self.actor

    def after_save_instance(self, instance, row, **kwargs):
        data = self.parsed[row["id_number_index"]]
        today = timezone.localdate()
        for i, contact in enumerate(data.contacts):
            sealed = privacy.seal_phone(contact.phone)
            ElderContact.objects.create(
                elder=instance,
                kind=contact.kind,
                name=contact.name,
                relation=contact.relation,
                position=i,
                phone_enc=sealed.enc,
                phone_index=sealed.index,
                phone_masked=sealed.masked,
            )
        for item in data.categories:
            CategoryMembership.objects.create(
                elder=instance,
                category=item.category,
                grade=item.grade,
                valid_from=today,
                source_document="批量导入",
                created_by=self.actor,
            )
        if data.living_situation in (LivingSituation.ALONE, LivingSituation.EMPTY_NEST):
            CategoryMembership.objects.create(
                elder=instance,
                category=Category.ALONE_OR_EMPTY_NEST,
                valid_from=today,
                source_document="居住情况",
                created_by=self.actor,
            )
        ElderEvent.objects.create(
            elder=instance,
            kind="imported",
            summary=f"导入建档：{instance.name}",
            actor=self.actor,
            region_code=instance.region_id,
            source="elders",
        )
        AuditEntry.objects.create(
            actor=self.actor,
            actor_username=self.actor.username,
            action="create",
            object_type="elders.elder",
            object_id=str(instance.pk),
            object_label=str(instance),
            region_code=instance.region_id,
            summary="导入新建老年人档案",
        )


def run_baseline(path: str, actor, rows_limit: int) -> None:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    rows = book.worksheets[0].iter_rows(values_only=True)
    header = [str(h) for h in next(rows)]
    # The match column the library needs up front; each row's value is computed in before_import_row.
    data = tablib.Dataset(headers=[*header, "id_number_index"])
    for i, row in enumerate(rows):
        if rows_limit and i >= rows_limit:
            break
        data.append(["" if v is None else v for v in row] + [""])
    result = ElderResource(actor).import_data(data, dry_run=False, raise_errors=True)
    assert not result.has_errors()
