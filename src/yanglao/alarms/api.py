"""The JSON API of alarms: devices and device ingestion (mounted at the API root).

``POST /device-events`` is the devices' own endpoint: no user authentication, the device signs each
request (docs/device-protocol.md). Everything else is for signed-in users, inside their region scope.
"""

from datetime import date, datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from ninja import Field, Query, Router, Schema
from ninja import Status as Respond

from yanglao.accounts.roles import Cap
from yanglao.alarms import ingest, protocol, selectors, services
from yanglao.alarms.errors import IngestErrorCode
from yanglao.alarms.models import DeviceKind, DeviceStatus
from yanglao.alarms.protocol import Rejected
from yanglao.alarms.validation import parse_device
from yanglao.core.api import ApiError, ErrorOut, Page, PageParams, errors, paginate
from yanglao.regions.resolver import RegionResolver

router = Router(tags=["呼叫中心与告警"])


def _require(actor, capability):
    if not actor.can(capability):
        raise PermissionDenied("您没有此项权限。")


# --- devices --------------------------------------------------------------------------------------


class DeviceOut(Schema):
    id: int
    kind: str
    kind_label: str
    serial: str
    model: str
    elder_id: int | None
    elder_name: str | None
    region_code: str
    installed_on: date | None
    heartbeat_interval_s: int
    status: str
    last_seen_at: datetime | None
    battery_pct: int | None
    last_activity_at: datetime | None
    geofence_latitude: Decimal | None
    geofence_longitude: Decimal | None
    geofence_radius_m: int | None
    created_at: datetime

    @staticmethod
    def resolve_kind_label(obj):
        return obj.get_kind_display()

    @staticmethod
    def resolve_elder_name(obj):
        return obj.elder.name if obj.elder_id else None


class EventOut(Schema):
    id: int
    event_id: str
    kind: str
    occurred_at: datetime
    received_at: datetime
    channel: str
    payload: dict
    processed: bool

    @staticmethod
    def resolve_processed(obj):
        return obj.processed_at is not None


class DeviceDetailOut(DeviceOut):
    events: list[EventOut]

    @staticmethod
    def resolve_events(obj):
        return selectors.device_events(device=obj)


class DeviceCreatedOut(DeviceOut):
    secret: str = Field(..., description="设备密钥，只在登记时返回这一次")


class DeviceFilterIn(Schema):
    q: str = Field("", max_length=64, description="设备编号（开头）或老年人姓名")
    kind: DeviceKind | None = None
    status: DeviceStatus | None = None
    region: str = Field("", pattern=r"^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})?$")


class DeviceIn(Schema):
    kind: str = Field(..., max_length=20, description="类型代码（sos_button…）或中文名称（一键通…）")
    serial: str = Field(..., max_length=64)
    model: str = Field("", max_length=64)
    elder: str = Field("", max_length=24, description="使用人的档案编号或身份证号；留空为库存设备")
    region: str = Field("", max_length=120, description="库存设备所在区划（代码或完整名称）")
    installed_on: str = Field("", max_length=20)
    heartbeat_interval_s: int = Field(300, ge=10, le=86400)
    geofence_latitude: str = Field("", max_length=20)
    geofence_longitude: str = Field("", max_length=20)
    geofence_radius_m: str = Field("", max_length=10)


class RetireIn(Schema):
    reason: str = Field(..., min_length=1, max_length=200)


@router.get("/devices", response={200: Page[DeviceOut], **errors(403)})
def device_list(request, filters: Query[DeviceFilterIn], paging: Query[PageParams]):
    """告警设备列表：按设备编号或老年人姓名查找，按类型、状态、区划筛选。"""
    data = filters.dict()
    wanted = selectors.DeviceFilters(
        q=data["q"],
        kind=data["kind"].value if data["kind"] else "",
        status=data["status"].value if data["status"] else "",
        region=data["region"],
    )
    return paginate(selectors.device_list(actor=request.auth, filters=wanted), paging)


@router.post("/devices", response={201: DeviceCreatedOut, **errors(403)})
def device_create(request, payload: DeviceIn):
    """登记设备。返回的 `secret` 是设备密钥，只返回这一次。"""
    _require(request.auth, Cap.DEVICES_EDIT)
    raw = {k: (str(v) if v is not None else "") for k, v in payload.dict().items()}
    data = parse_device(raw, scope=request.auth.scope, resolver=RegionResolver())
    device, secret = services.device_register(actor=request.auth, data=data)
    device = selectors.device_get(actor=request.auth, pk=device.pk)
    device.secret = secret
    return Respond(201, device)


@router.get("/devices/{device_id}", response={200: DeviceDetailOut, **errors(403, 404)})
def device_detail(request, device_id: int):
    """设备详情和最近 50 条事件。"""
    return selectors.device_get(actor=request.auth, pk=device_id)


