from django.urls import path

from yanglao.assessments import views

app_name = "assessments"
urlpatterns = [
    path("", views.assessment_list, name="list"),
    path("due/", views.due, name="due"),
    path("elder/<int:elder_pk>/new/", views.assessment_new, name="new"),
    path("elder/<int:elder_pk>/trigger/", views.trigger_add, name="trigger_add"),
    path("<int:pk>/", views.assessment_detail, name="detail"),
    path("<int:pk>/edit/", views.assessment_edit, name="edit"),
    path("<int:pk>/score/", views.assessment_score, name="score"),
    path("<int:pk>/submit/", views.assessment_submit, name="submit"),
    path("<int:pk>/approve/", views.assessment_approve, name="approve"),
    path("<int:pk>/return/", views.assessment_return, name="return"),
    path("<int:pk>/report.pdf", views.assessment_pdf, name="pdf"),
]
