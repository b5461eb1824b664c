from django.db import models


class PlanningErrorCode(models.TextChoices):
    REGION_OUT_OF_SCOPE = "region_out_of_scope", "区划超出您的管辖范围"
    REGION_REQUIRED = "region_required", "请选择区划"
    LOCATION_REQUIRED = "location_required", "须填写经纬度"
    LOCATION_INVALID = "location_invalid", "经纬度超出范围"
    COST_INVALID = "cost_invalid", "成本须为非负金额"
    QUESTION_INVALID = "question_invalid", "没有这种选址问题"
    P_REQUIRED = "p_required", "须填写新建站点数"
    SHARE_REQUIRED = "share_required", "须填写目标覆盖率"
    BUDGET_REQUIRED = "budget_required", "须填写预算"
    COST_MISSING = "candidate_cost_missing", "预算问题要求每个候选点都有建设成本"
    TIME_LIMIT_INVALID = "time_limit_invalid", "计算时限超出范围"
    NO_DEMAND = "no_uncovered_demand", "没有未覆盖的老年人"
    NO_CANDIDATES = "no_candidates", "没有可用的候选点"
    SHARE_UNREACHABLE = "share_unreachable", "全部候选点也达不到目标覆盖率"
    SOLVER_FAILED = "solver_failed", "选址计算失败"
    RUN_NOT_DONE = "run_not_done", "选址计算尚未完成"
    NOTHING_PICKED = "nothing_picked", "没有选择站点"
    ALREADY_PLANNED = "already_planned", "该站点已转为建设计划"
    SETTING_INVALID = "setting_invalid", "服务圈设置无效"
