"""The JSON API of 资金结算, mounted at /settlements: list, detail, lines, build, confirm.

Amounts are integer fen. Status codes as elsewhere: 403 for a missing capability or an actor below
county level (``forbidden``), 404 outside the reader's scope (``not_found``), 422 for input the
rules refuse and for steps the statement's state does not allow, each with a stable ``code``:
``settlement_confirmed``, ``anomalies_pending``, ``unpriced_orders``, ``settlement_stale``,
``settlement_empty``, ``month_not_over``, ``month_in_future``, ``invalid_month``,
``provider_not_in_county``, ``provider_unknown``.
"""

from datetime import date, datetime
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.http import Http404
from ninja import Field, Query, Router, Schema
from ninja import Status as Respond

from yanglao.care import selectors, settlement
from yanglao.care import settlement_selectors as reads
from yanglao.care.models import Settlement, SettlementState
from yanglao.care.settlement import SettlementErrorCode as E
from yanglao.core.api import Page, PageParams, errors, paginate
from yanglao.regions.models import Region

router = Router(tags=["资金结算"])


class ProviderRef(Schema):
    id: int
    name: str


class CountyRef(Schema):
    code: str
    name: str


class SettlementOut(Schema):
    id: int
    number: str
    provider: ProviderRef
    county: CountyRef
    month: date = Field(..., description="结算月份（当月 1 日）")
    state: str = Field(..., description="draft 草稿 / confirmed 已确认")
    order_count: int = Field(..., description="予以结算的工单数")
    total_fen: int = Field(..., description="合计（分）= government_fen + subsidy_fen + self_fen")
    government_fen: int = Field(..., description="政府购买服务（分）")
    subsidy_fen: int = Field(..., description="补贴（分）")
    self_fen: int = Field(..., description="个人自付（分）")
    created_at: datetime
    confirmed_at: datetime | None
    confirmed_by: str | None

    @staticmethod
    def resolve_provider(obj):
        return {"id": obj.provider_id, "name": obj.provider.operator.name}

    @staticmethod
    def resolve_county(obj):
        return {"code": obj.county_id, "name": obj.county.name}

    @staticmethod
    def resolve_confirmed_by(obj):
        return obj.confirmed_by.display_name if obj.confirmed_by_id else None


class OrderRef(Schema):
    id: int
    number: str
    scheduled_date: date
    anomalies: list[str]


class SettlementDetailOut(SettlementOut):
    excluded_count: int = Field(..., description="异常不予结算、列为排除的工单数")
    pending_anomalies: list[OrderRef] = Field(..., description="待处理的异常工单（有则不能确认）")
    left_out: list[OrderRef] = Field(..., description="已评价但未纳入的工单（无价格或生成后才评价）")


class LineOut(Schema):
    order_id: int
    order_number: str
    service_date: date
    product_code: str
    product_name: str
    quantity: int
    unit_price_fen: int
    amount_fen: int
    government_fen: int
    subsidy_fen: int
    self_fen: int
    anomaly_decision: str = Field(
        ..., description="空：无异常；pay 异常予以结算；no_pay 不予结算（金额为 0）"
    )

    @staticmethod
    def resolve_order_number(obj):
        return obj.order.number

    @staticmethod
    def resolve_product_code(obj):
        return obj.product.code

    @staticmethod
    def resolve_product_name(obj):
        return obj.product.name


class StateFilter(StrEnum):
    draft = "draft"
    confirmed = "confirmed"


class SettlementFilterIn(Schema):
    provider: int | None = Field(None, description="服务商 id")
    county: str = Field("", max_length=12, description="旗县代码（6 或 12 位）")
    month: str = Field("", max_length=10, description="结算月份，如 2026-03")
    state: StateFilter | None = None


class BuildIn(Schema):
    provider: int = Field(..., description="服务商 id")
    month: str = Field(..., max_length=10, description="结算月份，如 2026-03")
    county: str = Field("", max_length=12, description="旗县代码（可省略，须与服务商签约旗县一致）")


def _detail(statement: Settlement) -> Settlement:
    """The statement with what the detail adds (the excluded count, the orders that block it)."""
    draft = statement.state == SettlementState.DRAFT

    def refs(orders):
        return [
            {
                "id": o.pk,
                "number": o.number,
                "scheduled_date": o.scheduled_date,
                "anomalies": o.anomalies or [],
            }
            for o in orders
        ]

    statement.excluded_count = reads.settlement_lines(settlement=statement, paid=False).count()
    statement.pending_anomalies = refs(reads.pending_anomalies(settlement=statement)[:500]) if draft else []
    statement.left_out = refs(reads.left_out(settlement=statement)[:500]) if draft else []
    return statement


@router.get("", response={200: Page[SettlementOut], **errors(403)})
def settlement_list(request, filters: Query[SettlementFilterIn], paging: Query[PageParams]):
    """结算单列表（您管辖范围内；服务商人员只看到本服务商的），按服务商、旗县、月份、状态筛选。需 care.view。"""
    month = settlement.parse_month(filters.month) if filters.month else None
    values = reads.SettlementFilters(
        provider=filters.provider,
        county=filters.county,
        month=month,
        state=filters.state.value if filters.state else "",
    )
    return paginate(reads.settlement_list(actor=request.auth, filters=values), paging)


@router.get("/{settlement_id}", response={200: SettlementDetailOut, **errors(403, 404)})
def settlement_detail(request, settlement_id: int):
    """一张结算单：各资金来源合计、待处理的异常工单、未纳入的工单。需 care.view。"""
    return _detail(reads.settlement_get(actor=request.auth, pk=settlement_id))


@router.get("/{settlement_id}/lines", response={200: Page[LineOut], **errors(403, 404)})
def settlement_line_list(request, settlement_id: int, paging: Query[PageParams]):
    """结算明细（按服务日期），含不予结算的工单（金额为 0）。需 care.view。"""
    statement = reads.settlement_get(actor=request.auth, pk=settlement_id)
    return paginate(reads.settlement_lines(settlement=statement), paging)


@router.post("", response={201: SettlementDetailOut, **errors(403)})
def settlement_build(request, payload: BuildIn):
    """生成或更新（草稿）某服务商某月的结算单。需 care.settle，旗县及以上民政干部。"""
    try:
        provider = selectors.provider_get(actor=request.auth, pk=payload.provider)
    except Http404:
        raise ValidationError(
            {"provider": ValidationError("服务商不存在或不在您的管辖范围内。", code=E.PROVIDER_UNKNOWN)}
        ) from None
    county = Region.objects.get(code=provider.county_id)
    if payload.county:
        from yanglao.regions.codes import RegionCodeError, canonical

        try:
            wanted = canonical(payload.county)
        except RegionCodeError:
            wanted = ""
        if wanted != county.code:
            raise ValidationError(
                {"county": ValidationError(f"{provider.name} 未与该旗县签约。", code=E.PROVIDER_COUNTY)}
            )
    statement = settlement.settlement_build(
        actor=request.auth, provider=provider, county=county, month=payload.month
    )
    return Respond(201, _detail(reads.settlement_get(actor=request.auth, pk=statement.pk)))


@router.post("/{settlement_id}/confirm", response={200: SettlementDetailOut, **errors(403, 404)})
def settlement_confirm(request, settlement_id: int):
    """确认结算单：此后不能修改，予以结算的工单标记为已结算。需 care.settle，旗县及以上民政干部。"""
    statement = reads.settlement_get(actor=request.auth, pk=settlement_id)
    settlement.settlement_confirm(actor=request.auth, settlement=statement)
    return _detail(reads.settlement_get(actor=request.auth, pk=settlement_id))
