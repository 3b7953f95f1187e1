from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _


class Origin(models.TextChoices):
    """Where a row came from; sample and synthetic rows are never presented as real."""

    KNOWLEDGE = "knowledge", _("知识包")
    SAMPLE = "sample", _("示例数据")
    SYNTHETIC = "synthetic", _("合成数据")
    USER = "user", _("用户录入")


class BaseModel(models.Model):
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    origin = models.CharField(
        _("数据来源类别"), max_length=12, choices=Origin.choices, default=Origin.USER, db_index=True
    )

    class Meta:
        abstract = True


class TableDeletions(models.Model):
    """How many deleting statements a table has seen, counted by a database trigger: with the
    latest stamp, what tells a cache that the table changed (chainwatch.core.fingerprint)."""

    table = models.CharField(_("表"), max_length=63, primary_key=True)
    deleted = models.BigIntegerField(_("删除次数"), default=0)

    class Meta:
        verbose_name = _("删除计数")
        verbose_name_plural = _("删除计数")

    def __str__(self) -> str:
        return f"{self.table} {self.deleted}"


class AuditEntry(models.Model):
    """Who changed what, when, with the state before and after. Written by services only."""

    class Action(models.TextChoices):
        CREATE = "create", _("新增")
        UPDATE = "update", _("修改")
        DELETE = "delete", _("删除")
        IMPORT = "import", _("导入")
        APPROVE = "approve", _("审核通过")
        RETURN = "return", _("退回")
        SUBMIT = "submit", _("提交")

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    actor_name = models.CharField(_("操作人名称"), max_length=150, blank=True)
    action = models.CharField(_("操作"), max_length=10, choices=Action.choices)
    # Looked up together, by the (content_type, object_id) index below: no index of their own.
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, verbose_name=_("对象类型"), db_index=False)
    object_id = models.CharField(_("对象ID"), max_length=64)
    object_repr = models.CharField(_("对象"), max_length=300)
    before = models.JSONField(_("修改前"), null=True, blank=True)
    after = models.JSONField(_("修改后"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.get_action_display()} {self.object_repr}"
