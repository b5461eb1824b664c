"""Benchmark: the alarm desk under load and under faults — 50,000 devices over MQTT and signed HTTP.

    .venv/bin/python bench/alarms.py [--seconds 60] [--phases mqtt,http] [--fault] [--reload]
    .venv/bin/python bench/alarms.py --seconds 300              # the issue's 5 minutes per channel
    .venv/bin/python bench/alarms.py --fault --seconds 60       # kill -9 ingester + workers mid-run

Builds its PostgreSQL database once (BENCH_DATABASE_URL, default yanglao_bench_alarms; --reload
rebuilds it): 通辽's regions, 50,000 synthetic elders and one device each (60 % 一键通, 40 % 手环),
serials ``BA-000000``… whose secrets are derived from the serial, so the simulator needs no database.
Each run starts from empty event and alarm tables (devices back to "active", nothing heard yet).

The bench starts, on free ports and all of its own so nothing is shared with other work on the
machine: a Mosquitto (config written here: persistence off, ``max_queued_messages 0`` = unlimited —
the default 1000 would drop what queues while the ingester is down — and ``max_inflight_messages
1000``), a Redis (the nonces of signed HTTP and the alarm notices), ``yanglao ingest_mqtt``, N
``yanglao alarm_worker`` and, for the HTTP phase, ``yanglao serve --no-desk-processes``.

The simulator is a separate process per channel (this script with ``simulate``): MQTT QoS 1 to
``yanglao/dev/{serial}/evt`` at an offered rate, counting an event acknowledged on its PUBACK (a raw
MQTT 3.1.1 publisher, ``RawPublisher``: paho would cost the simulator as much CPU as the ingester), and signed ``POST /api/v1/device-events`` over keep-alive
connections (asyncio, no extra dependency), counting HTTP 202. Both send heartbeats to every device in
turn plus a stream of SOS/fall events (each on a device of its own, so no merge window applies).
The simulator shares the two cores with everything it measures.

Figures: events/s stored per channel (rows whose ``received_at`` falls in the sending window, and the
worst 10 s window of a 1 s sample of the table's id), the worker's backlog, and the event-to-board
latency of emergency events: from the event's ``occurred_at`` (stamped by the simulator when it
sends) to the moment a Redis subscriber on ``yanglao:alarms:*`` receives the ``alarm.created``
notice — what the desk board receives. ``--fault``: both channels at once; a third of the way in the
ingester and every worker get kill -9, and come back after ``--down-seconds``; then it counts sent,
acknowledged, stored, lost (acknowledged, not stored), duplicated, alarms expected and made.
Targets: ≥ 10,000 events/s MQTT, ≥ 2,000 events/s HTTP, p99 < 250 ms, lost = duplicated = 0.
"""

import argparse
import asyncio
import base64
import collections
import contextlib
import hashlib
import hmac
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, setup_django

from yanglao.alarms.mqtt_wire import _varint  # pure: no Django needed in the simulator

os.environ.setdefault("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/yanglao_bench_alarms")

WORK = ROOT / "var" / "bench" / "alarms"
SECRET_SEED = b"yanglao-bench-alarms"
TARGET_MQTT, TARGET_HTTP, TARGET_P99_MS = 10_000, 2_000, 250
EMERGENCY = ("sos", "fall")


# --- the synthetic fleet (shared by the loader and the simulator) --------------------------------


def serial_of(i: int) -> str:
    return f"BA-{i:06d}"


