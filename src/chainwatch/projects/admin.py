from django.contrib import admin

from chainwatch.projects.models import DispatchIssue, Project, ProjectUpdate, Rule


class UpdateInline(admin.TabularInline):
    model = ProjectUpdate
    extra = 0


class IssueInline(admin.TabularInline):
    model = DispatchIssue
    extra = 0


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "region", "stage", "total_investment", "completed_investment", "tier", "colour", "origin")
    list_filter = ("stage", "tier", "colour", "origin")
    search_fields = ("code", "name", "owner__name")
    list_select_related = ("region", "owner")
    raw_id_fields = ("region", "owner", "sector", "department")
    filter_horizontal = ("nodes",)
    inlines = [UpdateInline, IssueInline]


@admin.register(ProjectUpdate)
class ProjectUpdateAdmin(admin.ModelAdmin):
    list_display = ("project", "period", "stage", "completed_investment", "month_investment")
    list_select_related = ("project",)
    raw_id_fields = ("project",)


@admin.register(DispatchIssue)
class DispatchIssueAdmin(admin.ModelAdmin):
    list_display = ("project", "description", "owner", "raised_on", "due", "status")
    list_filter = ("status",)
    list_select_related = ("project", "owner")
    raw_id_fields = ("project", "owner")


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ("key", "kind", "jurisdiction", "effective_from", "effective_to", "clause")
    list_filter = ("kind",)
    search_fields = ("key", "span")
    list_select_related = ("jurisdiction", "clause")
    raw_id_fields = ("jurisdiction", "document", "clause")
