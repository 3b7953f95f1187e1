"""`chainwatch rules evaluate|list`: the dispatch rules stored in the database."""

import json

from django.core.management.base import BaseCommand, CommandError

from chainwatch.core.output import FORMATS, parse_date_option, write_rows
from chainwatch.projects import rules as engine
from chainwatch.projects.models import Rule
from chainwatch.projects.services import ProjectError, evaluate_jurisdiction

LIST_FIELDS = ["key", "kind", "jurisdiction", "jurisdiction_name", "effective_from", "effective_to", "document", "clause", "span", "params"]
TABLE_FIELDS = ["key", "kind", "jurisdiction", "jurisdiction_name", "effective_from", "effective_to", "clause"]



class Command(BaseCommand):
    help = "调度规则：evaluate 按地区规则评价，list 列出规则 / evaluate or list the dispatch rules."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        evaluate = sub.add_parser("evaluate", help="evaluate the rule in force for a jurisdiction")
        evaluate.add_argument("--jurisdiction", required=True, help="地区代码 / region code (GB/T 2260)")
        evaluate.add_argument("--rule", required=True, choices=engine.KINDS)
        evaluate.add_argument("--input", required=True, help="JSON object; keys per kind: " + "; ".join(
            f"{kind}: {', '.join(keys)}" for kind, keys in engine.INPUT_KEYS.items()) + " (amounts in 元)")
        evaluate.add_argument("--on", help="评价日期 / date the rule must be in force (default today)")
        listing = sub.add_parser("list", help="list stored rules")
        listing.add_argument("--kind", choices=engine.KINDS)
        listing.add_argument("--format", choices=FORMATS, default="table")

    def handle(self, *args, action, **options):
        if action == "evaluate":
            try:
                facts = json.loads(options["input"])
            except json.JSONDecodeError as exc:
                raise CommandError(f"--input 不是有效 JSON：{exc} / --input is not valid JSON") from exc
            on = parse_date_option(options.get("on"), option="--on")
            try:
                decision = evaluate_jurisdiction(options["jurisdiction"], options["rule"], facts, on=on)
            except ProjectError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(json.dumps(decision.as_dict(), ensure_ascii=False))
            return
        rows = Rule.objects.select_related("jurisdiction", "document", "clause").order_by("kind", "jurisdiction__code", "effective_from")
        if options.get("kind"):
            rows = rows.filter(kind=options["kind"])
        out = ({
            "key": r.key, "kind": r.kind, "jurisdiction": r.jurisdiction.code, "jurisdiction_name": r.jurisdiction.name_zh,
            "effective_from": r.effective_from.isoformat(), "effective_to": r.effective_to.isoformat() if r.effective_to else None,
            "document": r.document.code if r.document_id else None, "clause": r.clause.path if r.clause_id else None,
            "span": r.span or None, "params": r.params,
        } for r in rows)
        write_rows(out, LIST_FIELDS, options["format"], self.stdout, table_fields=TABLE_FIELDS)
