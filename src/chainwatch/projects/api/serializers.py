from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from chainwatch.projects import rules as engine
from chainwatch.projects.models import DispatchIssue, Lead, Project, ProjectUpdate


class ProjectUpdateSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code", read_only=True)
    superseded = serializers.SerializerMethodField(help_text="已被更正记录取代")

    class Meta:
        model = ProjectUpdate
        fields = ["id", "project", "period", "stage", "completed_investment", "month_investment", "narrative",
                  "reported_by", "corrects", "superseded", "created_at"]

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_superseded(self, obj) -> bool:
        return hasattr(obj, "corrected_by")


class DispatchIssueSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.code", read_only=True)
    owner_name = serializers.CharField(source="owner.name", read_only=True, default=None)

    class Meta:
        model = DispatchIssue
        fields = ["id", "project", "description", "owner", "owner_name", "raised_on", "due", "status", "level",
                  "escalated_on", "resolved_on", "resolution"]


class ProjectSerializer(serializers.ModelSerializer):
    region_code = serializers.CharField(source="region.code", read_only=True)
    region_name = serializers.CharField(source="region.name_zh", read_only=True)
    owner_name = serializers.CharField(source="owner.name", read_only=True, default=None)
    owner_uscc = serializers.CharField(source="owner.uscc", read_only=True, default=None)
    department_name = serializers.CharField(source="department.name", read_only=True, default=None)
    stage_display = serializers.CharField(source="get_stage_display", read_only=True)
    nodes = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    # the rules' decision (ProjectRating; blank until ``projects recompute`` rated the project)
    tier = serializers.CharField(source="rated.tier", read_only=True)
    tier_rule = serializers.CharField(source="rated.tier_rule", read_only=True)
    colour = serializers.CharField(source="rated.colour", read_only=True)
    colour_rule = serializers.CharField(source="rated.colour_rule", read_only=True)
    dispatch_level = serializers.CharField(source="rated.dispatch_level", read_only=True)
    rated_on = serializers.DateField(source="rated.rated_on", read_only=True, allow_null=True)

    class Meta:
        model = Project
        fields = [
            "id", "code", "name", "region_code", "region_name", "owner_name", "owner_uscc", "nodes",
            "total_investment", "annual_plan", "completed_investment", "stage", "stage_display", "pause_reason",
            "planned_start", "planned_end", "actual_start", "actual_end", "leader", "department_name",
            "tier", "tier_rule", "colour", "colour_rule", "dispatch_level", "rated_on", "origin",
        ]


class ProjectDetailSerializer(ProjectSerializer):
    updates = ProjectUpdateSerializer(many=True, read_only=True)
    issues = DispatchIssueSerializer(many=True, read_only=True)

    class Meta(ProjectSerializer.Meta):
        fields = [*ProjectSerializer.Meta.fields, "updates", "issues"]


class LeadSerializer(serializers.ModelSerializer):
    jurisdiction_code = serializers.CharField(source="jurisdiction.code", read_only=True)
    region_code = serializers.CharField(source="region.code", read_only=True)
    node = serializers.SlugRelatedField(slug_field="code", read_only=True)
    shared_with = serializers.SerializerMethodField(help_text="转报地区代码")
    flags = serializers.SerializerMethodField(help_text="按响应时限计算的逾期标记（截至今天）")

    class Meta:
        model = Lead
        fields = ["id", "title", "jurisdiction_code", "region_code", "enterprise_name", "uscc", "node",
                  "intended_investment", "stage", "received_on", "responded_on", "assessed_on",
                  "last_reported_on", "closed_on", "close_reason", "project", "shared_with", "flags"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_shared_with(self, obj) -> list[str]:
        return [share.region.code for share in obj.shares.all()]

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_flags(self, obj) -> dict | None:
        flags = self.context.get("flags", {}).get(obj.pk)
        return flags.as_dict() if flags else None


class RuleEvaluationRequest(serializers.Serializer):
    jurisdiction = serializers.RegexField(r"^[0-9A-Za-z]{1,16}$", help_text="地区代码（GB/T 2260）")
    rule = serializers.ChoiceField(choices=engine.KINDS, help_text="project-tier | subsidy | colour")
    input = serializers.JSONField(help_text="事实：" + "；".join(
        f"{kind}: {', '.join(keys)}" for kind, keys in engine.INPUT_KEYS.items()) + "（金额单位：元）")
    on = serializers.DateField(required=False, help_text="规则须在该日有效（默认今天）")


class RuleDecisionSerializer(serializers.Serializer):
    decision = serializers.JSONField(help_text="层级（province/city_county）、补助金额（元）或颜色（green/yellow/red）")
    rule = serializers.CharField()
    clause = serializers.CharField(allow_null=True)
    explanation = serializers.CharField()


class ProjectionQuery(serializers.Serializer):
    slip_months = serializers.IntegerField(required=False, default=0, min_value=-120, max_value=120,
                                           help_text="情景：项目推迟的月数")
    projects = serializers.RegexField(r"^[0-9A-Za-z,\-]{1,2000}$", required=False,
                                      help_text="推迟的项目代码，逗号分隔（缺省为全部）")


class ContributionSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    stage = serializers.CharField()
    amount = serializers.FloatField()
    probability = serializers.FloatField()
    expected_date = serializers.DateField(allow_null=True)
    slipped = serializers.BooleanField()
    counts = serializers.BooleanField()
    contribution = serializers.FloatField()
    in_low = serializers.BooleanField()
    reason = serializers.CharField()


class BaselineSerializer(serializers.Serializer):
    label = serializers.CharField()
    amount = serializers.FloatField()
    source = serializers.CharField()


class ProjectionSerializer(serializers.Serializer):
    target = serializers.CharField()
    unit = serializers.CharField()
    region = serializers.CharField()
    chain_node = serializers.CharField()
    year = serializers.IntegerField()
    target_value = serializers.FloatField()
    built = serializers.FloatField()
    projected = serializers.FloatField()
    low = serializers.FloatField()
    high = serializers.FloatField()
    gap = serializers.FloatField()
    meets = serializers.BooleanField()
    baseline = BaselineSerializer(many=True)
    projects = ContributionSerializer(many=True)
    probabilities = serializers.DictField(child=serializers.FloatField())
    scenario = serializers.DictField()
