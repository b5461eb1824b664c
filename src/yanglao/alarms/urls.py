from django.urls import path

from yanglao.alarms import desk_views, views

app_name = "alarms"
urlpatterns = [
    path("devices/", views.device_list, name="device_list"),
    path("devices/new/", views.device_new, name="device_new"),
    path("devices/import/", views.import_start, name="import"),
    path("devices/import/template.xlsx", views.import_template, name="import_template"),
    path("devices/import/<int:pk>/", views.import_status, name="import_status"),
    path("devices/import/<int:pk>/errors.xlsx", views.import_errors, name="import_errors"),
    path("devices/<int:pk>/", views.device_detail, name="device_detail"),
    path("devices/<int:pk>/edit/", views.device_edit, name="device_edit"),
    path("devices/<int:pk>/retire/", views.device_retire, name="device_retire"),
    path("devices/<int:pk>/secret/", views.device_secret_reset, name="device_secret"),
    path("device-errors/", views.device_errors, name="device_errors"),
    path("elder/<int:elder_pk>/rules/", views.elder_rules, name="elder_rules"),
]

# The desk: the live board and its feed, one alarm and its actions, the list, the hotline, the SLA.
urlpatterns += [
    path("desk/", desk_views.desk_board, name="desk"),
    path("desk/stream/", desk_views.desk_stream, name="desk_stream"),
    path("list/", desk_views.alarm_list, name="alarm_list"),
    path("<int:pk>/", desk_views.alarm_detail, name="alarm_detail"),
    path("<int:pk>/panel/", desk_views.alarm_panel, name="alarm_panel"),
    path("<int:pk>/ack/", desk_views.alarm_ack, name="alarm_ack"),
    path("<int:pk>/call-elder/", desk_views.alarm_call_elder, name="alarm_call_elder"),
    path("<int:pk>/call-contact/", desk_views.alarm_call_contact, name="alarm_call_contact"),
    path("<int:pk>/dispatch/", desk_views.alarm_dispatch, name="alarm_dispatch"),
    path("<int:pk>/note/", desk_views.alarm_note, name="alarm_note"),
    path("<int:pk>/resolve/", desk_views.alarm_resolve, name="alarm_resolve"),
    path("<int:pk>/caller/", desk_views.alarm_caller, name="alarm_caller"),
    path("hotline/", desk_views.hotline, name="hotline"),
    path("hotline/lookup/", desk_views.hotline_lookup, name="hotline_lookup"),
    path("sla/", desk_views.sla_page, name="sla"),
    path("sla/export.xlsx", desk_views.sla_export, name="sla_export"),
]
