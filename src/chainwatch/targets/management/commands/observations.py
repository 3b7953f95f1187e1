"""chainwatch observations import|template|completeness — reported figures in and out.

  chainwatch observations import FILE [--dry-run] [--form CODE] [--reporter USERNAME] [--period P]
  chainwatch observations template --form CODE --region CODE [--period P] -o FILE.xlsx
  chainwatch observations completeness --form CODE --period P [--format table|jsonl|csv]
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from chainwatch.core.output import FORMATS, write_rows
from chainwatch.core.periods import PeriodError
from chainwatch.targets import reporting
from chainwatch.targets.imports import import_observations
from chainwatch.targets.models import ReportingForm

COMPLETENESS_FIELDS = [
    "form", "reporter_code", "reporter", "period", "expected", "present", "completeness", "status",
    "first_submitted_at", "deadline", "timely",
]


class Command(BaseCommand):
    help = "导入观测值、生成填报模板、统计填报完整性与及时性 / import observations, templates, completeness."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="导入 CSV / XLSX / JSON")
        imp.add_argument("file")
        imp.add_argument("--dry-run", action="store_true", help="只校验，不写入 / check only, write nothing")
        imp.add_argument(
            "--no-refresh", dest="refresh", action="store_false",
            help="不更新进度快照（批量导入后统一运行 refresh-progress）/ leave the progress snapshot for a later refresh-progress",
        )
        imp.add_argument("--form", help="报表代码 / reporting form code")
        imp.add_argument("--reporter", help="填报用户名 / the reporting user's username")
        imp.add_argument("--region", help="填报地区代码（默认取用户所属地区）/ reporter region code")
        imp.add_argument("--period", help="期间 / period (2024 | 2024Q3 | 2024-06)")
        imp.add_argument("--status", choices=["draft", "submitted", "approved"], default="approved",
                         help="不指定报表时的状态（默认 approved：公开统计数据）/ status without a form")
        tpl = sub.add_parser("template", help="生成 Excel 填报模板")
        tpl.add_argument("--form", required=True)
        tpl.add_argument("--region", required=True, help="填报单位：地区代码或 dept:<id>")
        tpl.add_argument("--period", required=True)
        tpl.add_argument("-o", "--output", required=True)
        comp = sub.add_parser("completeness", help="填报完整性与及时性")
        comp.add_argument("--form", required=True)
        comp.add_argument("--period", required=True)
        comp.add_argument("--format", choices=FORMATS, default="table")

    def handle(self, *args, action, **options):
        try:
            return getattr(self, f"_{action}")(**options)
        except (reporting.ReportingError, PeriodError) as exc:
            raise CommandError(str(exc)) from exc

    def _form(self, code):
        form = ReportingForm.objects.filter(code=code).first()
        if form is None:
            raise CommandError(f"报表“{code}”不存在 / unknown form {code!r}")
        return form

    def _import(self, file, dry_run, form, reporter, region, period, status, refresh, **options):
        actor = None
        if reporter:
            actor = get_user_model().objects.select_related("profile").filter(username=reporter).first()
            if actor is None:
                raise CommandError(f"用户“{reporter}”不存在 / unknown user {reporter!r}")
        form_obj = self._form(form) if form else None
        unit = reporting.resolve_reporter(form_obj, region) if (form_obj and region) else None
        report = import_observations(
            file, actor=actor, form=form_obj, reporter=unit, period=period, dry_run=dry_run, status=status,
            refresh=refresh,
        )
        for line in report.lines():
            self.stdout.write(line)
        if not report.ok:
            raise CommandError(report.summary(), returncode=1)

    def _template(self, form, region, period, output, **options):
        form_obj = self._form(form)
        reporter = reporting.resolve_reporter(form_obj, region)
        data = reporting.template_bytes(form_obj, reporter, period)
        with open(output, "wb") as handle:
            handle.write(data)
        self.stdout.write(f"已生成 / written: {output} ({form_obj.code}, {reporter.name}, {period})")

    def _completeness(self, form, period, format, **options):
        form_obj = self._form(form)
        rows = reporting.completeness(form_obj, period)
        write_rows(rows, COMPLETENESS_FIELDS, format, self.stdout)
        if format == "table":
            s = reporting.completeness_summary(rows)

            def pct(x):
                return "—" if x is None else f"{x:.1%}"

            self.stdout.write(
                f"合计 / total: {s['reporters']} 个填报单位，应报 {s['expected']}，已报 {s['present']}，"
                f"完整率 {pct(s['completeness'])}；已提交 {s['submitted']}，及时 {s['timely']}，及时率 {pct(s['timeliness'])}"
            )
