from django.contrib import admin

from chainwatch.geo.models import Department, Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name_zh", "name_en", "level", "parent", "valid_from", "valid_to", "origin")
    list_filter = ("level", "origin")
    search_fields = ("code", "name_zh", "name_en")
    list_select_related = ("parent",)
    raw_id_fields = ("parent",)
    readonly_fields = ("path", "depth")


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "region", "kind", "origin")
    list_filter = ("kind",)
    search_fields = ("name",)
    list_select_related = ("region",)
    raw_id_fields = ("region",)
