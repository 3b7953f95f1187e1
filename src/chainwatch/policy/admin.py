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


# ---------------------------------------------------------------------------- review of proposals

from django.contrib import messages  # noqa: E402
from django.utils.translation import gettext_lazy as _  # noqa: E402

from chainwatch.policy import services  # noqa: E402
from chainwatch.targets.models import ProposedTarget  # noqa: E402


def _run(modeladmin, request, queryset, service, verb):
    done, failed = 0, []
    for pk in queryset.values_list("pk", flat=True):
        try:
            service(pk, actor=request.user)
            done += 1
        except services.PolicyServiceError as error:
            failed.append(str(error))
    if done:
        modeladmin.message_user(request, _("%(verb)s %(n)d 条") % {"verb": verb, "n": done}, messages.SUCCESS)
    for message in failed:
        modeladmin.message_user(request, message, messages.ERROR)


@admin.action(description=_("采纳"))
def accept_targets(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, services.accept_target, _("已采纳"))


@admin.action(description=_("驳回"))
def reject_targets(modeladmin, request, queryset):
    _run(modeladmin, request, queryset, services.reject_target, _("已驳回"))


@admin.action(description=_("采纳"))
def accept_tasks(modeladmin, request, queryset):
    _run(modeladmin, request, queryset.filter(review=Task.Review.PROPOSED), services.accept_task, _("已采纳"))


@admin.action(description=_("驳回"))
def reject_tasks(modeladmin, request, queryset):
    _run(modeladmin, request, queryset.filter(review=Task.Review.PROPOSED), services.reject_task, _("已驳回"))


TaskAdmin.actions = [accept_tasks, reject_tasks]


@admin.register(ProposedTarget)
class ProposedTargetAdmin(admin.ModelAdmin):
    """The review queue: targets proposed by ``chainwatch policy import``. Edits are made on the
    page /policy/documents/<code>/review/ or with ``chainwatch policy accept ID --value …``;
    here a reviewer accepts or rejects them as they stand."""

    list_display = ("indicator_text", "indicator", "region", "year", "comparator", "value", "unit",
                    "document", "clause", "span")
    list_filter = ("document",)
    search_fields = ("indicator_text", "span")
    list_select_related = ("indicator", "region", "document", "clause")
    actions = [accept_targets, reject_targets]
    readonly_fields = [f.name for f in ProposedTarget._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # edits go through services (audited), not the admin form

    def has_delete_permission(self, request, obj=None):
        return False
