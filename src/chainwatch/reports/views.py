"""Pick a region, cluster, date and format, and download the dispatch report or meeting pack."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from chainwatch.chains.models import Sector
from chainwatch.core.scoping import home_region, is_admin, profile_of
from chainwatch.geo.models import Region
from chainwatch.reports.dispatch import ReportError, build_dispatch_report, resolve_scope
from chainwatch.reports.forms import ReportForm
from chainwatch.reports.meeting import build_meeting_pack
from chainwatch.reports.render import CONTENT_TYPES, filename
from chainwatch.reports.render import render as render_report

BUILDERS = {"dispatch": build_dispatch_report, "meeting": build_meeting_pack}


def may_request(user, region: Region) -> bool:
    """A user may request reports for regions within their own subtree (administrators: all)."""
    if is_admin(user):
        return True
    if profile_of(user) is None:
        return False
    home = home_region(user)
    return home is not None and region.path.startswith(home.path)


@login_required
def index(request):
    home = home_region(request.user)
    regions = Region.objects.filter(valid_to__isnull=True, targets__isnull=False).distinct().order_by("path")
    clusters = Sector.objects.filter(kind=Sector.Kind.CLUSTER).select_related("region").order_by("code")
    if not is_admin(request.user):
        if home is None:
            regions, clusters = regions.none(), clusters.none()
        else:
            regions = regions.filter(path__startswith=home.path)
            clusters = clusters.filter(region__path__startswith=home.path)
    initial = {"region": home.code} if home is not None else {}
    form = ReportForm(request.GET or None, initial=initial)
    status = 200
    if request.GET:
        if form.is_valid():
            data = form.cleaned_data
            try:
                region, cluster = resolve_scope(data["region"], data["cluster"] or None)
            except ReportError as exc:
                form.add_error(None, str(exc))
                status = 400
            else:
                if not may_request(request.user, region):
                    raise PermissionDenied(_("只能生成本地区及下级地区的报告 / you may only request your own region's subtree"))
                report = BUILDERS[data["kind"]](region=region, cluster=cluster, as_of=data["as_of"], user=request.user)
                fmt = data["format"]
                response = HttpResponse(render_report(report, fmt), content_type=CONTENT_TYPES[fmt])
                disposition = "inline" if fmt == "html" else "attachment"
                response["Content-Disposition"] = f'{disposition}; filename="{filename(report, fmt)}"'
                return response
        else:
            status = 400
    context = {"form": form, "regions": regions, "clusters": clusters}
    return render(request, "reports/index.html", context, status=status)
