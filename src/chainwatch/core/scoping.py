"""The one function that restricts every read to what a user may see.

Pages, API views, exports and reports all call ``scope(queryset, user)``. A model says how it is
scoped with a ``scoping`` class attribute naming lookups:

    scoping = {"region": "region", "department": "owner", "enterprise": "enterprise"}

- region users (province, prefecture, county) and leaders see rows whose region lies in their
  region's subtree (materialised path prefix: one indexed condition, no recursion);
- department users see rows their department owns, within their department's region subtree;
- enterprise users see only rows of their own enterprise;
- administrators see everything; a user without a profile sees nothing.
Models without ``scoping`` are reference data (indicators, chain templates) visible to every
signed-in user.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet


def _profile(user):
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return getattr(user, "profile", None)


def region_condition(lookup: str, region) -> Q:
    return Q(**{f"{lookup}__path__startswith": region.path})


def scope(queryset: QuerySet, user) -> QuerySet:
    from chainwatch.accounts.models import Role

    if user is not None and getattr(user, "is_superuser", False):
        return queryset
    rules = getattr(queryset.model, "scoping", None)
    profile = _profile(user)
    if rules is None:
        return queryset if getattr(user, "is_authenticated", False) else queryset.none()
    if profile is None:
        return queryset.none()
    if profile.role == Role.ADMIN:
        return queryset
    if profile.role == Role.ENTERPRISE:
        lookup = rules.get("enterprise")
        if not lookup or profile.enterprise_id is None:
            return queryset.none()
        return queryset.filter(**{lookup: profile.enterprise_id})
    if profile.role == Role.DEPARTMENT:
        lookup = rules.get("department")
        if not lookup or profile.department_id is None:
            return queryset.none()
        return queryset.filter(**{lookup: profile.department_id})
    region = profile.region
    lookup = rules.get("region")
    if region is None or not lookup:
        return queryset.none()
    return queryset.filter(region_condition(lookup, region))
