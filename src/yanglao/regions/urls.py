from django.urls import path

from yanglao.regions import views

app_name = "regions"
urlpatterns = [
    path("picker/", views.picker, name="picker"),
    path("<str:code>/", views.region_detail, name="detail"),
]
