from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Print the demo logins that exist in this database."

    def handle(self, *args, **options):
        from yanglao.demo.services import demo_login_table

        table = demo_login_table()
        self.stdout.write(table or "没有演示账号（运行 yanglao seed_demo 生成）。")
