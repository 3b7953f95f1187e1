from django.contrib import admin

from chainwatch.targets.models import Indicator, Observation, Target


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "unit", "kind", "aggregation", "direction", "cycle")
    list_filter = ("kind", "aggregation", "direction", "cycle")
    search_fields = ("code", "name_zh", "name_en")


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ("key", "indicator", "region", "sector", "chain_node", "year", "comparator", "value", "unit", "clause", "review")
    list_filter = ("year", "comparator", "review", "document", "indicator__kind")
    search_fields = ("key", "span", "indicator__name_zh", "indicator_text", "region__name_zh")
    list_select_related = ("indicator", "region", "sector", "chain_node", "clause")
    raw_id_fields = ("indicator", "region", "sector", "chain_node", "document", "clause", "owner", "parent", "restates")


@admin.register(Observation)
class ObservationAdmin(admin.ModelAdmin):
    list_display = ("indicator", "region", "sector", "chain_node", "period", "value", "unit", "status", "reporter_text", "version", "is_current")
    list_filter = ("status", "period_type", "is_current", "origin")
    search_fields = ("key", "indicator__code", "indicator__name_zh", "region__name_zh", "span")
    list_select_related = ("indicator", "region", "sector", "chain_node")
    raw_id_fields = ("indicator", "region", "sector", "chain_node", "document", "clause", "reporter")
