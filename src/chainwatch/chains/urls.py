from django.urls import path

from chainwatch.chains import views

app_name = "chains"
urlpatterns = [
    path("panorama/", views.panorama, name="panorama"),
    path("panorama/node/", views.node_detail, name="node"),
]
