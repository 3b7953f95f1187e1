"""chainwatch report: 调度报告 / 调度会议材料 as HTML, PDF, XLSX or DOCX."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from chainwatch.core.output import parse_date_option
from chainwatch.reports.dispatch import ReportError, build_dispatch_report, resolve_scope
from chainwatch.reports.meeting import build_meeting_pack
from chainwatch.reports.render import FORMATS, render

KINDS = {"dispatch": build_dispatch_report, "meeting": build_meeting_pack}


class Command(BaseCommand):
    help = "生成调度报告或调度会议材料 / write a dispatch report or meeting pack."

    def add_arguments(self, parser):
        parser.add_argument("--region", required=True, help="地区代码（含下级） / region code, subtree included")
        parser.add_argument("--cluster", help="产业集群代码 / cluster code")
        parser.add_argument("--as-of", dest="as_of", required=True, help="截至日期 YYYY-MM-DD / as-of date")
        parser.add_argument("--format", choices=FORMATS, required=True)
        parser.add_argument("--kind", choices=sorted(KINDS), default="dispatch")
        parser.add_argument("-o", "--output", required=True, help="输出文件 / output file")

    def handle(self, *args, region, cluster=None, as_of, format, kind="dispatch", output, **options):
        as_of_date = parse_date_option(as_of)
        try:
            region_obj, cluster_obj = resolve_scope(region, cluster)
        except ReportError as exc:
            raise CommandError(str(exc)) from exc
        path = Path(output)
        if path.is_dir():
            raise CommandError(f"输出路径“{path}”是目录 / output path {str(path)!r} is a directory")
        if not path.parent.exists():
            raise CommandError(f"输出目录“{path.parent}”不存在 / output directory {str(path.parent)!r} does not exist")
        report = KINDS[kind](region=region_obj, cluster=cluster_obj, as_of=as_of_date)
        content = render(report, format)
        try:
            path.write_bytes(content)
        except OSError as exc:
            raise CommandError(f"无法写入“{path}”：{exc.strerror} / cannot write {str(path)!r}: {exc.strerror}") from exc
        self.stdout.write(f"{report.title}已写入 {path}（{len(content):,} 字节） / written")
