"""The minimal MQTT 5 session (alarms/mqtt_wire.py) against the real Mosquitto on 127.0.0.1:1883, and
the ingester's reconnection on top of it. Each test has its own client id and topic root, and
leaves no session behind on the shared broker."""

import json
import socket
import time
import uuid

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.alarms.factories import event, make_elder_with_device
from yanglao.alarms import protocol
from yanglao.alarms.models import DeviceEvent
from yanglao.alarms.mqtt import MqttIngester
from yanglao.alarms.mqtt_wire import Session

HOST, PORT = "127.0.0.1", 1883


@pytest.fixture
def names():
    tag = uuid.uuid4().hex[:10]
    names = {"root": f"yanglao-wire-{tag}", "client_id": f"yanglao-wire-{tag}"}
    yield names
    forget_session(names["client_id"])


@pytest.fixture
def publisher():
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex[:10]}"
    )
    client.connect(HOST, PORT)
    client.loop_start()
    yield client
    client.disconnect()
    client.loop_stop()


def publish(client, topic, payload, qos=1):
    info = client.publish(topic, payload if isinstance(payload, bytes) else json.dumps(payload), qos=qos)
    info.wait_for_publish(timeout=5)
    assert info.is_published(), "the broker did not acknowledge the publish"


def forget_session(client_id):
    """Leave nothing behind on the shared broker: connect once with a clean start and no expiry."""
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
    )
    client.connect(HOST, PORT, clean_start=True)
    client.loop_start()
    time.sleep(0.2)
    client.disconnect()
    client.loop_stop()


def session(names, **kw) -> Session:
    return Session(HOST, PORT, client_id=names["client_id"], session_expiry_s=120, receive_maximum=100, **kw)


def opened(names, **kw) -> tuple[Session, bool]:
    made = session(names, **kw)
    present = made.connect(timeout=5)
    made.subscribe(protocol.topic_filter(names["root"]), timeout=5)
    return made, present


def read(sess: Session, count: int, *, timeout: float = 5.0):
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        got += sess.read(0.2)
    return got


def topic(names, serial="WIRE-0001"):
    return protocol.topic_for(serial, names["root"])


# --- the session on its own -----------------------------------------------------------------------


def test_a_session_reads_qos1_and_qos0_publishes_and_acknowledges(names, publisher):
    sess, present = opened(names)
    try:
        assert present is False  # a new session
        publish(publisher, topic(names), b"at-least-once", qos=1)
        publish(publisher, topic(names), b"at-most-once", qos=0)
        got = read(sess, 2)
        assert [(p.qos, p.topic, p.payload) for p in got] == [
            (1, topic(names), b"at-least-once"),
            (0, topic(names), b"at-most-once"),
        ]
        assert got[0].mid > 0 and got[1].mid == 0
        sess.ack([got[0].mid])
    finally:
        sess.close()
    again, present = opened(names)
    try:
        assert present is True  # the broker kept the session
        assert read(again, 1, timeout=1.0) == []  # acknowledged: not sent again
    finally:
        again.close()


def test_unacknowledged_messages_are_redelivered_on_a_new_session_with_the_same_client_id(names, publisher):
    sess, _ = opened(names)
    try:
        for i in range(3):
            publish(publisher, topic(names), f"m{i}".encode())
        assert [p.payload for p in read(sess, 3)] == [b"m0", b"m1", b"m2"]
    finally:
        sess.close()  # gone before acknowledging
    again, present = opened(names)
    try:
        assert present is True
        redelivered = read(again, 3)
        assert [(p.qos, p.payload) for p in redelivered] == [(1, b"m0"), (1, b"m1"), (1, b"m2")]
        again.ack([p.mid for p in redelivered])
    finally:
        again.close()
    last, _ = opened(names)
    try:
        assert read(last, 1, timeout=1.0) == []
    finally:
        last.close()


