"""Where the alarm desk's helpers live: Redis and the MQTT broker, from the environment.

``YANGLAO_REDIS_URL`` (default ``redis://127.0.0.1:6379/0``; ``off`` = no Redis, the degraded mode),
``YANGLAO_MQTT_HOST`` / ``YANGLAO_MQTT_PORT`` (default 127.0.0.1:1883). A Django setting of the same
name wins over the environment (tests use that).
"""

from django.conf import settings

from yanglao.core.env import env_int, env_str

_UNSET = object()


def _setting(name: str, default):
    value = getattr(settings, name, _UNSET)
    return default() if value is _UNSET else value


def redis_url() -> str:
    url = _setting("YANGLAO_REDIS_URL", lambda: env_str("YANGLAO_REDIS_URL", "redis://127.0.0.1:6379/0"))
    return "" if (url or "").strip().lower() in ("", "off", "none") else url


def mqtt_host() -> str:
    return _setting("YANGLAO_MQTT_HOST", lambda: env_str("YANGLAO_MQTT_HOST", "127.0.0.1"))


def mqtt_port() -> int:
    return int(_setting("YANGLAO_MQTT_PORT", lambda: env_int("YANGLAO_MQTT_PORT", 1883)))
