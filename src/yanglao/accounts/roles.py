"""Roles and what each may do. docs/roles.md is this table in prose; a test keeps the two equal.

A capability says what kind of thing a role may do; *which rows* it may do it to is always the
region scope (and, for a facility operator, its facility), applied by the selectors.
"""

from django.db import models


class Role(models.TextChoices):
    OFFICER = "officer", "民政干部"
    OPERATOR = "operator", "机构运营人员"
    PROVIDER = "provider", "服务商人员"
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
    CARE_VIEW = "care.view", "查看服务目录、服务商、护理员、服务工单和结算单"
    CARE_EDIT = "care.edit", "维护服务目录价格和服务商，新建、取消服务工单，处理异常工单"
    CARE_DISPATCH = "care.dispatch", "服务商受理、拒绝、派发本服务商的工单，维护本服务商的护理员"
    CARE_VISIT = "care.visit", "护理员在手机上签到、签退本人的工单"
    CARE_SETTLE = "care.settle", "生成和确认月度结算单（旗县及以上民政干部）"
    ALARMS_VIEW = "alarms.view", "查看设备、告警和呼叫中心服务水平"
    ALARMS_HANDLE = "alarms.handle", "在呼叫中心受理告警：认领、呼叫、派遣、记录、结案，登记来电"
    DEVICES_EDIT = "devices.edit", "登记、导入、停用告警设备"
    PLANNING_VIEW = "planning.view", "查看服务圈覆盖、选址结果、政策目标和建设计划进度"
    PLANNING_EDIT = "planning.edit", "提出选址问题，维护候选点和建设计划，导入计划表"
    PLANNING_REPORT = "planning.report", "填报本旗县建设计划的月度进度"


_EVERYONE = {Cap.DASHBOARD_VIEW, Cap.REGIONS_VIEW, Cap.TOKENS_OWN}

_ELDERS_ALL = {Cap.ELDERS_VIEW, Cap.ELDERS_EDIT, Cap.ELDERS_REVEAL, Cap.ELDERS_IMPORT, Cap.ELDERS_EXPORT}
_FACILITIES_ALL = {Cap.FACILITIES_VIEW, Cap.FACILITIES_EDIT, Cap.FACILITIES_IMPORT, Cap.FACILITIES_EXPORT}
_ASSESSMENTS_ALL = {Cap.ASSESSMENTS_VIEW, Cap.ASSESSMENTS_EDIT, Cap.ASSESSMENTS_APPROVE}
_CARE_OFFICE = {Cap.CARE_VIEW, Cap.CARE_EDIT, Cap.CARE_SETTLE}
_ALARMS_ALL = {Cap.ALARMS_VIEW, Cap.ALARMS_HANDLE, Cap.DEVICES_EDIT}
_PLANNING_ALL = {Cap.PLANNING_VIEW, Cap.PLANNING_EDIT, Cap.PLANNING_REPORT}

CAPABILITIES: dict[str, frozenset[str]] = {
    Role.OFFICER: frozenset(
        _EVERYONE
        | {Cap.USERS_VIEW, Cap.USERS_MANAGE}
        | _ELDERS_ALL
        | _FACILITIES_ALL
        | _ASSESSMENTS_ALL
        | _CARE_OFFICE
        | {Cap.ALARMS_VIEW, Cap.DEVICES_EDIT}
        | _PLANNING_ALL
    ),
    # An operator's scope is its own facility: it keeps that facility's record and photos up to date.
    Role.OPERATOR: frozenset(_EVERYONE | {Cap.FACILITIES_VIEW, Cap.FACILITIES_EDIT}),
    # A provider's staff see their own provider's orders, caregivers and statements only.
    Role.PROVIDER: frozenset(_EVERYONE | {Cap.CARE_VIEW, Cap.CARE_DISPATCH}),
    # A caregiver sees only its own work orders.
    Role.CAREGIVER: frozenset(_EVERYONE | {Cap.CARE_VISIT}),
    # The desk calls elders and their families: it sees the registry and may reveal phone numbers.
    Role.DESK: frozenset(
        _EVERYONE
        | {Cap.ELDERS_VIEW, Cap.ELDERS_REVEAL, Cap.FACILITIES_VIEW, Cap.ASSESSMENTS_VIEW}
        | {Cap.ALARMS_VIEW, Cap.ALARMS_HANDLE}
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
        | {Cap.ASSESSMENTS_VIEW, Cap.CARE_VIEW, Cap.ALARMS_VIEW, Cap.PLANNING_VIEW}
    ),
    Role.ADMIN: frozenset(
        _EVERYONE
        | {Cap.USERS_VIEW, Cap.USERS_MANAGE, Cap.AUDIT_VIEW}
        | _ELDERS_ALL
        | _FACILITIES_ALL
        | _ASSESSMENTS_ALL
        | _CARE_OFFICE
        | _ALARMS_ALL
        | _PLANNING_ALL
    ),
}

# Whom a role may create or disable (always inside its own scope, never wider than it).
# Separation of duties (等保 三员分立): only the system administrator makes auditors and administrators.
ASSIGNABLE: dict[str, frozenset[str]] = {
    Role.ADMIN: frozenset(Role.values),
    Role.OFFICER: frozenset({Role.OFFICER, Role.OPERATOR, Role.PROVIDER, Role.CAREGIVER, Role.DESK}),
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
