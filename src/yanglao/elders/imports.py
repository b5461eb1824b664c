"""Bulk import of the elder registry from the .xlsx template (or a CSV with the same columns).

Two passes. The first parses and checks every row (the same ``parse_elder`` as the form), finds
duplicates inside the file and IDs registered outside the importer's scope, and collects every
problem. Then, unless the import is all-or-nothing and something failed, the valid rows are written
in batches: new people created, known ones (matched by ID) updated, none duplicated — importing the
same file twice changes nothing the second time.
"""

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.db.models import Count
from django.utils import timezone

from yanglao.core import audit, uploads
from yanglao.core.bulk import assign_ids, bulk_insert, clone, copy_rows
from yanglao.core.ethnicity import NATIONALITIES
from yanglao.core.masking import mask_id_number, mask_phone
from yanglao.core.models import AuditEntry, Task
from yanglao.core.sheets import Column, SheetError, build_template, read_sheet
from yanglao.core.tasks import TaskFailed, task_progress
from yanglao.elders import privacy
from yanglao.elders.models import (
    DERIVED_CATEGORIES,
    DISABILITY_GRADES,
    Category,
    CategoryMembership,
    DuplicateFlag,
    Elder,
    ElderContact,
    ElderEvent,
    LivingSituation,
    MaritalStatus,
)
from yanglao.elders.services import FIELD_LABELS, PERSONAL, _snapshot, apply_input
from yanglao.elders.validation import ElderInput, parse_elder
from yanglao.regions.resolver import RegionResolver

BATCH = 5000
YES_NO = ("是", "否")

COLUMNS = [
    Column("name", "姓名", required=True, width=10, help="老年人姓名", example="张桂兰"),
    Column(
        "id_number",
        "身份证号",
        required=True,
        width=22,
        help="18 位公民身份号码（15 位旧号码将自动升位）；用于识别同一人：再次导入同一号码即更新该档案",
    ),
    Column(
        "gender", "性别", choices=("男", "女"), width=6, help="可不填，以身份证号为准；填写时须与身份证号一致"
    ),
    Column("birth_date", "出生日期", width=12, help="可不填，以身份证号为准；格式 1950-01-31"),
    Column(
        "ethnicity",
        "民族",
        choices=tuple(n for _, n in NATIONALITIES),
        width=10,
        help="56 个民族之一，默认汉族",
    ),
    Column("phone", "联系电话", width=15, help="手机 11 位，或固定电话带区号，如 0475-8835970"),
    Column("phone_alt", "备用电话", width=15),
    Column("address", "现住址", width=28),
    Column(
        "region",
        "居住地区划",
        required=True,
        width=30,
        help="嘎查村（社区）的 12 位区划代码，或完整名称，如 通辽市/开鲁县/开鲁镇/新华社区",
        aliases=("居住地", "区划"),
    ),
    Column("hukou_region", "户籍地区划", width=24, help="区划代码或完整名称，可不填"),
    Column(
        "living_situation", "居住情况", choices=tuple(label for _, label in LivingSituation.choices), width=12
    ),
    Column(
        "marital_status", "婚姻状况", choices=tuple(label for _, label in MaritalStatus.choices), width=10
    ),
    Column("guardian_name", "监护人姓名", width=10),
    Column("guardian_relation", "监护人关系", width=10),
    Column("guardian_phone", "监护人电话", width=15),
    Column("contact_name", "紧急联系人", width=10),
    Column("contact_relation", "紧急联系人关系", width=12),
    Column("contact_phone", "紧急联系人电话", width=15),
    *[
        Column(f"cat_{c.value}", c.label, choices=YES_NO, width=10, help=f"是否{c.label}：是 / 否")
        for c in Category
        if c not in DERIVED_CATEGORIES and c != Category.DISABILITY
    ],
    Column(
        "disability_grade",
        "残疾等级",
        choices=tuple(label for _, label in DISABILITY_GRADES),
        width=10,
        help="残疾人员填写一级至四级",
    ),
    Column("longitude", "经度", width=12, help="可不填；WGS-84 经度，如 121.3190"),
    Column("latitude", "纬度", width=12, help="可不填；WGS-84 纬度，如 43.6010"),
]
INSTRUCTIONS = [
    "1. 第一行为表头，请勿修改；带 * 的列必须填写。每位老年人一行。",
    "2. 身份证号用于识别同一人：表中的号码若已登记，导入时更新该档案，不会重复建档。",
    "3. 居住地区划填写嘎查村（社区）的 12 位代码，或从市到村的完整名称，用“/”分隔。",
    "4. 高龄、失能/半失能、独居/空巢由系统根据出生日期、能力评估和居住情况自动判定，无需填写。",
    "5. 导入前会逐行检查；有错误的行会列出行号、列名和原因，并可下载“未导入的行”（含原行号和错误说明两列）修改后直接重新导入。",
    "6. 也可以使用同样表头的 CSV 文件（UTF-8 或 GBK 编码）。单个文件不超过 30 MB。",
]
EXAMPLE = {
    "name": "张桂兰", "id_number": "150523194503151227", "ethnicity": "汉族", "phone": "13904751234",
    "address": "开鲁镇新华街 12 号", "region": "通辽市/开鲁县/开鲁镇/新华社区", "living_situation": "独居",
    "marital_status": "丧偶", "contact_name": "李明", "contact_relation": "儿子", "contact_phone": "13804759876",
    "cat_subsistence": "是",
}  # fmt: skip
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
MASKED_KEYS = {
    "id_number": mask_id_number,
    "phone": mask_phone,
    "phone_alt": mask_phone,
    "guardian_phone": mask_phone,
    "contact_phone": mask_phone,
}
MAX_PROBLEMS_KEPT = 1000


