"""chainwatch refresh-progress: 重算并保存全部目标的进度快照（驾驶舱读取）/ store every target's progress."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from chainwatch.core.output import parse_date_option
from chainwatch.targets.snapshot import refresh_progress


class Command(BaseCommand):
    help = "重算并保存全部目标的进度快照 / recompute and store the progress snapshot of every target."

    def add_arguments(self, parser):
        parser.add_argument("--as-of", dest="as_of", help="评价日期 YYYY-MM-DD（默认今天）/ evaluation date (default today)")

    def handle(self, *args, **options):
        as_of = parse_date_option(options.get("as_of"))
        count = refresh_progress(as_of=as_of)
        self.stdout.write(f"已更新 {count} 个目标的进度快照 / refreshed {count} targets")
