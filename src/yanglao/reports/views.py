from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from yanglao.regions import selectors as region_selectors
from yanglao.reports.selectors import headline_figures


@login_required
def home(request):
    scope = request.user.scope
    root = region_selectors.region_root(scope=scope)
    children = region_selectors.region_children_with_counts(scope=scope, region=root) if root else []
    return render(
        request,
        "reports/home.html",
        {"figures": headline_figures(user=request.user), "root": root, "children": children},
    )
