from django.contrib import admin

from chainwatch.targets.models import (
    Indicator,
    Observation,
    ReportingForm,
    ReportingFormItem,
    Submission,
    Target,
    ValidationRule,
)
from chainwatch.targets.snapshot import forget_facts


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
    raw_id_fields = ("indicator", "region", "sector", "chain_node", "document", "clause", "reporter", "form")

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        forget_facts({obj.series})

    def delete_queryset(self, request, queryset):
        series = set(queryset.values_list("series", flat=True))
        super().delete_queryset(request, queryset)
        forget_facts(series)


class ReportingFormItemInline(admin.TabularInline):
    model = ReportingFormItem
    extra = 1
    raw_id_fields = ("indicator", "sector", "chain_node")


@admin.register(ReportingForm)
class ReportingFormAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "period_type", "deadline_days", "lock_after_days", "template_version", "active")
    list_filter = ("period_type", "active")
    search_fields = ("code", "name_zh", "name_en")
    filter_horizontal = ("departments",)
    raw_id_fields = ("regions",)
    inlines = [ReportingFormItemInline]


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ("form", "region", "department", "period", "status", "first_submitted_at", "submitted_at", "reviewed_by", "reviewed_at")
    list_filter = ("status", "form")
    search_fields = ("form__code", "region__name_zh", "region__code", "department__name", "period")
    list_select_related = ("form", "region", "department", "reviewed_by")
    raw_id_fields = ("form", "region", "department", "submitted_by", "reviewed_by")
    readonly_fields = ("first_submitted_at", "submitted_at", "submitted_by", "reviewed_at", "reviewed_by")


@admin.register(ValidationRule)
class ValidationRuleAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "kind", "importance", "indicator", "left_expression", "operator", "right_expression", "form", "active")
    list_filter = ("kind", "importance", "active")
    search_fields = ("code", "name_zh", "left_expression", "right_expression", "indicator__code")
    list_select_related = ("indicator", "form")
    raw_id_fields = ("indicator", "form")
