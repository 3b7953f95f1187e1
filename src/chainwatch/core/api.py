"""Shared REST API pieces: every list and detail goes through ``scope``; leaders are read-only."""

from __future__ import annotations

from rest_framework import permissions, viewsets

from chainwatch.core.scoping import scope


class ScopedPermission(permissions.IsAuthenticated):
    """Signed-in users only; read-only leaders may not write."""

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        profile = getattr(request.user, "profile", None)
        return request.user.is_superuser or (profile is not None and not profile.read_only)


class ScopedQuerysetMixin:
    """Restricts ``queryset`` to what ``request.user`` may see, for every action."""

    permission_classes = [ScopedPermission]

    def get_queryset(self):
        return scope(super().get_queryset(), self.request.user)


class ScopedReadOnlyViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    pass
