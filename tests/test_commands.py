import pytest
from django.core.management import CommandError, call_command

from yanglao.accounts.models import User
from yanglao.demo.services import DEMO_PASSWORD, DemoRefused, seed_demo


@pytest.mark.django_db
def test_seed_demo_creates_the_demo_logins_once(capsys):
    call_command("seed_demo", "--seed", "7")
    names = set(User.objects.filter(is_demo=True).values_list("username", flat=True))
    assert {"admin", "tongliao", "horqin", "kailu", "auditor"} <= names
    kailu = User.objects.get(username="kailu")
    assert kailu.region_id == "150523000000" and kailu.check_password(DEMO_PASSWORD)
    assert not kailu.must_change_password
    before = list(User.objects.order_by("pk").values_list("pk", "username", "password"))
    call_command("seed_demo", "--seed", "7")
    assert list(User.objects.order_by("pk").values_list("pk", "username", "password")) == before


@pytest.mark.django_db
def test_seed_demo_is_refused_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(DemoRefused):
        seed_demo(seed=1)
    with pytest.raises(CommandError, match="生产环境"):
        call_command("seed_demo")


@pytest.mark.django_db
def test_demo_logins_lists_what_exists(capsys):
    call_command("demo_logins")
    assert "没有演示账号" in capsys.readouterr().out
    call_command("seed_demo")
    out = capsys.readouterr().out
    call_command("demo_logins")
    out = capsys.readouterr().out
    assert DEMO_PASSWORD in out and "kailu" in out and "horqin" in out


@pytest.mark.django_db
def test_createuser_prints_an_initial_password_that_must_be_changed(capsys):
    call_command(
        "createuser",
        "--username",
        "chief",
        "--display-name",
        "总管理员",
        "--role",
        "admin",
        "--region",
        "150000",
    )
    out = capsys.readouterr().out
    initial = out.split("初始密码：")[1].split("（")[0]
    chief = User.objects.get(username="chief")
    assert chief.check_password(initial) and chief.must_change_password


@pytest.mark.django_db
def test_createuser_reports_field_errors():
    with pytest.raises(CommandError, match="region"):
        call_command(
            "createuser", "--username", "x1x", "--display-name", "x", "--role", "admin", "--region", "990000"
        )


@pytest.mark.django_db
def test_cli_entry_point_runs_manage_commands():
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "yanglao.cli", "help", "load_regions"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0 and "code,name,level,parent_code" in result.stdout


@pytest.mark.django_db
def test_models_and_migrations_agree():
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)
