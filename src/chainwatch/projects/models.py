from django.db import models
from django.utils.translation import gettext_lazy as _

from chainwatch.chains.models import ChainNode, Enterprise, Sector
from chainwatch.core.models import BaseModel
from chainwatch.geo.models import Department, Region
from chainwatch.policy.models import Clause, PolicyDocument


class Stage(models.TextChoices):
    PIPELINE = "pipeline", _("谋划储备")
    SIGNED = "signed", _("签约")
    STARTED = "started", _("开工")
    CONSTRUCTION = "construction", _("在建")
    OPERATING = "operating", _("竣工投产")
    PAUSED = "paused", _("暂停")


class Project(BaseModel):
    """A major project, one code for life (全国投资项目在线审批监管平台项目代码 where it has one)."""

    scoping = {"region": "region", "department": "department", "enterprise": "owner"}

    code = models.CharField(_("项目代码"), max_length=40, unique=True)
    name = models.CharField(_("项目名称"), max_length=200)
    owner = models.ForeignKey(Enterprise, verbose_name=_("业主企业"), null=True, blank=True, on_delete=models.SET_NULL, related_name="projects")
    region = models.ForeignKey(Region, verbose_name=_("所在地区"), on_delete=models.PROTECT, related_name="projects")
    sector = models.ForeignKey(Sector, verbose_name=_("集群/产业"), null=True, blank=True, on_delete=models.SET_NULL)
    nodes = models.ManyToManyField(ChainNode, verbose_name=_("产业链环节"), blank=True, related_name="projects")
    total_investment = models.DecimalField(_("总投资（元）"), max_digits=20, decimal_places=2)
    annual_plan = models.DecimalField(_("年度计划投资（元）"), max_digits=20, decimal_places=2, null=True, blank=True)
    completed_investment = models.DecimalField(_("累计完成投资（元）"), max_digits=20, decimal_places=2, default=0)
    stage = models.CharField(_("阶段"), max_length=12, choices=Stage.choices, default=Stage.PIPELINE)
    pause_reason = models.CharField(_("暂停原因"), max_length=300, blank=True)
    planned_start = models.DateField(_("计划开工"), null=True, blank=True)
    planned_end = models.DateField(_("计划竣工"), null=True, blank=True)
    actual_start = models.DateField(_("实际开工"), null=True, blank=True)
    actual_end = models.DateField(_("实际竣工"), null=True, blank=True)
    leader = models.CharField(_("包联领导"), max_length=100, blank=True)
    department = models.ForeignKey(Department, verbose_name=_("责任部门"), null=True, blank=True, on_delete=models.SET_NULL)
    tier = models.CharField(_("调度层级"), max_length=16, blank=True)
    colour = models.CharField(_("预警颜色"), max_length=8, blank=True)

    class Meta:
        verbose_name = _("项目")
        verbose_name_plural = _("项目")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ProjectUpdate(BaseModel):
    """Append-only progress report of a project for one period."""

    scoping = {"region": "project__region", "department": "project__department", "enterprise": "project__owner"}

    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="updates")
    period = models.CharField(_("期间"), max_length=10)
    stage = models.CharField(_("阶段"), max_length=12, choices=Stage.choices)
    completed_investment = models.DecimalField(_("累计完成投资（元）"), max_digits=20, decimal_places=2)
    month_investment = models.DecimalField(_("当期完成投资（元）"), max_digits=20, decimal_places=2, default=0)
    narrative = models.TextField(_("进展情况"), blank=True)
    reported_by = models.CharField(_("填报人"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("项目进展")
        verbose_name_plural = _("项目进展")
        ordering = ["project", "period"]
        constraints = [models.UniqueConstraint(fields=["project", "period"], name="project_update_unique")]


class DispatchIssue(BaseModel):
    """问题清单: a problem raised at dispatch, who must solve it and by when."""

    scoping = {"region": "project__region", "department": "owner", "enterprise": "project__owner"}

    class Status(models.TextChoices):
        OPEN = "open", _("待解决")
        IN_PROGRESS = "in_progress", _("推进中")
        RESOLVED = "resolved", _("已解决")
        ESCALATED = "escalated", _("已升级")

    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="issues")
    description = models.TextField(_("问题描述"))
    owner = models.ForeignKey(Department, verbose_name=_("责任部门"), null=True, blank=True, on_delete=models.SET_NULL)
    raised_on = models.DateField(_("提出日期"))
    due = models.DateField(_("办结时限"))
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.OPEN)
    resolution = models.TextField(_("办理情况"), blank=True)

    class Meta:
        verbose_name = _("调度问题")
        verbose_name_plural = _("问题清单")
        ordering = ["due"]


class Rule(BaseModel):
    """A dispatch rule stored as data (tiering, subsidy band, colour), with its jurisdiction,
    effective dates and the clause it comes from."""

    class Kind(models.TextChoices):
        PROJECT_TIER = "project-tier", _("项目分级调度")
        SUBSIDY = "subsidy", _("资金补助")
        COLOUR = "colour", _("三色预警")

    key = models.CharField(_("键"), max_length=80, unique=True)
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    jurisdiction = models.ForeignKey(Region, verbose_name=_("适用地区"), on_delete=models.PROTECT)
    effective_from = models.DateField(_("生效日期"))
    effective_to = models.DateField(_("失效日期"), null=True, blank=True)
    params = models.JSONField(_("参数"))
    document = models.ForeignKey(PolicyDocument, verbose_name=_("政策文件"), null=True, blank=True, on_delete=models.PROTECT)
    clause = models.ForeignKey(Clause, verbose_name=_("条款"), null=True, blank=True, on_delete=models.SET_NULL)
    span = models.TextField(_("原文"), blank=True)
    note = models.TextField(_("说明"), blank=True)

    class Meta:
        verbose_name = _("调度规则")
        verbose_name_plural = _("调度规则")
        ordering = ["kind", "jurisdiction__code", "effective_from"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.jurisdiction.name_zh} {self.effective_from}"
