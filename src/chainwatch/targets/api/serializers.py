from rest_framework import serializers

from chainwatch.targets.models import Indicator, Observation, Target


def _code(field_name: str, **kwargs):
    return serializers.SlugRelatedField(slug_field="code", read_only=True, **kwargs)


class IndicatorSerializer(serializers.ModelSerializer):
    class Meta:
        model = Indicator
        fields = ["id", "code", "name_zh", "name_en", "unit", "kind", "aggregation", "direction", "cycle",
                  "definition"]


class TargetSerializer(serializers.ModelSerializer):
    indicator = _code("indicator")
    indicator_name = serializers.CharField(source="indicator.name_zh", read_only=True)
    region = _code("region")
    region_name = serializers.CharField(source="region.name_zh", read_only=True)
    sector = _code("sector", allow_null=True)
    chain_node = _code("chain_node", allow_null=True)
    document = _code("document", allow_null=True)
    clause = serializers.SlugRelatedField(slug_field="path", read_only=True, allow_null=True)
    owner_name = serializers.CharField(source="owner.name", read_only=True, allow_null=True, default=None)
    change_kind = serializers.CharField(read_only=True, help_text="increase（提高）、decrease（下降）或空")

    class Meta:
        model = Target
        fields = [
            "id", "key", "indicator", "indicator_name", "indicator_text", "region", "region_name", "subject",
            "sector", "chain_node", "year", "value", "value_max", "unit", "comparator", "tolerance",
            "change_kind", "change_base_year", "change_percent", "count_threshold", "count_threshold_unit",
            "qualifier", "trajectory", "baseline_value", "baseline_year", "document", "clause", "span",
            "span_start", "span_end", "owner", "owner_name", "owner_text", "parent", "restates", "review", "note",
        ]
        read_only_fields = fields


class ObservationSerializer(serializers.ModelSerializer):
    indicator = _code("indicator")
    region = _code("region")
    region_name = serializers.CharField(source="region.name_zh", read_only=True)
    sector = _code("sector", allow_null=True)
    chain_node = _code("chain_node", allow_null=True)
    document = _code("document", allow_null=True)
    reporter = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Observation
        fields = [
            "id", "key", "indicator", "indicator_text", "region", "region_name", "sector", "chain_node", "period",
            "period_type", "period_start", "period_end", "value", "unit", "qualifier", "status", "reporter",
            "reporter_text", "source", "document", "span", "version", "is_current", "origin", "created_at",
        ]
        read_only_fields = fields


class ObservationCreateSerializer(serializers.Serializer):
    """What a machine sends to report one value; every check names the field and the reason."""

    indicator = serializers.CharField(max_length=60, help_text="指标代码，如 OUTPUT")
    region = serializers.CharField(max_length=16, help_text="地区代码（GB/T 2260）")
    sector = serializers.CharField(max_length=40, required=False, allow_blank=True, help_text="集群/产业代码")
    chain_node = serializers.CharField(max_length=40, required=False, allow_blank=True, help_text="产业链环节代码")
    period = serializers.CharField(max_length=10, help_text="期间：2024、2024Q3 或 2024-06")
    value = serializers.DecimalField(max_digits=24, decimal_places=6, help_text="数值（按 unit 计）")
    unit = serializers.CharField(max_length=32, help_text="单位，须与指标单位可换算，如 亿元、万吨/年")
    qualifier = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    source = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    reporter_text = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    status = serializers.ChoiceField(
        choices=[Observation.Status.DRAFT, Observation.Status.SUBMITTED], default=Observation.Status.DRAFT,
        help_text="draft（草稿）或 submitted（提交审核）；审核通过只能经审核流程",
    )

    def validate(self, attrs):
        from chainwatch.targets.api.writes import resolve_observation

        return resolve_observation(attrs, user=self.context["request"].user)


class ProgressSerializer(serializers.Serializer):
    """One target's progress (``TargetProgress.row()``)."""

    target_id = serializers.IntegerField()
    key = serializers.CharField(allow_null=True)
    indicator = serializers.CharField()
    indicator_code = serializers.CharField()
    region_code = serializers.CharField()
    region = serializers.CharField()
    sector_code = serializers.CharField(allow_null=True)
    year = serializers.IntegerField(allow_null=True)
    value = serializers.FloatField(allow_null=True)
    unit = serializers.CharField()
    comparator = serializers.CharField()
    clause = serializers.CharField(allow_null=True)
    document = serializers.CharField(allow_null=True)
    status = serializers.CharField()
    light = serializers.ChoiceField(choices=["green", "yellow", "red", "grey"])
    latest_value = serializers.FloatField(allow_null=True)
    latest_period = serializers.CharField(allow_null=True)
    baseline_value = serializers.FloatField(allow_null=True)
    baseline_period = serializers.CharField(allow_null=True)
    observed_cagr = serializers.FloatField(allow_null=True)
    required_cagr = serializers.FloatField(allow_null=True)
    ratio = serializers.FloatField(allow_null=True)
    share_achieved = serializers.FloatField(allow_null=True)
    share_elapsed = serializers.FloatField(allow_null=True)
    pace_gap = serializers.FloatField(allow_null=True)
    projected_value = serializers.FloatField(allow_null=True)
    value_unit = serializers.CharField(allow_null=True)
    restates = serializers.IntegerField(allow_null=True)
    sample = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)
