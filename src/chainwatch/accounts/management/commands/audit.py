"""chainwatch audit export --since DATE [--until DATE] --format csv|jsonl [--output FILE]"""

from __future__ import annotations

import csv
import json
from datetime import datetime, time, timedelta

from django.core.management.base import BaseCommand
from django.utils import timezone

from chainwatch.core.models import AuditEntry
from chainwatch.core.output import parse_date_option

FIELDS = ["id", "at", "actor", "action", "model", "object_id", "object_repr", "before", "after", "note"]



def audit_rows(entries):
    for item in entries.select_related("content_type").iterator(chunk_size=2000):
        yield {
            "id": item.pk,
            "at": timezone.localtime(item.at).isoformat(),
            "actor": item.actor_name,
            "action": item.action,
            "model": f"{item.content_type.app_label}.{item.content_type.model}",
            "object_id": item.object_id,
            "object_repr": item.object_repr,
            "before": item.before,
            "after": item.after,
            "note": item.note,
        }


def write_rows(rows, stream, fmt: str) -> int:
    count = 0
    if fmt == "jsonl":
        for row in rows:
            stream.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
        return count
    writer = csv.DictWriter(stream, fieldnames=FIELDS)
    writer.writeheader()
    for row in rows:
        row = {**row, "before": json.dumps(row["before"], ensure_ascii=False) if row["before"] is not None else "",
               "after": json.dumps(row["after"], ensure_ascii=False) if row["after"] is not None else ""}
        writer.writerow(row)
        count += 1
    return count


class Command(BaseCommand):
    help = "审计记录导出 / export the audit trail"

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="导出审计记录 / export audit entries")
        export.add_argument("--since", required=True, help="起始日期 YYYY-MM-DD（含）")
        export.add_argument("--until", help="截止日期 YYYY-MM-DD（含）")
        export.add_argument("--format", choices=["csv", "jsonl"], default="jsonl")
        export.add_argument("--output", "-o", help="输出文件（默认标准输出）")

    def handle(self, *args, **options):
        tz = timezone.get_current_timezone()
        since = datetime.combine(parse_date_option(options["since"], option="--since"), time.min, tzinfo=tz)
        entries = AuditEntry.objects.filter(at__gte=since).order_by("at", "id")
        if options["until"]:
            until = datetime.combine(parse_date_option(options["until"], option="--until") + timedelta(days=1), time.min, tzinfo=tz)
            entries = entries.filter(at__lt=until)
        if options["output"]:
            newline = "" if options["format"] == "csv" else None
            with open(options["output"], "w", encoding="utf-8", newline=newline) as stream:
                count = write_rows(audit_rows(entries), stream, options["format"])
            self.stderr.write(f"{count} 条审计记录 → {options['output']}")
        else:
            write_rows(audit_rows(entries), self.stdout, options["format"])
