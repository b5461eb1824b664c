from django.core.management.base import BaseCommand, CommandError

from yanglao.demo.services import DemoRefused, seed_demo


class Command(BaseCommand):
    help = (
        "Create the Tongliao demo logins and data (reproducible from --seed; a second run changes nothing)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--elders", type=int, default=20000, help="how many demo elders (default 20,000)")

    def handle(self, *args, seed, elders, **options):
        try:
            result = seed_demo(seed=seed, elders=elders)
        except DemoRefused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"演示数据：新建账号 {len(result.created)} 个，已存在 {len(result.existing)} 个；"
            f"新建设施 {result.facilities} 个，老年人档案 {result.elders} 份，能力评估 {result.assessments} 份（seed={seed}）"
        )
