"""Reading settings from the environment, loudly.

Every setting of the project comes from the environment. A value that is present but malformed
stops the process with a message naming the variable: a typo must never silently become a default.
"""

import os
import secrets
import sys
from pathlib import Path


class EnvError(Exception):
    pass


def env_str(name: str, default: str | None = None) -> str:
    value = os.environ.get(name)
    if value is None or value == "":
        if default is None:
            raise EnvError(f"environment variable {name} is required")
        return default
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise EnvError(f"{name}={value!r} is not a boolean (use 1/0, true/false, yes/no, on/off)")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise EnvError(f"{name}={value!r} is not an integer") from None


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value == "":
        return list(default)
    return [part.strip() for part in value.split(",") if part.strip()]


def dev_secret(path: Path, make) -> str:
    """A secret generated once into var/ for development, with a warning the first time."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = make()
    # O_EXCL: two processes starting at once must agree on one key, not overwrite each other.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
    print(
        f"WARNING: generated a development secret in {path}. "
        "Set the matching environment variable in production.",
        file=sys.stderr,
    )
    return value


def random_secret_key() -> str:
    return "dev-" + secrets.token_urlsafe(50)
