import atexit
import os
import socket
import subprocess
import sys

from django.conf import settings
from django.core.management.base import BaseCommand

# The alarm desk needs three loops beside the web server: the worker that turns stored device
# events into alarms, the escalation clock, and (when a broker is there) the MQTT ingester.
DESK_PROCESSES = ("alarm_worker", "escalate_alarms")


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to SIGTERM it when `serve` ends, however it ends
    (uvicorn re-raises the signal that stopped it, so no atexit hook runs)."""
    try:
        import ctypes
        import signal

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:  # not Linux: the atexit hook below is all there is
        pass


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class Command(BaseCommand):
    help = "Serve yanglao with uvicorn (ASGI) on 127.0.0.1:$PORT (default 8000)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "1")))
        parser.add_argument(
            "--no-task-worker",
            action="store_true",
            help="do not run background tasks in this process (run `yanglao worker` separately)",
        )
        parser.add_argument(
            "--no-desk-processes",
            action="store_true",
            help="do not start the alarm worker, escalation and MQTT ingester (run them under a supervisor)",
        )

    def handle(self, *args, host, port, workers, no_task_worker=False, no_desk_processes=False, **options):
        import uvicorn

        from yanglao.core.tasks import start_worker_thread

        if not no_task_worker:
            # Zero-setup default: one process serves pages and runs imports. Production runs
            # `yanglao worker` processes and passes --no-task-worker.
            start_worker_thread()
        if not no_desk_processes:
            self._start_desk_processes()

        self.stdout.write(
            f"yanglao 正在 http://{host}:{port}/ 提供服务（{settings.YANGLAO_ENV}，Ctrl-C 停止）"
        )
        uvicorn.run(
            "yanglao.asgi:application",
            host=host,
            port=port,
            workers=workers,
            log_level="info" if settings.DEBUG else "warning",
            proxy_headers=settings.YANGLAO_TRUSTED_PROXIES > 0,
            server_header=False,
        )

    def _start_desk_processes(self) -> None:
        from yanglao.alarms import bus, conf

        names = list(DESK_PROCESSES)
        if _reachable(conf.mqtt_host(), conf.mqtt_port()):
            names.append("ingest_mqtt")
        else:
            self.stdout.write(
                f"提示：未连接到 MQTT 代理 {conf.mqtt_host()}:{conf.mqtt_port()}（Mosquitto），"
                "设备事件只能经 HTTP 上报（/api/v1/device-events）。"
            )
        client = bus.client()
        try:
            redis_up = client is not None and client.ping()
        except Exception:  # any failure means the same here: no live push
            redis_up = False
        if not redis_up:
            self.stdout.write("提示：未连接到 Redis，告警台以降级模式运行（每 2 秒刷新，而不是实时推送）。")
        children = [
            subprocess.Popen(  # noqa: S603 - our own commands
                [sys.executable, "-m", "yanglao.cli", name],
                env=os.environ.copy(),
                preexec_fn=_die_with_parent,
            )
            for name in names
        ]
        self.stdout.write(f"告警台后台进程已启动：{'、'.join(names)}")

        def stop_children():
            for child in children:
                child.terminate()
            for child in children:
                try:
                    child.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    child.kill()

        atexit.register(stop_children)
