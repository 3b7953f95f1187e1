from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from chainwatch.core.codes import validate_uscc
from chainwatch.core.models import BaseModel
from chainwatch.geo.models import Department, Region
from chainwatch.policy.models import PolicyDocument


def validate_unit(value: str) -> None:
    from chainwatch.core.units import UnitError, parse_unit

    if value:
        try:
            parse_unit(value)
        except UnitError as exc:
            raise ValidationError(str(exc)) from exc


class Sector(BaseModel):
    """A cluster (产业集群) or an industry (产业) within one; Cluster and Industry are views of it."""

    class Kind(models.TextChoices):
        CLUSTER = "cluster", _("产业集群")
        INDUSTRY = "industry", _("产业")

    code = models.CharField(_("代码"), max_length=40, unique=True)
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices)
    name_zh = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=150, blank=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("所属集群"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="industries",
    )
    region = models.ForeignKey(Region, verbose_name=_("地区"), on_delete=models.PROTECT)
    document = models.ForeignKey(PolicyDocument, verbose_name=_("政策文件"), null=True, blank=True, on_delete=models.SET_NULL)
    lead_department = models.ForeignKey(Department, verbose_name=_("牵头部门"), null=True, blank=True, on_delete=models.SET_NULL)
    chain_template = models.ForeignKey(
        "ChainTemplate", verbose_name=_("产业链模板"), null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        verbose_name = _("集群/产业")
        verbose_name_plural = _("集群/产业")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name_zh


class ClusterManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(kind=Sector.Kind.CLUSTER)


class IndustryManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(kind=Sector.Kind.INDUSTRY)


class Cluster(Sector):
    objects = ClusterManager()

    class Meta:
        proxy = True
        verbose_name = _("产业集群")
        verbose_name_plural = _("产业集群")


class Industry(Sector):
    objects = IndustryManager()

    class Meta:
        proxy = True
        verbose_name = _("产业")
        verbose_name_plural = _("产业")


class ChainTemplate(BaseModel):
    code = models.CharField(_("代码"), max_length=20, unique=True)
    name_zh = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=150, blank=True)
    source = models.TextField(_("来源"), blank=True)

    class Meta:
        verbose_name = _("产业链模板")
        verbose_name_plural = _("产业链模板")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name_zh


class ChainNode(BaseModel):
    class Stage(models.TextChoices):
        RESOURCE = "resource", _("资源")
        MATERIAL = "material", _("材料")
        COMPONENT = "component", _("部件")
        PRODUCT = "product", _("产品")
        APPLICATION = "application", _("应用")
        RECYCLING = "recycling", _("回收利用")

    template = models.ForeignKey(ChainTemplate, verbose_name=_("产业链模板"), on_delete=models.CASCADE, related_name="nodes")
    code = models.CharField(_("代码"), max_length=40, unique=True)
    name_zh = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=150, blank=True)
    stage = models.CharField(_("环节"), max_length=12, choices=Stage.choices)
    unit = models.CharField(_("产能单位"), max_length=32, validators=[validate_unit])
    qualifier = models.CharField(_("口径"), max_length=60, blank=True)
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("产业链环节")
        verbose_name_plural = _("产业链环节")
        ordering = ["template", "order", "code"]

    def __str__(self) -> str:
        return self.name_zh


