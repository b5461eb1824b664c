import os

from django.conf import settings
from django.core.management.base import BaseCommand


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

    def handle(self, *args, host, port, workers, no_task_worker=False, **options):
        import uvicorn

        from yanglao.core.tasks import start_worker_thread

        if not no_task_worker:
            # Zero-setup default: one process serves pages and runs imports. Production runs
            # `yanglao worker` processes and passes --no-task-worker.
            start_worker_thread()

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
