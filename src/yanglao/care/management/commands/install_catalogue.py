from django.core.management.base import BaseCommand

from yanglao.care.catalogue import install_catalogue


class Command(BaseCommand):
    help = (
        "Install the service catalogue (8 categories, 20 items, products, 通辽 default prices); idempotent."
    )

    def handle(self, *args, **options):
        added = install_catalogue()
        self.stdout.write(
            f"服务目录：新增类别 {added['categories']} 个、项目 {added['items']} 个、"
            f"产品 {added['products']} 个、默认价格 {added['prices']} 条"
        )
