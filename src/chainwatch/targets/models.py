from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chainwatch.chains.models import ChainNode, Sector, validate_unit
from chainwatch.core.models import BaseModel
from chainwatch.geo.models import Department, Region
from chainwatch.policy.models import Clause, PolicyDocument


class Comparator(models.TextChoices):
    GE = ">=", _("不低于（≥）")
    GT = ">", _("超过（>）")
    APPROX = "~", _("左右（≈）")
    LE = "<=", _("不超过（≤）")
    EQ = "=", _("达到（=）")


class Indicator(BaseModel):
    class Kind(models.TextChoices):
        STOCK = "stock", _("存量")
        FLOW = "flow", _("流量")
        RATE = "rate", _("比率")
        COUNT = "count", _("计数")

    class Aggregation(models.TextChoices):
        SUM = "sum", _("求和")
        MEAN = "mean", _("平均")
        WEIGHTED = "weighted", _("加权平均")
        NONE = "none", _("不汇总")

    class Direction(models.TextChoices):
        INCREASE = "increase", _("越大越好")
        DECREASE = "decrease", _("越小越好")
        NEUTRAL = "neutral", _("中性")

    class Cycle(models.TextChoices):
        ANNUAL = "annual", _("年报")
        QUARTERLY = "quarterly", _("季报")
        MONTHLY = "monthly", _("月报")

    code = models.CharField(_("代码"), max_length=60, unique=True)
    name_zh = models.CharField(_("名称"), max_length=150)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    unit = models.CharField(_("单位"), max_length=32, blank=True, validators=[validate_unit])
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    aggregation = models.CharField(_("汇总方式"), max_length=10, choices=Aggregation.choices)
    weight_indicator = models.ForeignKey(
        "self", verbose_name=_("权重指标"), null=True, blank=True, on_delete=models.SET_NULL
    )
    direction = models.CharField(_("方向"), max_length=10, choices=Direction.choices)
    cycle = models.CharField(_("报送周期"), max_length=10, choices=Cycle.choices, default=Cycle.ANNUAL)
    definition = models.TextField(_("统计口径"), blank=True)

    class Meta:
        verbose_name = _("指标")
        verbose_name_plural = _("指标")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name_zh}（{self.code}）"


