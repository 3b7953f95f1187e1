from django.urls import include, path

from chainwatch.web import views

app_name = "web"
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    # Ahead of the root URLconf's plain LoginView: /accounts/login/ is the throttled one.
    path("accounts/", include("chainwatch.accounts.urls")),
    path("cockpit/", views.cockpit, name="cockpit"),
    path("cockpit/targets/<int:pk>/", views.target_detail, name="target"),
    path("cockpit/<str:code>/", views.cockpit, name="cockpit-region"),
    path("history/<str:app_label>/<str:model_name>/<int:pk>/", views.history, name="history"),
]
