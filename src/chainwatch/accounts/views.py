from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from chainwatch.accounts.forms import ThrottledAuthenticationForm
from chainwatch.core import audit
from chainwatch.core.models import AuditEntry


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "web/password_change.html"
    success_url = reverse_lazy("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        audit.record(self.request.user, AuditEntry.Action.UPDATE, self.request.user, note="修改密码（不记录密码）")
        messages.success(self.request, _("密码已修改。"))
        return response
