"""Browser tests: a real `yanglao serve` on a fresh SQLite file, driven by Debian's Chromium.

The server is set up exactly as `make setup` does it (migrate, load_regions, seed_demo) and runs in
its own process, so these tests see what a new user sees. Screenshots go to test-artifacts/.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_PASSWORD = "yanglao-demo-2026"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    var = tmp_path_factory.mktemp("var")
    env = {
        **os.environ,
        "YANGLAO_ENV": "test",
        "YANGLAO_VAR_DIR": str(var),
        "DATABASE_URL": f"sqlite:///{var}/browser.sqlite3",
        "PYTHONUNBUFFERED": "1",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    for args in (
        ["migrate", "--noinput"],
        ["load_regions"],
        ["install_default_rules"],
        ["seed_demo", "--seed", "2026"],
    ):
        subprocess.run([*manage, *args], env=env, check=True, capture_output=True, timeout=300)
    port = _free_port()
    log = open(var / "server.log", "w")  # noqa: SIM115 - closed at teardown
    process = subprocess.Popen(
        # The tests drive the alarm worker and the escalation clock themselves, step by step.
        [*manage, "serve", "--port", str(port), "--no-desk-processes"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/accounts/login/", timeout=2)
            break
        except OSError:
            if process.poll() is not None:
                raise RuntimeError((var / "server.log").read_text()) from None
            time.sleep(0.3)
    else:
        process.kill()
        raise RuntimeError("server did not start: " + (var / "server.log").read_text())
    yield base
    process.terminate()
    process.wait(timeout=10)
    log.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(
            "Debian's chromium is not installed (apt-get install chromium); .ci/run installs it"
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def shot():
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name: str):
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def login(page, base: str, username: str, password: str = DEMO_PASSWORD):
    page.goto(base + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state("networkidle")


def htmx_idle(page):
    """Wait until HTMX has finished every request, swap and settle (new content is then live)."""
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')")
    page.wait_for_timeout(50)


def pick(page, level: str, label: str):
    page.select_option(f"select[data-level={level}]", label=label)
    htmx_idle(page)
