import django_filters
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from chainwatch.chains.models import ChainNode
from chainwatch.core.api import ScopedReadOnlyViewSet, reading_only
from chainwatch.core.scoping import scope
from chainwatch.geo.api.filters import CodeFilter, region_by_code
from chainwatch.projects.api.serializers import (
    DispatchIssueSerializer,
    LeadSerializer,
    ProjectDetailSerializer,
    ProjectionQuery,
    ProjectionSerializer,
    ProjectSerializer,
    ProjectUpdateSerializer,
    RuleDecisionSerializer,
    RuleEvaluationRequest,
)
from chainwatch.projects.models import (
    DispatchIssue,
    Lead,
    LeadShare,
    LeadStage,
    Project,
    ProjectUpdate,
    Stage,
)
from chainwatch.projects.services import (
    RATING_FIELDS,
    ProjectError,
    evaluate_jurisdiction,
    flags_for,
    project_target,
    scenario_from,
)
from chainwatch.targets.models import Target


class ProjectFilter(django_filters.FilterSet):
    region = CodeFilter(method="filter_region", help_text="地区代码：该地区及其全部下级的项目")
    stage = django_filters.ChoiceFilter(choices=Stage.choices)
    colour = django_filters.ChoiceFilter(field_name="rating__colour", choices=[("green", "绿"), ("yellow", "黄"), ("red", "红")])
    tier = django_filters.CharFilter(field_name="rating__tier", max_length=16)
    code = django_filters.CharFilter(max_length=40)

    class Meta:
        model = Project
        fields = ["stage", "colour", "tier", "code"]

    def filter_region(self, queryset, name, value):
        return queryset.filter(region__path__startswith=region_by_code(value).path)


class ProjectChildFilter(django_filters.FilterSet):
    project = django_filters.CharFilter(field_name="project__code", max_length=40, help_text="项目代码")
    region = CodeFilter(method="filter_region", help_text="地区代码：该地区及其全部下级的项目")

    def filter_region(self, queryset, name, value):
        return queryset.filter(project__region__path__startswith=region_by_code(value).path)


class UpdateFilter(ProjectChildFilter):
    class Meta:
        model = ProjectUpdate
        fields = ["project", "period"]


class IssueFilter(ProjectChildFilter):
    status = django_filters.ChoiceFilter(choices=DispatchIssue.Status.choices)
    level = django_filters.CharFilter(max_length=10)

    class Meta:
        model = DispatchIssue
        fields = ["project", "status", "level"]


class LeadFilter(django_filters.FilterSet):
    region = CodeFilter(method="filter_region", help_text="拟落地地区代码（含下级）")
    stage = django_filters.ChoiceFilter(choices=LeadStage.choices)

    class Meta:
        model = Lead
        fields = ["stage"]

    def filter_region(self, queryset, name, value):
        return queryset.filter(region__path__startswith=region_by_code(value).path)


_NODES = Prefetch("nodes", queryset=ChainNode.objects.only("id", "code"))


@extend_schema_view(
    list=extend_schema(summary="项目列表", description="按地区子树、阶段、预警颜色、调度层级筛选。"),
    retrieve=extend_schema(summary="项目（含进展与问题清单）"),
)
class ProjectViewSet(ScopedReadOnlyViewSet):
    queryset = reading_only(
        Project.objects.select_related("region", "owner", "department", "rating"),
        region=("code", "name_zh"), owner=("name", "uscc"), department=("name",), rating=(*RATING_FIELDS, "rated_on"),
    ).order_by("code")
    filterset_class = ProjectFilter

    def get_queryset(self):
        queryset = super().get_queryset().prefetch_related(_NODES)
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(
                Prefetch("updates", queryset=ProjectUpdate.objects.select_related("project", "corrected_by")),
                Prefetch("issues", queryset=DispatchIssue.objects.select_related("project", "owner")),
            )
        return queryset

    def get_serializer_class(self):
        return ProjectDetailSerializer if self.action == "retrieve" else ProjectSerializer


