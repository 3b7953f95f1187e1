from django.contrib import admin

from chainwatch.accounts.models import Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "region", "department", "enterprise")
    list_filter = ("role",)
    list_select_related = ("user", "region", "department", "enterprise")
    raw_id_fields = ("user", "region", "department", "enterprise")
