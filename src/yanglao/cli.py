"""The ``yanglao`` command: manage.py for operators (``yanglao serve``, ``yanglao load_regions``…)."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yanglao.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["yanglao", *sys.argv[1:]])


if __name__ == "__main__":
    main()
