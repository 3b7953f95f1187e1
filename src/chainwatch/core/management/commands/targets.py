from django.core.management.base import BaseCommand, CommandError

from chainwatch.core.output import FORMATS, write_rows
from chainwatch.geo.models import Region
from chainwatch.policy.models import PolicyDocument
from chainwatch.targets.models import Target
from chainwatch.targets.services import target_row

FIELDS = [
    "id", "key", "indicator", "indicator_code", "sector", "sector_code", "region_code", "region", "year",
    "value", "value_max", "unit", "comparator", "change", "count_of", "qualifier", "document", "clause", "span",
]
TABLE_FIELDS = ["id", "region", "indicator", "sector", "year", "comparator", "value", "unit", "clause"]


class Command(BaseCommand):
    help = "列出目标及其原文出处 / list targets with their source span."

    def add_arguments(self, parser):
        parser.add_argument("--region", help="地区代码（含下级） / region code, subtree included")
        parser.add_argument("--document", help="政策文件代码 / document code")
        parser.add_argument("--year", type=int)
        parser.add_argument("--format", choices=FORMATS, default="table")

    def handle(self, *args, region, document, year, format, **options):
        targets = Target.objects.select_related(
            "indicator", "region", "sector", "chain_node", "document", "clause"
        ).exclude(review=Target.Review.REJECTED)
        if region:
            found = Region.objects.filter(code=region, valid_to__isnull=True).first()
            if found is None:
                raise CommandError(f"地区代码“{region}”不存在 / unknown region code")
            targets = targets.filter(region__path__startswith=found.path)
        if document:
            if not PolicyDocument.objects.filter(code=document).exists():
                raise CommandError(f"政策文件“{document}”不存在 / unknown document")
            targets = targets.filter(document__code=document)
        if year:
            targets = targets.filter(year=year)
        rows = (target_row(t) for t in targets.order_by("document__code", "span_start", "id"))
        write_rows(rows, FIELDS, format, self.stdout, table_fields=TABLE_FIELDS)
