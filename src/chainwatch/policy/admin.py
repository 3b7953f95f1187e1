from django.contrib import admin

from chainwatch.policy.models import Clause, Fact, PolicyDocument, Task


class ClauseInline(admin.TabularInline):
    model = Clause
    fields = ("path", "heading", "level", "start", "end")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(PolicyDocument)
class PolicyDocumentAdmin(admin.ModelAdmin):
    list_display = ("title_zh", "issuer", "doc_number", "region", "issued_on", "period_start", "period_end")
    search_fields = ("title_zh", "title_en", "doc_number", "code")
    list_select_related = ("region",)
    raw_id_fields = ("region",)
    inlines = [ClauseInline]


@admin.register(Clause)
class ClauseAdmin(admin.ModelAdmin):
    list_display = ("document", "path", "heading", "level")
    list_filter = ("document",)
    search_fields = ("heading", "path")
    list_select_related = ("document",)
    raw_id_fields = ("document", "parent")


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ("title", "document", "clause", "lead_text", "due_date", "status", "review")
    list_filter = ("status", "review", "document")
    search_fields = ("title", "lead_text", "span")
    list_select_related = ("document", "clause")
    raw_id_fields = ("document", "clause")
    filter_horizontal = ("lead_departments", "cooperating_departments")


@admin.register(Fact)
class FactAdmin(admin.ModelAdmin):
    list_display = ("key", "document", "value", "unit", "year", "span")
    list_filter = ("document",)
    search_fields = ("key", "span", "note")
    list_select_related = ("document",)
