"""Console pages of the catalogue, providers, caregivers and coverage. Thin: parse, call, render."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yanglao.accounts.decorators import capability_required
from yanglao.accounts.forms import apply_service_errors
from yanglao.accounts.roles import Cap
from yanglao.care import selectors, services
from yanglao.care.forms import (
    CaregiverFilterForm,
    CaregiverForm,
    CatalogueRegionForm,
    CertificateForm,
    CoverageForm,
    PriceForm,
    ProductForm,
    ProviderFilterForm,
    ProviderForm,
    ProviderPriceForm,
    caregiver_initial,
    provider_initial,
)
from yanglao.care.models import CaregiverStatus, CertificateKind
from yanglao.core.paging import page_of
from yanglao.regions.models import Region
from yanglao.regions.selectors import region_get


def _can_edit_catalogue(user) -> bool:
    return user.can(Cap.CARE_EDIT) and not user.scope.operator_id


# --- catalogue -------------------------------------------------------------------------------------


@capability_required(Cap.CARE_VIEW)
@require_http_methods(["GET", "POST"])
def catalogue(request):
    """Categories → items → products with today's price for a region; officers add 个性服务 here."""
    region_form = CatalogueRegionForm(request.GET or None, actor=request.user)
    code = request.GET.get("region", "")[:12]
    region = region_get(scope=request.user.scope, code=code) if code else request.user.region
    product_form = ProductForm(request.POST or None, actor=request.user)
    if request.method == "POST":
        if not _can_edit_catalogue(request.user):
            raise PermissionDenied("您没有新增个性服务的权限。")
        if product_form.is_valid():
            try:
                product = services.product_create(actor=request.user, data=product_form.parsed)
            except ValidationError as exc:
                apply_service_errors(product_form, exc)
            else:
                messages.success(request, f"已新增个性服务 {product.name}（{product.code}）。")
                return redirect("care:catalogue_product", pk=product.pk)
    today = timezone.localdate()
    return render(
        request,
        "care/catalogue.html",
        {
            "tree": selectors.catalogue_tree(actor=request.user, region=region, on=today),
            "region": region,
            "region_form": region_form,
            "product_form": product_form,
            "can_edit": _can_edit_catalogue(request.user),
            "today": today,
        },
    )


@capability_required(Cap.CARE_VIEW)
@require_http_methods(["GET", "POST"])
def catalogue_product(request, pk):
    """A product: its price history in the reader's view, and the form to set a region's price."""
    product = selectors.product_get(actor=request.user, pk=pk)
    form = PriceForm(request.POST or None, actor=request.user, initial={"region": request.user.region_id})
    if request.method == "POST":
        if not _can_edit_catalogue(request.user):
            raise PermissionDenied("您没有设定价格的权限。")
        if form.is_valid():
            try:
                services.price_set(actor=request.user, product=product, data=form.parsed)
            except ValidationError as exc:
                apply_service_errors(form, exc)
            except PermissionDenied as exc:
                form.add_error("region", str(exc))
            else:
                messages.success(request, "已设定价格。")
                return redirect("care:catalogue_product", pk=product.pk)
    today = timezone.localdate()
    return render(
        request,
        "care/product.html",
        {
            "product": product,
            "prices": selectors.price_list(actor=request.user, product=product),
            "current": selectors.price_for(product=product, region_code=request.user.region.prefix, on=today),
            "form": form,
            "can_edit": _can_edit_catalogue(request.user),
            "today": today,
        },
    )


# --- providers -------------------------------------------------------------------------------------


@capability_required(Cap.CARE_VIEW)
@require_GET
def provider_list(request):
    form = ProviderFilterForm(request.GET or None, actor=request.user)
    data = form.cleaned_data if form.is_valid() else {}
    filters = selectors.ProviderFilters(**{k: data.get(k) or "" for k in ("q", "county", "status")})
    page = page_of(request, selectors.provider_list(actor=request.user, filters=filters))
    return render(
        request,
        "care/providers.html",
        {
            "form": form,
            "page": page,
            "can_edit": _can_edit_catalogue(request.user),
            "today": timezone.localdate(),
        },
    )


@capability_required(Cap.CARE_EDIT)
@require_http_methods(["GET", "POST"])
def provider_create(request):
    if request.user.scope.operator_id:
        raise PermissionDenied("服务商人员不能登记服务商。")
    form = ProviderForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            provider = services.provider_create(actor=request.user, data=form.parsed)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("county", str(exc))
        else:
            messages.success(request, f"已登记服务商 {provider.name}。")
            return redirect("care:provider_detail", pk=provider.pk)
    return render(request, "care/provider_form.html", {"form": form, "title": "登记服务商"})


