from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from chainwatch.chains.models import Enterprise
from chainwatch.geo.models import Department, Region


class Role(models.TextChoices):
    ADMIN = "admin", _("系统管理员")
    PROVINCE = "province", _("省级用户")
    PREFECTURE = "prefecture", _("盟市级用户")
    COUNTY = "county", _("旗县级用户")
    DEPARTMENT = "department", _("部门用户")
    ENTERPRISE = "enterprise", _("企业用户")
    LEADER = "leader", _("领导（只读）")


class Profile(models.Model):
    """What a user may see and do: a role bound to a region, a department or an enterprise."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    role = models.CharField(_("角色"), max_length=12, choices=Role.choices)
    region = models.ForeignKey(Region, verbose_name=_("所属地区"), null=True, blank=True, on_delete=models.PROTECT)
    department = models.ForeignKey(Department, verbose_name=_("所属部门"), null=True, blank=True, on_delete=models.PROTECT)
    enterprise = models.ForeignKey(Enterprise, verbose_name=_("所属企业"), null=True, blank=True, on_delete=models.PROTECT)

    class Meta:
        verbose_name = _("用户角色")
        verbose_name_plural = _("用户角色")

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"

    @property
    def read_only(self) -> bool:
        return self.role == Role.LEADER


class LoginFailure(models.Model):
    """One failed sign-in, kept to throttle password guessing (per user name and address)."""

    username = models.CharField(_("用户名"), max_length=150)
    ip = models.CharField(_("来源地址"), max_length=45)
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("登录失败记录")
        verbose_name_plural = _("登录失败记录")
        ordering = ["-at"]
        indexes = [models.Index(fields=["username", "ip", "at"])]

    def __str__(self) -> str:
        return f"{self.username}@{self.ip} {self.at:%Y-%m-%d %H:%M:%S}"