def template_bytes() -> bytes:
    return build_template(title="老年人档案", columns=COLUMNS, instructions=INSTRUCTIONS, examples=[EXAMPLE])


@dataclass
class ImportOutcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed_rows: int = 0
    problems: list[dict] = field(default_factory=list)
    problem_count: int = 0
    failed: list[tuple[int, dict, list[str]]] = field(default_factory=list)

    def add_problem(self, row: int, key: str, value: str, message: str, name: str = "") -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS_KEPT:
            header = COLUMN_BY_KEY[key].header if key in COLUMN_BY_KEY else "（整行）"
            shown = MASKED_KEYS[key](value) if key in MASKED_KEYS and value else value
            self.problems.append(
                {"row": row, "name": name[:20], "column": header, "value": shown[:60], "message": message}
            )


def _row_problems(exc: ValidationError) -> list[tuple[str, str]]:
    out = []
    for key, errors in exc.error_dict.items():
        for error in errors:
            out.extend((key, message) for message in error.messages)
    return out


def run_import(task: Task) -> dict:
    actor = task.created_by
    if actor is None or not actor.is_active or not actor.can("elders.import"):
        raise TaskFailed("导入人没有导入权限或账号已停用。")
    valid_only = task.params.get("mode") == "valid_only"
    with uploads.unsealed_copy(task) as tmp:
        try:
            sheet = read_sheet(Path(tmp.name), COLUMNS)
        except SheetError as exc:
            raise TaskFailed(exc.message) from None
        outcome, valid = _check_rows(task, actor, sheet)
    if outcome.problem_count and not valid_only:
        valid = []
    _write(task, actor, valid, outcome)
    if outcome.failed:
        uploads.save_error_report(task, COLUMNS, outcome.failed, f"elders-import-{task.pk}-errors")
    # The upload held personal data in the clear inside its seal; it is not needed any more.
    uploads.discard_upload(task)
    audit.record(
        actor=actor,
        action=audit.Action.IMPORT,
        object_type="elders.import",
        object_id=task.pk,
        summary=f"导入老年人档案：新建 {outcome.created}，更新 {outcome.updated}，未变 {outcome.unchanged}，未导入 {outcome.failed_rows}",
    )
    return {
        "created": outcome.created,
        "updated": outcome.updated,
        "unchanged": outcome.unchanged,
        "failed_rows": outcome.failed_rows,
        "problem_count": outcome.problem_count,
        "problems": outcome.problems,
        "mode": "valid_only" if valid_only else "all_or_nothing",
        "written": bool(outcome.created or outcome.updated),
        "error_report": bool(outcome.failed),
    }


