from django.db import models


class AssessmentErrorCode(models.TextChoices):
    ELDER_NOT_ACTIVE = "elder_not_active", "老年人不是在册状态"
    NOT_EDITABLE = "assessment_not_editable", "评估已提交或已审核，不能修改"
    INCOMPLETE = "incomplete", "评估项目未填完"
    OUT_OF_RANGE = "out_of_range", "分值超出范围"
    UNKNOWN_ITEM = "unknown_item", "没有这个评估项目"
    SECOND_ASSESSOR = "second_assessor_required", "须有第二名评估员"
    OWN_ASSESSMENT = "own_assessment", "不能审核本人参与的评估"
    APPROVER_LEVEL = "approver_level", "须由旗县及以上民政干部审核"
    WRONG_STATUS = "wrong_status", "当前状态不能执行此操作"
    OPEN_EXISTS = "open_assessment_exists", "已有未完成的评估"
