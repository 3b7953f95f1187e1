"""Chains API: read-only templates, nodes, edges, enterprises and capacities (scoped), and the
computed views — balance, gaps, panorama (ECharts), peers — which read through the same scope."""

import django_filters
from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from chainwatch.chains import services
from chainwatch.chains.api import serializers as s
from chainwatch.chains.models import Capacity, ChainEdge, ChainNode, ChainTemplate, Enterprise
from chainwatch.core.api import ScopedPermission, ScopedReadOnlyViewSet, reading_only
from chainwatch.geo.api.filters import CodeFilter, region_by_code


class EnterpriseFilter(django_filters.FilterSet):
    region = CodeFilter(method="filter_region", help_text="地区代码：该地区及其全部下级的企业")
    node = CodeFilter(field_name="nodes__code", help_text="产业链环节代码", distinct=True)
    template = CodeFilter(field_name="nodes__template__code", help_text="产业链模板代码", distinct=True)
    uscc = django_filters.CharFilter(max_length=18)
    chain_leader = django_filters.BooleanFilter(field_name="is_chain_leader")
    leading = django_filters.BooleanFilter(field_name="is_leading")
    listed = django_filters.BooleanFilter(field_name="is_listed")
    specialised = django_filters.ChoiceFilter(choices=Enterprise.Specialised.choices)
    q = django_filters.CharFilter(method="filter_q", max_length=100, help_text="名称包含 / name contains")

    class Meta:
        model = Enterprise
        fields = ["uscc", "specialised"]

    def filter_region(self, queryset, name, value):
        return queryset.filter(region__path__startswith=region_by_code(value).path)

    def filter_q(self, queryset, name, value):
        return queryset.filter(name__icontains=value)


class CapacityFilter(django_filters.FilterSet):
    region = CodeFilter(method="filter_region", help_text="地区代码：该地区及其全部下级")
    node = CodeFilter(field_name="node__code", help_text="产业链环节代码")
    template = CodeFilter(field_name="node__template__code", help_text="产业链模板代码")
    status = django_filters.ChoiceFilter(choices=Capacity.Status.choices)
    enterprise = django_filters.NumberFilter(field_name="enterprise_id", min_value=1)

    class Meta:
        model = Capacity
        fields = ["status"]

    def filter_region(self, queryset, name, value):
        return queryset.filter(region__path__startswith=region_by_code(value).path)


class NodeFilter(django_filters.FilterSet):
    template = CodeFilter(field_name="template__code")
    stage = django_filters.ChoiceFilter(choices=ChainNode.Stage.choices)

    class Meta:
        model = ChainNode
        fields = ["stage"]


class EdgeFilter(django_filters.FilterSet):
    template = CodeFilter(field_name="template__code")
    source = CodeFilter(field_name="source__code")
    target = CodeFilter(field_name="target__code")
    kind = django_filters.ChoiceFilter(choices=ChainEdge.Kind.choices)

    class Meta:
        model = ChainEdge
        fields = ["kind"]


_NODE_CODES = Prefetch("nodes", queryset=ChainNode.objects.only("id", "code"))


@extend_schema_view(list=extend_schema(summary="产业链模板列表"), retrieve=extend_schema(summary="产业链模板"))
class ChainTemplateViewSet(ScopedReadOnlyViewSet):
    queryset = ChainTemplate.objects.order_by("code")
    serializer_class = s.ChainTemplateSerializer


@extend_schema_view(list=extend_schema(summary="产业链环节列表"), retrieve=extend_schema(summary="产业链环节"))
class ChainNodeViewSet(ScopedReadOnlyViewSet):
    queryset = ChainNode.objects.select_related("template").order_by("template__code", "order", "code")
    serializer_class = s.ChainNodeSerializer
    filterset_class = NodeFilter


@extend_schema_view(list=extend_schema(summary="产业链关系与系数列表"), retrieve=extend_schema(summary="产业链关系与系数"))
class ChainEdgeViewSet(ScopedReadOnlyViewSet):
    queryset = ChainEdge.objects.select_related("template", "source", "target").order_by("template__code", "id")
    serializer_class = s.ChainEdgeSerializer
    filterset_class = EdgeFilter