def _check_rows(task: Task, actor, sheet) -> tuple[ImportOutcome, list[tuple[int, dict, ElderInput]]]:
    outcome = ImportOutcome()
    resolver = RegionResolver(preload=True)
    scope = actor.scope
    seen: dict[str, int] = {}
    valid: list[tuple[int, dict, ElderInput]] = []
    task_progress(task, done=0, total=sheet.total, note="逐行检查")
    count = 0
    for count, (row, raw) in enumerate(sheet.rows, start=1):
        problems: list[tuple[str, str]] = []
        try:
            data = parse_elder(raw, resolver=resolver, scope=scope)
        except ValidationError as exc:
            problems = _row_problems(exc)
            data = None
        if data is not None:
            first = seen.get(data.id_number.value)
            if first is not None:
                problems.append(("id_number", f"身份证号与第 {first} 行重复。"))
            else:
                seen[data.id_number.value] = row
        if problems:
            outcome.failed_rows += 1
            for key, message in problems:
                outcome.add_problem(row, key, str(raw.get(key, "")), message, name=raw.get("name", ""))
            outcome.failed.append(
                (
                    row,
                    raw,
                    [f"{COLUMN_BY_KEY[k].header if k in COLUMN_BY_KEY else ''}：{m}" for k, m in problems],
                )
            )
        else:
            valid.append((row, raw, data))
        if count % 100 == 0:
            task_progress(task, done=count, note="逐行检查")
    if count == 0:
        raise TaskFailed("文件中没有数据行。")
    # IDs already registered outside the importer's scope: refused, without saying where.
    for _, _, data in valid:
        data.id_index = privacy.id_index(data.id_number.value)  # once per row, reused when writing
    indexes = {d.id_index: (row, raw) for row, raw, d in valid}
    foreign = set()
    keys = list(indexes)
    for start in range(0, len(keys), 2000):
        for index, region in Elder.objects.filter(id_number_index__in=keys[start : start + 2000]).values_list(
            "id_number_index", "region_id"
        ):
            if not scope.contains(region):
                foreign.add(index)
    if foreign:
        kept = []
        for row, raw, data in valid:
            if data.id_index in foreign:
                message = "该身份证号已在其他地区登记，请联系上级民政部门核实。"
                outcome.failed_rows += 1
                outcome.add_problem(
                    row, "id_number", raw.get("id_number", ""), message, name=raw.get("name", "")
                )
                outcome.failed.append((row, raw, [f"身份证号：{message}"]))
            else:
                kept.append((row, raw, data))
        valid = kept
    task_progress(task, done=count, total=count, note="检查完成")
    return outcome, valid


def _write(task: Task, actor, valid: list[tuple[int, dict, ElderInput]], outcome: ImportOutcome) -> None:
    """Plan each batch here and write it in its own transaction. On PostgreSQL the writes run on a
    second thread (its own connection), so the database stores batch N while batch N+1 is sealed
    and prepared; SQLite writes in line."""
    total = len(valid)
    if not total:
        return
    task_progress(task, done=0, total=total, note="写入档案")
    touched_regions: set[str] = set()
    # Not inside an outer transaction (a test, a caller's atomic block): a second connection would
    # neither see its rows nor be rolled back with it.
    pipelined = connection.vendor == "postgresql" and not connection.in_atomic_block
    pending: Future | None = None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="elders-import-writer") as writer:
        for start in range(0, total, BATCH):
            chunk = valid[start : start + BATCH]
            plan = _plan_chunk(actor, chunk)
            if pending is not None:
                pending.result()  # a failed batch stops the import here
            pending = writer.submit(_apply_in_thread, plan) if pipelined else None
            if not pipelined:
                _apply_plan(plan)
            outcome.created += len(plan.new_elders)
            outcome.updated += len(plan.changed)
            outcome.unchanged += plan.unchanged
            touched_regions.update(d.region.code for _, _, d in chunk)
            task_progress(task, done=min(start + BATCH, total), note="写入档案")
        if pending is not None:
            pending.result()
    _flag_duplicates_in(touched_regions)


def _apply_in_thread(plan: "_Plan") -> None:
    try:
        _apply_plan(plan)
    finally:
        connections.close_all()  # this thread's own connection


def _apply_plan(plan: "_Plan") -> None:
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Each batch is idempotent (matched by ID), so a batch lost to a crash before the WAL
            # reaches disk is simply written again by re-running the import.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        bulk_insert(Elder, plan.new_elders)
        if plan.changed:
            Elder.objects.bulk_update(plan.changed, UPDATE_FIELDS, batch_size=BATCH)
        if plan.replaced_contacts:
            ElderContact.objects.filter(elder_id__in=plan.replaced_contacts).delete()
        copy_rows(ElderContact, plan.contacts)
        if plan.rows.ended:
            CategoryMembership.objects.filter(pk__in=plan.rows.ended).update(valid_to=plan.rows.today)
        copy_rows(CategoryMembership, plan.rows.memberships)
        copy_rows(ElderEvent, plan.rows.events)
        copy_rows(AuditEntry, plan.rows.audits)