def test_queued_messages_arriving_before_the_suback_are_not_lost(names, publisher):
    sess, _ = opened(names)
    sess.close()  # the session and its subscription stay on the broker
    for i in range(5):
        publish(publisher, topic(names), f"q{i}".encode())
    again = session(names)
    try:
        assert again.connect(timeout=5) is True
        # The broker sends the queued messages right after CONNACK, before it answers SUBSCRIBE.
        again.subscribe(protocol.topic_filter(names["root"]), timeout=5)
        assert again._early, "expected queued messages ahead of the SUBACK (the case under test)"
        got = read(again, 5)
        assert [p.payload for p in got] == [f"q{i}".encode() for i in range(5)]
        again.ack([p.mid for p in got])
    finally:
        again.close()


def test_pings_keep_an_idle_session_open(names, publisher):
    sess, _ = opened(names, keepalive_s=2)  # the broker drops a client silent for 1.5 × keep-alive
    try:
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            assert sess.read(0.3) == []
        publish(publisher, topic(names), b"still-here")
        (got,) = read(sess, 1)
        assert got.payload == b"still-here"
        sess.ack([got.mid])
    finally:
        sess.close()


# --- the ingester's reconnection ------------------------------------------------------------------


def ingester(names) -> MqttIngester:
    made = MqttIngester(
        client_id=names["client_id"], root=names["root"], batch_wait_s=0.05, session_expiry_s=120
    )
    made.start()
    return made


def collect(ing: MqttIngester, count: int, *, timeout: float = 5.0):
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < count and time.monotonic() < deadline:
        got += ing.collect(timeout=0.2)
    return got


def cut(ing: MqttIngester) -> None:
    """The connection dies under the ingester (as when the broker or the network drops it)."""
    ing.session.sock.shutdown(socket.SHUT_RDWR)


@pytest.mark.django_db
def test_the_ingester_reconnects_after_its_connection_dies_and_gets_the_message_again(names, publisher):
    _, device, _ = make_elder_with_device()
    ing = ingester(names)
    try:
        publish(publisher, protocol.topic_for(device.serial, names["root"]), event("sos", event_id="cut-1"))
        (first,) = collect(ing, 1)
        generation = ing.generation
        cut(ing)
        (again,) = collect(ing, 1)  # the lost connection is noticed, reopened, and redelivers
        assert ing.generation == generation + 1 and again.generation == ing.generation
        assert again.payload == first.payload
        assert ing.handle([again]) == [True]
    finally:
        ing.stop()
    assert DeviceEvent.objects.get(device=device, event_id="cut-1").kind == "sos"
    back = ingester(names)
    try:
        assert collect(back, 1, timeout=1.0) == []  # acknowledged on the new connection
    finally:
        back.stop()


@pytest.mark.django_db
def test_an_ack_for_a_message_of_an_older_connection_is_not_sent(names, publisher):
    _, device, _ = make_elder_with_device()
    ing = ingester(names)
    sent: list[list[int]] = []
    real_ack = ing.session.ack

    def ack(mids):
        sent.append(list(mids))
        real_ack(mids)

    ing.session.ack = ack
    try:
        publish(publisher, protocol.topic_for(device.serial, names["root"]), event(event_id="old-gen"))
        old = collect(ing, 1)
        cut(ing)
        new = collect(ing, 1)
        assert old[0].generation < new[0].generation == ing.generation
        # Stored, but its packet id means nothing on this connection: no PUBACK for it.
        assert ing.handle(old) == [True]
        assert sent == [[]]
        assert ing.handle(new) == [False]  # the redelivery: a duplicate, acknowledged
        assert sent == [[], [new[0].mid]]
    finally:
        ing.stop()
    back = ingester(names)
    try:
        assert collect(back, 1, timeout=1.0) == []
    finally:
        back.stop()
    assert DeviceEvent.objects.filter(device=device, event_id="old-gen").count() == 1
