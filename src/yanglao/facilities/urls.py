from django.urls import path

from yanglao.facilities import views

app_name = "facilities"
urlpatterns = [
    path("", views.facility_list, name="list"),
    path("map/", views.facility_map, name="map"),
    path("export.xlsx", views.facility_export, name="export"),
    path("new/", views.facility_create, name="create"),
    path("<int:pk>/", views.facility_detail, name="detail"),
    path("<int:pk>/edit/", views.facility_edit, name="edit"),
    path("<int:pk>/status/", views.facility_status, name="status"),
    path("<int:pk>/photos/", views.photo_add, name="photo_add"),
    path("<int:pk>/photos/<int:photo_pk>/delete/", views.photo_remove, name="photo_remove"),
    path("import/", views.import_start, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("import/<int:pk>/", views.import_status, name="import_status"),
    path("import/<int:pk>/errors.xlsx", views.import_errors, name="import_errors"),
    path("operators/", views.operator_list, name="operators"),
    path("operators/<int:pk>/", views.operator_detail, name="operator_detail"),
    path("consortia/", views.consortium_list, name="consortia"),
    path("consortia/<int:pk>/", views.consortium_detail, name="consortium_detail"),
]
