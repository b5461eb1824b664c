from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from yanglao.regions import selectors
from yanglao.regions.widgets import picker_context


@login_required
@require_GET
def picker(request):
    """The picker re-rendered around the region just chosen (an HTMX partial)."""
    name = request.GET.get("name", "region")[:40]
    code = request.GET.get(f"{name}__pick") or request.GET.get("code") or ""
    context = picker_context(
        scope=request.user.scope, name=name, code=code, required=request.GET.get("required") == "1"
    )
    return render(request, "regions/picker.html", context)


@login_required
@require_GET
def region_detail(request, code):
    scope = request.user.scope
    region = selectors.region_get(scope=scope, code=code)
    children = selectors.region_children_with_counts(scope=scope, region=region)
    return render(
        request,
        "regions/detail.html",
        {"region": region, "path": selectors.region_path(region), "children": children},
    )