@capability_required(Cap.CARE_VIEW)
@require_GET
def provider_detail(request, pk):
    provider = selectors.provider_get(actor=request.user, pk=pk)
    today = timezone.localdate()
    can_edit = _can_edit_catalogue(request.user) and request.user.scope.contains(provider.county_id)
    caregivers = selectors.caregiver_list(
        actor=request.user, filters=selectors.CaregiverFilters(provider=provider.pk, status="all")
    )
    coverage = list(selectors.provider_coverage(provider=provider))
    return render(
        request,
        "care/provider_detail.html",
        {
            "provider": provider,
            "coverage": coverage,
            "prices": selectors.provider_prices(provider=provider),
            "caregivers": [(c, selectors.certificate_standing(c, today)) for c in caregivers[:200]],
            "facilities": selectors.provider_facilities(actor=request.user, provider=provider),
            "events": selectors.provider_events(provider=provider)[:50],
            "can_edit": can_edit,
            "can_add_caregiver": can_edit
            or (
                request.user.can(Cap.CARE_DISPATCH) and request.user.scope.operator_id == provider.operator_id
            ),
            "coverage_form": CoverageForm(
                provider=provider,
                initial={
                    "items": sorted({c.item.code for c in coverage}),
                    "regions": sorted({c.region_id for c in coverage}),
                },
            ),
            "price_form": ProviderPriceForm(actor=request.user, provider=provider),
            "today": today,
        },
    )


@capability_required(Cap.CARE_EDIT)
@require_http_methods(["GET", "POST"])
def provider_edit(request, pk):
    provider = selectors.provider_get(actor=request.user, pk=pk)
    if request.user.scope.operator_id or not request.user.scope.contains(provider.county_id):
        raise PermissionDenied("您没有修改该服务商的权限。")
    form = ProviderForm(
        request.POST or None, actor=request.user, provider=provider, initial=provider_initial(provider)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.provider_update(actor=request.user, provider=provider, data=form.parsed)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "已保存。")
            return redirect("care:provider_detail", pk=provider.pk)
    return render(
        request,
        "care/provider_form.html",
        {"form": form, "title": f"修改服务商：{provider.name}", "provider": provider},
    )


@capability_required(Cap.CARE_EDIT)
@require_POST
def provider_coverage(request, pk):
    provider = selectors.provider_get(actor=request.user, pk=pk)
    form = CoverageForm(request.POST, provider=provider)
    if form.is_valid():
        items = list(selectors.item_list().filter(code__in=form.cleaned_data["items"]))
        regions = list(Region.objects.filter(code__in=form.cleaned_data["regions"]).order_by("code"))
        try:
            count = services.coverage_set(actor=request.user, provider=provider, items=items, regions=regions)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, f"已保存覆盖范围（{count} 项）。")
            return redirect("care:provider_detail", pk=provider.pk)
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, f"覆盖范围未保存：{error}")
    return redirect("care:provider_detail", pk=provider.pk)


@capability_required(Cap.CARE_EDIT)
@require_http_methods(["GET", "POST"])
def provider_price(request, pk):
    """A provider's contracted price for one product (its own page, so errors show beside the fields)."""
    provider = selectors.provider_get(actor=request.user, pk=pk)
    if request.user.scope.operator_id or not request.user.scope.contains(provider.county_id):
        raise PermissionDenied("您没有设定该服务商合同价的权限。")
    form = ProviderPriceForm(
        request.POST or None, actor=request.user, provider=provider, initial={"region": provider.county_id}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.price_set(actor=request.user, product=form.product, data=form.parsed, provider=provider)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "已设定合同价。")
            return redirect("care:provider_detail", pk=provider.pk)
    return render(request, "care/provider_price.html", {"form": form, "provider": provider})


# --- caregivers ------------------------------------------------------------------------------------


def _caregiver_filters(form: CaregiverFilterForm) -> selectors.CaregiverFilters:
    data = form.cleaned_data if form.is_valid() else {}
    provider = data.get("provider") or ""
    return selectors.CaregiverFilters(
        q=data.get("q") or "",
        provider=int(provider) if provider.isdigit() else None,
        certificate=data.get("certificate") or "",
        skill=data.get("skill") or "",
        status=data.get("status") or CaregiverStatus.ACTIVE,
    )


def _may_add_caregivers(user) -> bool:
    """Provider staff for their own provider; officers of a county or above (providers are county contracts)."""
    if user.scope.operator_id:
        return user.can(Cap.CARE_DISPATCH)
    return user.can(Cap.CARE_EDIT) and len(user.scope.prefix) <= selectors.COUNTY_DIGITS


@capability_required(Cap.CARE_VIEW)
@require_GET
def caregiver_list(request):
    form = CaregiverFilterForm(request.GET or None, actor=request.user)
    today = timezone.localdate()
    page = page_of(
        request, selectors.caregiver_list(actor=request.user, filters=_caregiver_filters(form), on=today)
    )
    rows = [(c, selectors.certificate_standing(c, today)) for c in page.object_list]
    return render(
        request,
        "care/caregivers.html",
        {"form": form, "page": page, "rows": rows, "can_add": _may_add_caregivers(request.user)},
    )


