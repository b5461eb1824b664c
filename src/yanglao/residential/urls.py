from django.urls import path

from yanglao.residential import views

app_name = "residential"
urlpatterns = [
    path("meals/", views.canteens, name="canteens"),
    path("meals/<int:pk>/", views.canteen_day, name="canteen"),
    path("meals/<int:pk>/menu/", views.menu_create, name="menu_create"),
    path("meals/<int:pk>/orders/", views.order_create, name="order_create"),
    path("meals/<int:pk>/statement/", views.statement, name="statement"),
    path("meals/<int:pk>/statement.xlsx", views.statement_xlsx, name="statement_xlsx"),
    path("daycare/", views.centres, name="centres"),
    path("daycare/<int:pk>/", views.centre, name="centre"),
    path("daycare/<int:pk>/enrol/", views.enrol, name="enrol"),
    path("daycare/<int:pk>/attendance/", views.attendance, name="attendance"),
    path("daycare/<int:pk>/respite/", views.respite, name="respite"),
]
