from rest_framework import serializers

from chainwatch.policy.models import Clause, PolicyDocument, Task


class PolicyDocumentSerializer(serializers.ModelSerializer):
    region_code = serializers.CharField(source="region.code", read_only=True)
    region = serializers.CharField(source="region.name_zh", read_only=True)

    class Meta:
        model = PolicyDocument
        fields = ["code", "title_zh", "title_en", "issuer", "doc_number", "region_code", "region",
                  "issued_on", "period_start", "period_end", "baseline_year", "source_file", "sha256"]


class PolicyDocumentDetailSerializer(PolicyDocumentSerializer):
    class Meta(PolicyDocumentSerializer.Meta):
        fields = [*PolicyDocumentSerializer.Meta.fields, "text"]


class ClauseSerializer(serializers.ModelSerializer):
    document = serializers.CharField(source="document.code", read_only=True)
    parent = serializers.CharField(source="parent.path", read_only=True, default=None, allow_null=True)

    class Meta:
        model = Clause
        fields = ["id", "document", "path", "parent", "level", "ordinal", "heading", "start", "end"]


class ClauseDetailSerializer(ClauseSerializer):
    text = serializers.CharField(read_only=True)

    class Meta(ClauseSerializer.Meta):
        fields = [*ClauseSerializer.Meta.fields, "text"]


class TaskSerializer(serializers.ModelSerializer):
    document = serializers.CharField(source="document.code", read_only=True)
    clause = serializers.CharField(source="clause.path", read_only=True, default=None)
    lead_departments = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    cooperating_departments = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")

    class Meta:
        model = Task
        fields = ["id", "key", "document", "clause", "title", "span", "lead_text", "lead_departments",
                  "cooperating_departments", "due_date", "status", "review", "review_note", "evidence"]


class ExtractRequestSerializer(serializers.Serializer):
    text = serializers.CharField(allow_blank=False, trim_whitespace=False,
                                 help_text="政策文件全文（纯文本，不超过 1 MB）")
    tasks = serializers.BooleanField(default=False, help_text="同时抽取任务与责任单位")


class ExtractedTargetSerializer(serializers.Serializer):
    span = serializers.CharField()
    indicator = serializers.CharField()
    subject = serializers.CharField(allow_null=True)
    value = serializers.FloatField()
    value_max = serializers.FloatField(allow_null=True)
    unit = serializers.CharField(allow_blank=True)
    year = serializers.IntegerField(allow_null=True)
    comparator = serializers.CharField()
    change = serializers.DictField(allow_null=True)
    count_of = serializers.DictField(allow_null=True)
    qualifier = serializers.CharField(allow_null=True)
    start = serializers.IntegerField(help_text="原文字符偏移（起）")
    end = serializers.IntegerField(help_text="原文字符偏移（止）")
    clause = serializers.CharField(allow_null=True, source="clause_path")



class ExtractResponseSerializer(serializers.Serializer):
    targets = ExtractedTargetSerializer(many=True)
    tasks = serializers.ListField(child=serializers.DictField(), required=False)