class ChainEdge(BaseModel):
    """``source`` is consumed by ``target``: coefficient = amount of source per unit of target."""

    class Confidence(models.TextChoices):
        A = "A", _("A 官方统计或国家实验室模型")
        B = "B", _("B 权威行业媒体或协会")
        C = "C", _("C 由A/B推算")
        D = "D", _("D 单一来源或较弱")

    template = models.ForeignKey(ChainTemplate, verbose_name=_("产业链模板"), on_delete=models.CASCADE, related_name="edges")
    source = models.ForeignKey(ChainNode, verbose_name=_("上游环节"), on_delete=models.CASCADE, related_name="out_edges")
    target = models.ForeignKey(ChainNode, verbose_name=_("下游环节"), on_delete=models.CASCADE, related_name="in_edges")
    class Kind(models.TextChoices):
        INPUT = "input", _("投入（计入需求）")
        EMBODIED = "embodied", _("隐含（不重复计入）")
        LINK = "link", _("关联（仅表示结构）")

    chemistry = models.CharField(_("技术路线"), max_length=20, blank=True)
    kind = models.CharField(_("关系类型"), max_length=10, choices=Kind.choices, default=Kind.INPUT)
    central = models.FloatField(_("系数中值"), null=True, blank=True)
    low = models.FloatField(_("系数下限"), null=True, blank=True)
    high = models.FloatField(_("系数上限"), null=True, blank=True)
    unit = models.CharField(_("系数单位"), max_length=32, blank=True)
    confidence = models.CharField(_("可信度"), max_length=1, choices=Confidence.choices, default=Confidence.D)
    reference = models.TextField(_("来源"), blank=True)

    class Meta:
        verbose_name = _("产业链关系与系数")
        verbose_name_plural = _("产业链关系与系数")
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "chemistry"], name="chain_edge_unique")
        ]

    def __str__(self) -> str:
        return f"{self.source} → {self.target} {self.chemistry}".strip()


class ChemistryMix(BaseModel):
    """Shares of cell chemistries (LFP, NCM811 …) for a region and scenario."""

    template = models.ForeignKey(ChainTemplate, verbose_name=_("产业链模板"), on_delete=models.CASCADE, related_name="mixes")
    region = models.ForeignKey(Region, verbose_name=_("地区"), on_delete=models.CASCADE)
    scenario = models.CharField(_("情景"), max_length=40, default="base")
    shares = models.JSONField(_("占比"))
    reference = models.TextField(_("来源"), blank=True)

    class Meta:
        verbose_name = _("技术路线结构")
        verbose_name_plural = _("技术路线结构")
        constraints = [
            models.UniqueConstraint(fields=["template", "region", "scenario"], name="chemistry_mix_unique")
        ]