def _contacts_key(contacts) -> list[tuple]:
    return [(c.kind, c.name, c.relation, c.phone_index) for c in contacts]


@dataclass
class _Plan:
    rows: "_Rows"
    new_elders: list
    changed: list
    contacts: list
    replaced_contacts: list
    unchanged: int


def _plan_chunk(actor, chunk) -> _Plan:
    """Everything one batch will write, prepared without writing: new people (their ids taken from
    the sequence up front), changed ones, and the dependent rows as plain dicts."""
    now = timezone.now()
    today = timezone.localdate()
    by_index = {d.id_index: d for _, _, d in chunk}
    existing = {
        e.id_number_index: e
        for e in Elder.objects.filter(id_number_index__in=list(by_index)).prefetch_related(
            "contacts", "categories"
        )
    }
    new_elders: list[tuple[Elder, ElderInput]] = []
    changed: list[Elder] = []
    contacts_for: list[tuple[Elder, ElderInput]] = []
    rows = _Rows(actor=actor, now=now, today=today)
    unchanged = 0
    blank = Elder(created_by_id=actor.pk, created_at=now, updated_at=now)
    for index, data in by_index.items():
        elder = existing.get(index)
        if elder is None:
            elder = clone(blank)
            apply_input(elder, data, id_index=index)
            new_elders.append((elder, data))
            continue
        before = _snapshot(elder)
        old_contacts = _contacts_key(elder.contacts.all())
        old_region = elder.region_id
        apply_input(elder, data, id_index=index)
        if elder.region_id != old_region:
            # A new village in the file is a move: both regions keep a record of it.
            moved = {"from": old_region, "to": elder.region_id, "reason": "批量导入"}
            rows.event(elder, "moved_out", f"迁出至 {data.region.full_name}", moved, region_code=old_region)
            rows.event(elder, "moved_in", f"迁入（原区划 {old_region}）", moved)
        new_contacts = [
            (c.kind, c.name, c.relation, privacy.phone_index(c.phone) if c.phone else "")
            for c in data.contacts
        ]
        changes = audit.diff(before, _snapshot(elder), personal=PERSONAL)
        if old_contacts != new_contacts:
            changes["contacts"] = ["（原联系人）", "（新联系人）"]
            contacts_for.append((elder, data))
        category_changes = _category_plan(elder, data, rows)
        if category_changes:
            changes["categories"] = category_changes
        if not changes:
            unchanged += 1
            continue
        elder.updated_at = now
        changed.append(elder)
        labels = "、".join(
            FIELD_LABELS.get(k, {"contacts": "联系人", "categories": "人员类别"}.get(k, k)) for k in changes
        )
        rows.event(elder, ElderEvent.Kind.IMPORTED, f"导入更新：{labels}", {"changes": changes})
        rows.audit(elder, AuditEntry.Action.UPDATE, "导入更新老年人档案", changes)

    assign_ids(Elder, [e for e, _ in new_elders])
    replaced = [e.pk for e, _ in contacts_for]
    for elder, data in new_elders:
        contacts_for.append((elder, data))
        for item in data.categories:
            rows.membership(elder, item.category, "批量导入", grade=item.grade)
        if data.living_situation in (LivingSituation.ALONE, LivingSituation.EMPTY_NEST):
            rows.membership(elder, Category.ALONE_OR_EMPTY_NEST, "居住情况")
        rows.event(elder, ElderEvent.Kind.IMPORTED, f"导入建档：{elder.name}")
        rows.audit(elder, AuditEntry.Action.CREATE, "导入新建老年人档案", {})
    contacts = [
        {"elder": elder, "kind": c.kind, "name": c.name, "relation": c.relation, "position": i,
         **dict(zip(("phone_enc", "phone_index", "phone_masked"), _seal(c.phone), strict=True))}
        for elder, data in contacts_for
        for i, c in enumerate(data.contacts)
    ]  # fmt: skip
    return _Plan(
        rows=rows,
        new_elders=[e for e, _ in new_elders],
        changed=changed,
        contacts=contacts,
        replaced_contacts=replaced,
        unchanged=unchanged,
    )


