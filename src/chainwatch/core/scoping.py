"""The one function that restricts every read to what a user may see.

Pages, API views, exports and reports all call ``scope(queryset, user)``. A model says how it is
scoped with a ``scoping`` class attribute naming lookups:

    scoping = {
        "region": "region",                 # the row's region (materialised path below it)
        "department": "owner",              # the department that owns the row (str or tuple: any)
        "enterprise": "enterprise",         # the enterprise the row belongs to
        "unpublished": {"status__in": ["draft"]},  # rows not yet published (optional)
        "author": "reporter",               # the user who wrote an unpublished row (optional)
    }

Rules, by role (``accounts.models.Role``):

- administrators (and superusers) see everything;
- province, prefecture and county users see rows whose region lies in their region's subtree
  (materialised path prefix: one indexed condition, no recursion);
- leaders see the same as a region user of their region, and never write;
- department users see rows their department owns (lead or co-operating, when the model names
  several lookups) inside their department's region subtree; for a model that has a region but
  no owning department (enterprises, capacities) they see their department's region subtree;
- enterprise users see only rows of their own enterprise;
- unpublished rows (drafts) are visible only to their author and to the non-leader users of the
  very region they belong to: a province never sees a county's draft, nor does a neighbouring
  county; once submitted they become visible up the hierarchy;
- a user without a profile sees nothing that is scoped. Models without ``scoping`` are reference
  data (indicators, chain templates, regions, policy documents) visible to every signed-in user
  and to nobody else.

A lookup that crosses a many-valued relation (``lead_departments``, ``indicator__targets__owner``)
is applied through ``pk IN (subquery)`` so the result never holds duplicate rows.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet


def profile_of(user):
    """The user's ``accounts.Profile`` or None (anonymous users, users without a role)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.profile
    except Exception:  # RelatedObjectDoesNotExist: a user without a profile
        return None


_profile = profile_of  # old name


def is_admin(user) -> bool:
    from chainwatch.accounts.models import Role

    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_superuser", False):
        return True
    profile = profile_of(user)
    return profile is not None and profile.role == Role.ADMIN


def is_read_only(user) -> bool:
    """Leaders (and users without a role) may read but never write."""
    if is_admin(user):
        return False
    profile = profile_of(user)
    return profile is None or profile.read_only


def home_region(user):
    """The region a user's view starts from: their region, their department's region, their
    enterprise's region; None for administrators (the whole country) and users without a role."""
    profile = profile_of(user)
    if profile is None:
        return None
    if profile.region_id:
        return profile.region
    if profile.department_id:
        return profile.department.region
    if profile.enterprise_id:
        return profile.enterprise.region
    return None


def region_condition(lookup: str, region) -> Q:
    return Q(**{f"{lookup}__path__startswith": region.path})


def _is_multi_valued(model, lookup: str) -> bool:
    """Whether ``lookup`` crosses a many-to-many or reverse foreign key relation."""
    opts = model._meta
    for part in lookup.split("__"):
        if part == "pk":
            return False
        try:
            field = opts.get_field(part)
        except Exception:
            return False
        if field.many_to_many or field.one_to_many:
            return True
        if not field.is_relation or field.related_model is None:
            return False
        opts = field.related_model._meta
    return False


def _lookups(value) -> tuple[str, ...]:
    if not value:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _any_of(queryset: QuerySet, lookups: tuple[str, ...], value) -> QuerySet:
    """Rows where any of ``lookups`` equals ``value``; many-valued lookups through a subquery."""
    model = queryset.model
    condition = Q()
    for lookup in lookups:
        if _is_multi_valued(model, lookup):
            ids = model._base_manager.filter(**{lookup: value}).values("pk")
            condition |= Q(pk__in=ids)
        else:
            condition |= Q(**{lookup: value})
    return queryset.filter(condition)


def _hide_unpublished(queryset: QuerySet, rules: dict, user, profile, *, own_region=None) -> QuerySet:
    unpublished = rules.get("unpublished")
    if not unpublished:
        return queryset
    visible = ~Q(**unpublished)
    author = rules.get("author")
    if author:
        visible |= Q(**{author: user.pk})
    if own_region is not None and rules.get("region"):
        visible |= Q(**{f"{rules['region']}": own_region.pk})
    return queryset.filter(visible)


def scope(queryset: QuerySet, user) -> QuerySet:
    """Restrict ``queryset`` to the rows ``user`` may see (see the module doc for the rules)."""
    from chainwatch.accounts.models import Role

    if user is not None and getattr(user, "is_superuser", False) and user.is_authenticated:
        return queryset
    rules = getattr(queryset.model, "scoping", None)
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    if rules is None:
        return queryset if authenticated else queryset.none()
    profile = profile_of(user)
    if profile is None:
        return queryset.none()
    role = profile.role
    if role == Role.ADMIN:
        return queryset
    if role == Role.ENTERPRISE:
        lookups = _lookups(rules.get("enterprise"))
        if not lookups or profile.enterprise_id is None:
            return queryset.none()
        return _any_of(queryset, lookups, profile.enterprise_id)
    if role == Role.DEPARTMENT:
        department = profile.department
        if department is None:
            return queryset.none()
        region_lookup = rules.get("region")
        lookups = _lookups(rules.get("department"))
        if lookups:
            queryset = _any_of(queryset, lookups, department.pk)
        elif not region_lookup:
            return queryset.none()
        if region_lookup:
            queryset = queryset.filter(region_condition(region_lookup, department.region))
        return _hide_unpublished(queryset, rules, user, profile)
    region = profile.region
    region_lookup = rules.get("region")
    if region is None or not region_lookup:
        return queryset.none()
    queryset = queryset.filter(region_condition(region_lookup, region))
    own_region = None if role == Role.LEADER else region
    return _hide_unpublished(queryset, rules, user, profile, own_region=own_region)


def visible(obj, user) -> bool:
    """Whether ``user`` may see the saved object ``obj`` (one query)."""
    model = type(obj)
    return scope(model._default_manager.filter(pk=obj.pk), user).exists()
