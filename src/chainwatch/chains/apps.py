from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChainsConfig(AppConfig):
    name = "chainwatch.chains"
    label = "chains"
    verbose_name = _("产业链与企业")
