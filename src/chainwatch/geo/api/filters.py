import django_filters
from rest_framework.exceptions import ValidationError

from chainwatch.geo.models import Department, Region

CODE_REGEX = r"^[0-9A-Za-z_.-]{1,16}$"


def region_by_code(code: str, *, param: str = "region") -> Region:
    """The current region with this code, or a 400 naming the parameter."""
    region = Region.objects.filter(code=code, valid_to__isnull=True).first()
    if region is None:
        raise ValidationError({param: [f"地区代码“{code[:20]}”不存在 / unknown region code"]})
    return region


class CodeFilter(django_filters.CharFilter):
    """A code parameter: letters, digits, dot, dash, underscore, at most 16 characters."""

    def __init__(self, *args, **kwargs):
        from django.core.validators import RegexValidator

        kwargs.setdefault("validators", [RegexValidator(CODE_REGEX, "代码格式不正确 / malformed code")])
        super().__init__(*args, **kwargs)


class RegionFilter(django_filters.FilterSet):
    code = CodeFilter(field_name="code", help_text="地区代码（GB/T 2260）")
    level = django_filters.ChoiceFilter(choices=Region.Level.choices)
    parent = CodeFilter(method="filter_parent", help_text="上级地区代码：其直接下级")
    subtree = CodeFilter(method="filter_subtree", help_text="地区代码：该地区及其全部下级")
    current = django_filters.BooleanFilter(method="filter_current", help_text="true：仅现行区划")

    class Meta:
        model = Region
        fields = ["code", "level"]

    def filter_parent(self, queryset, name, value):
        return queryset.filter(parent=region_by_code(value, param="parent"))

    def filter_subtree(self, queryset, name, value):
        return queryset.filter(path__startswith=region_by_code(value, param="subtree").path)

    def filter_current(self, queryset, name, value):
        return queryset.filter(valid_to__isnull=True) if value else queryset.filter(valid_to__isnull=False)


class DepartmentFilter(django_filters.FilterSet):
    region = CodeFilter(method="filter_region", help_text="地区代码：该地区及其下级的部门")
    kind = django_filters.ChoiceFilter(choices=Department.Kind.choices)

    class Meta:
        model = Department
        fields = ["kind"]

    def filter_region(self, queryset, name, value):
        return queryset.filter(region__path__startswith=region_by_code(value).path)
