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
