"""`chainwatch enterprises import FILE [--dry-run] | review [--resolve ID --as match|create|reject] | merge KEEP DROP`."""

from django.core.management.base import BaseCommand, CommandError

from chainwatch.chains import services
from chainwatch.chains.imports import EnterpriseImportError, import_enterprises
from chainwatch.chains.models import EnterpriseMatchReview
from chainwatch.core.output import write_rows

REVIEW_FIELDS = ["id", "status", "row", "name", "uscc", "region", "candidate_id", "candidate", "score", "reason"]


class Command(BaseCommand):
    help = "企业名录：导入、待审核匹配、合并 / enterprise registry: import, review queue, merge."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        p = sub.add_parser("import", help="导入XLSX/CSV企业名录 / import an XLSX or CSV registry")
        p.add_argument("file")
        p.add_argument("--dry-run", action="store_true", help="只检查不写入 / check only, write nothing")
        p = sub.add_parser("review", help="待审核匹配 / the match review queue")
        p.add_argument("--all", action="store_true", help="含已处理 / include resolved")
        p.add_argument("--resolve", type=int, metavar="ID")
        p.add_argument("--as", dest="decision", choices=("match", "create", "reject"))
        p.add_argument("--format", choices=("table", "jsonl", "csv"), default="table")
        p = sub.add_parser("merge", help="合并企业（保留KEEP，并入DROP） / merge DROP into KEEP")
        p.add_argument("keep", type=int)
        p.add_argument("drop", type=int)
        p.add_argument("--note", default="")

    def handle(self, *args, action, **options):
        try:
            getattr(self, f"do_{action}")(**options)
        except EnterpriseImportError as exc:
            raise CommandError(str(exc)) from exc
        except services.ChainError as exc:
            raise CommandError(str(exc)) from exc

    def do_import(self, *, file, dry_run, **_):
        result = import_enterprises(file, actor=None, dry_run=dry_run)
        rows = [
            {"row": r.row, "action": r.action, "name": r.name, "enterprise": r.enterprise_id, "note": r.note}
            for r in result.rows
        ]
        write_rows(rows, ["row", "action", "name", "enterprise", "note"], "table", self.stdout)
        counts = "，".join(f"{k} {v}" for k, v in sorted(result.counts.items()))
        prefix = "试运行，未写入 / dry run, nothing written" if dry_run else f"已导入（批次#{result.batch_id}） / imported"
        self.stdout.write(f"{prefix}：{counts}\n")

    def do_review(self, *, all, resolve, decision, format, **_):
        if resolve is not None:
            if not decision:
                raise CommandError("请用 --as match|create|reject 指定处理方式 / give --as")
            review = services.resolve_review(resolve, decision, actor=None)
            self.stdout.write(f"#{review.pk} {review.get_status_display()} → {review.result_id or '—'}\n")
            return
        reviews = EnterpriseMatchReview.objects.select_related("region", "candidate").order_by("id")
        if not all:
            reviews = reviews.filter(status=EnterpriseMatchReview.Status.OPEN)
        rows = (
            {"id": r.pk, "status": r.status, "row": r.row_number, "name": r.name, "uscc": r.uscc,
             "region": r.region.code, "candidate_id": r.candidate_id,
             "candidate": r.candidate.name if r.candidate_id else "", "score": round(r.score, 3), "reason": r.reason}
            for r in reviews
        )
        write_rows(rows, REVIEW_FIELDS, format, self.stdout)

    def do_merge(self, *, keep, drop, note, **_):
        enterprise = services.merge_enterprises(keep, drop, actor=None, note=note)
        self.stdout.write(f"已合并 / merged #{drop} → #{enterprise.pk} {enterprise.name}\n")
