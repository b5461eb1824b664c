from django.core.management.base import BaseCommand, CommandError

from yanglao.demo.services import DemoRefused, seed_demo


class Command(BaseCommand):
    help = (
        "Create the Tongliao demo logins and data (reproducible from --seed; a second run changes nothing)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, seed, **options):
        try:
            result = seed_demo(seed=seed)
        except DemoRefused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"演示数据：新建账号 {len(result.created)} 个，已存在 {len(result.existing)} 个（seed={seed}）"
        )
