from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from chainwatch.core.api import ScopedPermission, ScopedReadOnlyViewSet, reading_only
from chainwatch.geo.models import Department
from chainwatch.policy.api.filters import ClauseFilter, PolicyDocumentFilter, TaskFilter
from chainwatch.policy.api.serializers import (
    ClauseDetailSerializer,
    ClauseSerializer,
    ExtractedTargetSerializer,
    ExtractRequestSerializer,
    ExtractResponseSerializer,
    PolicyDocumentDetailSerializer,
    PolicyDocumentSerializer,
    TaskSerializer,
)
from chainwatch.policy.extract import extract_targets, extract_tasks
from chainwatch.policy.models import Clause, PolicyDocument, Task

MAX_EXTRACT_BYTES = 1024 * 1024


@extend_schema_view(list=extend_schema(summary="政策文件列表"), retrieve=extend_schema(summary="政策文件（含全文）"))
class PolicyDocumentViewSet(ScopedReadOnlyViewSet):
    queryset = PolicyDocument.objects.select_related("region").order_by("-issued_on", "code")
    serializer_class = PolicyDocumentSerializer
    filterset_class = PolicyDocumentFilter
    lookup_field = "code"
    lookup_value_regex = r"[-a-zA-Z0-9_]{1,64}"

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset if self.action == "retrieve" else queryset.defer("text")

    def get_serializer_class(self):
        return PolicyDocumentDetailSerializer if self.action == "retrieve" else PolicyDocumentSerializer


@extend_schema_view(list=extend_schema(summary="条款列表"), retrieve=extend_schema(summary="条款（含原文）"))
class ClauseViewSet(ScopedReadOnlyViewSet):
    queryset = Clause.objects.select_related("document", "parent").defer("document__text").order_by(
        "document__code", "ordinal")
    serializer_class = ClauseSerializer
    filterset_class = ClauseFilter

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            return Clause.objects.select_related("document", "parent").filter(pk__in=queryset.values("pk"))
        return queryset

    def get_serializer_class(self):
        return ClauseDetailSerializer if self.action == "retrieve" else ClauseSerializer


@extend_schema_view(list=extend_schema(summary="任务清单"), retrieve=extend_schema(summary="任务"))
class TaskViewSet(ScopedReadOnlyViewSet):
    queryset = reading_only(
        Task.objects.select_related("document", "clause"), document=("code",), clause=("path",)
    ).prefetch_related(
        Prefetch("lead_departments", queryset=Department.objects.only("id", "name")),
        Prefetch("cooperating_departments", queryset=Department.objects.only("id", "name")),
    ).order_by("document__code", "id")
    serializer_class = TaskSerializer
    filterset_class = TaskFilter


class ExtractView(APIView):
    """Targets (and optionally tasks) in a posted policy text; nothing is stored."""

    permission_classes = [ScopedPermission]

    @extend_schema(
        summary="从政策文本抽取目标",
        description="请求体 JSON：{\"text\": \"…\", \"tasks\": false}，不超过 1 MB（超过返回 413）。"
                    "返回每个目标的原文、指标、数值、单位、年份、比较符等，以及原文偏移。不保存任何数据。",
        request=ExtractRequestSerializer, responses={200: ExtractResponseSerializer},
    )
    def post(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_EXTRACT_BYTES:
            return Response(
                {"detail": f"文本超过 1 MB（{length} 字节） / the text is larger than 1 MB ({length} bytes)"},
                status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            )
        serializer = ExtractRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        text = serializer.validated_data["text"]
        if len(text.encode("utf-8")) > MAX_EXTRACT_BYTES:
            return Response({"detail": "文本超过 1 MB / the text is larger than 1 MB"},
                            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE)
        if "\x00" in text:
            raise ValidationError({"text": ["文本含有二进制字符 / the text contains NUL characters"]})
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        targets = extract_targets(text)
        data = {"targets": ExtractedTargetSerializer(targets, many=True).data}
        if serializer.validated_data["tasks"]:
            data["tasks"] = [task.to_dict() for task in extract_tasks(text)]
        return Response(data)
