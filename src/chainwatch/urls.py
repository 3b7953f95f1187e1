from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from chainwatch.web import views as web_views

urlpatterns = [
    path("", web_views.home, name="home"),
    path("", include("chainwatch.web.urls")),
    path("policy/", include("chainwatch.policy.urls")),
    path("targets/", include("chainwatch.targets.urls")),
    path("chains/", include("chainwatch.chains.urls")),
    path("projects/", include("chainwatch.projects.urls")),
    path("reports/", include("chainwatch.reports.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("chainwatch.accounts.urls")),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("chainwatch.api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
]
