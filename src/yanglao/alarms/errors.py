from django.db import models


class IngestErrorCode(models.TextChoices):
    """Why an incoming device event was refused. Stable: devices and the bench read them."""

    MISSING_AUTH = "missing_auth", "缺少设备认证请求头"
    UNKNOWN_DEVICE = "unknown_device", "设备未登记"
    DEVICE_RETIRED = "device_retired", "设备已停用"
    BAD_TIMESTAMP = "bad_timestamp", "时间戳格式错误"
    STALE_TIMESTAMP = "stale_timestamp", "时间戳超出允许范围（±5 分钟）"
    BAD_NONCE = "bad_nonce", "随机数格式错误"
    REPLAYED_NONCE = "replayed_nonce", "随机数已使用（重放）"
    BAD_SIGNATURE = "bad_signature", "签名不正确"
    PAYLOAD_TOO_LARGE = "payload_too_large", "报文超过 16 KiB"
    MALFORMED_JSON = "malformed_json", "报文不是有效的 JSON 对象"
    INVALID_EVENT = "invalid_event", "事件字段缺失或类型错误"
    BAD_TOPIC = "bad_topic", "MQTT 主题格式错误"


class DeviceErrorCode(models.TextChoices):
    SERIAL_EXISTS = "serial_exists", "设备编号已登记"
    SERIAL_INVALID = "serial_invalid", "设备编号格式错误"
    ELDER_NOT_ACTIVE = "elder_not_active", "老年人不是在册状态"
    OUT_OF_SCOPE = "region_out_of_scope", "超出管辖范围"
    ALREADY_RETIRED = "device_retired", "设备已停用"
    GEOFENCE_INCOMPLETE = "geofence_incomplete", "电子围栏需同时填写中心经纬度和半径"
