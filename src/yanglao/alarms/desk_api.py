"""The JSON API of the alarm desk (mounted at the API root): the alarm list and one alarm with its
actions, the actions themselves, hotline calls, the live feed and the service level.

Status codes, as elsewhere in the API: 403 without the capability (``forbidden``), 404 outside the
reader's scope, 422 for input the rules refuse and for a step the alarm's state does not allow
(``alarm_resolved``), and 409 ``alarm_already_claimed`` when another operator acknowledged the alarm
first — the one conflict the desk has. Handling (call, dispatch, resolve) an alarm nobody has
acknowledged acknowledges it for the caller first (``alarms.desk``).
"""

from datetime import date, datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import Field, Query, Router, Schema
from ninja import Status as Respond

from yanglao.accounts.roles import Cap
from yanglao.alarms import desk, desk_selectors, sla, stream
from yanglao.alarms.desk_errors import DeskErrorCode as E
from yanglao.alarms.models import AlarmCause, AlarmKind
from yanglao.core.api import ApiError, Page, PageParams, errors, paginate
from yanglao.elders import selectors as elder_selectors

router = Router(tags=["呼叫中心与告警"])

REGION_PATTERN = r"^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})?$"
# One event of the live feed, as an SSE parser sees it (``alarms.stream`` describes each event).
SSE_EVENT_SCHEMA = {
    "type": "object",
    "properties": {
        "event": {"type": "string", "enum": ["mode", "alarm", "removed", "snapshot"]},
        "data": {"type": "string", "contentMediaType": "application/json", "description": "一个 JSON 对象"},
        "retry": {"type": "integer", "description": "断线后重连间隔（毫秒）"},
        "id": {"type": "string"},
    },
}


def _require(actor, capability):
    if not actor.can(capability):
        raise PermissionDenied("您没有此项权限。")


# --- output --------------------------------------------------------------------------------------


class Ref(Schema):
    id: int
    name: str


class DeviceRef(Schema):
    id: int
    serial: str
    kind: str


class ActionOut(Schema):
    id: int
    kind: str = Field(
        ...,
        description="created / merged / ack / call_elder / call_contact / dispatch / note / escalate / resolve",
    )
    kind_label: str
    at: datetime
    actor: str | None = Field(..., description="操作人；系统（工作进程、自动升级）为 null")
    note: str
    data: dict = Field(..., description="呼叫对象与结果、派遣对象、处置结果等；电话只有脱敏形式")

    @staticmethod
    def resolve_kind_label(obj):
        return obj.get_kind_display()

    @staticmethod
    def resolve_actor(obj):
        return obj.actor.display_name if obj.actor_id else None


class AlarmOut(Schema):
    id: int
    kind: str = Field(
        ...,
        description="emergency 紧急 / urgent 加急 / check_on 关怀探访 / technical 设备故障 / maintenance 设备维护",
    )
    cause: str
    cause_label: str
    priority: int = Field(..., description="1 最紧急")
    state: str = Field(..., description="open 待受理 / acknowledged 处理中 / resolved 已结案")
    summary: str
    region_code: str
    elder: Ref | None
    device: DeviceRef | None
    opened_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    outcome: str = Field(..., description="结案时的处置结果，未结案为空")
    outcome_note: str
    escalation_level: int = Field(..., description="0 未升级；1 紧急告警 60 秒未受理；2 30 分钟未结案")
    escalated_at: datetime | None
    merged_count: int
    caller_phone_masked: str = Field(..., description="热线来电号码（脱敏）")

    @staticmethod
    def resolve_cause_label(obj):
        return obj.get_cause_display()

    @staticmethod
    def resolve_elder(obj):
        return {"id": obj.elder_id, "name": obj.elder.name} if obj.elder_id else None

    @staticmethod
    def resolve_device(obj):
        return (
            {"id": obj.device_id, "serial": obj.device.serial, "kind": obj.device.kind}
            if obj.device_id
            else None
        )

    @staticmethod
    def resolve_acknowledged_by(obj):
        return obj.acknowledged_by.display_name if obj.acknowledged_by_id else None


