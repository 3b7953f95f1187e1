from rest_framework import serializers

from chainwatch.chains import services
from chainwatch.chains.models import (
    Capacity,
    ChainEdge,
    ChainNode,
    ChainTemplate,
    Enterprise,
    EnterpriseAlias,
)


class ChainTemplateSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChainTemplate
        fields = ["id", "code", "name_zh", "name_en", "source"]


class ChainNodeSerializer(serializers.ModelSerializer):
    template = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = ChainNode
        fields = ["id", "code", "template", "name_zh", "name_en", "stage", "unit", "qualifier", "order"]


class ChainEdgeSerializer(serializers.ModelSerializer):
    template = serializers.SlugRelatedField(slug_field="code", read_only=True)
    source = serializers.SlugRelatedField(slug_field="code", read_only=True)
    target = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = ChainEdge
        fields = ["id", "template", "source", "target", "chemistry", "kind", "central", "low", "high", "unit",
                  "confidence", "reference"]


class EnterpriseAliasSerializer(serializers.ModelSerializer):
    class Meta:
        model = EnterpriseAlias
        fields = ["name", "uscc", "note"]


class EnterpriseSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", read_only=True)
    region_name = serializers.CharField(source="region.name_zh", read_only=True)
    nodes = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    aliases = EnterpriseAliasSerializer(many=True, read_only=True)

    class Meta:
        model = Enterprise
        fields = ["id", "uscc", "name", "region", "region_name", "nodes", "is_chain_leader", "is_leading",
                  "specialised", "is_listed", "source", "origin", "aliases"]


class CapacitySerializer(serializers.ModelSerializer):
    node = serializers.SlugRelatedField(slug_field="code", read_only=True)
    region = serializers.SlugRelatedField(slug_field="code", read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True, default=None)
    project = serializers.SlugRelatedField(slug_field="code", read_only=True)
    amount = serializers.FloatField()

    class Meta:
        model = Capacity
        fields = ["id", "node", "region", "enterprise", "enterprise_name", "project", "amount", "unit", "status",
                  "start_year", "end_year", "source", "origin"]


# --- query parameters ------------------------------------------------------------------------


class BalanceQuery(serializers.Serializer):
    region = serializers.RegexField(r"^[0-9A-Za-z]{1,16}$", help_text="地区代码 / region code")
    year = serializers.IntegerField(min_value=1900, max_value=2100)
    basis = serializers.ChoiceField(choices=services.BASES, default="built")
    subtree = serializers.BooleanField(default=False, help_text="含下级地区 / include the subtree")
    reference = serializers.ChoiceField(choices=("local", "national"), default="local")
    scenario = serializers.RegexField(r"^[\w-]{1,40}$", default="base")
    template = serializers.RegexField(r"^[0-9A-Za-z_.-]{1,20}$", default=services.DEFAULT_TEMPLATE)


class GapsQuery(BalanceQuery):
    reference = None
    candidates = serializers.IntegerField(min_value=0, max_value=50, default=5)


class PeersQuery(serializers.Serializer):
    regions = serializers.RegexField(r"^[0-9A-Za-z]{1,16}(,[0-9A-Za-z]{1,16}){0,9}$",
                                     default=",".join(services.DEFAULT_PEERS))
    template = serializers.RegexField(r"^[0-9A-Za-z_.-]{1,20}$", default=services.DEFAULT_TEMPLATE)
    year = serializers.IntegerField(min_value=1900, max_value=2100, required=False)


# --- responses (for the schema) -----------------------------------------------------------------


