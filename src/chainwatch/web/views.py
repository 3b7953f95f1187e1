from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Count
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from chainwatch.chains.models import ChainTemplate, Enterprise, Sector
from chainwatch.core.models import AuditEntry, Origin
from chainwatch.core.scoping import is_admin, scope
from chainwatch.geo.models import Region
from chainwatch.policy.models import PolicyDocument
from chainwatch.projects.models import Project
from chainwatch.targets.models import Target
from chainwatch.web import cockpit as cockpit_data

HISTORY_LIMIT = 200


def home(request):
    documents = (
        PolicyDocument.objects.select_related("region")
        .annotate(target_count=Count("targets", distinct=True), clause_count=Count("clauses", distinct=True))
        .order_by("-issued_on")
    )
    user = request.user
    context = {"documents": documents, "counts": None, "has_sample": False}
    if user.is_authenticated:
        context["counts"] = {
            "regions": Region.objects.count(),
            "targets": scope(Target.objects.all(), user).count(),
            "clusters": Sector.objects.filter(kind=Sector.Kind.CLUSTER).count(),
            "chains": ChainTemplate.objects.count(),
            "enterprises": scope(Enterprise.objects.all(), user).count(),
            "projects": scope(Project.objects.all(), user).count(),
        }
        context["has_sample"] = (
            scope(Enterprise.objects.filter(origin=Origin.SAMPLE), user).exists()
            or scope(Project.objects.filter(origin=Origin.SAMPLE), user).exists()
        )
    return render(request, "web/home.html", context)


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})


@login_required
@require_GET
def cockpit(request, code=None):
    region = cockpit_data.cockpit_region(request.user, code)
    cluster = (request.GET.get("cluster") or "").strip()[:40] or None
    data = cockpit_data.build(request.user, region, cluster_code=cluster)
    context = {"cockpit": data, "role_label": cockpit_data.role_label(request.user)}
    if request.headers.get("HX-Request") == "true":
        return render(request, "web/_cockpit_body.html", context)
    return render(request, "web/cockpit.html", context)


@login_required
@require_GET
def target_detail(request, pk: int):
    target = cockpit_data.target_for(request.user, pk)
    context = {"target": target, **cockpit_data.target_page(request.user, target)}
    context["history_url"] = history_url(target)
    return render(request, "web/target.html", context)


def history_url(obj) -> str:
    from django.urls import reverse

    return reverse("web:history", args=[obj._meta.app_label, obj._meta.model_name, obj.pk])


def _history_object(user, app_label: str, model_name: str, pk: int):
    """The object whose history is asked for, if the user may see it; 404 for anything else."""
    try:
        model = apps.get_model(app_label, model_name)
    except (LookupError, ValueError):
        raise Http404("unknown model") from None
    private = app_label in {"auth", "accounts", "authtoken", "sessions", "admin", "contenttypes", "core"}
    if private and not is_admin(user):
        raise Http404("not visible")
    if not private and not model.__module__.startswith("chainwatch."):
        raise Http404("unknown model")
    obj = scope(model._default_manager.filter(pk=pk), user).first()
    if obj is None:
        raise Http404("not visible")
    return obj


@login_required
@require_GET
def history(request, app_label: str, model_name: str, pk: int):
    obj = _history_object(request.user, app_label, model_name, pk)
    content_type = ContentType.objects.get_for_model(obj, for_concrete_model=False)
    entries = AuditEntry.objects.filter(content_type=content_type, object_id=str(obj.pk)).order_by("-at", "-id")
    fmt = request.GET.get("format")
    if fmt in ("csv", "jsonl"):
        return _export(entries, fmt, f"history-{app_label}-{model_name}-{obj.pk}")
    context = {"object": obj, "entries": list(entries[:HISTORY_LIMIT]), "history_url": request.path,
               "model_name": obj._meta.verbose_name}
    if request.headers.get("HX-Request") == "true":
        return render(request, "web/_history.html", context)
    return render(request, "web/history.html", context)


def _export(entries, fmt: str, name: str) -> HttpResponse:
    from chainwatch.accounts.management.commands.audit import audit_rows, write_rows

    if fmt == "jsonl":
        response = HttpResponse(content_type="application/x-ndjson; charset=utf-8")
    else:
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response.write("\ufeff")  # Excel opens UTF-8 CSV correctly with a BOM
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    write_rows(audit_rows(entries.order_by("at", "id")), response, fmt)
    return response
