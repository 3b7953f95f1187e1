from django.core.management.base import BaseCommand
from django.db.models import Count

from chainwatch.core.output import FORMATS, write_rows
from chainwatch.targets.models import Indicator

FIELDS = ["code", "name_zh", "name_en", "unit", "kind", "aggregation", "direction", "cycle", "definition", "targets"]


class Command(BaseCommand):
    help = "列出指标 / list indicators."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=FORMATS, default="table")

    def handle(self, *args, format, **options):
        rows = (
            {**{f: getattr(i, f) for f in FIELDS[:-1]}, "targets": i.target_count}
            for i in Indicator.objects.annotate(target_count=Count("targets")).order_by("code")
        )
        write_rows(rows, FIELDS, format, self.stdout, table_fields=["code", "name_zh", "unit", "kind", "aggregation", "direction", "targets"])
