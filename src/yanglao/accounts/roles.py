"""Roles and what each may do. docs/roles.md is this table in prose; a test keeps the two equal.

A capability says what kind of thing a role may do; *which rows* it may do it to is always the
region scope (and, for a facility operator, its facility), applied by the selectors.
"""

from django.db import models


class Role(models.TextChoices):
    OFFICER = "officer", "民政干部"
    OPERATOR = "operator", "机构运营人员"
    CAREGIVER = "caregiver", "护理员"
    DESK = "desk", "呼叫中心坐席"
    AUDITOR = "auditor", "审计员"
    ADMIN = "admin", "系统管理员"


class Cap(models.TextChoices):
    DASHBOARD_VIEW = "dashboard.view", "查看首页统计"
    REGIONS_VIEW = "regions.view", "查看行政区划"
    TOKENS_OWN = "tokens.own", "管理本人 API 令牌"
    USERS_VIEW = "users.view", "查看用户"
    USERS_MANAGE = "users.manage", "新建、停用用户，重置密码，吊销令牌"
    AUDIT_VIEW = "audit.view", "查看审计日志"
    ELDERS_VIEW = "elders.view", "查看老年人档案（证件号、电话为脱敏形式）"
    ELDERS_EDIT = "elders.edit", "新建、修改、迁移老年人档案，维护类别，核查疑似重复"
    ELDERS_REVEAL = "elders.reveal", "查看完整身份证号和电话（每次留痕）"
    ELDERS_IMPORT = "elders.import", "批量导入老年人档案"
    ELDERS_EXPORT = "elders.export", "导出老年人名单"
    FACILITIES_VIEW = "facilities.view", "查看养老服务设施、地图和达标情况"
    FACILITIES_EDIT = (
        "facilities.edit",
        "新建、修改设施，变更状态，维护运营主体和联合体（运营人员仅限本机构的信息和照片）",
    )
    FACILITIES_IMPORT = "facilities.import", "批量导入设施"
    FACILITIES_EXPORT = "facilities.export", "导出设施名单"
    ASSESSMENTS_VIEW = "assessments.view", "查看能力评估、到期复评名单和享受待遇"
    ASSESSMENTS_EDIT = "assessments.edit", "开展能力评估（填写、提交）和登记复评原因"
    ASSESSMENTS_APPROVE = "assessments.approve", "审核能力评估（旗县及以上民政干部，不能审核本人参与的评估）"


_EVERYONE = {Cap.DASHBOARD_VIEW, Cap.REGIONS_VIEW, Cap.TOKENS_OWN}

_ELDERS_ALL = {Cap.ELDERS_VIEW, Cap.ELDERS_EDIT, Cap.ELDERS_REVEAL, Cap.ELDERS_IMPORT, Cap.ELDERS_EXPORT}
_FACILITIES_ALL = {Cap.FACILITIES_VIEW, Cap.FACILITIES_EDIT, Cap.FACILITIES_IMPORT, Cap.FACILITIES_EXPORT}
_ASSESSMENTS_ALL = {Cap.ASSESSMENTS_VIEW, Cap.ASSESSMENTS_EDIT, Cap.ASSESSMENTS_APPROVE}

CAPABILITIES: dict[str, frozenset[str]] = {
    Role.OFFICER: frozenset(
        _EVERYONE | {Cap.USERS_VIEW, Cap.USERS_MANAGE} | _ELDERS_ALL | _FACILITIES_ALL | _ASSESSMENTS_ALL
    ),
    # An operator's scope is its own facility: it keeps that facility's record and photos up to date.
    Role.OPERATOR: frozenset(_EVERYONE | {Cap.FACILITIES_VIEW, Cap.FACILITIES_EDIT}),
    Role.CAREGIVER: frozenset(_EVERYONE),
    # The desk calls elders and their families: it sees the registry and may reveal phone numbers.
    Role.DESK: frozenset(
        _EVERYONE | {Cap.ELDERS_VIEW, Cap.ELDERS_REVEAL, Cap.FACILITIES_VIEW, Cap.ASSESSMENTS_VIEW}
    ),
    Role.AUDITOR: frozenset(
        _EVERYONE
        | {
            Cap.USERS_VIEW,
            Cap.AUDIT_VIEW,
            Cap.ELDERS_VIEW,
            Cap.ELDERS_EXPORT,
            Cap.FACILITIES_VIEW,
            Cap.FACILITIES_EXPORT,
        }
        | {Cap.ASSESSMENTS_VIEW}
    ),
    Role.ADMIN: frozenset(
        _EVERYONE
        | {Cap.USERS_VIEW, Cap.USERS_MANAGE, Cap.AUDIT_VIEW}
        | _ELDERS_ALL
        | _FACILITIES_ALL
        | _ASSESSMENTS_ALL
    ),
}

# Whom a role may create or disable (always inside its own scope, never wider than it).
# Separation of duties (等保 三员分立): only the system administrator makes auditors and administrators.
ASSIGNABLE: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(Role.values),
    Role.OFFICER: frozenset({Role.OFFICER, Role.OPERATOR, Role.CAREGIVER, Role.DESK}),
}

# Officers work from the township up; a village has no civil-affairs office.
OFFICER_LEVELS = ("province", "city", "county", "township")

OFFICER_TITLES = {
    "province": "自治区民政干部",
    "city": "盟市民政干部",
    "county": "旗县民政干部",
    "township": "苏木乡镇(街道)民政干部",
}


def capabilities(role: str) -> frozenset[str]:
    return CAPABILITIES.get(role, frozenset())


def assignable_roles(role: str) -> frozenset[str]:
    return ASSIGNABLE.get(role, frozenset())
