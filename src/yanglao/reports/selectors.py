"""Headline figures for a user's scope, read from each domain through its own selectors."""

from dataclasses import dataclass

from django.utils import timezone

from yanglao.accounts import selectors as account_selectors
from yanglao.accounts.models import User
from yanglao.accounts.roles import Cap
from yanglao.core.models import AuditEntry
from yanglao.elders import selectors as elder_selectors
from yanglao.elders.models import Category
from yanglao.facilities import selectors as facility_selectors
from yanglao.regions import selectors as region_selectors


@dataclass
class Figure:
    label: str
    value: int
    unit: str = ""
    url: str = ""


def headline_figures(*, user: User) -> list[Figure]:
    scope = user.scope
    by_level = region_selectors.region_counts_by_level(scope=scope)
    figures = [
        Figure("旗县市区", by_level.get("county", 0), "个"),
        Figure("苏木乡镇(街道)", by_level.get("township", 0), "个"),
        Figure("嘎查村(社区)", by_level.get("village", 0), "个"),
    ]
    if user.can(Cap.FACILITIES_VIEW):
        counts = facility_selectors.network_counts(scope=scope)
        operating = sum(by_status.get("operating", 0) for by_status in counts["by_type_status"].values())
        figures.append(Figure("运营中的养老服务设施", operating, "个", "facilities:list"))
        figures.append(Figure("运营中的床位", counts["beds_total"], "张", "reports:network"))
    if user.can(Cap.ELDERS_VIEW):
        counts = elder_selectors.registry_counts(actor=user)
        figures.append(Figure("在册老年人", counts["total"], "人", "elders:list"))
        for category, label in (
            (Category.ADVANCED_AGE, "高龄（80岁以上）"),
            (Category.DESTITUTE, "特困人员"),
            (Category.SUBSISTENCE, "低保"),
            (Category.DISABLED_CARE, "失能"),
            (Category.SEMI_DISABLED, "半失能"),
            (Category.ALONE_OR_EMPTY_NEST, "独居/空巢"),
        ):
            figures.append(Figure(label, counts.get(category, 0), "人"))
    if user.can(Cap.USERS_VIEW):
        figures.append(
            Figure(
                "在用账号",
                account_selectors.user_list(actor=user, active=True).count(),
                "个",
                "accounts:user_list",
            )
        )
    if user.can(Cap.AUDIT_VIEW):
        today = timezone.localdate()
        logins = account_selectors.audit_list(
            actor=user, action=AuditEntry.Action.LOGIN, date_from=today, date_to=today
        )
        figures.append(Figure("今日登录", logins.count(), "次", "accounts:audit_list"))
    return figures