def secret_of(serial: str) -> str:
    """43 characters, like protocol.new_secret(); derived so the simulator needs no database."""
    digest = hmac.new(SECRET_SEED, serial.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def is_wearable(i: int) -> bool:
    return i % 5 < 2


def battery_of(i: int) -> int:
    return 40 + i % 60  # steady per device: a heartbeat does not rewrite the device row each time


def load(devices: int, seed: int) -> None:
    from django.db import connection
    from django.utils import timezone

    from yanglao.alarms.models import SECRET_CONTEXT, Device, DeviceKind, DeviceStatus
    from yanglao.core import crypto
    from yanglao.core.bulk import bulk_insert
    from yanglao.demo.elders import build_inputs
    from yanglao.elders.models import Elder
    from yanglao.elders.services import apply_input

    have = Device.objects.filter(serial__startswith="BA-").count()
    day, now = timezone.localdate(), timezone.now()
    made = have
    while made < devices:
        count = min(10_000, devices - made)
        rows = build_inputs(count=count + count // 20 + 10, seed=seed + made, today=day)
        elders = []
        for data, _extra in rows:
            elder = Elder()
            apply_input(elder, data)
            elders.append(elder)
        taken = set(
            Elder.objects.filter(id_number_index__in=[e.id_number_index for e in elders]).values_list(
                "id_number_index", flat=True
            )
        )
        fresh, seen = [], set()
        for elder in elders:
            if elder.id_number_index not in taken and elder.id_number_index not in seen:
                seen.add(elder.id_number_index)
                fresh.append(elder)
        fresh = fresh[:count]
        bulk_insert(Elder, fresh)
        batch = []
        for offset, elder in enumerate(fresh):
            i = made + offset
            serial = serial_of(i)
            batch.append(
                Device(
                    kind=DeviceKind.WEARABLE if is_wearable(i) else DeviceKind.SOS_BUTTON,
                    serial=serial,
                    model="BENCH-1",
                    elder_id=elder.pk,
                    region_code=elder.region_id,
                    heartbeat_interval_s=300,
                    secret_enc=crypto.encrypt(secret_of(serial), context=SECRET_CONTEXT),
                    status=DeviceStatus.ACTIVE,
                    created_at=now,
                )
            )
        bulk_insert(Device, batch)
        made += len(fresh)
        print(f"  devices {made}/{devices}", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def reset_run() -> None:
    """Empty event and alarm tables; every device active and not heard from yet."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE alarms_alarmaction, alarms_alarm, alarms_deviceevent, alarms_ingesterror,"
            " alarms_ingestnonce RESTART IDENTITY CASCADE"
        )
        cursor.execute(
            "UPDATE alarms_device SET status = 'active', last_seen_at = NULL, offline_after = NULL,"
            " battery_pct = NULL, last_activity_at = NULL WHERE status <> 'retired'"
        )
        cursor.execute("VACUUM ANALYZE alarms_device")


# --- the simulator (its own process) -------------------------------------------------------------


class Fleet:
    """Who sends next: heartbeats walk the fleet; each emergency goes to a device not used before."""

    def __init__(self, devices: int, alarm_offset: int, rng: random.Random):
        self.devices, self.rng = devices, rng
        self.next_beat = rng.randrange(devices)
        self.next_alarm = alarm_offset

    def heartbeat(self) -> int:
        i = self.next_beat
        self.next_beat = (i + 1) % self.devices
        return i

    def alarm(self) -> tuple[int, str]:
        i = self.next_alarm % self.devices
        self.next_alarm += 1
        return i, (self.rng.choice(EMERGENCY) if is_wearable(i) else "sos")


def _document(event_id: str, kind: str, i: int, stamp: str) -> dict:
    return {"event_id": event_id, "kind": kind, "occurred_at": stamp, "battery": battery_of(i)}


class RawPublisher:
    """A minimal MQTT 3.1.1 QoS 1 publisher on a plain socket: the simulator must cost far less per
    message than what it measures (paho's publish path costs ~40 µs of Python per message, as much
    as the ingester's whole budget at 10,000/s). Packets are framed by hand; a reader thread counts
    PUBACKs by packet id."""

    def __init__(self, port: int, client_id: str, keepalive: int = 60):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        cid = client_id.encode()
        body = b"\x00\x04MQTT\x04\x02" + keepalive.to_bytes(2, "big") + len(cid).to_bytes(2, "big") + cid
        self.sock.sendall(b"\x10" + _varint(len(body)) + body)
        connack = self._read_exact(4)
        if connack[0] != 0x20 or connack[3] != 0:
            raise ConnectionError(f"CONNACK refused: {connack!r}")
        self.acked: collections.deque[int] = collections.deque()  # packet ids, from the reader thread
        self.closed = False
        self.keepalive = keepalive
        self.last_ping = time.monotonic()
        self.next_pid = 0
        self.reader = threading.Thread(target=self._read_loop, daemon=True)
        self.reader.start()

    def _read_exact(self, size: int) -> bytes:
        data = b""
        while len(data) < size:
            chunk = self.sock.recv(size - len(data))
            if not chunk:
                raise ConnectionError("broker closed the connection")
            data += chunk
        return data

    def _read_loop(self):
        buffer = b""
        while not self.closed:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buffer += chunk
            pos, acked = 0, []
            while len(buffer) - pos >= 2:
                kind, length = buffer[pos], buffer[pos + 1]  # PUBACK and PINGRESP: one length byte
                if len(buffer) - pos < 2 + length:
                    break
                if kind == 0x40:
                    acked.append(int.from_bytes(buffer[pos + 2 : pos + 4], "big"))
                pos += 2 + length
            buffer = buffer[pos:]
            self.acked.extend(acked)

    def packet(self, topic: bytes, payload: bytes) -> tuple[int, bytes]:
        """(packet id, the PUBLISH packet) — ids cycle 1..65535; the caller keeps fewer in flight."""
        self.next_pid = self.next_pid % 65535 + 1
        rest = len(topic).to_bytes(2, "big") + topic + self.next_pid.to_bytes(2, "big") + payload
        return self.next_pid, b"\x32" + _varint(len(rest)) + rest

    def send(self, packets: list[bytes]) -> None:
        now = time.monotonic()
        if now - self.last_ping > self.keepalive / 2:
            packets.append(b"\xc0\x00")
            self.last_ping = now
        self.sock.sendall(b"".join(packets))

    def take_acked(self) -> list[int]:
        taken = []
        while self.acked:
            taken.append(self.acked.popleft())
        return taken

    def close(self):
        self.closed = True
        with contextlib.suppress(OSError):
            self.sock.sendall(b"\xe0\x00")
            self.sock.close()


def simulate_mqtt(o: dict) -> dict:
    rng = random.Random(o["seed"])
    fleet = Fleet(o["devices"], o["alarm_offset"], rng)
    client = RawPublisher(o["mqtt_port"], f"bench-sim-{secrets.token_hex(4)}")
    pending: dict[int, int] = {}
    acked: list[int] = []
    alarms: list[tuple[int, str, float]] = []
    sent = 0
    alarm_sent = 0
    rate, alarm_rate = o["rate"], o["alarm_rate"]
    window = min(o["max_pending"], 60_000)
    started = time.time()
    deadline = started + o["seconds"]

    def drain():
        for pid in client.take_acked():
            number = pending.pop(pid, None)
            if number is not None:
                acked.append(number)

    def packet(number: int, kind: str, i: int, stamp: str) -> bytes:
        payload = (
            f'{{"event_id": "m{number}", "kind": "{kind}", "occurred_at": "{stamp}", '
            f'"battery": {battery_of(i)}}}'
        )
        pid, data = client.packet(f"yanglao/dev/{serial_of(i)}/evt".encode(), payload.encode())
        pending[pid] = number
        return data

    while True:
        now = time.time()
        if now >= deadline:
            break
        drain()
        elapsed = now - started
        packets = []
        if alarm_rate and alarm_sent < int(elapsed * alarm_rate) + 1:
            i, kind = fleet.alarm()
            stamp = datetime.now(UTC).isoformat()
            packets.append(packet(sent, kind, i, stamp))
            alarms.append((sent, kind, time.time()))
            sent += 1
            alarm_sent += 1
        due = min(int(elapsed * rate) - sent, 500, window - len(pending))
        if due > 0:
            stamp = datetime.fromtimestamp(now, UTC).isoformat()
            for _ in range(due):
                packets.append(packet(sent, "heartbeat", fleet.heartbeat(), stamp))
                sent += 1
        if packets:
            client.send(packets)
        else:
            time.sleep(0.001)
    send_end = time.time()
    wait_until = time.time() + o["ack_wait"]
    while pending and time.time() < wait_until:
        time.sleep(0.05)
        drain()
    drain()
    client.close()
    return {"channel": "mqtt", "started": started, "ended": send_end, "sent": sent, "acked": acked,
            "alarms": alarms, "cpu": time.process_time()}  # fmt: skip


async def _http_conn(o: dict, state: dict, fleet: Fleet, deadline: float) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", o["http_port"])
    host = f"127.0.0.1:{o['http_port']}"
    try:
        while time.time() < deadline:
            if o["rate"] and state["sent"] >= (time.time() - state["started"]) * o["rate"]:
                await asyncio.sleep(0.002)
                continue
            elapsed = time.time() - state["started"]
            number = state["sent"]
            if o["alarm_rate"] and state["alarm_sent"] < int(elapsed * o["alarm_rate"]) + 1:
                # An emergency goes alone in its message, on a device of its own.
                state["alarm_sent"] += 1
                state["sent"] += 1
                i, kind = fleet.alarm()
                state["alarms"].append((number, kind, time.time()))
                numbers = [number]
                docs = [_document(f"h{number}", kind, i, datetime.now(UTC).isoformat())]
            else:
                # Heartbeats: one device's message, ``batch`` events in it.
                i = fleet.heartbeat()
                stamp = datetime.now(UTC).isoformat()
                numbers = list(range(number, number + o["batch"]))
                state["sent"] += o["batch"]
                docs = [_document(f"h{n}", "heartbeat", i, stamp) for n in numbers]
            single = len(docs) == 1
            serial = serial_of(i)
            body = json.dumps(docs[0] if single else {"events": docs}).encode()
            timestamp, nonce = str(int(time.time())), secrets.token_urlsafe(12)
            mac = hmac.new(
                secret_of(serial).encode(), f"{timestamp}\n{nonce}\n".encode() + body, hashlib.sha256
            )
            head = (
                f"POST /api/v1/device-events HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\nX-Device-Serial: {serial}\r\nX-Device-Timestamp: {timestamp}\r\n"
                f"X-Device-Nonce: {nonce}\r\nX-Device-Signature: {mac.hexdigest()}\r\n\r\n"
            )
            writer.write(head.encode() + body)
            await writer.drain()
            status_head = await reader.readuntil(b"\r\n\r\n")
            status = int(status_head.split(b" ", 2)[1])
            length = 0
            for line in status_head.split(b"\r\n")[1:]:
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            answer = await reader.readexactly(length)
            if status == 202:
                if single:
                    state["acked"].extend(numbers)
                else:
                    results = json.loads(answer)["results"]
                    state["acked"].extend(
                        n
                        for n, r in zip(numbers, results, strict=True)
                        if r["status"] in ("stored", "duplicate")
                    )
            else:
                state["refused"][status] = state["refused"].get(status, 0) + 1
                if len(state["errors"]) < 5:
                    state["errors"].append(answer[:200].decode(errors="replace"))
    finally:
        writer.close()


def simulate_http(o: dict) -> dict:
    rng = random.Random(o["seed"])
    fleet = Fleet(o["devices"], o["alarm_offset"], rng)
    state = {"sent": 0, "alarm_sent": 0, "acked": [], "alarms": [], "refused": {}, "errors": [],
             "started": time.time()}  # fmt: skip
    deadline = state["started"] + o["seconds"]

    async def main():
        tasks = [asyncio.create_task(_http_conn(o, state, fleet, deadline)) for _ in range(o["conns"])]
        done = await asyncio.gather(*tasks, return_exceptions=True)
        state["conn_errors"] = [repr(d) for d in done if isinstance(d, BaseException)][:5]

    asyncio.run(main())
    return {"channel": "http", "started": state["started"], "ended": time.time(), "sent": state["sent"],
            "acked": state["acked"], "alarms": state["alarms"], "refused": state["refused"],
            "errors": state["errors"], "conn_errors": state["conn_errors"], "cpu": time.process_time()}  # fmt: skip


def simulate_main(channel: str, options: str, out: str) -> None:
    o = json.loads(options)
    result = simulate_mqtt(o) if channel == "mqtt" else simulate_http(o)
    Path(out).write_text(json.dumps(result))


# --- the processes the bench runs ----------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_of(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far; 0 if it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all cores, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class CpuMeter:
    """Where the cores went during a window: the bench's children and the bench DB's backends."""

    def __init__(self, procs: "Procs"):
        self.procs = procs
        self.start = self._snapshot()

    def _snapshot(self) -> dict:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            backends = [r[0] for r in cursor.fetchall()]
        groups: dict[str, float] = {}
        for name, proc in self.procs.running.items():
            if name.startswith("sim-"):
                continue
            key = name.split("#")[0]
            groups[key] = groups.get(key, 0.0) + cpu_of(proc.pid)
        return {"groups": groups, "pg": {pid: cpu_of(pid) for pid in backends}, "machine": machine_busy(),
                "at": time.time()}  # fmt: skip

    def report(self, simulator_cpu: float) -> str:
        end = self._snapshot()
        span = end["at"] - self.start["at"]
        used = {k: v - self.start["groups"].get(k, 0.0) for k, v in end["groups"].items()}
        used["postgres"] = sum(v - self.start["pg"].get(pid, 0.0) for pid, v in end["pg"].items())
        used["simulator"] = simulator_cpu
        busy = (end["machine"][0] - self.start["machine"][0]) / max(
            1, end["machine"][1] - self.start["machine"][1]
        )
        parts = ", ".join(
            f"{k} {100 * v / span:.0f}%" for k, v in sorted(used.items(), key=lambda kv: -kv[1])
        )
        return (
            f"CPU (% of one core): {parts}; all cores busy {100 * busy:.0f}% (2 cores; includes others' work)"
        )


def wait_port(port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {timeout}s")


class Procs:
    """The children of this run, each in a session of its own; stopped by pid at the end."""

    def __init__(self, env: dict):
        self.env = env
        self.running: dict[str, subprocess.Popen] = {}

    def start(self, name: str, argv: list[str], *, log: str | None = None) -> subprocess.Popen:
        out = open(WORK / f"{log or name}.log", "ab")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(argv, env=self.env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                                start_new_session=True)  # fmt: skip
        self.running[name] = proc
        return proc

    def yanglao(self, name: str, *args: str) -> subprocess.Popen:
        return self.start(name, [sys.executable, "-m", "yanglao.cli", *args], log=name.split("#")[0])

    def kill9(self, name: str) -> None:
        proc = self.running.pop(name)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)

    def stop(self, name: str, timeout: float = 10.0) -> None:
        proc = self.running.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=timeout)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)

    def stop_all(self) -> None:
        for name in list(self.running):
            self.stop(name)


def start_broker(procs: Procs) -> int:
    port = free_port()
    conf = WORK / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        "max_queued_messages 0\nmax_queued_bytes 0\nmax_inflight_messages 10000\n"
        "log_dest stdout\nlog_type error\nlog_type warning\n"
    )
    procs.start("mosquitto", ["/usr/sbin/mosquitto", "-c", str(conf)])
    wait_port(port)
    return port


def start_redis(procs: Procs) -> int:
    port = free_port()
    procs.start("redis", ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                          "--appendonly", "no", "--dir", str(WORK)])  # fmt: skip
    wait_port(port)
    return port


def start_ingester(procs: Procs, args) -> None:
    log = WORK / "ingest_mqtt.log"
    before = log.read_text(errors="replace").count("yanglao ingest_mqtt:") if log.exists() else 0
    procs.yanglao("ingest_mqtt", "ingest_mqtt", "--skip-checks", "--client-id", "bench-ingest",
                  "--batch-size", str(args.ingest_batch), "--batch-wait-ms", str(args.ingest_wait_ms))  # fmt: skip
    deadline = time.monotonic() + 60
    while log.read_text(errors="replace").count("yanglao ingest_mqtt:") <= before:
        if time.monotonic() > deadline or procs.running["ingest_mqtt"].poll() is not None:
            raise RuntimeError("the ingester did not start: see " + str(log))
        time.sleep(0.1)


def start_workers(procs: Procs, args) -> None:
    for n in range(args.workers):
        procs.yanglao(f"alarm_worker#{n}", "alarm_worker", "--skip-checks", "--lease", str(args.lease),
                      "--batch-size", str(args.worker_batch))  # fmt: skip


class Board:
    """A Redis subscriber on yanglao:alarms:* — what the desk board receives."""

    def __init__(self, url: str):
        import redis

        self.pubsub = redis.Redis.from_url(url).pubsub(ignore_subscribe_messages=True)
        self.pubsub.psubscribe("yanglao:alarms:*")
        self.created: list[tuple[float, dict]] = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._listen, daemon=True)
        self.thread.start()

    def _listen(self):
        while not self._stop.is_set():
            message = self.pubsub.get_message(timeout=0.2)
            if message and message["type"] == "pmessage":
                at = time.time()
                notice = json.loads(message["data"])
                if notice.get("type") == "alarm.created":
                    self.created.append((at, notice))

    def latencies_ms(self, since: float, until: float, *, dump: Path | None = None) -> list[float]:
        result, rows = [], []
        for at, notice in list(self.created):
            if notice.get("cause") not in EMERGENCY:
                continue
            opened = datetime.fromisoformat(notice["opened_at"]).timestamp()
            if since <= opened <= until:
                result.append((at - opened) * 1000)
                rows.append(f"{opened - since:.3f},{(at - opened) * 1000:.1f},{notice['id']}")
        if dump is not None:  # seconds into the phase, latency ms, alarm id: where the slow ones fall
            dump.write_text("sent_s,latency_ms,alarm_id\n" + "\n".join(rows) + "\n")
        return result

    def close(self):
        self._stop.set()
        self.thread.join(timeout=2)
        self.pubsub.close()


class IdSampler:
    """max(id) of the event table once a second: the stored-rate time series (ids are sequential)."""

    def __init__(self, url: str):
        self.url, self.samples = url, []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as conn:
            while not self._stop.is_set():
                (top,) = conn.execute("SELECT coalesce(max(id), 0) FROM alarms_deviceevent").fetchone()
                self.samples.append((time.time(), top))
                self._stop.wait(1.0)

    def worst_window(self, since: float, until: float, width: float = 10.0) -> float | None:
        inside = [(t, n) for t, n in self.samples if since <= t <= until]
        rates = []
        for k, (t, n) in enumerate(inside):
            later = [(t2, n2) for t2, n2 in inside[k:] if t2 - t >= width]
            if later:
                t2, n2 = later[0]
                rates.append((n2 - n) / (t2 - t))
        return min(rates) if rates else None

    def close(self):
        self._stop.set()
        self.thread.join(timeout=3)


def simulator(procs: Procs, channel: str, options: dict) -> tuple[subprocess.Popen, Path]:
    out = WORK / f"sim-{channel}.json"
    out.unlink(missing_ok=True)
    proc = procs.start(
        f"sim-{channel}", [sys.executable, __file__, "simulate", channel, json.dumps(options), str(out)]
    )
    return proc, out


def finish_simulator(proc: subprocess.Popen, out: Path, timeout: float) -> dict:
    code = proc.wait(timeout=timeout)
    if code != 0 or not out.exists():
        raise RuntimeError(f"simulator failed ({code}): see {WORK}/sim-*.log")
    return json.loads(out.read_text())


def scalar(sql: str, params=()):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


def wait_drained(*, expect_at_least: int, timeout: float) -> float:
    """Until every event is stored and processed (or ``timeout``); returns the seconds it took."""
    start = time.monotonic()
    last, steady = -1, time.monotonic()
    while time.monotonic() - start < timeout:
        stored = scalar("SELECT count(*) FROM alarms_deviceevent")
        backlog = scalar("SELECT count(*) FROM alarms_deviceevent WHERE processed_at IS NULL")
        if stored != last:
            last, steady = stored, time.monotonic()
        if stored >= expect_at_least and backlog == 0 and time.monotonic() - steady > 2:
            break
        time.sleep(0.5)
    return time.monotonic() - start


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def describe_latency(samples: list[float], expected: int) -> str:
    if not samples:
        return f"no notices received (of {expected} emergencies sent)"
    verdict = "met" if pct(samples, 0.99) < TARGET_P99_MS else "MISSED"
    return (
        f"p50 {statistics.median(samples):7.0f} ms  p99 {pct(samples, 0.99):7.0f} ms  max {max(samples):7.0f} ms"
        f"  notices {len(samples)}/{expected}  (target p99 < {TARGET_P99_MS} ms: {verdict})"
    )


# --- the runs ------------------------------------------------------------------------------------


def sim_options(args, channel: str, ports: dict, seconds: float) -> dict:
    base = {"devices": args.devices, "seconds": seconds, "alarm_rate": args.alarm_rate, "seed": args.seed}
    if channel == "mqtt":
        return {**base, "mqtt_port": ports["mqtt"], "rate": args.mqtt_rate, "window": 1000,
                "max_pending": 20_000, "ack_wait": 60, "alarm_offset": 0}  # fmt: skip
    return {**base, "http_port": ports["http"], "rate": args.http_rate, "conns": args.http_conns,
            "batch": args.http_batch, "alarm_offset": args.devices // 2}  # fmt: skip


def start_server(procs: Procs, args) -> int:
    port = free_port()
    # Under ASGI every request runs in a thread of its own, so persistent connections (the default
    # DB_CONN_MAX_AGE=60) pile up until PostgreSQL refuses more ("too many clients"): see the report.
    procs.env["DB_CONN_MAX_AGE"] = str(args.server_conn_max_age)
    procs.yanglao("serve", "serve", "--no-desk-processes", "--no-task-worker", "--port", str(port),
                  "--workers", str(args.web_workers))  # fmt: skip
    wait_port(port, timeout=60)
    return port


def load_phase(channel: str, args, procs: Procs, ports: dict, board: Board, sampler: IdSampler) -> dict:
    from django.db import connection

    reset_run()
    proc, out = simulator(procs, channel, sim_options(args, channel, ports, args.seconds))
    meter = CpuMeter(procs)
    result = finish_simulator(proc, out, timeout=args.seconds + 120)
    cpu = meter.report(result["cpu"])
    t0, t1 = result["started"], result["ended"]
    window = t1 - t0
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM alarms_deviceevent WHERE received_at BETWEEN to_timestamp(%s) AND to_timestamp(%s)",
            [t0, t1],
        )
        in_window = cursor.fetchone()[0]
    backlog = scalar("SELECT count(*) FROM alarms_deviceevent WHERE processed_at IS NULL")
    acked = len(result["acked"])
    drain = wait_drained(expect_at_least=acked, timeout=args.drain_timeout)
    stored = scalar("SELECT count(*) FROM alarms_deviceevent")
    made = scalar(
        "SELECT count(*) FROM alarms_alarm WHERE cause IN ('sos', 'fall') AND source_event_id IS NOT NULL"
    )
    worst = sampler.worst_window(t0 + 2, t1)
    latencies = board.latencies_ms(t0, t1, dump=WORK / f"latency-{channel}.csv")
    target = TARGET_MQTT if channel == "mqtt" else TARGET_HTTP
    rate = in_window / window
    print(f"\n[{channel.upper()}] {window:.0f} s sending, offered {args.mqtt_rate if channel == 'mqtt' else args.http_rate or 'max'}"
          f"{'' if channel == 'mqtt' else f' ({args.http_conns} connections, {args.http_batch} event(s) per request)'}")  # fmt: skip
    print(f"  sent {result['sent']:,}  acknowledged {acked:,} ({acked / window:,.0f}/s)  "
          f"stored in the window {in_window:,} → {rate:,.0f} events/s stored "
          f"(target ≥ {target:,}: {'met' if rate >= target else 'MISSED'})")  # fmt: skip
    if worst is not None:
        print(f"  worst 10 s window (max id sampled each second): {worst:,.0f} events/s")
    if channel == "http":
        print(f"  requests {result['sent'] / args.http_batch / window:,.0f}/s; refused {result['refused']} "
              f"{result['errors'][:1]} {result['conn_errors'][:1]}")  # fmt: skip
    print(f"  at the end: worker backlog {backlog:,} unprocessed; drained in {drain:.0f} s; "
          f"stored {stored:,} (lost {max(0, acked - stored):,}); alarms {made}/{len(result['alarms'])}")  # fmt: skip
    print(f"  event → board (emergencies): {describe_latency(latencies, len(result['alarms']))}")
    print(f"  {cpu}")
    return {"rate": rate, "latencies": latencies}


def fault_run(args, procs: Procs, ports: dict, board: Board) -> bool:
    from django.db import connection

    reset_run()
    seconds = args.seconds
    sims = {ch: simulator(procs, ch, sim_options(args, ch, ports, seconds)) for ch in ("mqtt", "http")}
    time.sleep(seconds / 3)
    procs.kill9("ingest_mqtt")
    for n in range(args.workers):
        procs.kill9(f"alarm_worker#{n}")
    killed_at = time.time()
    print(f"\n[FAULT] kill -9 of the ingester and {args.workers} worker(s) at {seconds / 3:.0f} s; "
          f"down for {args.down_seconds:g} s")  # fmt: skip
    time.sleep(args.down_seconds)
    start_ingester(procs, args)
    start_workers(procs, args)
    print(f"  restarted after {time.time() - killed_at:.1f} s")
    results = {ch: finish_simulator(p, out, timeout=seconds + 120) for ch, (p, out) in sims.items()}
    acked = {f"{ch[0]}{n}" for ch, r in results.items() for n in r["acked"]}
    sent = sum(r["sent"] for r in results.values())
    drain = wait_drained(expect_at_least=len(acked), timeout=max(args.drain_timeout, args.lease * 2 + 30))
    with connection.cursor() as cursor:
        cursor.execute("SELECT event_id, kind FROM alarms_deviceevent")
        rows = cursor.fetchall()
        cursor.execute(
            "SELECT e.event_id FROM alarms_alarm a JOIN alarms_deviceevent e ON e.id = a.source_event_id"
            " WHERE a.cause IN ('sos', 'fall')"
        )
        alarm_events = [r[0] for r in cursor.fetchall()]
        cursor.execute("SELECT coalesce(sum(merged_count), 0) FROM alarms_alarm")
        merged = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM alarms_deviceevent WHERE processed_at IS NULL")
        backlog = cursor.fetchone()[0]
    stored_ids = [r[0] for r in rows]
    stored = set(stored_ids)
    worthy = {event_id for event_id, kind in rows if kind in EMERGENCY}
    acked_worthy = {f"{ch[0]}{n}" for ch, r in results.items() for n, _, _ in r["alarms"]} & acked
    made = set(alarm_events)
    lost = len(acked - stored)
    duplicated = (len(stored_ids) - len(stored)) + (len(alarm_events) - len(made))
    missing_alarms = len(worthy - made) + len(acked_worthy - made)
    for ch, r in results.items():
        print(f"  {ch}: sent {r['sent']:,}, acknowledged {len(r['acked']):,}")
    print(f"  drained in {drain:.0f} s (backlog left {backlog})")
    print(f"  sent {sent:,}  acknowledged {len(acked):,}  stored {len(stored_ids):,}"
          f" (stored, not acknowledged: {len(stored - acked):,})")  # fmt: skip
    print(f"  alarms expected {len(worthy):,} (acknowledged emergencies {len(acked_worthy):,})  alarms made {len(made):,}"
          f"  merged {merged}  missing {missing_alarms}")  # fmt: skip
    ok = lost == 0 and duplicated == 0 and missing_alarms == 0 and backlog == 0 and len(made) == len(worthy)
    print(f"  lost {lost}  duplicated {duplicated}  → {'PASS' if ok else 'FAIL'}")
    return ok


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "simulate":
        simulate_main(*sys.argv[2:5])
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, default=50_000)
    parser.add_argument("--seconds", type=float, default=60.0, help="per phase (the issue's target: 300)")
    parser.add_argument("--phases", default="mqtt,http", help="load phases, in order ('' for none)")
    parser.add_argument("--fault", action="store_true", help="run the kill -9 fault run (after the phases)")
    parser.add_argument(
        "--mqtt-rate",
        type=float,
        default=10_500,
        help="offered MQTT events/s (5 % over the target, so the latency is measured at it)",
    )
    parser.add_argument(
        "--http-rate", type=float, default=0, help="offered HTTP events/s (0 = as fast as it goes)"
    )
    parser.add_argument("--http-conns", type=int, default=128)
    parser.add_argument("--http-batch", type=int, default=1, help="events per HTTP request (≤ 100)")
    parser.add_argument("--alarm-rate", type=float, default=10.0, help="SOS/fall events/s per channel")
    parser.add_argument("--workers", type=int, default=2, help="alarm_worker processes")
    parser.add_argument("--worker-batch", type=int, default=200)
    parser.add_argument("--lease", type=int, default=10, help="alarm_worker --lease (the default is 60 s)")
    parser.add_argument("--web-workers", type=int, default=1)
    parser.add_argument(
        "--server-conn-max-age", type=int, default=0, help="DB_CONN_MAX_AGE of the web server"
    )
    parser.add_argument("--ingest-batch", type=int, default=2000)
    parser.add_argument("--ingest-wait-ms", type=float, default=20.0)
    parser.add_argument("--down-seconds", type=float, default=3.0)
    parser.add_argument("--drain-timeout", type=float, default=300.0)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--reload", action="store_true")
    args = parser.parse_args()

    WORK.mkdir(parents=True, exist_ok=True)
    url = setup_django(fresh=args.reload)
    from yanglao.alarms.models import Device

    have = Device.objects.filter(serial__startswith="BA-").count()
    if have < args.devices:
        print(f"loading {args.devices:,} devices and elders (have {have:,}) …", flush=True)
        start = time.perf_counter()
        load(args.devices, seed=args.seed)
        print(f"loaded in {time.perf_counter() - start:.0f} s")
    print(f"devices: {Device.objects.filter(serial__startswith='BA-').count():,} in 通辽市; "
          f"{os.cpu_count()} cores shared by PostgreSQL, Mosquitto, Redis, the ingester, "
          f"{args.workers} worker(s), the web server and the simulator")  # fmt: skip

    for name in os.listdir(WORK):
        if name.endswith(".log"):
            (WORK / name).unlink()
    procs = Procs(os.environ.copy())
    ports = {}
    ok = True
    try:
        ports["mqtt"] = start_broker(procs)
        ports["redis"] = start_redis(procs)
        redis_url = f"redis://127.0.0.1:{ports['redis']}/0"
        procs.env.update(YANGLAO_MQTT_HOST="127.0.0.1", YANGLAO_MQTT_PORT=str(ports["mqtt"]),
                         YANGLAO_REDIS_URL=redis_url, LOG_LEVEL="WARNING")  # fmt: skip
        print(f"private mosquitto :{ports['mqtt']} (persistence off, max_queued_messages 0 = unlimited, "
              f"max_inflight_messages 10000), redis :{ports['redis']}; logs in {WORK}")  # fmt: skip
        board = Board(redis_url)
        sampler = IdSampler(url)
        start_ingester(procs, args)
        start_workers(procs, args)
        phases = [p for p in args.phases.split(",") if p]
        if "http" in phases or args.fault:
            ports["http"] = start_server(procs, args)
        for phase in phases:
            load_phase(phase, args, procs, ports, board, sampler)
        if args.fault:
            ok = fault_run(args, procs, ports, board)
        board.close()
        sampler.close()
    finally:
        procs.stop_all()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
