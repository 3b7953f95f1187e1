"""`chainwatch projects recompute|escalate|projection|export|mechanisms`."""

import json
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from chainwatch.core.output import parse_date_option
from chainwatch.projects import exports
from chainwatch.projects.models import Project
from chainwatch.projects.services import (
    ProjectError,
    ensure_mechanisms,
    escalate_overdue,
    project_target,
    recompute_tiers_and_colours,
    scenario_from,
    scoped_projects,
)
from chainwatch.targets.models import Target


class Command(BaseCommand):
    help = "项目调度：recompute 重算分级与预警，escalate 逾期问题升级，projection 目标测算，export 导出，mechanisms 建立七个一清单。"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        recompute = sub.add_parser("recompute", help="recompute tiers and colours of every project")
        recompute.add_argument("--as-of", dest="as_of", help="YYYY-MM-DD (default today)")
        recompute.add_argument("--region", help="region code (subtree)")
        escalate = sub.add_parser("escalate", help="escalate overdue dispatch issues (idempotent)")
        escalate.add_argument("--as-of", dest="as_of", help="YYYY-MM-DD (default today)")
        projection = sub.add_parser("projection", help="project a capacity target from built capacity and projects")
        projection.add_argument("--target", required=True, help="target key, e.g. im-li-cap-cell-2025")
        projection.add_argument("--slip-months", dest="slip_months", type=int, default=0)
        projection.add_argument("--projects", help="comma-separated project codes that slip (default all)")
        export = sub.add_parser("export", help="export projects as OC4IDS JSON or XLSX")
        export.add_argument("--format", choices=["oc4ids", "xlsx"], required=True)
        export.add_argument("-o", "--output", required=True, help="file (- for standard output, JSON only)")
        export.add_argument("--region", help="region code (subtree)")
        sub.add_parser("mechanisms", help="create the 七个一 checklist of every cluster (idempotent)")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"do_{action}")(**options)
        except ProjectError as exc:
            raise CommandError(str(exc)) from exc

    def do_recompute(self, *, as_of=None, region=None, **_):
        projects = scoped_projects(None, region_code=region) if region else Project.objects.all()
        summary = recompute_tiers_and_colours(projects, as_of=parse_date_option(as_of) or timezone.localdate(), actor=None)
        self.stdout.write(json.dumps(summary.as_dict(), ensure_ascii=False))

    def do_escalate(self, *, as_of=None, **_):
        issues = escalate_overdue(as_of=parse_date_option(as_of) or timezone.localdate(), actor=None)
        for issue in issues:
            self.stdout.write(f"{issue.project.code}\t{issue.pk}\t{issue.level}\t{issue.description[:40]}")
        self.stdout.write(f"升级 {len(issues)} 个逾期问题 / escalated {len(issues)} overdue issues")

    def do_projection(self, *, target, slip_months=0, projects=None, **_):
        found = Target.objects.select_related("indicator", "region", "chain_node").filter(key=target).first()
        if found is None:
            raise CommandError(f"目标“{target}”不存在 / unknown target key")
        result = project_target(found, scenario=scenario_from(slip_months, projects))
        payload = {"target": found.key, "unit": found.unit, "region": found.region.code,
                   "chain_node": found.chain_node.code, **result.as_dict()}
        self.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2))

    def do_export(self, *, format, output, region=None, **_):
        projects = scoped_projects(None, region_code=region)
        if format == "oc4ids":
            text = json.dumps(exports.oc4ids_package(projects), ensure_ascii=False, indent=2)
            if output == "-":
                self.stdout.write(text)
                return
            with open(output, "w", encoding="utf-8") as handle:
                handle.write(text)
            self.stderr.write(f"写入 {output}")
            return
        if output == "-":
            count = exports.write_xlsx(projects, sys.stdout.buffer)
            return
        with open(output, "wb") as handle:
            count = exports.write_xlsx(projects, handle)
        self.stderr.write(f"写入 {output}：{count} 个项目")

    def do_mechanisms(self, **_):
        created = ensure_mechanisms(actor=None)
        self.stdout.write(f"新建 {created} 项“七个一”清单条目 / created {created} checklist items")
