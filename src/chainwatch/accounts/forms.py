from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chainwatch.accounts import throttle


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's sign-in form, refusing a (user name, address) pair after too many failures."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": _("登录失败次数过多，已暂时锁定，请在 %(minutes)s 分钟后再试。"),
    }

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        ip = throttle.client_ip(self.request)
        until = throttle.locked_until(username, ip)
        if until is not None:
            minutes = max(1, int((until - timezone.now()).total_seconds() // 60) + 1)
            raise forms.ValidationError(self.error_messages["locked"], code="locked", params={"minutes": minutes})
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if username:
                throttle.record_failure(username, ip)
            raise
        throttle.clear(username, ip)
        return cleaned
