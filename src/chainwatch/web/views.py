from django.db import connection
from django.db.models import Count
from django.http import JsonResponse
from django.shortcuts import render

from chainwatch.chains.models import ChainTemplate, Enterprise, Sector
from chainwatch.core.models import Origin
from chainwatch.geo.models import Region
from chainwatch.policy.models import PolicyDocument
from chainwatch.projects.models import Project
from chainwatch.targets.models import Target


def home(request):
    documents = (
        PolicyDocument.objects.select_related("region")
        .annotate(target_count=Count("targets", distinct=True), clause_count=Count("clauses", distinct=True))
        .order_by("-issued_on")
    )
    context = {
        "documents": documents,
        "counts": {
            "regions": Region.objects.count(),
            "targets": Target.objects.count(),
            "clusters": Sector.objects.filter(kind=Sector.Kind.CLUSTER).count(),
            "chains": ChainTemplate.objects.count(),
            "enterprises": Enterprise.objects.count(),
            "projects": Project.objects.count(),
        },
        "has_sample": Enterprise.objects.filter(origin=Origin.SAMPLE).exists()
        or Project.objects.filter(origin=Origin.SAMPLE).exists(),
    }
    return render(request, "web/home.html", context)


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})
