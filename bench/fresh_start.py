"""A new user's first minutes: fresh clone → `make setup` → `make run` → first page.

Prints the wall time of each step, the time from `make run` to the first page served, and checks
that a second `make setup` changes nothing (same row counts). Package caches of uv and npm are
used if present on the machine; pass --cold to point them at empty directories (a truly new machine).

    .venv/bin/python bench/fresh_start.py [--cold]
"""

import argparse
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {
            t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("regions_region", "accounts_user")
        }


def timed(cmd, cwd, env) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cold", action="store_true", help="empty uv and npm caches")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "yanglao"
        subprocess.run(["git", "clone", "-q", str(ROOT), str(work)], check=True)
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("VIRTUAL_ENV", "DATABASE_URL", "YANGLAO_"))
        }
        if args.cold:
            env["UV_CACHE_DIR"] = str(Path(tmp) / "uv-cache")
            env["npm_config_cache"] = str(Path(tmp) / "npm-cache")
        first = timed(["make", "setup"], work, env)
        db = work / "var" / "yanglao.sqlite3"
        before = counts(db)
        second = timed(["make", "setup"], work, env)
        after = counts(db)

        port = free_port()
        start = time.perf_counter()
        server = subprocess.Popen(
            ["make", "run"],
            cwd=work,
            env={**env, "PORT": str(port)},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        first_page = None
        try:
            while time.perf_counter() - start < 120:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=2) as r:
                        if r.status == 200:
                            first_page = time.perf_counter() - start
                            break
                except OSError:
                    time.sleep(0.1)
        finally:
            server.terminate()
            output = server.communicate(timeout=20)[0].decode(errors="replace")
        print(f"make setup, fresh clone{' (cold caches)' if args.cold else ''}: {first:6.1f} s")
        print(
            f"make setup, second run:                  {second:6.1f} s   rows before {before} after {after}"
        )
        print(
            f"make run → first page served:            {first_page if first_page is None else round(first_page, 1)} s"
        )
        print("demo logins printed:", "yanglao-demo-2026" in output)
        if before != after or first_page is None:
            sys.exit(1)


if __name__ == "__main__":
    main()
