import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yanglao.settings")
application = get_asgi_application()

from yanglao.alarms.http_front import DeviceEventsFront  # noqa: E402 - needs the apps loaded

# Signed device events skip Django's request cycle and share commits (alarms/http_front.py says why).
application = DeviceEventsFront(application)

# Everything loaded so far lives as long as the process. Moving it out of the collector's view keeps
# full collections short: a large JSON response builds tens of thousands of small objects, and each
# full collection otherwise re-walks the ~300k objects of a loaded Django (bench/facilities.py: the
# city-wide map's p95 went from ~210 ms to ~120 ms).
gc.freeze()
