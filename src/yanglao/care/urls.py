from django.urls import path

from yanglao.care import order_views, settlement_views, views

app_name = "care"
urlpatterns = [
    path("catalogue/", views.catalogue, name="catalogue"),
    path("catalogue/products/<int:pk>/", views.catalogue_product, name="catalogue_product"),
    path("providers/", views.provider_list, name="providers"),
    path("providers/new/", views.provider_create, name="provider_create"),
    path("providers/<int:pk>/", views.provider_detail, name="provider_detail"),
    path("providers/<int:pk>/edit/", views.provider_edit, name="provider_edit"),
    path("providers/<int:pk>/coverage/", views.provider_coverage, name="provider_coverage"),
    path("providers/<int:pk>/prices/", views.provider_price, name="provider_price"),
    path("caregivers/", views.caregiver_list, name="caregivers"),
    path("caregivers/new/", views.caregiver_create, name="caregiver_create"),
    path("caregivers/<int:pk>/", views.caregiver_detail, name="caregiver_detail"),
    path("caregivers/<int:pk>/edit/", views.caregiver_edit, name="caregiver_edit"),
    path(
        "caregivers/<int:pk>/certificates/", views.caregiver_certificate_add, name="caregiver_certificate_add"
    ),
    path(
        "caregivers/<int:pk>/certificates/<int:certificate_pk>/delete/",
        views.caregiver_certificate_remove,
        name="caregiver_certificate_remove",
    ),
    path("coverage/", views.coverage, name="coverage"),
    # Work orders (care/order_views.py): the console, the provider's day, the caregiver's phone page.
    path("orders/", order_views.order_list, name="order_list"),
    path("orders/new/", order_views.order_create, name="order_create"),
    path("orders/new/elders/", order_views.order_elder_search, name="order_elder_search"),
    path("orders/new/providers/", order_views.order_provider_options, name="order_provider_options"),
    path("orders/generate/", order_views.order_generate, name="order_generate"),
    path("orders/<int:pk>/", order_views.order_detail, name="order_detail"),
    path("orders/<int:pk>/do/<str:action>/", order_views.order_action, name="order_action"),
    path("orders/<int:pk>/anomaly/", order_views.order_anomaly, name="order_anomaly"),
    path("orders/<int:pk>/photos/<int:photo_pk>/", order_views.order_photo, name="order_photo"),
    path("dispatch/", order_views.dispatch_day, name="dispatch"),
    path("m/", order_views.mobile_today, name="mobile"),
    path("m/<int:pk>/", order_views.mobile_order, name="mobile_order"),
    path("m/<int:pk>/check-in/", order_views.mobile_check_in, name="mobile_check_in"),
    path("m/<int:pk>/check-out/", order_views.mobile_check_out, name="mobile_check_out"),
    path("m/<int:pk>/fail/", order_views.mobile_fail, name="mobile_fail"),
    path("m/<int:pk>/phone/", order_views.mobile_phone, name="mobile_phone"),
    path("settlements/", settlement_views.settlement_list, name="settlements"),
    path("settlements/build/", settlement_views.settlement_build, name="settlement_build"),
    path("settlements/<int:pk>/", settlement_views.settlement_detail, name="settlement_detail"),
    path("settlements/<int:pk>/confirm/", settlement_views.settlement_confirm, name="settlement_confirm"),
    path("settlements/<int:pk>/rebuild/", settlement_views.settlement_rebuild, name="settlement_rebuild"),
    path("settlements/<int:pk>/export.xlsx", settlement_views.settlement_xlsx, name="settlement_xlsx"),
    path("settlements/<int:pk>/statement.pdf", settlement_views.settlement_pdf, name="settlement_pdf"),
    path("dispatch/plan/", settlement_views.dispatch_page, name="dispatch_plan"),
    path("dispatch/plan/suggest/", settlement_views.dispatch_suggest, name="dispatch_suggest"),
    path("dispatch/plan/apply/", settlement_views.dispatch_apply, name="dispatch_apply"),
]
