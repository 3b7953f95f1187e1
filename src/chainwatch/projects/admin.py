from django import forms
from django.contrib import admin

from chainwatch.projects.models import (
    ClusterMechanism,
    DispatchIssue,
    Lead,
    LeadClock,
    LeadShare,
    Project,
    ProjectRating,
    ProjectUpdate,
    Rule,
    StageChange,
    StageProbability,
)


class UpdateInline(admin.TabularInline):
    model = ProjectUpdate
    fk_name = "project"
    extra = 0
    raw_id_fields = ("corrects",)


class RatingInline(admin.StackedInline):
    """The rules' decision, shown, never edited: ``projects recompute`` writes it."""

    model = ProjectRating
    can_delete = False
    readonly_fields = ("tier", "tier_rule", "colour", "colour_rule", "dispatch_level", "rated_on", "computed_at")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class IssueInline(admin.TabularInline):
    model = DispatchIssue
    extra = 0
    raw_id_fields = ("owner",)


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "region", "stage", "total_investment", "completed_investment", "rating__tier",
                    "rating__colour", "origin")
    list_filter = ("stage", "rating__tier", "rating__colour", "origin")
    search_fields = ("code", "name", "owner__name")
    list_select_related = ("region", "owner", "rating")
    raw_id_fields = ("region", "owner", "sector", "department")
    filter_horizontal = ("nodes",)
    inlines = [RatingInline, UpdateInline, IssueInline]


@admin.register(ProjectUpdate)
class ProjectUpdateAdmin(admin.ModelAdmin):
    list_display = ("project", "period", "stage", "completed_investment", "month_investment", "corrects")
    list_select_related = ("project", "corrects", "corrects__project")
    raw_id_fields = ("project", "corrects")


@admin.register(DispatchIssue)
class DispatchIssueAdmin(admin.ModelAdmin):
    list_display = ("project", "description", "owner", "raised_on", "due", "status", "level")
    list_filter = ("status", "level")
    list_select_related = ("project", "owner")
    raw_id_fields = ("project", "owner")


@admin.register(StageChange)
class StageChangeAdmin(admin.ModelAdmin):
    list_display = ("project", "from_stage", "to_stage", "on", "reason")
    list_select_related = ("project",)
    raw_id_fields = ("project", "actor")


class RuleForm(forms.ModelForm):
    """Refuses malformed params and effective dates overlapping another rule of the same kind
    and jurisdiction (the same checks as services.save_rule)."""

    class Meta:
        model = Rule
        fields = ["key", "kind", "jurisdiction", "effective_from", "effective_to", "params", "document",
                  "clause", "span", "note", "origin"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        from chainwatch.projects.services import rule_problems

        candidate = self.instance
        for name, value in cleaned.items():
            setattr(candidate, name, value)
        problems = rule_problems(candidate)
        if problems:
            raise forms.ValidationError(problems)
        return cleaned


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    form = RuleForm
    list_display = ("key", "kind", "jurisdiction", "effective_from", "effective_to", "clause")
    list_filter = ("kind",)
    search_fields = ("key", "span")
    list_select_related = ("jurisdiction", "clause")
    raw_id_fields = ("jurisdiction", "document", "clause")


@admin.register(StageProbability)
class StageProbabilityAdmin(admin.ModelAdmin):
    list_display = ("jurisdiction", "stage", "probability", "note")
    list_select_related = ("jurisdiction",)
    raw_id_fields = ("jurisdiction",)


@admin.register(ClusterMechanism)
class ClusterMechanismAdmin(admin.ModelAdmin):
    list_display = ("sector", "item", "value", "done", "confirmed_by", "confirmed_at")
    list_filter = ("item", "done")
    list_select_related = ("sector", "confirmed_by")
    raw_id_fields = ("sector", "department", "enterprise", "confirmed_by")


class ShareInline(admin.TabularInline):
    model = LeadShare
    extra = 0
    raw_id_fields = ("region",)


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = ("title", "enterprise_name", "jurisdiction", "region", "node", "stage", "received_on")
    list_filter = ("stage",)
    search_fields = ("title", "enterprise_name", "uscc")
    list_select_related = ("jurisdiction", "region", "node")
    raw_id_fields = ("jurisdiction", "region", "department", "enterprise", "node", "project")
    readonly_fields = ("dedup_key",)
    inlines = [ShareInline]


@admin.register(LeadClock)
class LeadClockAdmin(admin.ModelAdmin):
    list_display = ("jurisdiction", "step", "days", "note")
    list_select_related = ("jurisdiction",)
    raw_id_fields = ("jurisdiction", "document")
