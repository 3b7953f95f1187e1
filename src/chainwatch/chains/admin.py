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
    EnterpriseImport,
    EnterpriseMatchReview,
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


@admin.register(EnterpriseImport)
class EnterpriseImportAdmin(admin.ModelAdmin):
    list_display = ("file_name", "created_at", "actor_name", "rows", "summary")
    readonly_fields = ("file_name", "sha256", "actor", "actor_name", "rows", "summary", "origin")

    def has_add_permission(self, request):
        return False


def _resolve(decision: str, label: str):
    def action(modeladmin, request, queryset):
        from chainwatch.chains.services import ChainError, resolve_review

        done = 0
        for review in queryset.filter(status=EnterpriseMatchReview.Status.OPEN):
            try:
                resolve_review(review, decision, actor=request.user)
                done += 1
            except ChainError as exc:
                modeladmin.message_user(request, str(exc), level="error")
        modeladmin.message_user(request, f"{label}：{done}")

    action.short_description = label
    action.__name__ = f"resolve_{decision}"
    return action


@admin.register(EnterpriseMatchReview)
class EnterpriseMatchReviewAdmin(admin.ModelAdmin):
    list_display = ("id", "name", "uscc", "region", "candidate", "score", "reason", "status")
    list_filter = ("status",)
    search_fields = ("name", "uscc", "candidate__name")
    list_select_related = ("region", "candidate")
    readonly_fields = (
        "batch", "row_number", "data", "name", "normalized_name", "uscc", "region", "candidate", "score",
        "reason", "status", "result", "resolved_by", "resolved_at", "origin",
    )
    actions = [
        _resolve("match", "确认为同一企业（合并到候选企业）"),
        _resolve("create", "新建企业"),
        _resolve("reject", "驳回该行"),
    ]

    def has_add_permission(self, request):
        return False
