from django.urls import path

from chainwatch.reports import views

app_name = "reports"
urlpatterns = [
    path("", views.index, name="index"),
]