class DriverSerializer(serializers.Serializer):
    edge = serializers.CharField()
    consumer = serializers.CharField()
    chemistry = serializers.CharField(allow_null=True)
    share = serializers.FloatField(allow_null=True)
    activity = serializers.FloatField()
    activity_unit = serializers.CharField()
    activity_basis = serializers.CharField()
    coefficient = serializers.FloatField(allow_null=True)
    coefficient_low = serializers.FloatField(allow_null=True)
    coefficient_high = serializers.FloatField(allow_null=True)
    coefficient_unit = serializers.CharField(allow_null=True)
    demand = serializers.FloatField(allow_null=True)
    confidence = serializers.CharField()
    source = serializers.CharField()
    problem = serializers.CharField(allow_null=True)


class NodeBalanceSerializer(serializers.Serializer):
    node = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    supply = serializers.FloatField()
    supply_source = serializers.CharField()
    demand = serializers.FloatField()
    demand_low = serializers.FloatField()
    demand_high = serializers.FloatField()
    ratio = serializers.FloatField(allow_null=True)
    surplus = serializers.FloatField(allow_null=True)
    verdict = serializers.ChoiceField(choices=("missing", "short", "balanced", "surplus", "no_demand", "unknown"))
    reference = serializers.CharField()
    low = serializers.FloatField(allow_null=True)
    high = serializers.FloatField(allow_null=True)
    complete = serializers.BooleanField()
    reason = serializers.CharField()
    supports = serializers.FloatField(allow_null=True)
    supports_unit = serializers.CharField(allow_null=True)
    consumers = serializers.ListField(child=serializers.CharField())
    drivers = DriverSerializer(many=True)


class CandidateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    uscc = serializers.CharField(allow_null=True)
    region = serializers.CharField()
    region_name = serializers.CharField()
    is_chain_leader = serializers.BooleanField()
    is_leading = serializers.BooleanField()
    is_listed = serializers.BooleanField()
    specialised = serializers.CharField()
    origin = serializers.CharField()


class GapSerializer(serializers.Serializer):
    node = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=("missing", "short", "extend", "unregistered"))
    score = serializers.FloatField()
    reason = serializers.CharField()
    has_enterprises = serializers.BooleanField()
    verdict = serializers.CharField()
    candidates = CandidateSerializer(many=True)


class PanoramaNodeSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    value = serializers.FloatField()
    unit = serializers.CharField()
    verdict = serializers.CharField()
    verdict_label = serializers.CharField()
    color = serializers.CharField()
    category = serializers.IntegerField()
    demand = serializers.FloatField()
    ratio = serializers.FloatField(allow_null=True)
    reason = serializers.CharField()
    source = serializers.CharField()
    itemStyle = serializers.DictField()  # noqa: N815 - ECharts' own key


class PanoramaLinkSerializer(serializers.Serializer):
    source = serializers.CharField()
    target = serializers.CharField()
    value = serializers.FloatField()
    coefficient = serializers.FloatField(allow_null=True)
    unit = serializers.CharField(allow_null=True)
    kind = serializers.CharField()
    flow_unit = serializers.CharField()


class PanoramaSerializer(serializers.Serializer):
    template = serializers.CharField()
    region = serializers.CharField()
    year = serializers.IntegerField()
    basis = serializers.CharField()
    nodes = PanoramaNodeSerializer(many=True)
    links = PanoramaLinkSerializer(many=True)
    categories = serializers.ListField(child=serializers.DictField())
    legend = serializers.ListField(child=serializers.DictField())


class PeerCellSerializer(serializers.Serializer):
    region = serializers.CharField()
    targeted = serializers.BooleanField()
    targets = serializers.ListField(child=serializers.DictField())
    mentioned = serializers.ListField(child=serializers.CharField())
    capacity = serializers.DictField(child=serializers.FloatField())
    source = serializers.CharField()


class PeerNodeSerializer(serializers.Serializer):
    node = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    unit = serializers.CharField()
    stage = serializers.CharField()
    cells = PeerCellSerializer(many=True)


class PeersSerializer(serializers.Serializer):
    template = serializers.CharField()
    year = serializers.IntegerField()
    regions = serializers.ListField(child=serializers.DictField())
    nodes = PeerNodeSerializer(many=True)