class AlarmDetailOut(AlarmOut):
    actions: list[ActionOut]

    @staticmethod
    def resolve_actions(obj):
        return list(desk_selectors.alarm_actions(alarm=obj))


class AlarmFilterIn(Schema):
    q: str = Field("", max_length=40, description="老人姓名、拼音首字母、身份证号或电话（精确）")
    region: str = Field("", pattern=REGION_PATTERN)
    kind: AlarmKind | None = None
    cause: AlarmCause | None = None
    state: str = Field(
        "", pattern=r"^(open|acknowledged|resolved|unresolved)?$", description="unresolved = 待受理和处理中"
    )
    date_from: date | None = Field(None, description="发生日期起（含）")
    date_to: date | None = Field(None, description="发生日期止（含）")


# --- input ---------------------------------------------------------------------------------------


class NoteIn(Schema):
    note: str = Field(..., max_length=500)


class CallIn(Schema):
    callee: str = Field("elder", pattern=r"^(elder|contact)$", description="elder 老人本人 / contact 联系人")
    line: str = Field(
        "phone", pattern=r"^(phone|phone_alt)$", description="呼叫老人时：phone 联系电话 / phone_alt 备用电话"
    )
    contact_id: int | None = Field(None, description="呼叫联系人时：联系人 id（见老年人档案）")
    result: str = Field(
        ...,
        max_length=20,
        description="connected 已接通 / no_answer 无人接听 / busy 占线 / unreachable 关机停机空号",
    )
    note: str = Field("", max_length=500)


class DispatchIn(Schema):
    target: str = Field(
        ...,
        max_length=20,
        description="family 家属 / caregiver 护理员 / community_worker 社区工作人员 / ambulance_120 / fire_119",
    )
    who: str = Field("", max_length=100, description="派遣了谁（姓名或单位）；120/119 可省略")
    phone: str = Field("", max_length=30, description="对方电话（只保存脱敏形式）")
    note: str = Field("", max_length=500)


class ResolveIn(Schema):
    outcome: str = Field(
        ...,
        max_length=20,
        description="false_alarm 误报 / phone 电话处置 / visit 上门处置 / ambulance 呼叫急救 / hospital 住院 / death 死亡 / technical 设备已处理（仅设备类告警）",
    )
    note: str = Field("", max_length=500, description="住院、死亡须填写")


class HotlineIn(Schema):
    caller_phone: str = Field(..., max_length=30)
    kind: str = Field("emergency", max_length=20, description="emergency / urgent / check_on")
    summary: str = Field(..., max_length=200)
    elder_id: int | None = Field(None, description="来电老人（可先用 GET /alarms/callers 查找）")
    region: str = Field(
        "", pattern=REGION_PATTERN, description="未指定老人时：来电所在区划，默认为本人所在区划"
    )


class CallerOut(Schema):
    elder: Ref
    region_name: str
    matched_as: str


class FiguresOut(Schema):
    key: str
    label: str
    targeted: bool = Field(..., description="是否适用 97.5%/99% 目标（呼叫类告警：紧急、加急）")
    alarms: int
    measured_60: int
    within_60: int
    share_60: float | None
    meets_60: bool | None
    measured_180: int
    within_180: int
    share_180: float | None
    meets_180: bool | None
    pending: int = Field(..., description="未受理且未满 60 秒，不计入")
    ack_median_s: float | None
    ack_p95_s: float | None
    resolved: int
    resolve_median_s: float | None
    resolve_p95_s: float | None


class SlaOut(Schema):
    date_from: date
    date_to: date
    region_code: str
    region_name: str
    target_60: float
    target_180: float
    overall: FiguresOut
    by_kind: list[FiguresOut]
    by_region: list[FiguresOut]


class SlaFilterIn(Schema):
    date_from: date | None = Field(None, description="默认本月 1 日")
    date_to: date | None = Field(None, description="默认今天")
    region: str = Field("", pattern=REGION_PATTERN)