@router.post("/devices/{device_id}/retire", response={200: DeviceOut, **errors(403, 404)})
def device_retire(request, device_id: int, payload: RetireIn):
    """停用设备：之后它的事件一律拒收（device_retired），历史保留。"""
    _require(request.auth, Cap.DEVICES_EDIT)
    device = selectors.device_get(actor=request.auth, pk=device_id)
    services.device_retire(actor=request.auth, device=device, reason=payload.reason)
    return selectors.device_get(actor=request.auth, pk=device_id)


# --- ingestion ------------------------------------------------------------------------------------


class IngestResultItem(Schema):
    event_id: str | None
    status: str = Field(..., description="stored | duplicate | rejected")
    code: str | None = None
    message: str | None = None


class IngestOut(Schema):
    event_id: str | None = Field(None, description="单个事件：事件编号")
    duplicate: bool | None = Field(None, description="单个事件：true 表示此前已收到（只存一份）")
    stored: int | None = Field(None, description="批量：新存入的事件数")
    duplicates: int | None = None
    rejected: int | None = None
    results: list[IngestResultItem] | None = None


_EVENT_SCHEMA = {
    "type": "object",
    "required": ["event_id", "kind", "occurred_at"],
    "properties": {
        "event_id": {
            "type": "string",
            "pattern": protocol.EVENT_ID_RE.pattern,
            "description": "每台设备内唯一",
        },
        "kind": {"type": "string", "enum": sorted(protocol.EVENT_KINDS)},
        "occurred_at": {"type": "string", "format": "date-time"},
        "battery": {"type": "integer", "minimum": 0, "maximum": 100},
        "location": {
            "type": "object",
            "required": ["lat", "lng"],
            "properties": {
                "lat": {"type": "number"},
                "lng": {"type": "number"},
                "accuracy_m": {"type": "number"},
            },
        },
        "data": {"type": "object"},
    },
}
_HEADER_DOCS = [
    {"in": "header", "name": protocol.HEADER_SERIAL, "required": True, "schema": {"type": "string"}, "description": "设备编号"},
    {"in": "header", "name": protocol.HEADER_TIMESTAMP, "required": True, "schema": {"type": "string"}, "description": "Unix 秒，与服务器相差不超过 ±300 秒"},
    {"in": "header", "name": protocol.HEADER_NONCE, "required": True, "schema": {"type": "string"}, "description": "8–64 位随机数，10 分钟内不得重复"},
    {"in": "header", "name": protocol.HEADER_SIGNATURE, "required": True, "schema": {"type": "string"},
     "description": "hex(HMAC-SHA256(设备密钥, 时间戳 + \"\\n\" + 随机数 + \"\\n\" + 请求体))"},
]  # fmt: skip


@router.post(
    "/device-events",
    auth=None,
    response={202: IngestOut, 401: ErrorOut, 403: ErrorOut, 409: ErrorOut, 413: ErrorOut, 422: ErrorOut},
    openapi_extra={
        "parameters": _HEADER_DOCS,
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "oneOf": [
                            _EVENT_SCHEMA,
                            {"type": "object", "required": ["events"], "properties": {"events": {"type": "array", "items": _EVENT_SCHEMA, "maxItems": protocol.MAX_BATCH}}},
                        ]
                    }
                }
            },
        },
    },
)  # fmt: skip
def device_event_ingest(request):
    """设备上报事件（一个事件或 `{"events": [...]}` 批量，≤16 KiB）。无需用户登录：设备用自己的密钥签名。
    事件写入数据库后才返回 202；重复的事件编号返回 202 且 `duplicate: true`（只存一份）。
    拒收时返回错误代码：missing_auth、unknown_device、device_retired、bad_timestamp、stale_timestamp、
    bad_nonce、replayed_nonce、bad_signature、payload_too_large、malformed_json、invalid_event。"""
    remote = getattr(request, "client_ip", "") or ""
    length = request.META.get("CONTENT_LENGTH") or ""
    if length.isdigit() and int(length) > protocol.MAX_BODY_BYTES:
        # Refused before reading: a device must not make the server buffer megabytes.
        result = ingest.refuse(
            Rejected(
                IngestErrorCode.PAYLOAD_TOO_LARGE, f"报文 {length} 字节，上限 {protocol.MAX_BODY_BYTES} 字节"
            ),
            serial=(request.headers.get(protocol.HEADER_SERIAL) or "")[:64],
            remote=remote,
        )
    else:
        result = ingest.ingest_http(header=request.headers.get, body=request.body, remote=remote)
    if result.status != 202:
        raise ApiError(result.status, result.body["code"], result.body["message"])
    return Respond(202, result.body)
