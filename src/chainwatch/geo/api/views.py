from drf_spectacular.utils import extend_schema, extend_schema_view

from chainwatch.core.api import ScopedReadOnlyViewSet
from chainwatch.geo.api.filters import DepartmentFilter, RegionFilter
from chainwatch.geo.api.serializers import DepartmentSerializer, RegionSerializer
from chainwatch.geo.models import Department, Region


@extend_schema_view(
    list=extend_schema(summary="行政区/园区列表", description="按层级、上级、代码或子树（subtree=代码）筛选。"),
    retrieve=extend_schema(summary="行政区/园区"),
)
class RegionViewSet(ScopedReadOnlyViewSet):
    """GB/T 2260 regions and zones: reference data every signed-in user may read."""

    queryset = Region.objects.select_related("parent").order_by("path", "id")
    serializer_class = RegionSerializer
    filterset_class = RegionFilter


@extend_schema_view(list=extend_schema(summary="部门列表"), retrieve=extend_schema(summary="部门"))
class DepartmentViewSet(ScopedReadOnlyViewSet):
    queryset = Department.objects.select_related("region").order_by("region__path", "name", "id")
    serializer_class = DepartmentSerializer
    filterset_class = DepartmentFilter
