"""Sign-in (throttled) and password change, under /accounts/."""

from django.urls import path

from chainwatch.accounts import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
]
