from django.contrib import admin

from chainwatch.chains.models import (
    Capacity,
    ChainEdge,
    ChainNode,
    ChainTemplate,
    ChemistryMix,
    Cluster,
    Enterprise,
    EnterpriseAlias,
    Industry,
    Sector,
)


@admin.register(Sector)
class SectorAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "kind", "parent", "region", "lead_department")
    list_filter = ("kind",)
    search_fields = ("code", "name_zh", "name_en")
    list_select_related = ("parent", "region", "lead_department")
    raw_id_fields = ("region", "parent", "document", "lead_department")


@admin.register(Cluster)
class ClusterAdmin(SectorAdmin):
    pass


@admin.register(Industry)
class IndustryAdmin(SectorAdmin):
    pass


class ChainNodeInline(admin.TabularInline):
    model = ChainNode
    fields = ("code", "name_zh", "stage", "unit", "order")
    extra = 0


@admin.register(ChainTemplate)
class ChainTemplateAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en")
    inlines = [ChainNodeInline]


@admin.register(ChainNode)
class ChainNodeAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "template", "stage", "unit", "order")
    list_filter = ("template", "stage")
    search_fields = ("code", "name_zh", "name_en")
    list_select_related = ("template",)


@admin.register(ChainEdge)
class ChainEdgeAdmin(admin.ModelAdmin):
    list_display = ("source", "target", "chemistry", "central", "low", "high", "unit", "confidence")
    list_filter = ("template", "confidence", "chemistry")
    list_select_related = ("source", "target")


@admin.register(ChemistryMix)
class ChemistryMixAdmin(admin.ModelAdmin):
    list_display = ("template", "region", "scenario", "shares")
    list_select_related = ("template", "region")


class AliasInline(admin.TabularInline):
    model = EnterpriseAlias
    extra = 0


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ("name", "uscc", "region", "is_chain_leader", "is_leading", "specialised", "is_listed", "origin")
    list_filter = ("is_chain_leader", "is_leading", "specialised", "is_listed", "origin")
    search_fields = ("name", "uscc", "normalized_name")
    list_select_related = ("region",)
    raw_id_fields = ("region",)
    filter_horizontal = ("nodes",)
    inlines = [AliasInline]


@admin.register(Capacity)
class CapacityAdmin(admin.ModelAdmin):
    list_display = ("node", "region", "enterprise", "project", "amount", "unit", "status", "start_year", "origin")
    list_filter = ("status", "node__template", "origin")
    search_fields = ("enterprise__name", "node__name_zh", "region__name_zh")
    list_select_related = ("node", "region", "enterprise", "project")
    raw_id_fields = ("node", "region", "enterprise", "project")
