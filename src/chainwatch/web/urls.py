from django.urls import path

from chainwatch.web import views

app_name = "web"
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("cockpit/", views.cockpit, name="cockpit"),
    path("cockpit/targets/<int:pk>/", views.target_detail, name="target"),
    path("cockpit/<str:code>/", views.cockpit, name="cockpit-region"),
    path("history/<str:app_label>/<str:model_name>/<int:pk>/", views.history, name="history"),
]
