from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PolicyConfig(AppConfig):
    name = "chainwatch.policy"
    label = "policy"
    verbose_name = _("政策文件")

    def ready(self) -> None:
        from chainwatch.policy.models import define_proposed_target

        define_proposed_target()
