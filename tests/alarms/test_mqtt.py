"""The MQTT ingester against the real Mosquitto on 127.0.0.1:1883 (these tests fail if it is not running).

The ingester runs in the test's thread (paho's network thread only queues messages), so it writes
through the test's own database connection. Each test uses its own topic root and client id, so
tests and a running demo never take each other's messages.
"""

import json
import time
import uuid

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.alarms.factories import event, make_elder_with_device
from yanglao.alarms import protocol
from yanglao.alarms.models import DeviceEvent, IngestError
from yanglao.alarms.mqtt import MqttIngester

pytestmark = pytest.mark.django_db


@pytest.fixture
def names():
    tag = uuid.uuid4().hex[:10]
    return {"root": f"yanglao-test-{tag}", "client_id": f"yanglao-test-ingest-{tag}"}


@pytest.fixture
def publisher():
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex[:10]}"
    )
    client.connect("127.0.0.1", 1883)
    client.loop_start()
    yield client
    client.disconnect()
    client.loop_stop()


def publish(client, topic, payload, qos=1):
    info = client.publish(topic, payload if isinstance(payload, bytes) else json.dumps(payload), qos=qos)
    info.wait_for_publish(timeout=5)
    assert info.is_published(), "the broker did not acknowledge the publish"


def ingester(names, **kw) -> MqttIngester:
    made = MqttIngester(
        client_id=names["client_id"], root=names["root"], batch_wait_s=0.05, session_expiry_s=120, **kw
    )
    made.start()
    return made


def receive(ing: MqttIngester, count: int, *, timeout: float = 5.0):
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        got += ing.collect(timeout=0.2)
    return got


def forget_session(names):
    """Leave nothing behind on the shared broker: connect once with a clean start and no expiry."""
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2, client_id=names["client_id"], protocol=mqtt.MQTTv5
    )
    client.connect("127.0.0.1", 1883, clean_start=True)
    client.loop_start()
    time.sleep(0.2)
    client.disconnect()
    client.loop_stop()


@pytest.fixture
def device():
    _, device, _ = make_elder_with_device()
    return device


def test_a_qos1_event_is_stored_once_and_acknowledged(device, names, publisher):
    ing = ingester(names)
    try:
        publish(
            publisher,
            protocol.topic_for(device.serial, names["root"]),
            event("sos", event_id="m-1", battery=70),
        )
        messages = receive(ing, 1)
        assert len(messages) == 1 and messages[0].qos == 1
        assert ing.handle(messages) == [True]
    finally:
        ing.stop()
    stored = DeviceEvent.objects.get(device=device, event_id="m-1")
    assert stored.channel == "mqtt" and stored.kind == "sos" and stored.payload == {"battery": 70}
    # Acknowledged: a restart receives nothing more.
    again = ingester(names)
    try:
        assert receive(again, 1, timeout=1.0) == []
    finally:
        again.stop()
        forget_session(names)


def test_a_redelivery_after_a_restart_is_ignored_as_duplicate(device, names, publisher):
    first = ingester(names)
    try:
        publish(publisher, protocol.topic_for(device.serial, names["root"]), event("fall", event_id="m-2"))
        messages = receive(first, 1)
        assert first.handle(messages, ack=False) == [
            True
        ]  # stored, then the ingester "dies" before the PUBACK
    finally:
        first.stop()
    second = ingester(names)
    try:
        redelivered = receive(second, 1)
        assert len(redelivered) == 1, "the broker must redeliver an unacknowledged QoS 1 message"
        assert second.handle(redelivered) == [False]  # a duplicate: acknowledged, not stored again
    finally:
        second.stop()
        forget_session(names)
    assert DeviceEvent.objects.filter(device=device, event_id="m-2").count() == 1


def test_events_published_while_the_ingester_is_down_are_kept_for_it(device, names, publisher):
    ingester(names).stop()  # the session (and its subscription) exists on the broker
    for i in range(5):
        publish(publisher, protocol.topic_for(device.serial, names["root"]), event(event_id=f"down-{i}"))
    back = ingester(names)
    try:
        messages = receive(back, 5)
        assert sum(back.handle(messages)) == 5
    finally:
        back.stop()
        forget_session(names)
    assert DeviceEvent.objects.filter(device=device, event_id__startswith="down-").count() == 5


def test_bad_messages_are_counted_acknowledged_and_do_not_block_good_ones(device, names, publisher):
    ing = ingester(names)
    root = names["root"]
    try:
        publish(publisher, protocol.topic_for("NO-SUCH-DEVICE", root), event())
        publish(publisher, protocol.topic_for(device.serial, root), b"{not json")
        publish(publisher, protocol.topic_for(device.serial, root), {**event(), "battery": "full"})
        publish(publisher, protocol.topic_for(device.serial, root), b"x" * (protocol.MAX_BODY_BYTES + 1))
        publish(
            publisher,
            protocol.topic_for(device.serial, root),
            {"events": [event(event_id="g-1"), event(event_id="g-2")]},
        )
        messages = receive(ing, 5)
        assert len(messages) == 5
        assert ing.handle(messages) == [True, True]
    finally:
        ing.stop()
    codes = sorted(IngestError.objects.values_list("code", flat=True))
    assert codes == ["invalid_event", "malformed_json", "payload_too_large", "unknown_device"]
    assert set(IngestError.objects.values_list("channel", flat=True)) == {"mqtt"}
    again = ingester(names)
    try:
        assert receive(again, 1, timeout=1.0) == []  # the bad ones were acknowledged too
    finally:
        again.stop()
        forget_session(names)
