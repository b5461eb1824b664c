from django.urls import path

from yanglao.benefits import views

app_name = "benefits"
urlpatterns = [
    path("", views.eligibility, name="eligibility"),
    path("export.xlsx", views.eligibility_export, name="export"),
    path("rules/", views.rules, name="rules"),
]
