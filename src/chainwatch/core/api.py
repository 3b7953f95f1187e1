"""Shared REST API pieces: every list and detail goes through ``scope``; leaders are read-only.

- :class:`ScopedPermission`: signed-in users (session or token) may read; writing needs a role
  that is not read-only (leaders and users without a role may not write).
- :class:`ScopedQuerysetMixin`: ``get_queryset`` is scoped for every action, so a detail outside
  the user's scope is a 404 (never a 403 that would confirm the row exists); Django validation
  errors raised below a view become a 400 with the message, never a 500.
- :class:`ScopedReadOnlyViewSet`: list + detail.
- :class:`LimitedPagination`: limit/offset with a hard upper limit; ``count`` is exact up to
  ``COUNT_LIMIT`` rows and null above (counting millions of rows would cost more than the page).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from drf_spectacular.openapi import AutoSchema
from rest_framework import exceptions, permissions, viewsets
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.utils.urls import replace_query_param

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


COUNT_LIMIT = 10_000


class LimitedPagination(LimitOffsetPagination):
    """limit/offset (at most ``max_limit`` rows a page) with a bounded count.

    ``count`` is the exact number of rows when there are at most ``COUNT_LIMIT`` of them, and null
    when there are more: the count stops after ``COUNT_LIMIT + 1`` rows instead of counting every
    observation on every page. ``next`` stays exact either way (without a count, one row more than
    the page is read to know whether another page follows)."""

    default_limit = 50
    max_limit = 500
    count_limit = COUNT_LIMIT
    has_next = False

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.limit = self.get_limit(request)
        if self.limit is None:
            return None
        self.offset = self.get_offset(request)
        self.count = self.get_count(queryset)
        if self.count is not None:
            self.has_next = self.offset + self.limit < self.count
            if self.count > self.limit and self.template is not None:
                self.display_page_controls = True
            if self.count == 0 or self.offset > self.count:
                return []
            return list(queryset[self.offset:self.offset + self.limit])
        rows = list(queryset[self.offset:self.offset + self.limit + 1])
        self.has_next = len(rows) > self.limit
        self.display_page_controls = self.template is not None
        return rows[:self.limit]

    def get_count(self, queryset) -> int | None:
        """The number of rows, or None when there are more than ``count_limit`` (for a list
        already in memory too, so that ``count`` means the same on every endpoint)."""
        if isinstance(queryset, QuerySet):
            counted = queryset.order_by()[: self.count_limit + 1].count()
        else:
            counted = len(queryset)
        return counted if counted <= self.count_limit else None

    def get_next_link(self):
        if not self.has_next:
            return None
        url = replace_query_param(self.request.build_absolute_uri(), self.limit_query_param, self.limit)
        return replace_query_param(url, self.offset_query_param, self.offset + self.limit)

    def get_html_context(self):
        if self.count is not None:
            return super().get_html_context()
        return {"previous_url": self.get_previous_link(), "next_url": self.get_next_link(), "page_links": []}

    def get_paginated_response_schema(self, schema):
        response = super().get_paginated_response_schema(schema)
        response["properties"]["count"] = {
            "type": "integer",
            "nullable": True,
            "example": 123,
            "description": f"总条数；超过 {self.count_limit} 条时为 null（不计数，按 next 翻页） / the number of rows; "
                           f"null when there are more than {self.count_limit} (not counted: follow next)",
        }
        return response


def reading_only(queryset: QuerySet, **related: tuple[str, ...]) -> QuerySet:
    """``queryset`` reading every column of its own model but only the named columns of the related
    rows it selects, e.g. ``reading_only(qs, indicator=("code", "name_zh"))``: a list shows a code
    or a name of each related row, and whole rows (a document's text, a user's password hash) cost
    more to read and build than the page itself.

    A relation that may be empty (a nullable foreign key) is read by a query of its own for the
    page's rows instead of a join: PostgreSQL weighs every order of a query's joins, and the seven
    joins of the target list took it 60–140 ms to plan for a query that ran in 1 ms."""
    model = queryset.model
    selected = queryset.query.select_related
    separate = {
        name for name in related
        if isinstance(selected, dict) and (field := model._meta.get_field(name)).many_to_one and field.null
    }
    joined = [name for name in selected if name not in separate] if separate else []
    own = [field.name for field in model._meta.concrete_fields]
    queryset = queryset.select_related(None).select_related(*joined) if separate else queryset
    return queryset.only(
        *own, *(f"{relation}__{column}" for relation, columns in related.items() if relation not in separate for column in columns)
    ).prefetch_related(*(
        Prefetch(name, queryset=model._meta.get_field(name).related_model._base_manager.only(*related[name]))
        for name in sorted(separate)
    ))


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
