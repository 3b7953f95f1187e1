from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from chainwatch.accounts.models import LoginFailure, Profile
from chainwatch.core import audit
from chainwatch.core.models import AuditEntry


class AuditedAdminMixin:
    """Admin edits leave the same audit trail as service writes (password hashes excluded)."""

    def _snapshot(self, obj):
        data = audit.snapshot(obj)
        data.pop("password", None)
        return data

    def save_model(self, request, obj, form, change):
        before = None
        if change and obj.pk:
            old = type(obj)._default_manager.filter(pk=obj.pk).first()
            before = self._snapshot(old) if old else None
        super().save_model(request, obj, form, change)
        action = AuditEntry.Action.UPDATE if change else AuditEntry.Action.CREATE
        audit.record(request.user, action, obj, before=before, after=self._snapshot(obj), note="管理后台")

    def delete_model(self, request, obj):
        audit.record(request.user, AuditEntry.Action.DELETE, obj, before=self._snapshot(obj), note="管理后台")
        super().delete_model(request, obj)


@admin.register(Profile)
class ProfileAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("user", "role", "region", "department", "enterprise")
    list_filter = ("role",)
    list_select_related = ("user", "region", "department", "enterprise")
    raw_id_fields = ("user", "region", "department", "enterprise")


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    raw_id_fields = ("region", "department", "enterprise")


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class UserAdmin(AuditedAdminMixin, BaseUserAdmin):
    inlines = [ProfileInline]
    list_display = ("username", "email", "is_active", "is_staff", "is_superuser", "last_login")
    list_select_related = ("profile",)


@admin.register(LoginFailure)
class LoginFailureAdmin(admin.ModelAdmin):
    list_display = ("username", "ip", "at")
    search_fields = ("username", "ip")
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
