"""The alarm desk in a real browser on the demo data: a desk operator has the board open, an SOS
comes in through the real pipeline (a stored device event, the alarm worker, Redis), its card
appears without a reload with a sound, the operator acknowledges it and resolves it with an outcome,
and the card leaves the board."""

import os
import re
import subprocess
import sys

from playwright.sync_api import expect

from tests.browser.conftest import ROOT, login

DESK_USER = "zx-150523"  # the demo desk operator of 开鲁县

RAISE_SOS = """
from datetime import timedelta
from django.utils import timezone
from yanglao.alarms import worker
from yanglao.alarms.ingest import Incoming, ingest_events
from yanglao.alarms.models import Device
from yanglao.alarms.protocol import ParsedEvent

devices = Device.objects.filter(kind="sos_button", status="active", elder__isnull=False,
                                region_code__startswith="150523").select_related("elder").order_by("pk")
device = list(devices.filter(elder__latitude__isnull=False)[:3] or devices[:3])[INDEX]
at = timezone.now() - timedelta(seconds=AGE_S)
event = ParsedEvent("browser-sos-" + timezone.now().strftime("%H%M%S%f"), "sos", at, {})
ingest_events([Incoming(device.pk, event)], channel="http")
ids = worker.claim_batch(worker="browser-test")
created = worker.process_batch(worker="browser-test", ids=ids).created
print(created[0], device.elder.name)
"""


def _server_env(tmp_path_factory) -> dict:
    """The environment of the session's server (its database is a file under the session's var)."""
    databases = sorted(tmp_path_factory.getbasetemp().glob("var*/browser.sqlite3"))
    assert databases, "the server fixture's database was not found"
    var = databases[-1].parent
    return {**os.environ, "YANGLAO_ENV": "test", "YANGLAO_VAR_DIR": str(var),
            "DATABASE_URL": f"sqlite:///{databases[-1]}"}  # fmt: skip


def manage(tmp_path_factory, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=_server_env(tmp_path_factory), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def raise_sos(tmp_path_factory, *, device: int = 0, age_s: int = 0) -> tuple[int, str]:
    """An SOS from one of the demo devices, occurred ``age_s`` ago, through ingestion and the worker."""
    code = RAISE_SOS.replace("INDEX", str(device)).replace("AGE_S", str(age_s))
    pk, name = manage(tmp_path_factory, "shell", "-c", code).strip().splitlines()[-1].split(" ", 1)
    return int(pk), name


def test_an_sos_appears_live_is_acknowledged_and_resolved(server, page, shot, tmp_path_factory):
    login(page, server, DESK_USER)
    page.click("nav.sidebar >> text=告警台")
    expect(page.locator("h1")).to_contain_text("告警台")
    expect(page.locator("#desk-mode")).to_contain_text("实时模式")  # Redis is there: live, not polling
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads
    before = page.locator(".alarm-card").count()

    pk, name = raise_sos(tmp_path_factory)
    card = page.locator(f"#alarm-card-{pk}")
    expect(card).to_be_visible(timeout=10_000)
    expect(card).to_contain_text("一键呼叫")
    expect(card).to_contain_text(name)
    expect(card).to_contain_text("待受理")
    assert page.evaluate("window.__sameDocument") is True
    assert page.evaluate("window.alarmDesk.beeps") >= 1  # a new emergency sounds
    assert page.locator(".alarm-card").count() == before + 1
    order = page.evaluate(
        "Array.from(document.querySelectorAll('.alarm-card'))"
        ".map(e => [Number(e.dataset.priority), Date.parse(e.dataset.opened), Number(e.dataset.id)])"
    )
    assert order == sorted(order)  # most urgent first, then the oldest
    shot(page, "alarm-desk-new-sos")

    card.locator("button.alarm-ack").click()
    panel = page.locator("#alarm-panel")
    expect(panel).to_have_attribute("data-id", str(pk))
    expect(panel).to_contain_text("已受理")
    expect(panel.locator(".panel-state")).to_have_text("处理中")
    expect(card).to_contain_text("处理中")  # the card updates from the feed
    expect(panel.locator(".alarm-map")).to_be_visible()

    panel.locator("summary", has_text="结案").click()
    panel.locator("#rs_outcome").select_option("death")
    panel.locator(".action-resolve button[type=submit]").click()
    expect(panel).to_contain_text("处置结果为“死亡”时请写明情况")  # refused, in Chinese, nothing closed
    expect(card).to_be_visible()

    panel.locator("#rs_outcome").select_option("false_alarm")
    panel.locator(".action-resolve button[type=submit]").click()
    expect(panel).to_contain_text("已结案。")
    expect(panel.locator(".panel-state")).to_have_text("已结案")
    expect(page.locator(f"#alarm-card-{pk}")).to_have_count(0, timeout=10_000)
    assert page.evaluate("window.__sameDocument") is True
    shot(page, "alarm-desk-resolved")


def test_an_unanswered_emergency_escalates_on_the_open_board(server, page, shot, tmp_path_factory):
    login(page, server, DESK_USER)
    page.goto(server + "/alarms/desk/")
    expect(page.locator("#desk-mode")).to_contain_text("实时模式")
    pk, _ = raise_sos(tmp_path_factory, device=1, age_s=90)  # an SOS nobody answered for 90 s
    card = page.locator(f"#alarm-card-{pk}")
    expect(card).to_be_visible(timeout=10_000)
    expect(card.locator(".alarm-age")).to_have_class(re.compile("is-late"))  # red once past 60 s
    # (the demo's older emergencies may escalate in the same round: level 2 after 30 minutes)
    assert f"alarm {pk} → level 1" in manage(tmp_path_factory, "escalate_alarms", "--once")
    expect(card).to_have_class(re.compile("escalated"), timeout=10_000)
    expect(card).to_contain_text("60 秒未受理，已通知值班主管")
    banner = page.locator("#desk-escalation")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("告警升级")
    assert page.evaluate("window.alarmDesk.escalations") >= 1  # each escalation sounds
    shot(page, "alarm-desk-escalated")
    banner.locator("button", has_text="知道了").click()
    expect(banner).to_be_hidden()
