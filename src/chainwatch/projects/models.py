from django.conf import settings
from django.db import models
from django.db.models import Q
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
    paused_from = models.CharField(_("暂停前阶段"), max_length=12, choices=Stage.choices, blank=True)

    class Meta:
        verbose_name = _("项目")
        verbose_name_plural = _("项目")
        ordering = ["code"]
        indexes = [models.Index(fields=["updated_at"], name="project_updated_at")]  # core.fingerprint

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def rated(self) -> "ProjectRating":
        """The project's rating, or an empty one (never rated) — read with
        ``select_related("rating")`` on lists."""
        try:
            return self.rating
        except ProjectRating.DoesNotExist:
            return ProjectRating(project=self)


class ProjectRating(models.Model):
    """The tier and colour of a project as the rules decided them (分级与三色预警), kept apart from
    the project as :class:`~chainwatch.targets.models.TargetStatus` is kept apart from the target:
    a recompute rewrites these narrow rows, not the project and its ten indexes (on PostgreSQL
    3.3 s against 0.4 s for 50,000 projects), and a project's ``updated_at`` keeps meaning an
    edit by a person. Written by ``projects.services.recompute_tiers_and_colours`` only."""

    project = models.OneToOneField(
        Project, verbose_name=_("项目"), primary_key=True, on_delete=models.CASCADE, related_name="rating"
    )
    tier = models.CharField(_("调度层级"), max_length=16, blank=True)
    tier_rule = models.CharField(_("分级依据规则"), max_length=80, blank=True)
    colour = models.CharField(_("预警颜色"), max_length=8, blank=True, db_index=True)
    colour_rule = models.CharField(_("预警依据规则"), max_length=80, blank=True)
    dispatch_level = models.CharField(_("预警调度层级"), max_length=16, blank=True)
    rated_on = models.DateField(_("评价日期"), null=True, blank=True)
    computed_at = models.DateTimeField(_("计算时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("项目分级与预警")
        verbose_name_plural = _("项目分级与预警")
        indexes = [models.Index(fields=["computed_at"], name="projectrating_computed_at")]  # core.fingerprint

    def __str__(self) -> str:
        return f"{self.project_id} {self.tier or '—'} {self.colour or '—'}"


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
    corrects = models.OneToOneField(
        "self", verbose_name=_("更正"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="corrected_by",
    )

    class Meta:
        verbose_name = _("项目进展")
        verbose_name_plural = _("项目进展")
        ordering = ["project", "period", "id"]
        constraints = [
            # One original report per period; corrections are further rows linked by ``corrects``.
            models.UniqueConstraint(
                fields=["project", "period"], condition=Q(corrects__isnull=True), name="project_update_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.project.code} {self.period}"


class DispatchLevel(models.TextChoices):
    COUNTY = "county", _("县级")
    CITY = "city", _("市级")
    PROVINCE = "province", _("省级")


class StageChange(models.Model):
    """History of a project's stage: every transition, pause and resume, with its reason."""

    scoping = {"region": "project__region", "department": "project__department", "enterprise": "project__owner"}

    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(_("原阶段"), max_length=12, choices=Stage.choices)
    to_stage = models.CharField(_("新阶段"), max_length=12, choices=Stage.choices)
    on = models.DateField(_("日期"))
    reason = models.CharField(_("原因"), max_length=300, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("阶段变更")
        verbose_name_plural = _("阶段变更")
        ordering = ["project", "at", "id"]

    def __str__(self) -> str:
        return f"{self.project_id} {self.from_stage}→{self.to_stage}"


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
    level = models.CharField(_("调度层级"), max_length=10, choices=DispatchLevel.choices, default=DispatchLevel.COUNTY)
    escalated_on = models.DateField(_("升级日期"), null=True, blank=True)
    resolved_on = models.DateField(_("办结日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("调度问题")
        verbose_name_plural = _("问题清单")
        ordering = ["due", "id"]

    def __str__(self) -> str:
        return f"{self.project.code} {self.description[:40]}"


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


class StageProbability(BaseModel):
    """Probability that a project of a stage delivers its capacity (projection to targets), per
    jurisdiction; the nearest jurisdiction up the region tree wins, then built-in defaults."""

    jurisdiction = models.ForeignKey(Region, verbose_name=_("适用地区"), on_delete=models.PROTECT)
    stage = models.CharField(_("阶段"), max_length=12, choices=Stage.choices)
    probability = models.DecimalField(_("概率"), max_digits=5, decimal_places=4)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("阶段实现概率")
        verbose_name_plural = _("阶段实现概率")
        ordering = ["jurisdiction__code", "stage"]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "stage"], name="stage_probability_unique")]

    def __str__(self) -> str:
        return f"{self.jurisdiction.code} {self.get_stage_display()} {self.probability}"


class MechanismItem(models.TextChoices):
    """Xilingol's 七个一 (锡署发 seed 四(二)), in the text's order."""

    LEADER = "leader", _("责任领导")
    LEAD_DEPARTMENT = "lead_department", _("牵头部门")
    TASK_FORCE = "task_force", _("工作专班")
    WORK_PLAN = "work_plan", _("工作方案")
    CHAIN_LEADER = "chain_leader", _("链主企业")
    TECH_ALLIANCE = "tech_alliance", _("技术联盟")
    COMPLETE_CHAIN = "complete_chain", _("完整产业链")


class ClusterMechanism(BaseModel):
    """One item of a cluster's 七个一 checklist, with its evidence and who confirmed it."""

    scoping = {"region": "sector__region", "department": "department"}

    sector = models.ForeignKey(Sector, verbose_name=_("产业集群"), on_delete=models.CASCADE, related_name="mechanisms")
    item = models.CharField(_("事项"), max_length=16, choices=MechanismItem.choices)
    value = models.CharField(_("内容"), max_length=300, blank=True, help_text=_("如：责任领导姓名、专班名称、链主企业名称"))
    department = models.ForeignKey(Department, verbose_name=_("部门"), null=True, blank=True, on_delete=models.SET_NULL)
    enterprise = models.ForeignKey(Enterprise, verbose_name=_("企业"), null=True, blank=True, on_delete=models.SET_NULL)
    done = models.BooleanField(_("已落实"), default=False)
    evidence_text = models.TextField(_("佐证说明"), blank=True)
    evidence_url = models.URLField(_("佐证链接"), blank=True)
    evidence_file = models.CharField(_("佐证文件名"), max_length=200, blank=True)
    weight = models.DecimalField(_("权重"), max_digits=6, decimal_places=3, default=1)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("确认人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("集群推进机制（七个一）")
        verbose_name_plural = _("集群推进机制（七个一）")
        ordering = ["sector__code", "id"]
        constraints = [models.UniqueConstraint(fields=["sector", "item"], name="cluster_mechanism_unique")]

    def __str__(self) -> str:
        return f"{self.sector.name_zh} {self.get_item_display()}"


class LeadStage(models.TextChoices):
    CLUE = "clue", _("线索")
    CONTACT = "contact", _("接洽")
    VISIT = "visit", _("考察")
    SIGNED = "signed", _("签约")
    CONVERTED = "converted", _("转项目")
    ABANDONED = "abandoned", _("放弃")


class Lead(BaseModel):
    """招商线索: one lead, held by one jurisdiction, shared up the hierarchy without copies.

    ``dedup_key`` = (enterprise USCC or normalised name, target chain node, landing region):
    a second report of the same lead (a league relaying its county's lead) adds a LeadShare.
    """

    scoping = {"region": "jurisdiction", "department": "department"}

    dedup_key = models.CharField(_("去重键"), max_length=300, unique=True, editable=False)
    title = models.CharField(_("线索名称"), max_length=200)
    jurisdiction = models.ForeignKey(Region, verbose_name=_("线索所属地区"), on_delete=models.PROTECT, related_name="held_leads")
    region = models.ForeignKey(Region, verbose_name=_("拟落地地区"), on_delete=models.PROTECT, related_name="leads")
    department = models.ForeignKey(Department, verbose_name=_("责任部门"), null=True, blank=True, on_delete=models.SET_NULL)
    enterprise = models.ForeignKey(Enterprise, verbose_name=_("企业"), null=True, blank=True, on_delete=models.SET_NULL, related_name="leads")
    enterprise_name = models.CharField(_("企业名称"), max_length=200)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    node = models.ForeignKey(ChainNode, verbose_name=_("目标产业链环节"), null=True, blank=True, on_delete=models.PROTECT)
    intended_investment = models.DecimalField(_("意向投资（元）"), max_digits=20, decimal_places=2, null=True, blank=True)
    stage = models.CharField(_("阶段"), max_length=10, choices=LeadStage.choices, default=LeadStage.CLUE)
    received_on = models.DateField(_("获取日期"))
    responded_on = models.DateField(_("首次响应日期"), null=True, blank=True)
    assessed_on = models.DateField(_("研判日期"), null=True, blank=True)
    last_reported_on = models.DateField(_("最近报送日期"), null=True, blank=True)
    closed_on = models.DateField(_("结束日期"), null=True, blank=True)
    close_reason = models.CharField(_("放弃原因"), max_length=300, blank=True)
    project = models.ForeignKey(Project, verbose_name=_("转化项目"), null=True, blank=True, on_delete=models.SET_NULL, related_name="leads")
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("招商线索")
        verbose_name_plural = _("招商线索")
        ordering = ["-received_on", "id"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        from chainwatch.projects.leads import dedup_key

        self.dedup_key = dedup_key(
            uscc=self.uscc, enterprise_name=self.enterprise_name,
            node_code=self.node.code if self.node_id else None, region_code=self.region.code,
        )
        super().save(*args, **kwargs)


class LeadShare(models.Model):
    """A lead relayed to (reported again by) another level: a pointer, never a second lead."""

    lead = models.ForeignKey(Lead, verbose_name=_("线索"), on_delete=models.CASCADE, related_name="shares")
    region = models.ForeignKey(Region, verbose_name=_("报送/转报地区"), on_delete=models.PROTECT)
    shared_on = models.DateField(_("日期"))
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("线索转报")
        verbose_name_plural = _("线索转报")
        constraints = [models.UniqueConstraint(fields=["lead", "region"], name="lead_share_unique")]

    def __str__(self) -> str:
        return f"{self.lead_id} → {self.region_id}"


class LeadClock(BaseModel):
    """Response clock of investment leads as data: respond in N days, assess in M, report every K."""

    class Step(models.TextChoices):
        RESPOND = "respond", _("首次响应")
        ASSESS = "assess", _("研判")
        REPORT = "report", _("定期报送")

    jurisdiction = models.ForeignKey(Region, verbose_name=_("适用地区"), on_delete=models.PROTECT)
    step = models.CharField(_("环节"), max_length=8, choices=Step.choices)
    days = models.PositiveSmallIntegerField(_("时限（天）"))
    document = models.ForeignKey(PolicyDocument, verbose_name=_("政策文件"), null=True, blank=True, on_delete=models.SET_NULL)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("线索响应时限")
        verbose_name_plural = _("线索响应时限")
        ordering = ["jurisdiction__code", "step"]
        constraints = [models.UniqueConstraint(fields=["jurisdiction", "step"], name="lead_clock_unique")]

    def __str__(self) -> str:
        return f"{self.jurisdiction.code} {self.get_step_display()} {self.days}"