class Target(BaseModel):
    """A quantified commitment: indicator × region (× sector or chain node) × year, with its clause."""

    scoping = {"region": "region", "department": "owner"}

    class Trajectory(models.TextChoices):
        LINEAR = "linear", _("线性")
        COMPOUND = "compound", _("复合增长")

    class Review(models.TextChoices):
        ACCEPTED = "accepted", _("已采纳")
        PROPOSED = "proposed", _("待审核")
        REJECTED = "rejected", _("已驳回")

    key = models.CharField(_("键"), max_length=80, null=True, blank=True)
    indicator = models.ForeignKey(Indicator, verbose_name=_("指标"), on_delete=models.PROTECT, related_name="targets")
    indicator_text = models.CharField(_("指标原文"), max_length=150, blank=True)
    region = models.ForeignKey(Region, verbose_name=_("地区"), on_delete=models.PROTECT, related_name="targets")
    subject = models.CharField(_("主体"), max_length=100, blank=True)
    sector = models.ForeignKey(Sector, verbose_name=_("集群/产业"), null=True, blank=True, on_delete=models.PROTECT, related_name="targets")
    chain_node = models.ForeignKey(ChainNode, verbose_name=_("产业链环节"), null=True, blank=True, on_delete=models.PROTECT, related_name="targets")
    year = models.PositiveSmallIntegerField(_("目标年"), null=True, blank=True)
    value = models.DecimalField(_("目标值"), max_digits=24, decimal_places=6)
    value_max = models.DecimalField(_("目标值上限"), max_digits=24, decimal_places=6, null=True, blank=True)
    unit = models.CharField(_("单位"), max_length=32, validators=[validate_unit])
    comparator = models.CharField(_("比较"), max_length=2, choices=Comparator.choices, default=Comparator.EQ)
    tolerance = models.DecimalField(_("“左右”容差"), max_digits=6, decimal_places=4, default=0.05)
    change_kind = models.CharField(_("变化方向"), max_length=8, blank=True, choices=[("decrease", _("下降")), ("increase", _("提高"))])
    change_base_year = models.PositiveSmallIntegerField(_("比较基年"), null=True, blank=True)
    change_percent = models.DecimalField(_("变化幅度%"), max_digits=8, decimal_places=3, null=True, blank=True)
    count_threshold = models.DecimalField(_("计数门槛"), max_digits=24, decimal_places=6, null=True, blank=True)
    count_threshold_unit = models.CharField(_("门槛单位"), max_length=32, blank=True)
    count_members = models.CharField(
        _("计数对象"), max_length=12, blank=True, choices=[("", _("集群（或目标所指集群/产业本身）")), ("industries", _("集群下属产业"))]
    )
    qualifier = models.CharField(_("口径限定"), max_length=100, blank=True)
    trajectory = models.CharField(_("路径"), max_length=10, choices=Trajectory.choices, default=Trajectory.LINEAR)
    baseline_value = models.DecimalField(_("基期值"), max_digits=24, decimal_places=6, null=True, blank=True)
    baseline_year = models.PositiveSmallIntegerField(_("基期年"), null=True, blank=True)
    document = models.ForeignKey(PolicyDocument, verbose_name=_("政策文件"), null=True, blank=True, on_delete=models.PROTECT, related_name="targets")
    clause = models.ForeignKey(Clause, verbose_name=_("条款"), null=True, blank=True, on_delete=models.SET_NULL, related_name="targets")
    span = models.TextField(_("原文"), blank=True)
    span_start = models.PositiveIntegerField(_("原文起始"), null=True, blank=True)
    span_end = models.PositiveIntegerField(_("原文结束"), null=True, blank=True)
    owner = models.ForeignKey(Department, verbose_name=_("责任部门"), null=True, blank=True, on_delete=models.SET_NULL, related_name="targets")
    owner_text = models.CharField(_("责任部门（原文）"), max_length=200, blank=True)
    parent = models.ForeignKey("self", verbose_name=_("分解自"), null=True, blank=True, on_delete=models.SET_NULL, related_name="allocations")
    restates = models.ForeignKey("self", verbose_name=_("重述"), null=True, blank=True, on_delete=models.SET_NULL, related_name="restatements")
    review = models.CharField(_("审核"), max_length=10, choices=Review.choices, default=Review.ACCEPTED, db_index=True)
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("目标")
        verbose_name_plural = _("目标")
        ordering = ["region__path", "indicator__code", "year"]
        constraints = [
            models.UniqueConstraint(fields=["key"], condition=Q(key__isnull=False), name="target_key_unique"),
        ]
        indexes = [
            models.Index(fields=["indicator", "region", "year"]),
            # covers the cockpit's per-region count of the stored progress (region, not rejected,
            # edited after the snapshot?) without reading the wide target rows
            models.Index(fields=["region", "review", "updated_at"], name="target_region_review_updated"),
            models.Index(fields=["updated_at"], name="target_updated_at"),  # core.fingerprint
        ]

    def __str__(self) -> str:
        return f"{self.indicator_text or self.indicator.name_zh} {self.year} {self.comparator}{self.value:g}{self.unit}"

    @property
    def sector_or_node(self):
        return self.sector or self.chain_node

    @property
    def change(self) -> dict | None:
        if not self.change_kind:
            return None
        return {"kind": self.change_kind, "base_year": self.change_base_year, "percent": float(self.change_percent)}

    @property
    def count_of(self) -> dict | None:
        if self.count_threshold is None:
            return None
        return {"threshold": float(self.count_threshold), "threshold_unit": self.count_threshold_unit, "count": float(self.value)}


class ProposedTargetManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(review=Target.Review.PROPOSED)


class ProposedTarget(Target):
    """A target the extractor proposed from a document's text, waiting for review (its own admin
    page in the policy section)."""

    objects = ProposedTargetManager()

    class Meta:
        proxy = True
        verbose_name = _("待审核目标")
        verbose_name_plural = _("待审核目标")


def series_key(indicator_id: int, region_id: int, sector_id: int | None, chain_node_id: int | None) -> str:
    """One string naming a data series (DHIS2's data element × org unit × category)."""
    return f"{indicator_id}:{region_id}:{sector_id or ''}:{chain_node_id or ''}"


