"""Shared REST API pieces: every list and detail goes through ``scope``; leaders are read-only.

- :class:`ScopedPermission`: signed-in users (session or token) may read; writing needs a role
  that is not read-only (leaders and users without a role may not write).
- :class:`ScopedQuerysetMixin`: ``get_queryset`` is scoped for every action, so a detail outside
  the user's scope is a 404 (never a 403 that would confirm the row exists); Django validation
  errors raised below a view become a 400 with the message, never a 500.
- :class:`ScopedReadOnlyViewSet`: list + detail.
- :class:`LimitedPagination`: limit/offset with a hard upper limit.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.openapi import AutoSchema
from rest_framework import exceptions, permissions, viewsets
from rest_framework.pagination import LimitOffsetPagination

from chainwatch.core.scoping import is_read_only, scope

ERROR_BODY = {
    "type": "object",
    "description": "错误说明：detail 或按字段列出的原因 / the reason, overall (detail) or per field",
    "additionalProperties": True,
}
ERRORS = {
    "400": "请求参数或内容有误（按字段说明原因） / bad request: each field says why",
    "401": "未登录或令牌无效 / not authenticated",
    "403": "无权执行该操作 / not allowed",
    "404": "不存在或不在本人可见范围内 / not found or outside your scope",
}


class ScopedAutoSchema(AutoSchema):
    """Documents the error answers every scoped endpoint may give (400, 401, 403, 404; 415 for
    writes) so clients and fuzzers know them."""

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = dict(ERRORS)
        if self.method in ("POST", "PUT", "PATCH"):
            codes["415"] = "不支持的内容类型 / unsupported media type"
        for code, text in codes.items():
            responses.setdefault(code, {"description": text, "content": {"application/json": {"schema": ERROR_BODY}}})
        return responses


class ScopedPermission(permissions.IsAuthenticated):
    """Signed-in users only; read-only leaders may not write."""

    message = "只读用户（领导）和未分配角色的用户不能修改数据 / read-only users may not write"

    def has_permission(self, request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        return not is_read_only(request.user)


class LimitedPagination(LimitOffsetPagination):
    default_limit = 50
    max_limit = 500


class ScopedQuerysetMixin:
    """Restricts ``queryset`` to what ``request.user`` may see, for every action."""

    permission_classes = [ScopedPermission]
    pagination_class = LimitedPagination
    schema = ScopedAutoSchema()

    def get_queryset(self):
        return scope(super().get_queryset(), self.request.user)

    def handle_exception(self, exc):
        if isinstance(exc, DjangoValidationError):
            detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
            exc = exceptions.ValidationError(detail)
        return super().handle_exception(exc)


class ScopedReadOnlyViewSet(ScopedQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    pass
