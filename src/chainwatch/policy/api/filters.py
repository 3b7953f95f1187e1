import django_filters

from chainwatch.geo.api.filters import CodeFilter, region_by_code
from chainwatch.policy.models import Clause, PolicyDocument, Task


class PolicyDocumentFilter(django_filters.FilterSet):
    region = CodeFilter(method="filter_region", help_text="地区代码：该地区及其全部下级的文件")
    issued_year = django_filters.NumberFilter(field_name="issued_on__year", min_value=1949, max_value=2100)

    class Meta:
        model = PolicyDocument
        fields = ["region", "issued_year"]

    def filter_region(self, queryset, name, value):
        return queryset.filter(region__path__startswith=region_by_code(value).path)


class ClauseFilter(django_filters.FilterSet):
    document = django_filters.CharFilter(field_name="document__code", max_length=64, help_text="政策文件代码")
    level = django_filters.NumberFilter(min_value=1, max_value=9)
    path = django_filters.CharFilter(max_length=64)

    class Meta:
        model = Clause
        fields = ["document", "level", "path"]


class TaskFilter(django_filters.FilterSet):
    document = django_filters.CharFilter(field_name="document__code", max_length=64, help_text="政策文件代码")
    status = django_filters.ChoiceFilter(choices=Task.Status.choices)
    review = django_filters.ChoiceFilter(choices=Task.Review.choices)
    department = django_filters.CharFilter(method="filter_department", max_length=100,
                                           help_text="牵头单位名称（包含即可）")

    class Meta:
        model = Task
        fields = ["document", "status", "review"]

    def filter_department(self, queryset, name, value):
        from django.db.models import Q

        ids = queryset.filter(Q(lead_text__contains=value) | Q(lead_departments__name__contains=value)).values("id")
        return queryset.filter(id__in=ids)
