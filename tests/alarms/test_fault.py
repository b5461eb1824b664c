"""Small-scale fault runs with real processes: kill -9 the alarm worker and the MQTT ingester mid-run.

Every event the broker acknowledged is stored exactly once (the ingester test), and every stored
event is processed once, each alarm-worthy event making exactly one alarm (the worker test) —
however the processes die. (Needs Mosquitto.)
"""

import json
import signal
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.alarms.conftest import run_tool, start_command
from yanglao.alarms import protocol

# Marked so that the test database (which the shared copy is made from) is set up even when only
# these tests run; they write nothing to it.
pytestmark = pytest.mark.django_db

EVENTS_PER_DEVICE = 5
DEVICES = 40


def read_lines(process, sink: list, stop_after: int | None = None):
    """Collect a process's stdout lines in a thread."""

    def pump():
        for line in process.stdout:
            sink.append(line.rstrip())

    thread = threading.Thread(target=pump, daemon=True)
    thread.start()
    return thread


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def finish(process, timeout=60.0) -> int:
    try:
        return process.wait(timeout=timeout)
    except Exception:
        process.kill()
        raise


def test_kill_9_of_the_alarm_worker_loses_nothing_and_doubles_nothing(proc_db_url):
    made = run_tool(proc_db_url, "setup", {"devices": DEVICES, "events_per_device": EVENTS_PER_DEVICE})
    worthy = made["worthy"]
    assert len(worthy) == DEVICES

    # A worker that pauses between claiming a batch and processing it, killed while holding a claim.
    doomed = start_command(proc_db_url, "alarm_worker", "--batch-size", "10", "--pause-ms", "150", "--lease", "2",
                           "--checks-every", "0", "--progress", YANGLAO_REDIS_URL="off")  # fmt: skip
    lines: list[str] = []
    read_lines(doomed, lines)
    wait_for(lambda: sum(line.startswith("batch") for line in lines) >= 3, 60, "three batches")
    time.sleep(0.05)  # inside the next batch's pause: claimed, not processed
    doomed.send_signal(signal.SIGKILL)
    doomed.wait(timeout=10)
    done_before = sum(int(line.split("events=")[1].split()[0]) for line in lines if line.startswith("batch"))
    assert 0 < done_before < DEVICES * EVENTS_PER_DEVICE

    # Two workers at once finish the work; the dead worker's claim is taken over after its lease.
    survivor_args = ["alarm_worker", "--batch-size", "7", "--lease", "2", "--until-done", "--checks-every", "0",
                     "--max-seconds", "90"]  # fmt: skip
    survivors = [start_command(proc_db_url, *survivor_args, YANGLAO_REDIS_URL="off") for _ in range(2)]
    for survivor in survivors:
        assert finish(survivor, timeout=100) == 0, survivor.stderr.read()[-2000:]

    result = run_tool(proc_db_url, "verify")
    assert result["events"] == result["processed"] == DEVICES * EVENTS_PER_DEVICE
    assert result["max_alarms_per_event"] == 1
    assert result["alarms"] == len(worthy) and sorted(result["alarm_events"]) == sorted(worthy)
    assert result["merged"] == 0


def _publisher():
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2, client_id=f"fault-pub-{uuid.uuid4().hex[:8]}"
    )
    client.connect("127.0.0.1", 1883)
    client.loop_start()
    return client


def test_kill_9_of_the_mqtt_ingester_loses_nothing_acknowledged(proc_db_url):
    made = run_tool(proc_db_url, "setup", {"devices": 4, "prefix": "M"})
    tag = uuid.uuid4().hex[:8]
    root, client_id = f"yanglao-fault-{tag}", f"yanglao-fault-ingest-{tag}"
    args = ["ingest_mqtt", "--root", root, "--client-id", client_id, "--batch-size", "5", "--progress"]

    first = start_command(proc_db_url, *args, YANGLAO_REDIS_URL="off")
    lines: list[str] = []
    read_lines(first, lines)
    wait_for(
        lambda: any(line.startswith("yanglao ingest_mqtt") for line in lines), 30, "the ingester to subscribe"
    )

    publisher = _publisher()
    sent, acknowledged = [], []
    base = datetime.now(UTC) - timedelta(hours=4)
    for i in range(200):
        device = made["devices"][i % 4]
        kind = "sos" if i % 20 == 0 else "heartbeat"
        # 70 s apart in device time: two presses of one button never fall in one merge window.
        document = protocol.event_document(
            event_id=f"q-{i}", kind=kind, occurred_at=base + timedelta(seconds=70 * i)
        )
        info = publisher.publish(protocol.topic_for(device["serial"], root), json.dumps(document), qos=1)
        sent.append((f"q-{i}", kind, info))
        if i == 60:
            wait_for(lambda: sum(line.startswith("batch") for line in lines) >= 2, 30, "two stored batches")
            first.send_signal(signal.SIGKILL)  # mid-stream: the rest queue on the broker
            first.wait(timeout=10)
    for event_id, kind, info in sent:
        info.wait_for_publish(timeout=10)
        if info.is_published():
            acknowledged.append((event_id, kind))
    publisher.disconnect()
    publisher.loop_stop()
    assert len(acknowledged) == 200

    # One that dies right after a commit, before its PUBACKs: those messages come again as duplicates.
    crashing = start_command(proc_db_url, *args, YANGLAO_REDIS_URL="off", YANGLAO_MQTT_CRASH_AFTER_COMMIT="1")
    assert crashing.wait(timeout=30) == 17

    last = start_command(proc_db_url, *args, YANGLAO_REDIS_URL="off")
    last_lines: list[str] = []
    read_lines(last, last_lines)

    # Done when it has stored batches and then gone quiet (the broker has nothing more for it).
    seen = {"count": 0, "since": time.monotonic()}

    def quiet():
        if len(last_lines) != seen["count"]:
            seen.update(count=len(last_lines), since=time.monotonic())
        return any(line.startswith("batch") for line in last_lines) and time.monotonic() - seen["since"] > 1.5

    wait_for(quiet, 60, "the last ingester to store what the broker kept")
    last.send_signal(signal.SIGTERM)
    assert finish(last, timeout=20) == 0
    assert any("duplicates=" in line and "duplicates=0" not in line for line in last_lines), last_lines[-5:]

    result = run_tool(proc_db_url, "verify")
    assert result["event_ids"] == sorted(event_id for event_id, _ in acknowledged)  # each exactly once

    # Leave no session behind on the shared broker.
    cleaner = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5
    )
    cleaner.connect("127.0.0.1", 1883, clean_start=True)
    cleaner.disconnect()
