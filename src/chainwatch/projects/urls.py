from django.urls import path

from chainwatch.projects import views

app_name = "projects"
urlpatterns = [
    path("", views.board, name="board"),
    path("clusters/", views.clusters, name="clusters"),
    path("leads/", views.leads, name="leads"),
    path("<str:code>/", views.detail, name="detail"),
]
