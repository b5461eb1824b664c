from django.db import models


class DeskErrorCode(models.TextChoices):
    """Why the desk refused an action. Stable: the API returns them as ``code``."""

    ALREADY_CLAIMED = "alarm_already_claimed", "告警已被其他坐席受理"
    RESOLVED = "alarm_resolved", "告警已结案"
    NOTE_REQUIRED = "note_required", "请填写记录内容"
    OUTCOME_INVALID = "outcome_invalid", "处置结果无效"
    OUTCOME_NOTE_REQUIRED = "outcome_note_required", "该处置结果须写明情况"
    DISPATCH_TARGET_INVALID = "dispatch_target_invalid", "派遣对象无效"
    DISPATCH_WHO_REQUIRED = "dispatch_who_required", "请填写派遣了谁"
    CALL_RESULT_INVALID = "call_result_invalid", "通话结果无效"
    NO_ELDER = "alarm_without_elder", "该告警没有关联老年人"
    NO_PHONE = "no_phone", "没有登记该电话"
    CONTACT_INVALID = "contact_invalid", "联系人不属于该老年人"
    PHONE_INVALID = "phone_invalid", "电话号码无效"
    KIND_INVALID = "alarm_kind_invalid", "告警类别无效"
    SUMMARY_REQUIRED = "summary_required", "请填写来电内容"
    ELDER_NOT_FOUND = "elder_not_found", "老年人不存在或不在管辖范围内"
    REGION_INVALID = "region_out_of_scope", "区划无效或超出管辖范围"
    PERIOD_INVALID = "period_invalid", "统计期间无效"
