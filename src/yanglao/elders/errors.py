from django.db import models


class ElderErrorCode(models.TextChoices):
    ID_EXISTS = "id_exists", "身份证号已登记"
    ID_EXISTS_ELSEWHERE = "id_exists_elsewhere", "身份证号已在其他地区登记"
    DERIVED_CATEGORY = "category_derived", "该类别由系统自动判定"
    CATEGORY_OVERLAP = "category_overlap", "同一类别的有效期重叠"
    NOT_ACTIVE = "elder_not_active", "档案不是在册状态"
    REVEAL_FORBIDDEN = "reveal_forbidden", "无权查看完整信息"
    MERGE_INVALID = "merge_invalid", "无法合并"
