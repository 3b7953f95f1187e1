from datetime import date

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from chainwatch.core.models import BaseModel


class RegionQuerySet(models.QuerySet):
    def current(self, on: date | None = None):
        on = on or date.today()
        return self.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=on),
            Q(valid_to__isnull=True) | Q(valid_to__gt=on),
        )

    def subtree(self, region: "Region"):
        """The region and everything below it (materialised path, one indexed query)."""
        return self.filter(path__startswith=region.path)


class Region(BaseModel):
    """An administrative division (GB/T 2260) or a zone/park, versioned by validity dates."""

    # The region tree is reference data every signed-in user may browse (names and codes are
    # public); what hangs off a region is scoped.

    class Level(models.TextChoices):
        COUNTRY = "country", _("国家")
        PROVINCE = "province", _("省级")
        PREFECTURE = "prefecture", _("地级（盟市）")
        COUNTY = "county", _("县级（旗县区）")
        ZONE = "zone", _("开发区/管理区")
        PARK = "park", _("园区")

    code = models.CharField(_("区划代码"), max_length=16, db_index=True)
    name_zh = models.CharField(_("中文名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=150, blank=True)
    level = models.CharField(_("层级"), max_length=12, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("上级"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("路径"), max_length=255, db_index=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("深度"), default=0, editable=False)
    valid_from = models.DateField(_("生效日期"), null=True, blank=True)
    valid_to = models.DateField(_("失效日期"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=200, blank=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        verbose_name = _("行政区/园区")
        verbose_name_plural = _("行政区/园区")
        ordering = ["path"]
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=Q(valid_to__isnull=True), name="region_code_current_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name_zh}（{self.code}）"

    def compute_path(self) -> None:
        parent_path = self.parent.path if self.parent_id else "/"
        self.path = f"{parent_path}{self.code}/"
        self.depth = parent_path.count("/") - 1 if self.parent_id else 0

    def save(self, *args, **kwargs):
        self.compute_path()
        super().save(*args, **kwargs)

    def ancestor_codes(self) -> list[str]:
        """Codes from the parent up to the root, nearest first."""
        return [code for code in self.path.strip("/").split("/")[:-1]][::-1]


class Department(BaseModel):
    """A government department (工信厅, 发改委, 盟农牧局 …) in a region."""

    scoping = {"region": "region", "department": "pk"}

    class Kind(models.TextChoices):
        GOVERNMENT = "government", _("人民政府/行署")
        INDUSTRY = "industry", _("工业和信息化")
        DEVELOPMENT = "development", _("发展改革")
        ENERGY = "energy", _("能源")
        AGRICULTURE = "agriculture", _("农牧")
        TOURISM = "tourism", _("文化旅游")
        COMMERCE = "commerce", _("商务")
        SCIENCE = "science", _("科技")
        ENVIRONMENT = "environment", _("生态环境")
        RESOURCES = "resources", _("自然资源")
        FINANCE = "finance", _("金融")
        OTHER = "other", _("其他")

    name = models.CharField(_("名称"), max_length=100)
    name_en = models.CharField(_("英文名称"), max_length=150, blank=True)
    region = models.ForeignKey(Region, verbose_name=_("所属地区"), on_delete=models.PROTECT)
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices, default=Kind.OTHER)

    class Meta:
        verbose_name = _("部门")
        verbose_name_plural = _("部门")
        ordering = ["region__path", "name"]
        constraints = [models.UniqueConstraint(fields=["region", "name"], name="department_unique")]

    def __str__(self) -> str:
        return self.name
