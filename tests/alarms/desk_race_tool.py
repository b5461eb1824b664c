"""The acknowledgement race for real: run as ``python -m tests.alarms.desk_race_tool '<json>'`` with
DATABASE_URL pointing at a database shared with the test (``proc_db_url``). Each round opens one
alarm and lets two operators, each on its own thread and database connection, press 受理 at the same
moment (a barrier). Prints one JSON line: per round, who claimed and what the other was told."""

import json
import os
import sys
import threading


def race(rounds: int) -> dict:
    from django.core.exceptions import ValidationError
    from django.db import connection

    from tests.alarms.desk_factories import make_alarm
    from tests.conftest import make_user
    from yanglao.alarms import desk
    from yanglao.alarms.models import ActionKind, Alarm, AlarmAction

    users = [make_user("race-a", "desk", "150523"), make_user("race-b", "desk", "150523")]
    outcomes = []
    for _ in range(rounds):
        alarm = make_alarm(None, region_code="150523100001")
        barrier = threading.Barrier(2)
        results = {}

        def press(user, pk=alarm.pk, barrier=barrier, results=results):
            from django.db import connection as own

            try:
                target = Alarm.objects.get(pk=pk)  # both read it while it is open
                barrier.wait(timeout=10)
                desk.acknowledge(actor=user, alarm=target)
                results[user.username] = "claimed"
            except ValidationError as exc:
                results[user.username] = exc.code
            finally:
                own.close()

        threads = [threading.Thread(target=press, args=(u,)) for u in users]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        alarm.refresh_from_db()
        outcomes.append(
            {
                "results": results,
                "holder": alarm.acknowledged_by.username if alarm.acknowledged_by_id else None,
                "acks": AlarmAction.objects.filter(alarm=alarm, kind=ActionKind.ACK).count(),
            }
        )
    connection.close()
    return {"rounds": outcomes}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yanglao.settings")
    import django

    django.setup()
    args = json.loads(sys.argv[1] if len(sys.argv) > 1 else "{}")
    sys.stdout.write(json.dumps(race(args.get("rounds", 10))) + "\n")


if __name__ == "__main__":
    main()
