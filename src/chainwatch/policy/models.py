from django.db import models
from django.utils.translation import gettext_lazy as _

from chainwatch.core.models import BaseModel
from chainwatch.geo.models import Department, Region


class PolicyDocument(BaseModel):
    # Published policy is public: every signed-in user may read every document and clause.
    code = models.SlugField(_("文件代码"), max_length=64, unique=True)
    title_zh = models.CharField(_("标题"), max_length=300)
    title_en = models.CharField(_("英文标题"), max_length=300, blank=True)
    issuer = models.CharField(_("发文机关"), max_length=150, blank=True)
    doc_number = models.CharField(_("文号"), max_length=80, blank=True)
    region = models.ForeignKey(Region, verbose_name=_("适用地区"), on_delete=models.PROTECT)
    issued_on = models.DateField(_("发布日期"), null=True, blank=True)
    period_start = models.PositiveSmallIntegerField(_("实施起始年"), null=True, blank=True)
    period_end = models.PositiveSmallIntegerField(_("实施终止年"), null=True, blank=True)
    baseline_year = models.PositiveSmallIntegerField(_("基期年"), null=True, blank=True)
    text = models.TextField(_("全文"))
    source_file = models.CharField(_("来源文件"), max_length=200, blank=True)
    sha256 = models.CharField(_("全文SHA-256"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("政策文件")
        verbose_name_plural = _("政策文件")
        ordering = ["-issued_on", "code"]

    def __str__(self) -> str:
        return self.title_zh


class Clause(BaseModel):
    """A numbered clause of a document (三(四), 二(一)一是, 附件) with its exact text range."""

    document = models.ForeignKey(
        PolicyDocument, verbose_name=_("政策文件"), on_delete=models.CASCADE, related_name="clauses"
    )
    path = models.CharField(_("条款路径"), max_length=64)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级条款"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="children",
    )
    level = models.PositiveSmallIntegerField(_("层级"))
    ordinal = models.PositiveIntegerField(_("顺序"))
    heading = models.CharField(_("标题"), max_length=200, blank=True)
    start = models.PositiveIntegerField(_("起始位置"))
    end = models.PositiveIntegerField(_("结束位置"))

    class Meta:
        verbose_name = _("条款")
        verbose_name_plural = _("条款")
        ordering = ["document", "ordinal"]
        constraints = [models.UniqueConstraint(fields=["document", "path"], name="clause_path_unique")]

    def __str__(self) -> str:
        return f"{self.path} {self.heading}"

    @property
    def text(self) -> str:
        return self.document.text[self.start:self.end]


class Task(BaseModel):
    """任务清单: what a clause assigns, to whom, by when, and how it stands."""

    scoping = {"region": "document__region", "department": ("lead_departments", "cooperating_departments")}

    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("未开始")
        IN_PROGRESS = "in_progress", _("推进中")
        DONE = "done", _("已完成")
        OVERDUE = "overdue", _("已逾期")

    class Review(models.TextChoices):
        ACCEPTED = "accepted", _("已采纳")
        PROPOSED = "proposed", _("待审核")
        REJECTED = "rejected", _("已驳回")

    key = models.CharField(_("键"), max_length=80, unique=True, null=True, blank=True)
    document = models.ForeignKey(PolicyDocument, verbose_name=_("政策文件"), on_delete=models.CASCADE, related_name="tasks")
    clause = models.ForeignKey(Clause, verbose_name=_("条款"), null=True, blank=True, on_delete=models.SET_NULL)
    title = models.CharField(_("任务"), max_length=300)
    span = models.TextField(_("原文"), blank=True)
    lead_departments = models.ManyToManyField(Department, verbose_name=_("牵头单位"), blank=True, related_name="led_tasks")
    cooperating_departments = models.ManyToManyField(Department, verbose_name=_("配合单位"), blank=True, related_name="cooperating_tasks")
    lead_text = models.CharField(_("责任单位（原文）"), max_length=500, blank=True)
    due_date = models.DateField(_("完成时限"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.NOT_STARTED)
    evidence = models.TextField(_("佐证材料"), blank=True)
    review = models.CharField(_("审核"), max_length=10, choices=Review.choices, default=Review.ACCEPTED)
    review_note = models.CharField(_("审核意见"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("任务")
        verbose_name_plural = _("任务清单")
        ordering = ["document", "id"]

    def __str__(self) -> str:
        return self.title


class Fact(BaseModel):
    """A number a document states that is neither a target nor a series value (a threshold, a
    third-party forecast): kept so that every number of a seed has its place and provenance."""

    key = models.CharField(_("键"), max_length=80, unique=True)
    document = models.ForeignKey(PolicyDocument, verbose_name=_("政策文件"), on_delete=models.CASCADE, related_name="facts")
    clause = models.ForeignKey(Clause, verbose_name=_("条款"), null=True, blank=True, on_delete=models.SET_NULL)
    value = models.DecimalField(_("数值"), max_digits=24, decimal_places=6, null=True, blank=True)
    unit = models.CharField(_("单位"), max_length=32, blank=True)
    year = models.PositiveSmallIntegerField(_("年份"), null=True, blank=True)
    span = models.TextField(_("原文"))
    span_start = models.PositiveIntegerField(_("原文起始"), null=True, blank=True)
    span_end = models.PositiveIntegerField(_("原文结束"), null=True, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("文件数据（非目标）")
        verbose_name_plural = _("文件数据（非目标）")
        ordering = ["document", "span_start"]

    def __str__(self) -> str:
        return self.span
