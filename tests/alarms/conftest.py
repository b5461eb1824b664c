"""A database shared with subprocesses, for the fault tests (kill -9 of the worker and the ingester).

The test database itself cannot be shared: on SQLite it lives in memory, and a test's rows sit in a
transaction no other process sees. So each session copies the freshly set-up test database (regions
loaded, nothing else): SQLite through the backup API into a file, PostgreSQL as ``CREATE DATABASE …
TEMPLATE``. Tests against it do not use the ``db`` fixture; they talk to it through subprocesses.
"""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

PROJECT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def proc_template(django_db_setup, django_db_blocker, tmp_path_factory):
    """The pristine copy (SQLite file path or PostgreSQL database name) each test copies again."""
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "sqlite":
            connection.ensure_connection()
            path = tmp_path_factory.mktemp("alarms-proc") / "proc.sqlite3"
            target = sqlite3.connect(path)
            connection.connection.backup(target)
            target.close()
            yield ("sqlite", path, None)
            return
        import psycopg

        settings = connection.settings_dict
        name = settings["NAME"]
        copy = f"{name}_proc"[:63]
        connection.close()  # a template must have no other session
        admin_args = {"host": settings["HOST"] or "127.0.0.1", "port": settings["PORT"] or 5432,
                      "user": settings["USER"], "password": settings["PASSWORD"] or None, "dbname": "postgres"}  # fmt: skip
        with psycopg.connect(**admin_args, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{copy}"')
            admin.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"')
        yield ("postgresql", copy, admin_args)
        with psycopg.connect(**admin_args, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')


@pytest.fixture
def proc_db_url(proc_template, tmp_path):
    """A fresh database for one test, shared with the subprocesses it starts."""
    vendor, source, admin_args = proc_template
    if vendor == "sqlite":
        path = tmp_path / "proc.sqlite3"
        shutil.copyfile(source, path)
        yield f"sqlite:///{path}"
        return
    import psycopg

    name = f"{source}_{tmp_path.name[-12:]}".replace("-", "_")[:63]
    with psycopg.connect(**admin_args, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    auth = quote(admin_args["user"] or "") + (
        ":" + quote(admin_args["password"]) if admin_args["password"] else ""
    )
    yield f"postgres://{auth}@{admin_args['host']}:{admin_args['port']}/{name}"
    with psycopg.connect(**admin_args, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def proc_env(url: str, **extra) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "YANGLAO_ENV": "test",
        "DJANGO_SETTINGS_MODULE": "yanglao.settings",
    }
    env.update(extra)
    return env


def run_tool(url: str, command: str, args: dict | None = None) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "tests.alarms.proc_tool", command, json.dumps(args or {})],
        cwd=PROJECT, env=proc_env(url), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def start_command(url: str, *args: str, **env) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(PROJECT / "manage.py"), *args],
        cwd=PROJECT, env=proc_env(url, **env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