UPDATE_FIELDS = [
    "name", "name_initials", "name_pinyin", "name_grams", "gender", "birth_date", "id_number_enc", "id_number_index", "id_number_masked",
    "ethnicity", "phone_enc", "phone_index", "phone_masked", "phone_alt_enc", "phone_alt_index", "phone_alt_masked",
    "address", "region", "hukou_region", "longitude", "latitude", "living_situation", "marital_status", "updated_at",
]  # fmt: skip


@dataclass
class _Rows:
    """The dependent rows of one batch, as plain dicts for ``copy_rows``."""

    actor: object
    now: object
    today: object
    events: list = field(default_factory=list)
    audits: list = field(default_factory=list)
    memberships: list = field(default_factory=list)
    ended: list = field(default_factory=list)

    def event(self, elder, kind, summary, data=None, *, region_code=None):
        self.events.append({
            "elder": elder, "kind": kind, "summary": summary[:300], "actor_id": self.actor.pk, "data": data or {},
            "region_code": region_code or elder.region_id, "at": self.now, "source": "elders",
        })  # fmt: skip

    def audit(self, elder, action, summary, changes):
        # object_id is the record itself: a new one has its id only once the batch is written.

        self.audits.append({
            "actor_id": self.actor.pk, "actor_username": self.actor.username, "action": action, "object_type": "elders.elder",
            "object_id": elder, "object_label": f"{elder.name}（{elder.id_number_masked}）", "region_code": elder.region_id,
            "summary": summary, "changes": changes, "at": self.now, "ip": None,
        })  # fmt: skip

    def membership(self, elder, category, source, *, grade=""):
        self.memberships.append({
            "elder": elder, "category": category, "valid_from": self.today, "valid_to": None, "grade": grade,
            "source_document": source, "created_at": self.now, "created_by_id": self.actor.pk,
        })  # fmt: skip


def _seal(phone: str) -> tuple[str, str, str]:
    sealed = privacy.seal_phone(phone)
    return sealed.enc, sealed.index, sealed.masked


def _category_plan(elder, data: ElderInput, rows: _Rows) -> list[str]:
    """The file is the truth for the hand-kept categories: start those marked 是, end those now 否."""
    today = rows.today
    wanted = {c.category: c for c in data.categories}
    current = {
        m.category: m
        for m in elder.categories.all()
        if m.active_on(today) and m.category not in DERIVED_CATEGORIES
    }
    notes = []
    for category, item in wanted.items():
        if category not in current:
            rows.membership(elder, category, "批量导入", grade=item.grade)
            notes.append(f"+{Category(category).label}")
    for category, membership in current.items():
        if category not in wanted:
            rows.ended.append(membership.pk)
            notes.append(f"-{Category(category).label}")
    alone = data.living_situation in (LivingSituation.ALONE, LivingSituation.EMPTY_NEST)
    living = next(
        (
            m
            for m in elder.categories.all()
            if m.category == Category.ALONE_OR_EMPTY_NEST and m.active_on(today)
        ),
        None,
    )
    if alone and living is None:
        rows.membership(elder, Category.ALONE_OR_EMPTY_NEST, "居住情况")
    elif not alone and living is not None:
        rows.ended.append(living.pk)
    return notes


def _flag_duplicates_in(region_codes: set[str]) -> None:
    """Same name + birth date + village, different ID, among the villages the import touched."""
    codes = list(region_codes)
    for start in range(0, len(codes), 500):
        groups = (
            Elder.objects.filter(region_id__in=codes[start : start + 500])
            .exclude(status="merged")
            .values("name", "birth_date", "region_id")
            .annotate(n=Count("pk"))
            .filter(n__gt=1)
        )
        for group in groups:
            pks = sorted(
                Elder.objects.filter(
                    name=group["name"], birth_date=group["birth_date"], region_id=group["region_id"]
                )
                .exclude(status="merged")
                .values_list("pk", flat=True)
            )
            for i, first in enumerate(pks):
                for second in pks[i + 1 :]:
                    DuplicateFlag.objects.get_or_create(
                        elder_id=first,
                        other_id=second,
                        defaults={
                            "reason": "姓名、出生日期、居住地相同，身份证号不同",
                            "region_id": group["region_id"],
                        },
                    )
