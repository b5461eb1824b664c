from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from yanglao.accounts.roles import Role
from yanglao.accounts.services import user_create


class Command(BaseCommand):
    help = "Create an account from the console (e.g. the first system administrator). Prints its initial password."

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True)
        parser.add_argument("--display-name", required=True)
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--region", required=True, help="区划代码，如 150500（通辽市）")
        parser.add_argument("--facility", type=int, help="机构运营人员的所属设施编号")
        parser.add_argument("--operator", type=int, help="服务商人员的所属运营主体编号")

    def handle(self, *args, username, display_name, role, region, facility, operator, **options):
        try:
            user, initial = user_create(
                actor=None,
                username=username,
                display_name=display_name,
                role=role,
                region_code=region,
                facility_id=facility,
                operator_id=operator,
            )
        except ValidationError as exc:
            problems = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            raise CommandError(problems) from None
        self.stdout.write(f"已创建 {user.username}（{user.role_title}，{user.region.full_name}）")
        self.stdout.write(f"初始密码：{initial}（首次登录须修改）")