@extend_schema_view(
    list=extend_schema(summary="企业名录", description="按地区（含下级）、环节、链主/龙头/上市/专精特新筛选。"),
    retrieve=extend_schema(summary="企业"),
)
class EnterpriseViewSet(ScopedReadOnlyViewSet):
    queryset = reading_only(
        Enterprise.objects.select_related("region"), region=("code", "name_zh")
    ).prefetch_related(_NODE_CODES, "aliases").order_by("name", "id")
    serializer_class = s.EnterpriseSerializer
    filterset_class = EnterpriseFilter


@extend_schema_view(list=extend_schema(summary="产能列表"), retrieve=extend_schema(summary="产能"))
class CapacityViewSet(ScopedReadOnlyViewSet):
    queryset = reading_only(
        Capacity.objects.select_related("node", "region", "enterprise", "project"),
        node=("code",), region=("code",), enterprise=("name",), project=("code",),
    ).order_by("id")
    serializer_class = s.CapacitySerializer
    filterset_class = CapacityFilter


def _query(serializer_class, request) -> dict:
    query = serializer_class(data=request.query_params)
    query.is_valid(raise_exception=True)
    data = dict(query.validated_data)
    if "region" in data:
        region_by_code(data["region"])
    return data


def _params(serializer_class) -> list[OpenApiParameter]:
    params = []
    for name, field in serializer_class().fields.items():
        kind = {serializers.IntegerField: int, serializers.BooleanField: bool}.get(type(field), str)
        enum = list(field.choices) if isinstance(field, serializers.ChoiceField) else None
        params.append(OpenApiParameter(name, kind, required=field.required, enum=enum,
                                       description=str(field.help_text or "")))
    return params


class _ChainView(APIView):
    permission_classes = [ScopedPermission]

    def handle_exception(self, exc):
        if isinstance(exc, services.ChainError):
            exc = ValidationError({"detail": str(exc)})
        return super().handle_exception(exc)


class BalanceView(_ChainView):
    @extend_schema(summary="产业链物料平衡", parameters=_params(s.BalanceQuery),
                   responses=s.NodeBalanceSerializer(many=True))
    def get(self, request):
        q = _query(s.BalanceQuery, request)
        results = services.balance_for(
            q["region"], q["year"], q["basis"], subtree=q["subtree"], reference=q["reference"],
            scenario=q["scenario"], template=q["template"], user=request.user,
        )
        return Response([services.balance_row(r) for r in results])


class GapsView(_ChainView):
    @extend_schema(summary="补链延链强链：短板与招商方向", parameters=_params(s.GapsQuery),
                   responses=s.GapSerializer(many=True))
    def get(self, request):
        q = _query(s.GapsQuery, request)
        items = services.gaps_for(
            q["region"], q["year"], q["basis"], subtree=q["subtree"], scenario=q["scenario"],
            template=q["template"], user=request.user, candidates=q["candidates"],
        )
        return Response([item.as_dict() for item in items])


class PanoramaView(_ChainView):
    @extend_schema(
        summary="产业链全景图数据（ECharts graph/Sankey）",
        description="nodes（颜色按结论：缺失灰/红框、不足红、平衡绿、富余蓝、无法核算灰）、links（流量=上游因下游产生的需求）、categories（环节阶段）。",
        parameters=_params(s.BalanceQuery), responses=s.PanoramaSerializer,
    )
    def get(self, request):
        q = _query(s.BalanceQuery, request)
        return Response(services.panorama(
            q["region"], q["year"], q["basis"], subtree=q["subtree"], reference=q["reference"],
            scenario=q["scenario"], template=q["template"], user=request.user,
        ))


class PeersView(_ChainView):
    @extend_schema(summary="对标比较：环节×地区", parameters=_params(s.PeersQuery), responses=s.PeersSerializer)
    def get(self, request):
        q = _query(s.PeersQuery, request)
        codes = q["regions"].split(",")
        for code in codes:
            region_by_code(code, param="regions")
        return Response(services.peers(codes, template=q["template"], year=q.get("year"), user=request.user))
