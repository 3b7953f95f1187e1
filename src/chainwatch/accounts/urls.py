"""Sign-in and password change. Included by chainwatch.web.urls under /accounts/ (ahead of the
root URLconf's plain LoginView, so /accounts/login/ is the throttled view)."""

from django.urls import path

from chainwatch.accounts import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
]