@extend_schema_view(list=extend_schema(summary="项目进展列表"), retrieve=extend_schema(summary="项目进展"))
class ProjectUpdateViewSet(ScopedReadOnlyViewSet):
    queryset = reading_only(
        ProjectUpdate.objects.select_related("project", "corrected_by"), project=("code",), corrected_by=("id",)
    ).order_by("project_id", "period", "id")
    serializer_class = ProjectUpdateSerializer
    filterset_class = UpdateFilter


@extend_schema_view(list=extend_schema(summary="问题清单"), retrieve=extend_schema(summary="调度问题"))
class DispatchIssueViewSet(ScopedReadOnlyViewSet):
    queryset = reading_only(
        DispatchIssue.objects.select_related("project", "owner"), project=("code",), owner=("name",)
    ).order_by("due", "id")
    serializer_class = DispatchIssueSerializer
    filterset_class = IssueFilter


@extend_schema_view(list=extend_schema(summary="招商线索", description="每条线索只计一次；转报地区见 shared_with。"),
                    retrieve=extend_schema(summary="招商线索"))
class LeadViewSet(ScopedReadOnlyViewSet):
    queryset = Lead.objects.select_related("jurisdiction", "region", "node").prefetch_related(
        Prefetch("shares", queryset=LeadShare.objects.select_related("region"))
    ).order_by("-received_on", "id")
    serializer_class = LeadSerializer
    filterset_class = LeadFilter

    def _flags(self, leads):
        return flags_for(leads, as_of=timezone.localdate())

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = page if page is not None else list(queryset)
        context = {**self.get_serializer_context(), "flags": self._flags(rows)}
        data = LeadSerializer(rows, many=True, context=context).data
        return self.get_paginated_response(data) if page is not None else Response(data)

    def retrieve(self, request, *args, **kwargs):
        lead = self.get_object()
        context = {**self.get_serializer_context(), "flags": self._flags([lead])}
        return Response(LeadSerializer(lead, context=context).data)


def _error(message: str, status: int = 400) -> Response:
    return Response({"detail": message}, status=status)


class RuleEvaluateView(APIView):
    """POST jurisdiction, rule, input (and on): the decision of the rule in force, as the CLI prints it."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="按地区规则评价（分级、补助、预警颜色）",
        request=RuleEvaluationRequest,
        responses={200: RuleDecisionSerializer, 400: OpenApiResponse(description="输入有误：detail 说明原因")},
    )
    def post(self, request):
        form = RuleEvaluationRequest(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        try:
            decision = evaluate_jurisdiction(data["jurisdiction"], data["rule"], data["input"], on=data.get("on"))
        except ProjectError as exc:
            return _error(str(exc))
        return Response(decision.as_dict())


class ProjectionView(APIView):
    """Projection of a capacity target: built + projects by stage, with a slip scenario."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="产能目标测算（已建成 + 项目 × 阶段概率）",
        parameters=[ProjectionQuery],
        responses={200: ProjectionSerializer, 400: OpenApiResponse(description="不是产能目标或参数有误"),
                   404: OpenApiResponse(description="目标不存在或不在本人辖区")},
    )
    def get(self, request, key: str):
        query = ProjectionQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        targets = scope(Target.objects.select_related("indicator", "region", "chain_node"), request.user)
        target = get_object_or_404(targets, key=key)
        try:
            scenario = scenario_from(query.validated_data.get("slip_months"), query.validated_data.get("projects"))
            result = project_target(target, scenario=scenario, user=request.user)
        except ProjectError as exc:
            return _error(str(exc))
        payload = result.as_dict()
        payload["target_value"] = payload.pop("target")
        return Response({"target": target.key, "unit": target.unit, "region": target.region.code,
                         "chain_node": target.chain_node.code, **payload})