class Observation(BaseModel):
    """A reported or published value of a series for one period, with who stated it."""

    scoping = {"region": "region", "department": "indicator__targets__owner", "enterprise": "reporter__profile__enterprise", "unpublished": {"status": "draft"}, "author": "reporter"}

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")
        RETURNED = "returned", _("已退回")
        APPROVED = "approved", _("已审核")

    class PeriodType(models.TextChoices):
        YEAR = "year", _("年")
        QUARTER = "quarter", _("季")
        MONTH = "month", _("月")

    key = models.CharField(_("键"), max_length=80, null=True, blank=True)
    indicator = models.ForeignKey(Indicator, verbose_name=_("指标"), on_delete=models.PROTECT, related_name="observations")
    indicator_text = models.CharField(_("指标原文"), max_length=150, blank=True)
    region = models.ForeignKey(Region, verbose_name=_("地区"), on_delete=models.PROTECT, related_name="observations")
    sector = models.ForeignKey(Sector, verbose_name=_("集群/产业"), null=True, blank=True, on_delete=models.PROTECT)
    chain_node = models.ForeignKey(ChainNode, verbose_name=_("产业链环节"), null=True, blank=True, on_delete=models.PROTECT)
    series = models.CharField(_("序列"), max_length=64, editable=False)
    period = models.CharField(_("期间"), max_length=10)
    period_type = models.CharField(_("期间类型"), max_length=8, choices=PeriodType.choices)
    period_start = models.DateField(_("期间开始"))
    period_end = models.DateField(_("期间结束"), db_index=True)
    value = models.DecimalField(_("数值"), max_digits=24, decimal_places=6)
    unit = models.CharField(_("单位"), max_length=32, validators=[validate_unit])
    qualifier = models.CharField(_("口径限定"), max_length=100, blank=True)
    # No index of its own: almost every row is approved, and without statistics SQLite prefers an
    # index on status to the (series, period_end) one, turning a range scan into a table scan.
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("填报人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reporter_text = models.CharField(_("填报单位/来源方"), max_length=200, blank=True)
    source = models.CharField(_("来源"), max_length=300, blank=True)
    document = models.ForeignKey(PolicyDocument, verbose_name=_("政策文件"), null=True, blank=True, on_delete=models.PROTECT, related_name="observations")
    clause = models.ForeignKey(Clause, verbose_name=_("条款"), null=True, blank=True, on_delete=models.SET_NULL)
    span = models.TextField(_("原文"), blank=True)
    span_start = models.PositiveIntegerField(_("原文起始"), null=True, blank=True)
    span_end = models.PositiveIntegerField(_("原文结束"), null=True, blank=True)
    form = models.ForeignKey(
        "ReportingForm", verbose_name=_("报表"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="observations",
    )
    version = models.PositiveIntegerField(_("版本"), default=1)
    is_current = models.BooleanField(_("当前版本"), default=True)

    class Meta:
        verbose_name = _("观测值")
        verbose_name_plural = _("观测值")
        ordering = ["series", "period_end"]
        constraints = [
            models.UniqueConstraint(fields=["key"], condition=Q(key__isnull=False), name="observation_key_unique"),
            models.UniqueConstraint(
                fields=["series", "period"], condition=Q(is_current=True), name="observation_current_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["series", "period_end"]),
            models.Index(fields=["region", "indicator"]),
            # what changed since a stored progress was computed (chainwatch.targets.snapshot)
            models.Index(fields=["updated_at"], name="observation_updated_at"),
        ]

    def __str__(self) -> str:
        return f"{self.indicator_text or self.indicator_id} {self.period} {self.value:g}{self.unit}"

    def save(self, *args, **kwargs):
        self.series = series_key(self.indicator_id, self.region_id, self.sector_id, self.chain_node_id)
        super().save(*args, **kwargs)


class PeriodType(models.TextChoices):
    YEAR = "year", _("年报")
    QUARTER = "quarter", _("季报")
    MONTH = "month", _("月报")


class ReportingForm(BaseModel):
    """A reporting form (DHIS2 data set): which values which reporters send, how often, by when."""

    code = models.CharField(_("代码"), max_length=40, unique=True)
    name_zh = models.CharField(_("名称"), max_length=150)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    indicators = models.ManyToManyField(
        Indicator, verbose_name=_("指标"), through="ReportingFormItem", related_name="reporting_forms"
    )
    regions = models.ManyToManyField(Region, verbose_name=_("填报地区"), blank=True, related_name="reporting_forms")
    departments = models.ManyToManyField(
        Department, verbose_name=_("填报部门"), blank=True, related_name="reporting_forms"
    )
    period_type = models.CharField(_("报送周期"), max_length=8, choices=PeriodType.choices, default=PeriodType.YEAR)
    deadline_days = models.PositiveSmallIntegerField(_("截止（期末后天数）"), default=15)
    lock_after_days = models.PositiveSmallIntegerField(
        _("期末后锁定天数"), null=True, blank=True, help_text=_("空表示不自动锁定")
    )
    template_version = models.PositiveSmallIntegerField(
        _("模板版本"), default=1, help_text=_("修改报表内容后加一，旧模板上传会被拒绝")
    )
    active = models.BooleanField(_("启用"), default=True)
    description = models.TextField(_("填报说明"), blank=True)

    class Meta:
        verbose_name = _("报表")
        verbose_name_plural = _("报表")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name_zh}（{self.code}）"


class ReportingFormItem(models.Model):
    """One value a form asks for: an indicator, optionally for a sector or chain node."""

    form = models.ForeignKey(ReportingForm, verbose_name=_("报表"), on_delete=models.CASCADE, related_name="items")
    indicator = models.ForeignKey(Indicator, verbose_name=_("指标"), on_delete=models.PROTECT, related_name="+")
    sector = models.ForeignKey(Sector, verbose_name=_("集群/产业"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    chain_node = models.ForeignKey(ChainNode, verbose_name=_("产业链环节"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField(_("顺序"), default=0)

    class Meta:
        verbose_name = _("报表指标")
        verbose_name_plural = _("报表指标")
        ordering = ["form", "order", "id"]

    def __str__(self) -> str:
        extra = self.sector or self.chain_node
        return f"{self.indicator.name_zh}{f' · {extra}' if extra else ''}"

    @property
    def sector_code(self) -> str:
        node = self.sector or self.chain_node
        return node.code if node else ""

    @property
    def expected_unit(self) -> str:
        return self.indicator.unit or (self.chain_node.unit if self.chain_node_id else "")


class Submission(BaseModel):
    """One reporter's report for one form and period, and where it stands in the approval chain.

    The reporter is a region (its users report) or a department; ``region`` is always set (for a
    department: the department's region) so scoping and the hierarchy work the same way.
    """

    scoping = {"region": "region", "department": "department"}

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        SUBMITTED = "submitted", _("已提交")
        RETURNED = "returned", _("已退回")
        APPROVED = "approved", _("已审核")

    form = models.ForeignKey(ReportingForm, verbose_name=_("报表"), on_delete=models.PROTECT, related_name="submissions")
    region = models.ForeignKey(Region, verbose_name=_("填报地区"), on_delete=models.PROTECT, related_name="submissions")
    department = models.ForeignKey(
        Department, verbose_name=_("填报部门"), null=True, blank=True, on_delete=models.PROTECT, related_name="submissions"
    )
    period = models.CharField(_("期间"), max_length=10)
    period_end = models.DateField(_("期间结束"))
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.DRAFT, db_index=True)
    first_submitted_at = models.DateTimeField(_("首次提交时间"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提交人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审核人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    comment = models.TextField(_("审核意见"), blank=True)

    class Meta:
        verbose_name = _("报表填报")
        verbose_name_plural = _("报表填报")
        ordering = ["form", "-period_end", "region__path"]
        constraints = [
            models.UniqueConstraint(
                fields=["form", "region", "period"], condition=Q(department__isnull=True), name="submission_region_unique"
            ),
            models.UniqueConstraint(
                fields=["form", "department", "period"], condition=Q(department__isnull=False), name="submission_department_unique"
            ),
        ]

    def __str__(self) -> str:
        reporter = self.department.name if self.department_id else self.region.name_zh
        return f"{self.form.code} {reporter} {self.period}"

    @property
    def reporter_name(self) -> str:
        return self.department.name if self.department_id else self.region.name_zh

    @property
    def reporter_code(self) -> str:
        return f"dept:{self.department_id}" if self.department_id else self.region.code


class ValidationRule(BaseModel):
    """A check on reported values (DHIS2 validation rule), stored as data.

    - ``range``: the indicator's value lies within [min_value, max_value];
    - ``change``: the value changes against the previous period by at most max_change_percent;
    - ``compare``: left_expression operator right_expression, each a sum/difference/product of
      indicator codes (``CODE`` = sum over its sectors; ``CODE@SECTOR`` one sector) and numbers.
    Values are converted to each indicator's unit before a rule sees them.
    """

    class Kind(models.TextChoices):
        RANGE = "range", _("取值范围")
        CHANGE = "change", _("与上期相比变化")
        COMPARE = "compare", _("指标间关系")

    class Importance(models.TextChoices):
        WARNING = "warning", _("警告")
        ERROR = "error", _("错误")

    class Operator(models.TextChoices):
        LT = "<", "<"
        LE = "<=", "≤"
        EQ = "==", "="
        GE = ">=", "≥"
        GT = ">", ">"
        NE = "!=", "≠"

    code = models.CharField(_("代码"), max_length=60, unique=True)
    name_zh = models.CharField(_("名称"), max_length=200)
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    importance = models.CharField(_("重要性"), max_length=8, choices=Importance.choices, default=Importance.ERROR)
    form = models.ForeignKey(
        ReportingForm, verbose_name=_("仅适用报表"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="validation_rules",
    )
    indicator = models.ForeignKey(Indicator, verbose_name=_("指标"), null=True, blank=True, on_delete=models.CASCADE, related_name="validation_rules")
    min_value = models.DecimalField(_("下限"), max_digits=24, decimal_places=6, null=True, blank=True)
    max_value = models.DecimalField(_("上限"), max_digits=24, decimal_places=6, null=True, blank=True)
    max_change_percent = models.DecimalField(_("最大变化幅度%"), max_digits=8, decimal_places=3, null=True, blank=True)
    left_expression = models.CharField(_("左式"), max_length=300, blank=True)
    operator = models.CharField(_("运算符"), max_length=2, choices=Operator.choices, blank=True)
    right_expression = models.CharField(_("右式"), max_length=300, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    source = models.CharField(_("依据"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("校验规则")
        verbose_name_plural = _("校验规则")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name_zh}（{self.code}）"

    def clean(self):
        from django.core.exceptions import ValidationError

        from chainwatch.targets.validation import RuleError, rule_from_row

        try:
            rule_from_row(self.as_row())
        except RuleError as exc:
            raise ValidationError(str(exc)) from exc

    def as_row(self) -> dict:
        return {
            "code": self.code,
            "name": self.name_zh,
            "kind": self.kind,
            "importance": self.importance,
            "indicator": self.indicator.code if self.indicator_id else None,
            "min_value": self.min_value,
            "max_value": self.max_value,
            "max_change_percent": self.max_change_percent,
            "left": self.left_expression,
            "operator": self.operator,
            "right": self.right_expression,
        }


def lagging_gap(pace_gap: str = "pace_gap") -> models.Func:
    """``COALESCE(pace_gap, 0.0)``, the cockpit's order of lagging targets (most behind first),
    with 0.0 written into the SQL rather than bound as a parameter so that the query matches the
    expression index of :class:`TargetStatus` (SQLite matches index expressions literally)."""
    return models.Func(models.F(pace_gap), template="COALESCE(%(expressions)s, 0.0)", output_field=models.FloatField())


class TargetStatus(models.Model):
    """The stored progress of one target as of a date (进度快照), kept up to date incrementally by
    :func:`chainwatch.targets.snapshot.refresh_progress` / ``refresh_progress_for_series`` so the
    cockpit reads light counts with aggregate queries instead of evaluating every target."""

    target = models.OneToOneField(
        Target, verbose_name=_("目标"), primary_key=True, on_delete=models.CASCADE, related_name="snapshot"
    )
    as_of = models.DateField(_("评价日期"))
    status = models.CharField(_("状态"), max_length=20)
    light = models.CharField(_("预警灯"), max_length=8)
    unit = models.CharField(_("单位"), max_length=32, blank=True)
    latest_value = models.FloatField(_("最新值"), null=True, blank=True)
    latest_period = models.CharField(_("最新期间"), max_length=20, blank=True)
    share_achieved = models.FloatField(_("完成进度"), null=True, blank=True)
    share_elapsed = models.FloatField(_("时间进度"), null=True, blank=True)
    pace_gap = models.FloatField(_("时序进度差"), null=True, blank=True)
    ratio = models.FloatField(_("复合增速比"), null=True, blank=True)
    projected_value = models.FloatField(_("预计值"), null=True, blank=True)
    reason = models.TextField(_("说明"), blank=True)
    # What this row was computed from (chainwatch.targets.snapshot): the engine's spec and facts
    # and what they depend on, so appended observations extend them without reading the series
    # or the target again.
    facts_key = models.CharField(_("计算依据键"), max_length=200, blank=True)
    spec = models.TextField(_("目标规格"), blank=True)
    facts = models.BinaryField(_("计算依据"), null=True, blank=True)
    computed_at = models.DateTimeField(_("计算时间"))

    class Meta:
        verbose_name = _("目标进度快照")
        verbose_name_plural = _("目标进度快照")
        indexes = [
            models.Index(fields=["light"]),
            # the cockpit's lagging list (light, then most behind first) and stale list
            models.Index(models.F("light"), lagging_gap(), name="targetstatus_lagging_order"),
            models.Index(fields=["status"], name="targetstatus_status"),
            models.Index(fields=["computed_at"], name="targetstatus_computed_at"),
        ]

    def __str__(self) -> str:
        return f"{self.target_id} {self.as_of} {self.light}"
