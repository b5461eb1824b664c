"""The JSON API of entitlements: what a person is entitled to today, and the grants they held."""

from datetime import date

from django.utils import timezone
from ninja import Field, Router, Schema

from yanglao.benefits import selectors, services
from yanglao.core.api import errors
from yanglao.elders import selectors as elder_selectors

# Mounted at /elders: GET /elders/{id}/entitlements.
elder_router = Router(tags=["享受待遇"])


class EntitlementOut(Schema):
    code: str = Field(..., description="规则代码")
    name: str
    benefit: str
    benefit_label: str
    amount: int = Field(..., description="按单位：分钟/天、分/月（整数分）；资格类为 0")
    unit: str
    unit_label: str
    amount_text: str
    seed: str = Field(..., description="政策依据")
    reason: str = Field(..., description="为何符合，中文")


class GrantOut(Schema):
    id: int
    rule_code: str
    rule_name: str
    benefit: str
    amount_text: str
    region_code: str = Field(..., description="享受时的居住地区划")
    valid_from: date
    valid_to: date | None = Field(..., description="null 表示仍在享受")


class EntitlementsOut(Schema):
    elder_id: int
    on: date
    entitlements: list[EntitlementOut] = Field(..., description="按档案今天的情况计算的享受待遇")
    grants: list[GrantOut] = Field(..., description="享受待遇记录（新的在前，仅您管辖范围内的）")


def _rule(rule) -> dict:
    return {"code": rule.code, "name": rule.name, "benefit": rule.benefit, "benefit_label": rule.get_benefit_display(),
            "amount": rule.amount, "unit": rule.unit, "unit_label": rule.get_unit_display(),
            "amount_text": rule.amount_text, "seed": rule.seed}  # fmt: skip


@elder_router.get("/{elder_id}/entitlements", response={200: EntitlementsOut, **errors(403, 404)})
def elder_entitlements(request, elder_id: int):
    """一位老年人今天享受的待遇（每项附规则、标准、依据和符合的原因）及享受记录。
    需 elders.view 和 assessments.view。"""
    elder = elder_selectors.elder_get(actor=request.auth, pk=elder_id)
    grants = list(selectors.elder_grants(actor=request.auth, elder=elder))
    today = timezone.localdate()
    return {
        "elder_id": elder.pk,
        "on": today,
        "entitlements": [{**_rule(e.rule), "reason": e.reason} for e in services.entitlements_for(elder, today)],
        "grants": [
            {"id": g.pk, "rule_code": g.rule.code, "rule_name": g.rule.name, "benefit": g.rule.benefit,
             "amount_text": g.rule.amount_text, "region_code": g.region_code, "valid_from": g.valid_from,
             "valid_to": g.valid_to}
            for g in grants
        ],
    }  # fmt: skip
