from rest_framework import serializers

from chainwatch.geo.models import Department, Region


class RegionSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True, help_text="上级地区代码")
    level_display = serializers.CharField(source="get_level_display", read_only=True)

    class Meta:
        model = Region
        fields = ["id", "code", "name_zh", "name_en", "level", "level_display", "parent", "path", "depth",
                  "valid_from", "valid_to"]


class DepartmentSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="code", read_only=True)
    region_name = serializers.CharField(source="region.name_zh", read_only=True)

    class Meta:
        model = Department
        fields = ["id", "name", "name_en", "kind", "region", "region_name"]
