from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TargetsConfig(AppConfig):
    name = "chainwatch.targets"
    label = "targets"
    verbose_name = _("指标与目标")
