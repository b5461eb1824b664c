"""Production settings refuse to start without real secrets, and pass check --deploy cleanly."""

import base64
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOOD_SECRET = "p8Kx!z2#Qm9v$Lr4&Tn7*Wb1(Yc6)Hd3-Jf5+Ng8=Ps0@Uk2^Xe7%Ra4"
FIELD_KEY = "k1:" + base64.b64encode(b"f" * 32).decode()
INDEX_KEY = base64.b64encode(b"g" * 32).decode()


def run_manage(env_overrides: dict, *args: str, tmp_path) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("YANGLAO_", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG"))
    }
    env.update({"YANGLAO_VAR_DIR": str(tmp_path), "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3"})
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args], env=env, capture_output=True, text=True, timeout=120
    )


def production(**overrides):
    base = {
        "YANGLAO_ENV": "production",
        "SECRET_KEY": GOOD_SECRET,
        "YANGLAO_FIELD_KEY": FIELD_KEY,
        "YANGLAO_INDEX_KEY": INDEX_KEY,
        "ALLOWED_HOSTS": "yanglao.example.gov.cn",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def test_production_refuses_without_secret_key(tmp_path):
    result = run_manage(production(SECRET_KEY=None), "check", tmp_path=tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_a_development_secret_key(tmp_path):
    result = run_manage(production(SECRET_KEY="dev-" + "a" * 60), "check", tmp_path=tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_without_field_key(tmp_path):
    result = run_manage(production(YANGLAO_FIELD_KEY=None), "check", tmp_path=tmp_path)
    assert result.returncode != 0
    assert "YANGLAO_FIELD_KEY" in result.stderr


def test_production_refuses_without_allowed_hosts(tmp_path):
    result = run_manage(production(ALLOWED_HOSTS=None), "check", tmp_path=tmp_path)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_production_check_deploy_has_no_warnings(tmp_path):
    result = run_manage(production(), "check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "WARNING" not in result.stderr
    assert "no issues" in result.stdout


def test_development_generates_keys_once_with_a_warning(tmp_path):
    first = run_manage({"YANGLAO_ENV": "development"}, "check", tmp_path=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "generated a development secret" in first.stderr
    keys = {name: (tmp_path / name).read_text() for name in ("secret_key", "field_key", "index_key")}
    second = run_manage({"YANGLAO_ENV": "development"}, "check", tmp_path=tmp_path)
    assert "generated" not in second.stderr
    assert keys == {name: (tmp_path / name).read_text() for name in keys}


def test_unknown_environment_name_is_refused(tmp_path):
    result = run_manage({"YANGLAO_ENV": "prod"}, "check", tmp_path=tmp_path)
    assert result.returncode != 0
    assert "YANGLAO_ENV" in result.stderr