# --- routes --------------------------------------------------------------------------------------


@router.get("/alarms", response={200: Page[AlarmOut], **errors(403)}, url_name="alarm_list")
def alarm_list(request, filters: Query[AlarmFilterIn], paging: Query[PageParams]):
    """告警列表（发生时间倒序）：按类别、原因、状态、日期、区划筛选，按老人姓名查找。"""
    data = filters.dict()
    data["kind"] = data["kind"].value if data["kind"] else ""
    data["cause"] = data["cause"].value if data["cause"] else ""
    return paginate(
        desk_selectors.alarm_list(actor=request.auth, filters=desk_selectors.AlarmFilters(**data)), paging
    )


@router.get(
    "/alarms/stream",
    response=errors(403),
    url_name="alarm_stream",
    openapi_extra={
        "responses": {
            200: {
                "description": "Server-Sent Events：mode、alarm、removed、snapshot 事件，每 15 秒一行心跳注释",
                "content": {"text/event-stream": {"schema": SSE_EVENT_SCHEMA}},
            }
        }
    },
)
def alarm_stream(request):
    """告警实时推送（Server-Sent Events），与告警台页面同一数据流。连接后先推送当前未结案告警，
    之后推送新告警和状态变化；Redis 不可用时降级为每 2 秒查询数据库（`mode` 事件说明）。"""
    user = stream.load_user(request.auth)
    _require(user, Cap.ALARMS_VIEW)
    return stream.response(request, user)


@router.get("/alarms/sla", response={200: SlaOut, **errors(403)}, url_name="alarm_sla")
def alarm_sla(request, filters: Query[SlaFilterIn]):
    """服务水平：60 秒、180 秒受理率（目标 97.5%、99%），受理和结案时长的中位数与 P95，按类别和区划。"""
    report = sla.report(
        actor=request.auth, date_from=filters.date_from, date_to=filters.date_to, region=filters.region
    )

    def out(f):
        return {
            **f.__dict__,
            "share_60": f.share_60,
            "share_180": f.share_180,
            "meets_60": f.meets_60,
            "meets_180": f.meets_180,
        }

    return {
        "date_from": report.date_from,
        "date_to": report.date_to,
        "region_code": report.region_code,
        "region_name": report.region_name,
        "target_60": sla.TARGET_60,
        "target_180": sla.TARGET_180,
        "overall": out(report.overall),
        "by_kind": [out(f) for f in report.by_kind],
        "by_region": [out(f) for f in report.by_region],
    }


@router.get("/alarms/callers", response={200: list[CallerOut], **errors(403)}, url_name="alarm_callers")
def alarm_callers(request, phone: str = Query(..., max_length=30, description="来电号码")):
    """按来电号码查找老人：本人电话、备用电话或联系人电话（只在您的管辖范围内）。"""
    from yanglao.core.phones import PhoneError, parse_phone

    _require(request.auth, Cap.ALARMS_HANDLE)
    try:
        number = parse_phone(phone)
    except PhoneError as exc:
        raise ApiError(422, E.PHONE_INVALID, exc.message, {"phone": [exc.message]}) from None
    return [
        {
            "elder": {"id": m.elder.pk, "name": m.elder.name},
            "region_name": m.elder.region.full_name,
            "matched_as": m.how,
        }
        for m in desk_selectors.caller_matches(actor=request.auth, phone=number)
    ]


@router.post("/alarms/hotline", response={201: AlarmDetailOut, **errors(403)}, url_name="alarm_hotline")
def alarm_hotline(request, payload: HotlineIn):
    """登记热线来电为告警（登记人即受理人）。"""
    _require(request.auth, Cap.ALARMS_HANDLE)
    elder = None
    if payload.elder_id is not None:
        try:
            elder = elder_selectors.elder_get(actor=request.auth, pk=payload.elder_id)
        except Http404:
            message = "老年人不存在或不在您的管辖范围内。"
            raise ApiError(422, E.ELDER_NOT_FOUND, message, {"elder_id": [message]}) from None
    alarm = desk.hotline_register(
        actor=request.auth,
        caller_phone=payload.caller_phone,
        kind=payload.kind,
        summary=payload.summary,
        elder=elder,
        region=payload.region,
    )
    return Respond(201, desk_selectors.alarm_get(actor=request.auth, pk=alarm.pk))


