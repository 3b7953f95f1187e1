"""Pages: the project board (columns by stage, colour badges), a project page with its updates
and issues, the clusters' 七个一 checklist and the investment leads. Login required, scoped."""

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone

from chainwatch.chains.models import Sector
from chainwatch.core.scoping import scope
from chainwatch.projects.models import (
    DispatchIssue,
    Lead,
    LeadShare,
    Project,
    ProjectUpdate,
    Stage,
    StageChange,
)
from chainwatch.projects.services import flags_for, mechanism_scores

BOARD_STAGES = [Stage.PIPELINE, Stage.SIGNED, Stage.STARTED, Stage.CONSTRUCTION, Stage.OPERATING, Stage.PAUSED]
COLOURS = ("red", "yellow", "green")


@login_required
def board(request):
    projects = scope(Project.objects.select_related("region", "owner", "rating"), request.user)
    colour = request.GET.get("colour")
    if colour in COLOURS:
        projects = projects.filter(rating__colour=colour)
    projects = projects.annotate(
        open_issues=Count("issues", filter=~Q(issues__status=DispatchIssue.Status.RESOLVED))
    ).order_by("rating__colour", "code")
    by_stage = {stage.value: [] for stage in BOARD_STAGES}
    for project in projects:
        by_stage.setdefault(project.stage, []).append(project)
    columns = [{"stage": stage, "projects": by_stage[stage.value]} for stage in BOARD_STAGES]
    counts = {c: sum(1 for col in columns for p in col["projects"] if p.rated.colour == c) for c in COLOURS}
    return render(request, "projects/board.html", {"columns": columns, "counts": counts, "colour": colour})


@login_required
def detail(request, code):
    projects = scope(Project.objects.select_related("region", "owner", "department", "sector", "rating"), request.user)
    project = projects.filter(code=code).prefetch_related(
        "nodes",
        Prefetch("updates", queryset=ProjectUpdate.objects.select_related("corrected_by").order_by("-period", "-id")),
        Prefetch("issues", queryset=DispatchIssue.objects.select_related("owner").order_by("status", "due")),
        Prefetch("stage_changes", queryset=StageChange.objects.order_by("-at", "-id")),
    ).first()
    if project is None:
        raise Http404("项目不存在或不在您的辖区内")
    return render(request, "projects/detail.html", {"project": project, "today": timezone.localdate()})


@login_required
def clusters(request):
    rows = mechanism_scores(scope(Sector.objects.all(), request.user))
    return render(request, "projects/clusters.html", {"rows": rows})


@login_required
def leads(request):
    queryset = scope(Lead.objects.select_related("jurisdiction", "region", "node").prefetch_related(
        Prefetch("shares", queryset=LeadShare.objects.select_related("region"))
    ), request.user).order_by("-received_on", "id")[:500]
    rows = list(queryset)
    today = timezone.localdate()
    flags = flags_for(rows, as_of=today)
    return render(request, "projects/leads.html", {"rows": [(lead, flags[lead.pk]) for lead in rows], "today": today})