@capability_required(Cap.CARE_VIEW)
@require_http_methods(["GET", "POST"])
def caregiver_create(request):
    if not _may_add_caregivers(request.user):
        raise PermissionDenied("您没有登记护理员的权限。")
    initial = {}
    if request.GET.get("provider", "").isdigit():
        initial["provider"] = request.GET["provider"]
    form = CaregiverForm(request.POST or None, actor=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            caregiver = services.caregiver_create(actor=request.user, data=form.parsed)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("provider", str(exc))
        else:
            messages.success(request, f"已登记护理员 {caregiver.name}，请登记其证书。")
            return redirect("care:caregiver_detail", pk=caregiver.pk)
    return render(request, "care/caregiver_form.html", {"form": form, "title": "登记护理员"})


def _caregiver_editable(user, caregiver) -> bool:
    try:
        services.check_caregiver_editor(user, caregiver.provider)
    except PermissionDenied:
        return False
    return True


@capability_required(Cap.CARE_VIEW)
@require_GET
def caregiver_detail(request, pk):
    caregiver = selectors.caregiver_get(actor=request.user, pk=pk)
    today = timezone.localdate()
    return render(
        request,
        "care/caregiver_detail.html",
        {
            "caregiver": caregiver,
            "standing": selectors.certificate_standing(caregiver, today),
            "can_edit": _caregiver_editable(request.user, caregiver),
            "certificate_form": CertificateForm(initial={"kind": CertificateKind.ELDER_CARE}),
            "today": today,
            "blocked": [
                (product, selectors.caregiver_can_do(caregiver, product, on=today))
                for product in caregiver.skills.all()
                if product.needs_certificate
            ],
        },
    )


@capability_required(Cap.CARE_VIEW)
@require_http_methods(["GET", "POST"])
def caregiver_edit(request, pk):
    caregiver = selectors.caregiver_get(actor=request.user, pk=pk)
    if not _caregiver_editable(request.user, caregiver):
        raise PermissionDenied("您没有修改该护理员的权限。")
    form = CaregiverForm(
        request.POST or None, actor=request.user, editing=True, initial=caregiver_initial(caregiver)
    )
    form.fields["phone"].widget.attrs["placeholder"] = caregiver.phone_masked
    form.fields["id_number"].widget.attrs["placeholder"] = caregiver.id_number_masked
    if request.method == "POST" and form.is_valid():
        try:
            services.caregiver_update(actor=request.user, caregiver=caregiver, data=form.parsed)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error("provider", str(exc))
        else:
            messages.success(request, "已保存。")
            return redirect("care:caregiver_detail", pk=caregiver.pk)
    return render(
        request,
        "care/caregiver_form.html",
        {"form": form, "title": f"修改护理员：{caregiver.name}", "caregiver": caregiver},
    )


@capability_required(Cap.CARE_VIEW)
@require_http_methods(["GET", "POST"])
def caregiver_certificate_add(request, pk):
    caregiver = selectors.caregiver_get(actor=request.user, pk=pk)
    if not _caregiver_editable(request.user, caregiver):
        raise PermissionDenied("您没有维护该护理员证书的权限。")
    form = CertificateForm(request.POST or None, initial={"kind": CertificateKind.ELDER_CARE})
    if request.method == "POST" and form.is_valid():
        try:
            services.certificate_add(actor=request.user, caregiver=caregiver, data=form.parsed)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, "已登记证书。")
            return redirect("care:caregiver_detail", pk=caregiver.pk)
    return render(request, "care/certificate_form.html", {"form": form, "caregiver": caregiver})


@capability_required(Cap.CARE_VIEW)
@require_POST
def caregiver_certificate_remove(request, pk, certificate_pk):
    caregiver = selectors.caregiver_get(actor=request.user, pk=pk)
    certificate = next((c for c in caregiver.certificates.all() if c.pk == certificate_pk), None)
    if certificate is None:
        raise Http404("证书不存在")
    if not _caregiver_editable(request.user, caregiver):
        raise PermissionDenied("您没有维护该护理员证书的权限。")
    services.certificate_remove(actor=request.user, certificate=certificate)
    messages.success(request, "已删除证书。")
    return redirect("care:caregiver_detail", pk=caregiver.pk)


# --- coverage --------------------------------------------------------------------------------------


@capability_required(Cap.CARE_VIEW)
@require_GET
def coverage(request):
    """Townships × the 20 items: which are reachable (a facility there offers it, or a provider covers it)."""
    region_form = CatalogueRegionForm(request.GET or None, actor=request.user)
    townships = selectors.coverage_townships(
        actor=request.user, region_code=request.GET.get("region", "")[:12]
    )
    page = page_of(request, townships.select_related("parent"), per_page=50)
    rows = selectors.coverage_rows(actor=request.user, townships=list(page.object_list))
    items = list(selectors.item_list())
    table = [(row, [(item, row.reached.get(item.code)) for item in items]) for row in rows]
    full = sum(1 for row in rows if row.count == len(items))
    return render(
        request,
        "care/coverage.html",
        {"region_form": region_form, "page": page, "items": items, "table": table, "full": full},
    )
