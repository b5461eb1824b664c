"""Panels other domains add to an elder's page, without the registry knowing them.

A domain registers, in its AppConfig.ready, a function (request, elder) -> rendered HTML or "";
the elder page shows each returned panel below the record.
"""

from collections.abc import Callable

PANELS: list[Callable] = []


def register_panel(render: Callable) -> Callable:
    if render not in PANELS:
        PANELS.append(render)
    return render


def render_panels(request, elder) -> list[str]:
    return [html for html in (panel(request, elder) for panel in PANELS) if html]