class Enterprise(BaseModel):
    scoping = {"region": "region", "enterprise": "pk"}

    class Specialised(models.TextChoices):
        NONE = "", _("否")
        PROVINCIAL = "provincial", _("省级专精特新")
        NATIONAL = "national", _("国家级专精特新“小巨人”")

    uscc = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, null=True, blank=True, validators=[validate_uscc]
    )
    name = models.CharField(_("名称"), max_length=200, db_index=True)
    normalized_name = models.CharField(_("规范化名称"), max_length=200, db_index=True, editable=False)
    region = models.ForeignKey(Region, verbose_name=_("所在地区"), on_delete=models.PROTECT)
    nodes = models.ManyToManyField(ChainNode, verbose_name=_("产业链环节"), blank=True, related_name="enterprises")
    is_chain_leader = models.BooleanField(_("链主企业"), default=False)
    is_leading = models.BooleanField(_("龙头企业"), default=False)
    specialised = models.CharField(_("专精特新"), max_length=12, choices=Specialised.choices, blank=True, default="")
    is_listed = models.BooleanField(_("上市企业"), default=False)
    source = models.CharField(_("来源"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("企业")
        verbose_name_plural = _("企业")
        ordering = ["name"]
        indexes = [models.Index(fields=["updated_at"], name="enterprise_updated_at")]  # core.fingerprint

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        from chainwatch.core.codes import normalize_enterprise_name

        self.normalized_name = normalize_enterprise_name(self.name)
        super().save(*args, **kwargs)


class EnterpriseAlias(BaseModel):
    scoping = {"region": "enterprise__region", "enterprise": "enterprise"}

    enterprise = models.ForeignKey(Enterprise, verbose_name=_("企业"), on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(_("曾用名/别名"), max_length=200)
    uscc = models.CharField(_("原统一社会信用代码"), max_length=18, blank=True, db_index=True)
    normalized_name = models.CharField(_("规范化名称"), max_length=200, blank=True, db_index=True, editable=False)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("企业别名")
        verbose_name_plural = _("企业别名")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        from chainwatch.core.codes import normalize_enterprise_name

        self.normalized_name = normalize_enterprise_name(self.name)
        super().save(*args, **kwargs)


class EnterpriseImport(BaseModel):
    """One committed enterprise-registry file: who, which file (SHA-256), what it changed."""

    file_name = models.CharField(_("文件名"), max_length=255)
    sha256 = models.CharField(_("文件SHA-256"), max_length=64, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("导入人"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    actor_name = models.CharField(_("导入人名称"), max_length=150, blank=True)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    summary = models.JSONField(_("结果"), default=dict)

    class Meta:
        verbose_name = _("企业名录导入")
        verbose_name_plural = _("企业名录导入")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.created_at:%Y-%m-%d %H:%M})" if self.created_at else self.file_name


class EnterpriseMatchReview(BaseModel):
    """An imported row that resembles an existing enterprise too much to create it and too little
    to merge it: a person decides (Open Supply Hub's 0.5–0.8 band)."""

    scoping = {"region": "region"}

    class Status(models.TextChoices):
        OPEN = "open", _("待审核")
        MATCHED = "matched", _("已确认为同一企业")
        CREATED = "created", _("已新建企业")
        REJECTED = "rejected", _("已驳回")

    batch = models.ForeignKey(
        EnterpriseImport, verbose_name=_("导入批次"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="reviews",
    )
    row_number = models.PositiveIntegerField(_("行号"))
    data = models.JSONField(_("行数据"))
    name = models.CharField(_("名称"), max_length=200)
    normalized_name = models.CharField(_("规范化名称"), max_length=200, db_index=True)
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    region = models.ForeignKey(Region, verbose_name=_("地区"), on_delete=models.PROTECT)
    candidate = models.ForeignKey(
        Enterprise, verbose_name=_("疑似同一企业"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="match_reviews",
    )
    score = models.FloatField(_("名称相似度"))
    reason = models.CharField(_("原因"), max_length=300)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    result = models.ForeignKey(
        Enterprise, verbose_name=_("处理结果"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_by = models.CharField(_("处理人"), max_length=150, blank=True)
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("企业匹配待审核")
        verbose_name_plural = _("企业匹配待审核")
        ordering = ["status", "-score", "id"]

    def __str__(self) -> str:
        candidate = self.candidate.name if self.candidate_id else "—"
        return f"#{self.pk} {self.name} ≈ {candidate} ({self.score:.2f})"


class Capacity(BaseModel):
    """Capacity at one chain node: of an enterprise, a project, or a region-level figure."""

    scoping = {"region": "region", "enterprise": "enterprise"}

    class Status(models.TextChoices):
        BUILT = "built", _("已建成")
        CONSTRUCTION = "construction", _("在建")
        PLANNED = "planned", _("规划/前期")

    node = models.ForeignKey(ChainNode, verbose_name=_("产业链环节"), on_delete=models.PROTECT, related_name="capacities")
    region = models.ForeignKey(Region, verbose_name=_("地区"), on_delete=models.PROTECT)
    enterprise = models.ForeignKey(Enterprise, verbose_name=_("企业"), null=True, blank=True, on_delete=models.CASCADE, related_name="capacities")
    project = models.ForeignKey("projects.Project", verbose_name=_("项目"), null=True, blank=True, on_delete=models.CASCADE, related_name="capacities")
    amount = models.DecimalField(_("产能"), max_digits=20, decimal_places=6)
    unit = models.CharField(_("单位"), max_length=32, validators=[validate_unit])
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices)
    start_year = models.PositiveSmallIntegerField(_("投产年份"), null=True, blank=True)
    end_year = models.PositiveSmallIntegerField(_("退出年份"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("产能")
        verbose_name_plural = _("产能")
        indexes = [
            models.Index(fields=["region", "node", "status"]),
            # covers the balance aggregate (status filter, group by region/node/unit, year filter,
            # sum of amount): an index-only scan for every region at once
            models.Index(
                fields=["status", "region", "node", "unit", "start_year", "end_year", "amount"],
                name="capacity_balance_cover",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.node} {self.amount}{self.unit}"
