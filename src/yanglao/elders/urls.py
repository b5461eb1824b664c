from django.urls import path

from yanglao.elders import views

app_name = "elders"
urlpatterns = [
    path("", views.elder_list, name="list"),
    path("export.xlsx", views.elder_export, name="export"),
    path("new/", views.elder_create, name="create"),
    path("<int:pk>/", views.elder_detail, name="detail"),
    path("<int:pk>/edit/", views.elder_edit, name="edit"),
    path("<int:pk>/move/", views.elder_move, name="move"),
    path("<int:pk>/status/", views.elder_status, name="status"),
    path("<int:pk>/reveal/", views.elder_reveal, name="reveal"),
    path("<int:pk>/categories/", views.category_add, name="category_add"),
    path("<int:pk>/categories/<int:membership_pk>/end/", views.category_end, name="category_end"),
    path("import/", views.import_start, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("import/<int:pk>/", views.import_status, name="import_status"),
    path("import/<int:pk>/errors.xlsx", views.import_errors, name="import_errors"),
    path("duplicates/", views.duplicate_list, name="duplicates"),
    path("duplicates/<int:pk>/", views.duplicate_detail, name="duplicate_detail"),
    path("moves/", views.move_log, name="moves"),
]