@router.get("/alarms/{alarm_id}", response={200: AlarmDetailOut, **errors(403, 404)}, url_name="alarm_detail")
def alarm_detail(request, alarm_id: int):
    """一条告警及其全部处置记录。"""
    return desk_selectors.alarm_get(actor=request.auth, pk=alarm_id)


def _handle(request, alarm_id: int, act):
    alarm = desk_selectors.alarm_for_update(actor=request.auth, pk=alarm_id)
    act(alarm)
    return desk_selectors.alarm_get(actor=request.auth, pk=alarm_id)


@router.post(
    "/alarms/{alarm_id}/ack", response={200: AlarmDetailOut, **errors(403, 404, 409)}, url_name="alarm_ack"
)
def alarm_ack(request, alarm_id: int):
    """受理（认领）告警。已被其他坐席受理时返回 409 `alarm_already_claimed`；本人重复受理不变。"""

    def act(alarm):
        try:
            desk.acknowledge(actor=request.auth, alarm=alarm)
        except ValidationError as exc:
            if exc.code == E.ALREADY_CLAIMED:
                raise ApiError(409, E.ALREADY_CLAIMED, exc.messages[0]) from None
            raise

    return _handle(request, alarm_id, act)


@router.post(
    "/alarms/{alarm_id}/call", response={200: AlarmDetailOut, **errors(403, 404)}, url_name="alarm_call"
)
def alarm_call(request, alarm_id: int, payload: CallIn):
    """记录一次呼叫（老人本人或联系人）及结果。拨号前取完整号码请用 `POST /elders/{id}/reveal`（留痕）。"""

    def act(alarm):
        if payload.callee == "contact":
            desk.call_contact(
                actor=request.auth,
                alarm=alarm,
                contact_id=payload.contact_id,
                result=payload.result,
                note=payload.note,
            )
        else:
            desk.call_elder(
                actor=request.auth, alarm=alarm, line=payload.line, result=payload.result, note=payload.note
            )

    return _handle(request, alarm_id, act)


@router.post(
    "/alarms/{alarm_id}/note", response={200: AlarmDetailOut, **errors(403, 404)}, url_name="alarm_note"
)
def alarm_note(request, alarm_id: int, payload: NoteIn):
    """添加处置记录（任何状态都可以，结案后的跟进也记在这里）。"""
    return _handle(
        request, alarm_id, lambda alarm: desk.add_note(actor=request.auth, alarm=alarm, note=payload.note)
    )


@router.post(
    "/alarms/{alarm_id}/dispatch",
    response={200: AlarmDetailOut, **errors(403, 404)},
    url_name="alarm_dispatch",
)
def alarm_dispatch(request, alarm_id: int, payload: DispatchIn):
    """派遣：家属、护理员、社区工作人员、120 或 119，并记录派遣了谁。"""
    return _handle(
        request,
        alarm_id,
        lambda alarm: desk.dispatch(actor=request.auth, alarm=alarm, target=payload.target, who=payload.who,
                                    phone=payload.phone, note=payload.note),
    )  # fmt: skip


@router.post(
    "/alarms/{alarm_id}/resolve", response={200: AlarmDetailOut, **errors(403, 404)}, url_name="alarm_resolve"
)
def alarm_resolve(request, alarm_id: int, payload: ResolveIn):
    """结案并记录处置结果；结果写入老人档案记录。未受理的告警结案时同时记为本人受理。"""
    return _handle(
        request,
        alarm_id,
        lambda alarm: desk.resolve(
            actor=request.auth, alarm=alarm, outcome=payload.outcome, note=payload.note
        ),
    )
