from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from yanglao.accounts import selectors, services
from yanglao.accounts.decorators import capability_required
from yanglao.accounts.errors import LoginRefused
from yanglao.accounts.forms import (
    AuditFilterForm,
    DisableForm,
    LoginForm,
    PasswordChangeForm,
    TokenCreateForm,
    UserCreateForm,
    UserFilterForm,
    apply_service_errors,
)
from yanglao.accounts.roles import Cap
from yanglao.core.paging import page_of


@require_http_methods(["GET", "POST"])
def login_view(request):
    if request.user.is_authenticated:
        return redirect("reports:home")
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = services.login_attempt(
                request=request,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
            )
        except LoginRefused as refused:
            form.add_error(None, refused.message)
            status = 429 if refused.retry_after else 200
        else:
            login(request, user)
            target = request.POST.get("next") or request.GET.get("next") or ""
            if not url_has_allowed_host_and_scheme(
                target, {request.get_host()}, require_https=request.is_secure()
            ):
                target = ""
            return redirect(target or "reports:home")
    return render(
        request, "accounts/login.html", {"form": form, "next": request.GET.get("next", "")}, status=status
    )


@require_POST
def logout_view(request):
    logout(request)
    messages.info(request, "您已安全退出。")
    return redirect("accounts:login")


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request):
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.password_change(
                user=request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            update_session_auth_hash(request, user)
            messages.success(request, "密码已修改。")
            return redirect("reports:home")
    return render(request, "accounts/password_change.html", {"form": form})


@capability_required(Cap.USERS_VIEW)
@require_GET
def user_list(request):
    form = UserFilterForm(request.GET or None, actor=request.user)
    filters = form.cleaned_data if form.is_valid() else {}
    active = {"1": True, "0": False}.get(filters.get("active") or "")
    users = selectors.user_list(
        actor=request.user,
        q=filters.get("q", ""),
        role=filters.get("role", ""),
        region_code=filters.get("region", ""),
        active=active,
    )
    return render(request, "accounts/user_list.html", {"form": form, "page": page_of(request, users)})


@capability_required(Cap.USERS_MANAGE)
@require_http_methods(["GET", "POST"])
def user_create(request):
    form = UserCreateForm(request.POST or None, actor=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            user, initial = services.user_create(
                actor=request.user,
                username=form.cleaned_data["username"],
                display_name=form.cleaned_data["display_name"],
                role=form.cleaned_data["role"],
                region_code=form.cleaned_data["region"],
                facility_id=form.cleaned_data["facility"],
                operator_id=form.cleaned_data["operator"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            # The initial password is shown once, on the next page, and never stored in clear.
            request.session["initial_password"] = {"user": user.pk, "password": initial}
            return redirect("accounts:user_detail", pk=user.pk)
    return render(request, "accounts/user_form.html", {"form": form})


@capability_required(Cap.USERS_VIEW)
def user_detail(request, pk):
    user = selectors.user_get(actor=request.user, pk=pk)
    shown = request.session.pop("initial_password", None)
    initial = shown["password"] if shown and shown.get("user") == user.pk else None
    tokens = selectors.token_list(user=user) if services.may_manage(actor=request.user, user=user) else []
    return render(
        request,
        "accounts/user_detail.html",
        {
            "subject": user,
            "initial_password": initial,
            "may_manage": services.may_manage(actor=request.user, user=user),
            "tokens": tokens,
            "disable_form": DisableForm(),
        },
    )


@capability_required(Cap.USERS_MANAGE)
@require_POST
def user_disable(request, pk):
    user = selectors.user_get(actor=request.user, pk=pk)
    form = DisableForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写停用原因。")
        return redirect("accounts:user_detail", pk=pk)
    try:
        services.user_disable(actor=request.user, user=user, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已停用 {user.username}。")
    return redirect("accounts:user_detail", pk=pk)


@capability_required(Cap.USERS_MANAGE)
@require_POST
def user_enable(request, pk):
    user = selectors.user_get(actor=request.user, pk=pk)
    try:
        services.user_enable(actor=request.user, user=user)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已启用 {user.username}。")
    return redirect("accounts:user_detail", pk=pk)


@capability_required(Cap.USERS_MANAGE)
@require_POST
def user_reset_password(request, pk):
    user = selectors.user_get(actor=request.user, pk=pk)
    try:
        initial = services.user_reset_password(actor=request.user, user=user)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        request.session["initial_password"] = {"user": user.pk, "password": initial}
    return redirect("accounts:user_detail", pk=pk)


@capability_required(Cap.TOKENS_OWN)
@require_http_methods(["GET", "POST"])
def token_list(request):
    form = TokenCreateForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        _, new_token = services.token_create(user=request.user, name=form.cleaned_data["name"])
        form = TokenCreateForm()
    return render(
        request,
        "accounts/token_list.html",
        {"form": form, "tokens": selectors.token_list(user=request.user), "new_token": new_token},
    )


@login_required
@require_POST
def token_revoke(request, pk):
    token = selectors.token_get(actor=request.user, pk=pk)
    try:
        services.token_revoke(actor=request.user, token=token)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"令牌 {token.key_prefix}… 已吊销。")
    if token.user_id == request.user.pk:
        return redirect("accounts:tokens")
    return redirect("accounts:user_detail", pk=token.user_id)


@capability_required(Cap.AUDIT_VIEW)
@require_GET
def audit_list(request):
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = selectors.audit_list(actor=request.user, **{k: v for k, v in filters.items() if v})
    return render(request, "accounts/audit_list.html", {"form": form, "page": page_of(request, entries)})
