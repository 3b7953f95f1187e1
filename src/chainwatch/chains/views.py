"""Chain pages: the panorama (ECharts graph coloured by verdict) and its node detail partial."""

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone

from chainwatch.chains import services
from chainwatch.chains.models import Capacity, ChainTemplate
from chainwatch.core.scoping import scope
from chainwatch.geo.models import Region


def _int(value, default: int, low: int = 1900, high: int = 2100) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if low <= number <= high else default


def _regions_with_data(user) -> list[Region]:
    """Regions the user may see that have capacity rows or chain-node targets or aggregates."""
    from chainwatch.targets.models import Observation, Target

    ids = set(scope(Capacity.objects.all(), user).values_list("region_id", flat=True).distinct())
    ids |= set(scope(Target.objects.filter(chain_node__isnull=False), user).values_list("region_id", flat=True).distinct())
    ids |= set(
        scope(Observation.objects.filter(chain_node__isnull=False), user).values_list("region_id", flat=True).distinct()
    )
    profile = getattr(user, "profile", None)
    condition = Q(id__in=ids)
    if profile is not None and profile.region_id:
        condition |= Q(id=profile.region_id)
    return list(Region.objects.filter(condition, valid_to__isnull=True).order_by("path"))


@login_required
def panorama(request):
    regions = _regions_with_data(request.user)
    profile = getattr(request.user, "profile", None)
    default_region = profile.region.code if profile is not None and profile.region_id else "150000"
    codes = {r.code for r in regions}
    region = request.GET.get("region") or default_region
    if region not in codes and regions:
        region = default_region if default_region in codes else regions[0].code
    context = {
        "regions": regions,
        "region": region,
        "year": _int(request.GET.get("year"), 2025),
        "basis": request.GET.get("basis") if request.GET.get("basis") in services.BASES else "targets",
        "subtree": request.GET.get("subtree") in ("1", "on", "true"),
        "template": request.GET.get("template") or services.DEFAULT_TEMPLATE,
        "templates": ChainTemplate.objects.order_by("code"),
        "bases": [
            ("built", "已建成"), ("construction", "已建成+在建"), ("planned", "已建成+在建+规划"), ("targets", "政策目标"),
        ],
        "years": list(range(timezone.localdate().year - 3, 2031)),
        "legend": [(services.VERDICT_LABELS[v], c) for v, c in services.VERDICT_COLOURS.items()],
    }
    return render(request, "chains/panorama.html", context)


@login_required
def node_detail(request):
    region = request.GET.get("region", "")
    node = request.GET.get("node", "")
    year = _int(request.GET.get("year"), timezone.localdate().year)
    try:
        detail = services.node_detail(region, node, year=year, user=request.user)
    except services.ChainError as exc:
        return HttpResponseBadRequest(str(exc))
    return render(request, "chains/_node.html", detail)
