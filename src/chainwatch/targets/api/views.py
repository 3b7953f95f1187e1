from datetime import date

from django.db.models import Q
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, mixins, serializers, status, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from chainwatch.core.api import (
    LimitedPagination,
    ScopedAutoSchema,
    ScopedPermission,
    ScopedQuerysetMixin,
    ScopedReadOnlyViewSet,
    reading_only,
)
from chainwatch.core.scoping import scope
from chainwatch.geo.api.filters import region_by_code
from chainwatch.targets.api import writes
from chainwatch.targets.api.filters import IndicatorFilter, ObservationFilter, TargetFilter
from chainwatch.targets.api.serializers import (
    IndicatorSerializer,
    ObservationCreateSerializer,
    ObservationSerializer,
    ProgressSerializer,
    TargetSerializer,
)
from chainwatch.targets.models import Indicator, Observation, Target


@extend_schema_view(list=extend_schema(summary="指标列表"), retrieve=extend_schema(summary="指标"))
class IndicatorViewSet(ScopedReadOnlyViewSet):
    queryset = Indicator.objects.order_by("code")
    serializer_class = IndicatorSerializer
    filterset_class = IndicatorFilter


@extend_schema_view(
    list=extend_schema(summary="目标列表", description="按地区子树、政策文件、年份、指标、集群/产业筛选；每个目标带条款与原文。"),
    retrieve=extend_schema(summary="目标"),
)
class TargetViewSet(ScopedReadOnlyViewSet):
    queryset = reading_only(
        Target.objects.select_related("indicator", "region", "sector", "chain_node", "document", "clause", "owner"),
        indicator=("code", "name_zh"), region=("code", "name_zh"), sector=("code",), chain_node=("code",),
        document=("code",), clause=("path",), owner=("name",),
    ).order_by("indicator_id", "region_id", "year", "id")  # the (indicator, region, year) index
    serializer_class = TargetSerializer
    filterset_class = TargetFilter


@extend_schema_view(
    list=extend_schema(summary="观测值列表", description="草稿只对填报人及本级地区用户可见。"),
    retrieve=extend_schema(summary="观测值"),
    create=extend_schema(
        summary="填报一个观测值", request=ObservationCreateSerializer, responses={201: ObservationSerializer},
        description="检查指标、地区（须在本人辖区内）、期间、单位可换算；领导（只读）不能填报。",
    ),
)
class ObservationViewSet(
    ScopedQuerysetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    queryset = reading_only(
        Observation.objects.select_related("indicator", "region", "sector", "chain_node", "document", "reporter"),
        indicator=("code",), region=("code", "name_zh"), sector=("code",), chain_node=("code",), document=("code",),
        reporter=("username",),
    ).order_by("series", "period_end", "id")  # the (series, period_end) index: no sort of millions
    serializer_class = ObservationSerializer
    filterset_class = ObservationFilter

    def get_serializer_class(self):
        return ObservationCreateSerializer if self.action == "create" else ObservationSerializer

    def create(self, request, *args, **kwargs):
        serializer = ObservationCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        observation = writes.create_observation(serializer.validated_data, actor=request.user)
        observation = self.get_queryset().get(pk=observation.pk)
        return Response(ObservationSerializer(observation).data, status=status.HTTP_201_CREATED)


class ProgressQuery(serializers.Serializer):
    region = serializers.RegexField(r"^[0-9A-Za-z_.-]{1,16}$", required=False, help_text="地区代码：该地区及其全部下级")
    as_of = serializers.DateField(required=False, help_text="评价日期（默认今天）")
    document = serializers.CharField(required=False, max_length=64)
    year = serializers.IntegerField(required=False, min_value=1900, max_value=2100)
    indicator = serializers.CharField(required=False, max_length=60)
    light = serializers.ChoiceField(required=False, choices=["green", "yellow", "red", "grey"])

    def validate_as_of(self, value):
        if not date(1949, 1, 1) <= value <= date(2100, 12, 31):
            raise ValidationError("as_of 须在 1949–2100 年之间 / as_of out of range")
        return value


@extend_schema(
    summary="目标进度",
    description="每个目标的三色预警、时序进度、CAGR 比率、预测值（进度服务 evaluate_targets）。",
    parameters=[
        OpenApiParameter("region", OpenApiTypes.STR, description="地区代码（含下级）"),
        OpenApiParameter("as_of", OpenApiTypes.DATE, description="评价日期，默认今天"),
        OpenApiParameter("document", OpenApiTypes.STR),
        OpenApiParameter("year", OpenApiTypes.INT),
        OpenApiParameter("indicator", OpenApiTypes.STR),
        OpenApiParameter("light", OpenApiTypes.STR, enum=["green", "yellow", "red", "grey"]),
    ],
    responses=ProgressSerializer(many=True),
)
class ProgressView(generics.GenericAPIView):
    schema = ScopedAutoSchema()
    permission_classes = [ScopedPermission]
    pagination_class = LimitedPagination
    serializer_class = ProgressSerializer
    filter_backends: list = []

    def get(self, request):
        from chainwatch.targets.services import evaluate_targets

        query = ProgressQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        targets = scope(Target.objects.exclude(review=Target.Review.REJECTED), request.user)
        if "region" in params:
            targets = targets.filter(region__path__startswith=region_by_code(params["region"]).path)
        if "document" in params:
            targets = targets.filter(document__code=params["document"])
        if "year" in params:
            targets = targets.filter(year=params["year"])
        if "indicator" in params:
            targets = targets.filter(Q(indicator__code=params["indicator"]))
        order = ("region__path", "indicator__code", "year", "id")
        targets = targets.order_by(*order)
        as_of = params.get("as_of") or date.today()
        if "light" in params:
            # The light is computed, so the whole selection is evaluated, then paginated.
            rows = [item.row() for item in evaluate_targets(targets, as_of=as_of)]
            page = self.paginate_queryset([row for row in rows if row["light"] == params["light"]])
        else:
            # Paginate the targets first and evaluate only the page.
            ids = [target.pk for target in self.paginate_queryset(targets.only("pk"))]
            page = [item.row() for item in evaluate_targets(Target.objects.filter(pk__in=ids).order_by(*order), as_of=as_of)]
        return self.get_paginated_response(ProgressSerializer(page, many=True).data)
