"""/api/v1/: each app contributes `registrations` (viewsets) and `urlpatterns` in its api/urls.py."""

from importlib import import_module

from django.urls import include, path
from rest_framework.routers import DefaultRouter

APPS = ["geo", "policy", "targets", "chains", "projects", "reports", "accounts"]

router = DefaultRouter()
extra = []
for app in APPS:
    try:
        module = import_module(f"chainwatch.{app}.api.urls")
    except ModuleNotFoundError as exc:
        if exc.name != f"chainwatch.{app}.api" and exc.name != f"chainwatch.{app}.api.urls":
            raise
        continue
    for prefix, viewset, basename in getattr(module, "registrations", []):
        router.register(prefix, viewset, basename=basename)
    extra += getattr(module, "urlpatterns", [])

urlpatterns = [*extra, path("", include(router.urls))]
