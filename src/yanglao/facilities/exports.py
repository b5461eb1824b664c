"""Exporting the filtered facility list to Excel, row by row, with each check's outcome."""

from django.utils import timezone

from yanglao.core import audit
from yanglao.core.sheets import XlsxStream
from yanglao.facilities import catalogue, checks
from yanglao.facilities.selectors import FacilityFilters, facility_list

HEADER = [
    "设施编号", "名称", "类型", "所在区划代码", "所在区划", "地址", "经度", "纬度", "建筑面积", "床位数", "护理型床位数",
    "在住人数", "运营主体", "统一社会信用代码", "运营方式", "合同截止", "备案编号", "状态", "服务项目", "联系人", "联系电话",
    "达标情况", "未达标项",
]  # fmt: skip


def export_response(*, actor, filters: FacilityFilters):
    today = timezone.localdate()
    stream = XlsxStream("养老服务设施", HEADER)
    for f in facility_list(actor=actor, filters=filters, today=today).iterator(chunk_size=2000):
        results = checks.evaluate(f, today)
        failing = [r.check.title for r in results if r.outcome.status == checks.NOT_MET]
        summary = checks.summary(results)
        stream.append([
            f.pk, f.name, f.get_type_display(), f.region_id, f.region.full_name, f.address,
            float(f.longitude) if f.longitude is not None else None, float(f.latitude) if f.latitude is not None else None,
            float(f.floor_area) if f.floor_area is not None else None, f.beds_total, f.beds_nursing, f.residents,
            f.operator.name if f.operator_id else "", f.operator.credit_code if f.operator_id else "",
            f.get_operating_mode_display(), f.contract_end, f.filing_number, f.get_status_display(),
            "、".join(catalogue.LABELS.get(c, c) for c in f.services), f.contact_name, f.contact_phone,
            checks.STATUS_LABELS.get(summary, "—"), "、".join(failing),
        ])  # fmt: skip
    audit.record(
        actor=actor,
        action=audit.Action.EXPORT,
        object_type="facilities.facility",
        summary=f"导出设施名单 {stream.rows} 个",
        changes={"filters": [None, {k: v for k, v in vars(filters).items() if v}]},
    )
    return stream.response(f"养老服务设施-{timezone.localdate():%Y%m%d}.xlsx")
