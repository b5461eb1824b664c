from django import forms
from django.http import Http404
from django.template.loader import render_to_string

from yanglao.regions import selectors
from yanglao.regions.codes import LEVEL_LABELS
from yanglao.regions.scope import Scope


def picker_context(*, scope: Scope, name: str, code: str | None, required: bool = False) -> dict:
    """What the cascading picker shows: the fixed path above the user's scope, one select per level
    from the scope down to the chosen region, and one more for the chosen region's children."""
    root = selectors.region_root(scope=scope)
    if root is None:
        return {"name": name, "value": "", "fixed": [], "selects": [], "required": required}
    selected = root
    if code:
        try:
            candidate = selectors.region_get(scope=scope, code=code)
        except Http404:  # an unknown or foreign code falls back to the root
            candidate = None
        if candidate is not None and scope.contains(candidate.code):
            selected = candidate
    path = selectors.region_path(selected)
    fixed = [r for r in path if len(r.prefix) <= len(root.prefix)]
    below = [r for r in path if len(r.prefix) > len(root.prefix)]
    parents = [root, *below]
    selects = []
    for parent, chosen in zip(parents, [*below, None], strict=True):
        options = list(selectors.region_children(scope=scope, region=parent))
        if not options:
            break
        selects.append(
            {
                "parent": parent,
                "label": LEVEL_LABELS[options[0].level],
                "options": options,
                "chosen": chosen.code if chosen else "",
            }
        )
    return {
        "name": name,
        "value": selected.code,
        "selected": selected,
        "fixed": fixed,
        "selects": selects,
        "required": required,
    }


class RegionPickerWidget(forms.Widget):
    """Province → city → county → township → village, each level loaded when the one above is chosen."""

    def __init__(self, *args, scope: Scope | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope = scope

    def render(self, name, value, attrs=None, renderer=None):
        context = picker_context(
            scope=self.scope or Scope.nothing(), name=name, code=value, required=self.is_required
        )
        return render_to_string("regions/picker.html", context)

    def value_from_datadict(self, data, files, name):
        return data.get(name) or ""
