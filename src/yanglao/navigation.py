"""The console's one navigation, grouped by domain. Each entry shows only to roles that may use it.

An entry is (label, url name, capability, view-name prefix that marks it active).
"""

from django.urls import reverse

from yanglao.accounts.roles import Cap

SECTIONS = [
    ("概览", [("首页", "reports:home", Cap.DASHBOARD_VIEW, "reports:home")]),
    (
        "服务网络",
        [
            ("养老服务设施", "facilities:list", Cap.FACILITIES_VIEW, "facilities:"),
            ("设施地图", "facilities:map", Cap.FACILITIES_VIEW, "facilities:map"),
            ("区域网络达标", "reports:network", Cap.FACILITIES_VIEW, "reports:network"),
            ("运营主体", "facilities:operators", Cap.FACILITIES_VIEW, "facilities:operator"),
            ("联合体", "facilities:consortia", Cap.FACILITIES_VIEW, "facilities:consorti"),
        ],
    ),
    (
        "老年人",
        [
            ("老年人档案", "elders:list", Cap.ELDERS_VIEW, "elders:"),
            ("批量导入", "elders:import", Cap.ELDERS_IMPORT, "elders:import"),
            ("能力评估", "assessments:list", Cap.ASSESSMENTS_VIEW, "assessments:"),
            ("到期复评", "assessments:due", Cap.ASSESSMENTS_VIEW, "assessments:due"),
            ("享受待遇", "benefits:eligibility", Cap.ASSESSMENTS_VIEW, "benefits:"),
        ],
    ),
    (
        "居家社区服务",
        [
            ("服务目录", "care:catalogue", Cap.CARE_VIEW, "care:catalogue"),
            ("服务商", "care:providers", Cap.CARE_VIEW, "care:provider"),
            ("护理员", "care:caregivers", Cap.CARE_VIEW, "care:caregiver"),
            ("服务覆盖", "care:coverage", Cap.CARE_VIEW, "care:coverage"),
            ("服务工单", "care:order_list", Cap.CARE_VIEW, "care:order"),
            ("派单", "care:dispatch", Cap.CARE_DISPATCH, "care:dispatch"),
            ("派单建议", "care:dispatch_plan", Cap.CARE_DISPATCH, "care:dispatch_plan"),
            ("资金结算", "care:settlements", Cap.CARE_VIEW, "care:settlement"),
            ("我的工单", "care:mobile", Cap.CARE_VISIT, "care:mobile"),
        ],
    ),
    (
        "助餐与日间照料",
        [
            ("助餐点", "residential:canteens", Cap.FACILITIES_VIEW, "residential:"),
            ("日间照料", "residential:centres", Cap.FACILITIES_VIEW, "residential:centre"),
        ],
    ),
    (
        "呼叫中心",
        [
            ("告警台", "alarms:desk", Cap.ALARMS_VIEW, "alarms:desk"),
            ("告警记录", "alarms:alarm_list", Cap.ALARMS_VIEW, "alarms:alarm_"),
            ("来电登记", "alarms:hotline", Cap.ALARMS_HANDLE, "alarms:hotline"),
            ("服务水平", "alarms:sla", Cap.ALARMS_VIEW, "alarms:sla"),
            ("告警设备", "alarms:device_list", Cap.ALARMS_VIEW, "alarms:device_"),
            ("设备错误", "alarms:device_errors", Cap.ALARMS_VIEW, "alarms:device_errors"),
        ],
    ),
    (
        "规划",
        [
            ("服务圈覆盖", "planning:coverage", Cap.PLANNING_VIEW, "planning:coverage"),
            ("选址分析", "planning:siting", Cap.PLANNING_VIEW, "planning:siting"),
            ("政策目标", "planning:targets", Cap.PLANNING_VIEW, "planning:targets"),
            ("建设计划", "planning:plan_list", Cap.PLANNING_VIEW, "planning:plan_"),
            ("月度进度", "planning:plan_reports", Cap.PLANNING_VIEW, "planning:plan_reports"),
        ],
    ),
    (
        "系统",
        [
            ("用户管理", "accounts:user_list", Cap.USERS_VIEW, "accounts:user_"),
            ("审计日志", "accounts:audit_list", Cap.AUDIT_VIEW, "accounts:audit"),
            ("API 令牌", "accounts:tokens", Cap.TOKENS_OWN, "accounts:token"),
        ],
    ),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_sections": []}
    current = request.resolver_match.view_name if request.resolver_match else ""
    # The entry whose prefix matches the current view most specifically is the active one.
    matches = [p for _, entries in SECTIONS for *_, p in entries if current.startswith(p)]
    active = max(matches, key=len, default=None)
    sections = []
    for title, entries in SECTIONS:
        items = [
            {"label": label, "url": reverse(name), "active": prefix == active}
            for label, name, capability, prefix in entries
            if user.can(capability)
        ]
        if items:
            sections.append({"title": title, "items": items})
    return {"nav_sections": sections}
