from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from chainwatch.core.models import AuditEntry

admin.site.site_header = _("chainwatch 产业链集群监测调度平台")
admin.site.site_title = _("chainwatch 管理")
admin.site.index_title = _("数据管理")


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor_name", "action", "content_type", "object_repr", "note")
    list_filter = ("action", "content_type")
    search_fields = ("object_repr", "actor_name", "object_id")
    list_select_related = ("content_type",)
    date_hierarchy = "at"
