from django.db import models


class ResidentialErrorCode(models.TextChoices):
    """Stable error codes of meals and day care (the API's ``code``; forms show the Chinese message)."""

    NOT_CANTEEN = "not_canteen", "该设施不提供助餐服务"
    NOT_DAYCARE = "not_daycare_centre", "该设施不提供日间照料服务"
    FACILITY_NOT_OPERATING = "facility_not_operating", "设施不在运营中"
    MENU_EXISTS = "menu_exists", "当天这一餐已有菜单"
    NO_MENU = "no_menu", "当天这一餐还没有菜单，不能订餐"
    OVER_CAPACITY = "over_capacity", "超出食堂当日供餐能力"
    ELDER_NOT_FOUND = "elder_not_found", "没有找到该老年人"
    ELDER_AMBIGUOUS = "elder_ambiguous", "找到多位老年人，请输入身份证号"
    ELDER_NOT_ACTIVE = "elder_not_active", "老年人不是在册状态"
    ALREADY_ENROLLED = "already_enrolled", "该老年人已在本中心登记日间照料"
    NOT_ENROLLED = "not_enrolled", "该老年人未在本中心登记日间照料"
    ALREADY_CHECKED_IN = "already_checked_in", "今天已签到，不能重复签到"
    NOT_CHECKED_IN = "not_checked_in", "今天还没有签到，不能签退"
    ALREADY_CHECKED_OUT = "already_checked_out", "今天已签退"
    RESPITE_OVERLAP = "respite_overlap", "与该老年人已有的喘息服务时间重叠"
    RESPITE_DATES = "respite_dates", "结束日期不能早于开始日期"
    RESPITE_TOO_LONG = "respite_too_long", "喘息服务为短期托养，一次不超过 30 天"
    INVALID_MEAL = "invalid_meal", "请选择早餐、午餐或晚餐"
    INVALID_KIND = "invalid_kind", "请选择堂食或送餐"
    INVALID_QUANTITY = "invalid_quantity", "份数应为 1–10"
    INVALID_MONTH = "invalid_month", "月份格式不对，应为 2026-01"
