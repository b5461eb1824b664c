from django.urls import path

from yanglao.core import views

app_name = "core"
urlpatterns = [path("tasks/<int:pk>/progress/", views.task_progress, name="task_progress")]
