"""Exporting the filtered registry to Excel: streamed row by row, masked unless the user may reveal."""

from django.utils import timezone

from yanglao.accounts.roles import Cap
from yanglao.core import audit
from yanglao.core.ethnicity import BY_CODE
from yanglao.core.sheets import XlsxStream
from yanglao.elders import privacy
from yanglao.elders.models import Category
from yanglao.elders.selectors import ADVANCED_AGE_YEARS, ElderFilters, elder_list

HEADER = [
    "档案编号", "姓名", "性别", "出生日期", "年龄", "身份证号", "民族", "联系电话", "备用电话", "现住址",
    "居住地区划代码", "居住地", "居住情况", "婚姻状况", "人员类别", "状态", "建档时间",
]  # fmt: skip


def export_rows(*, actor, filters: ElderFilters):
    today = timezone.localdate()
    reveal = actor.can(Cap.ELDERS_REVEAL)
    elders = elder_list(actor=actor, filters=filters, today=today)
    for elder in elders.iterator(chunk_size=2000):
        categories = [m.get_category_display() for m in elder.current_categories]
        if elder.age_on(today) >= ADVANCED_AGE_YEARS:
            categories.append(Category.ADVANCED_AGE.label)
        yield [
            elder.pk,
            elder.name,
            elder.get_gender_display(),
            elder.birth_date,
            elder.age_on(today),
            privacy.open_id_number(elder.id_number_enc) if reveal else elder.id_number_masked,
            BY_CODE.get(elder.ethnicity, ""),
            privacy.open_phone(elder.phone_enc) if reveal else elder.phone_masked,
            privacy.open_phone(elder.phone_alt_enc) if reveal else elder.phone_alt_masked,
            elder.address,
            elder.region_id,
            elder.region.full_name,
            elder.get_living_situation_display(),
            elder.get_marital_status_display(),
            "、".join(sorted(set(categories))),
            elder.get_status_display(),
            timezone.localtime(elder.created_at).strftime("%Y-%m-%d %H:%M"),
        ]


def export_response(*, actor, filters: ElderFilters):
    stream = XlsxStream("老年人名单", HEADER)
    for row in export_rows(actor=actor, filters=filters):
        stream.append(row)
    audit.record(
        actor=actor,
        action=audit.Action.EXPORT,
        object_type="elders.elder",
        summary=f"导出老年人名单 {stream.rows} 人（{'完整' if actor.can(Cap.ELDERS_REVEAL) else '脱敏'}）",
        changes={"filters": [None, {k: v for k, v in vars(filters).items() if v}]},
    )
    return stream.response(f"老年人名单-{timezone.localdate():%Y%m%d}.xlsx")
