from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from yanglao.accounts.decorators import capability_required
from yanglao.accounts.roles import Cap, Role
from yanglao.facilities.models import FacilityStatus
from yanglao.regions import selectors as region_selectors
from yanglao.reports.network import region_network
from yanglao.reports.selectors import headline_figures


@login_required
def home(request):
    # A caregiver's day is their own orders on the phone page; the region dashboard tells them nothing.
    if request.user.role == Role.CAREGIVER and request.user.can(Cap.CARE_VISIT):
        return redirect("care:mobile")
    scope = request.user.scope
    root = region_selectors.region_root(scope=scope)
    children = region_selectors.region_children_with_counts(scope=scope, region=root) if root else []
    return render(
        request,
        "reports/home.html",
        {"figures": headline_figures(user=request.user), "root": root, "children": children},
    )


@capability_required(Cap.FACILITIES_VIEW)
@require_GET
def network(request, code=None):
    """A region's service network and the regional rules (a centre in every street, beds per 1,000…)."""
    scope = request.user.scope
    region = (
        region_selectors.region_get(scope=scope, code=code)
        if code
        else region_selectors.region_root(scope=scope)
    )
    if region is None:
        raise Http404("区划不存在")
    return render(request, "reports/network.html", {
        "network": region_network(actor=request.user, region=region),
        "path": region_selectors.region_path(region),
        "children": region_selectors.region_children(scope=scope, region=region) if region.level in ("city", "county") else [],
        "status_labels": dict(FacilityStatus.choices),
    })  # fmt: skip
