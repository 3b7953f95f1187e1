import django_filters

from chainwatch.chains.models import Sector
from chainwatch.geo.api.filters import CodeFilter, region_by_code
from chainwatch.targets.models import Indicator, Observation, Target


def _sector_condition(value: str, *, param: str = "sector"):
    from django.db.models import Q
    from rest_framework.exceptions import ValidationError

    sector = Sector.objects.filter(code=value).first()
    if sector is None:
        raise ValidationError({param: [f"集群/产业代码“{value[:40]}”不存在 / unknown sector code"]})
    # A cluster stands for itself and its industries.
    return Q(sector=sector) | Q(sector__parent=sector)


class IndicatorFilter(django_filters.FilterSet):
    code = django_filters.CharFilter(max_length=60)
    kind = django_filters.ChoiceFilter(choices=Indicator.Kind.choices)

    class Meta:
        model = Indicator
        fields = ["code", "kind"]


class TargetFilter(django_filters.FilterSet):
    region = CodeFilter(method="filter_region", help_text="地区代码：该地区及其全部下级的目标")
    region_exact = CodeFilter(field_name="region__code", help_text="地区代码：仅该地区本级")
    document = django_filters.CharFilter(field_name="document__code", max_length=64, help_text="政策文件代码")
    year = django_filters.NumberFilter(field_name="year", min_value=1900, max_value=2100)
    indicator = django_filters.CharFilter(field_name="indicator__code", max_length=60, help_text="指标代码")
    sector = django_filters.CharFilter(method="filter_sector", max_length=40, help_text="集群或产业代码（集群含其产业）")
    review = django_filters.ChoiceFilter(choices=Target.Review.choices)

    class Meta:
        model = Target
        fields = ["year", "review"]

    def filter_region(self, queryset, name, value):
        return queryset.filter(region__path__startswith=region_by_code(value).path)

    def filter_sector(self, queryset, name, value):
        return queryset.filter(_sector_condition(value))


class ObservationFilter(django_filters.FilterSet):
    region = CodeFilter(method="filter_region", help_text="地区代码：该地区及其全部下级")
    indicator = django_filters.CharFilter(field_name="indicator__code", max_length=60)
    sector = django_filters.CharFilter(method="filter_sector", max_length=40)
    period = django_filters.CharFilter(field_name="period", max_length=10)
    status = django_filters.ChoiceFilter(choices=Observation.Status.choices)
    current = django_filters.BooleanFilter(field_name="is_current")

    class Meta:
        model = Observation
        fields = ["period", "status"]

    def filter_region(self, queryset, name, value):
        return queryset.filter(region__path__startswith=region_by_code(value).path)

    def filter_sector(self, queryset, name, value):
        return queryset.filter(_sector_condition(value))
