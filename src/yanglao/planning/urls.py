from django.urls import path

from yanglao.planning import plan_views, views

app_name = "planning"
urlpatterns = [
    path("coverage/", views.coverage, name="coverage"),
    path("coverage/uncovered/", views.coverage_uncovered, name="coverage_uncovered"),
    path("coverage/uncovered/export.xlsx", views.coverage_export, name="coverage_export"),
    path("coverage/settings/", views.coverage_settings, name="coverage_settings"),
    path("siting/", views.siting, name="siting"),
    path("siting/run/", views.siting_run, name="siting_run"),
    path("siting/candidates/new/", views.candidate_create, name="candidate_create"),
    path("siting/candidates/import/", views.candidate_import, name="candidate_import"),
    path("siting/candidates/template.xlsx", views.candidate_template, name="candidate_template"),
    path("siting/candidates/<int:pk>/toggle/", views.candidate_toggle, name="candidate_toggle"),
    path("siting/runs/", views.run_list, name="run_list"),
    path("siting/runs/<int:pk>/", views.run_detail, name="run_detail"),
    path("siting/runs/<int:pk>/status/", views.run_status, name="run_status"),
    path("siting/runs/<int:pk>/export.xlsx", views.run_export, name="run_export"),
    path("siting/runs/<int:pk>/plan/", views.run_to_plan, name="run_to_plan"),
    # construction plans, monthly progress and targets (plan_views)
    path("plans/", plan_views.plan_list, name="plan_list"),
    path("plans/new/", plan_views.plan_new, name="plan_new"),
    path("plans/import/", plan_views.plan_import, name="plan_import"),
    path("plans/imports/<int:pk>/", plan_views.plan_import_detail, name="plan_import_detail"),
    path("plans/progress/", plan_views.plan_reports, name="plan_reports"),
    path("plans/export.xlsx", plan_views.plan_export, name="plan_export"),
    path("plans/photos/<int:pk>/", plan_views.progress_photo, name="progress_photo"),
    path("plans/<int:pk>/", plan_views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/edit/", plan_views.plan_edit, name="plan_edit"),
    path("plans/<int:pk>/facility/", plan_views.plan_link, name="plan_link"),
    path("plans/<int:pk>/progress/", plan_views.plan_progress, name="plan_progress"),
    path("targets/", plan_views.targets_page, name="targets"),
]
