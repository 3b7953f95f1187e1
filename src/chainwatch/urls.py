from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from chainwatch.web import views as web_views

urlpatterns = [
    path("", web_views.home, name="home"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/login/", auth_views.LoginView.as_view(template_name="web/login.html"), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("healthz", web_views.healthz, name="healthz"),
]
