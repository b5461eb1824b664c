from django.urls import path

from yanglao.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.home, name="home"),
    path("network/", views.network, name="network"),
    path("network/<str:code>/", views.network, name="network_region"),
]
