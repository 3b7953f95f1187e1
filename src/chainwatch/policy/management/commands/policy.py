"""`chainwatch policy …`: extract targets from a policy text, score the extractor against labels,
import a document as proposals, and review them.

    chainwatch policy extract FILE [--format jsonl|table] [--tasks]
    chainwatch policy eval LABELS_DIR DOCS_DIR [--verbose]
    chainwatch policy import FILE --code CODE --title TITLE --region CODE [--issued YYYY-MM-DD]
    chainwatch policy review --document CODE
    chainwatch policy accept ID [--indicator CODE] [--value V] [--value-max V] [--year Y] …
    chainwatch policy reject ID [--reason TEXT]

IDs: ``12`` or ``target:12`` is a proposed target, ``task:5`` a proposed task (``review`` prints
them that way). A file that cannot be read ends with a message and exit code 2.
"""

from __future__ import annotations

import getpass
import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from chainwatch.core.output import plain_number, write_rows
from chainwatch.policy import services
from chainwatch.policy.evaluate import combine, evaluate
from chainwatch.policy.extract import TARGET_FIELDS, extract_targets, extract_tasks
from chainwatch.policy.models import PolicyDocument
from chainwatch.policy.textio import PolicyTextError, read_policy_text

DOC_SUFFIXES = (".txt", ".docx", ".pdf")
TABLE_FIELDS = ("year", "comparator", "value", "value_max", "unit", "indicator", "subject", "span")
REVIEW_FIELDS = ("id", "clause", "year", "comparator", "value", "unit", "indicator", "indicator_code", "span")


def _fail(message: str) -> CommandError:
    return CommandError(message, returncode=2)


def _read(path: str) -> str:
    file = Path(path)
    if not file.exists():
        raise _fail(f"文件不存在 / no such file: {path}")
    if file.is_dir():
        raise _fail(f"这是目录，不是文件 / a directory, not a file: {path}")
    try:
        return read_policy_text(file)
    except PolicyTextError as error:
        raise _fail(str(error)) from error
    except OSError as error:
        raise _fail(f"无法读取文件 / cannot read the file: {error}") from error


def _flat(text: str) -> str:
    return " ".join(str(text).split())



class Command(BaseCommand):
    help = "政策文本抽取、评测、导入与审核 / policy text: extract, evaluate, import, review."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        extract = sub.add_parser("extract", help="抽取目标 / extract targets from a file")
        extract.add_argument("file")
        extract.add_argument("--format", choices=("jsonl", "table"), default="jsonl")
        extract.add_argument("--tasks", action="store_true", help="输出任务而非目标 / print tasks instead")

        ev = sub.add_parser("eval", help="与人工标注对比 / score against hand labels")
        ev.add_argument("labels")
        ev.add_argument("docs")
        ev.add_argument("--verbose", action="store_true", help="列出漏检和误检 / list misses and false alarms")

        imp = sub.add_parser("import", help="导入文件为待审核目标和任务 / import as proposals")
        imp.add_argument("file")
        imp.add_argument("--code", required=True)
        imp.add_argument("--title", required=True)
        imp.add_argument("--region", required=True, help="地区代码 / region code (GB/T 2260)")
        imp.add_argument("--issued", help="发布日期 YYYY-MM-DD")
        imp.add_argument("--issuer", default="")
        imp.add_argument("--doc-number", default="")
        imp.add_argument("--user", help="操作人用户名 / acting user name")

        review = sub.add_parser("review", help="列出待审核条目 / list proposed items")
        review.add_argument("--document", required=True)
        review.add_argument("--format", choices=("table", "jsonl"), default="table")

        accept = sub.add_parser("accept", help="采纳（可先修改） / accept, after edits")
        accept.add_argument("id")
        accept.add_argument("--indicator", help="正式指标代码 / indicator code")
        accept.add_argument("--value")
        accept.add_argument("--value-max")
        accept.add_argument("--year")
        accept.add_argument("--unit")
        accept.add_argument("--comparator", choices=(">=", ">", "~", "<=", "="))
        accept.add_argument("--subject")
        accept.add_argument("--title", help="任务名称 / task title")
        accept.add_argument("--lead", help="任务责任单位 / task lead departments (text)")
        accept.add_argument("--due", help="任务完成时限 / task due date YYYY-MM-DD")
        accept.add_argument("--user")

        reject = sub.add_parser("reject", help="驳回 / reject")
        reject.add_argument("id")
        reject.add_argument("--reason", default="")
        reject.add_argument("--user")

    # ------------------------------------------------------------------ dispatch

    def handle(self, *args, action, **options):
        handler = getattr(self, f"do_{action}")
        try:
            handler(**options)
        except services.PolicyServiceError as error:
            raise CommandError(str(error)) from error
        except PolicyTextError as error:
            raise _fail(str(error)) from error

    def _actor(self, username: str | None):
        if username:
            user = get_user_model().objects.filter(username=username).first()
            if user is None:
                raise CommandError(f"用户“{username}”不存在 / unknown user")
            return user
        try:
            return f"cli:{getpass.getuser()}"
        except (KeyError, OSError):
            return "cli"

    # ------------------------------------------------------------------ extract / eval

    def do_extract(self, file, format, tasks, **_):
        text = _read(file)
        if tasks:
            rows = [task.to_dict() for task in extract_tasks(text)]
            fields = ("clause_path", "title", "lead", "cooperating", "span")
        else:
            rows = [target.to_dict() for target in extract_targets(text)]
            fields = TARGET_FIELDS
        if format == "jsonl":
            for row in rows:
                self.stdout.write(json.dumps({k: row[k] for k in fields}, ensure_ascii=False))
            return
        shown = [dict(row, span=_flat(row.get("span", ""))) for row in rows]
        write_rows(shown, fields, "table", self.stdout,
                   table_fields=None if tasks else TABLE_FIELDS)

    def _document_for(self, docs: Path, stem: str) -> Path | None:
        for suffix in DOC_SUFFIXES:
            if (docs / f"{stem}{suffix}").exists():
                return docs / f"{stem}{suffix}"
        return None

    def do_eval(self, labels, docs, verbose, **_):
        labels_dir, docs_dir = Path(labels), Path(docs)
        for directory, name in ((labels_dir, "LABELS"), (docs_dir, "DOCS_DIR")):
            if not directory.is_dir():
                raise _fail(f"{name}：目录不存在 / not a directory: {directory}")
        label_files = sorted(labels_dir.glob("*.jsonl"))
        if not label_files:
            raise _fail(f"LABELS：没有 *.jsonl 标注文件 / no *.jsonl label files in {labels_dir}")
        parts = []
        rows = []
        for label_file in label_files:
            document = self._document_for(docs_dir, label_file.stem)
            if document is None:
                raise _fail(f"{label_file.name}：找不到对应文件 / no {label_file.stem}.txt|.docx|.pdf in {docs_dir}")
            labels_list = []
            for number, line in enumerate(label_file.read_text(encoding="utf-8").splitlines(), 1):
                if not line.strip():
                    continue
                try:
                    labels_list.append(json.loads(line))
                except json.JSONDecodeError as error:
                    raise _fail(f"{label_file.name} 第{number}行不是 JSON / line {number} is not JSON: {error.msg}") from error
            text = _read(str(document))
            predicted = [dict(t.to_dict(), start=t.start, end=t.end) for t in extract_targets(text)]
            scores = evaluate(predicted, labels_list)
            parts.append(scores)
            rows.append({"document": label_file.stem, **scores.to_dict()})
            if verbose:
                for miss in scores.misses:
                    self.stdout.write(f"  漏检 miss   {label_file.stem}: {self._describe(miss)}")
                for alarm in scores.false_alarms:
                    self.stdout.write(f"  误检 false  {label_file.stem}: {self._describe(alarm)}")
        total = combine(parts)
        rows.append({"document": "合计 total", **total.to_dict()})
        write_rows(rows, ("document", "tp", "fp", "fn", "precision", "recall", "f1"), "table", self.stdout)

    @staticmethod
    def _describe(item: dict) -> str:
        return (f"{_flat(item.get('span', ''))} → {item.get('value')} {item.get('unit')} "
                f"{item.get('year')} {item.get('comparator')}")

    # ------------------------------------------------------------------ import / review

    def do_import(self, file, code, title, region, issued, issuer, doc_number, user, **_):
        text = _read(file)
        result = services.import_document(
            file, text=text, actor=self._actor(user), code=code, title=title, region_code=region,
            issued=issued, issuer=issuer, doc_number=doc_number,
        )
        document = result.document
        if not result.created:
            self.stdout.write(f"已导入过（同一文本，SHA-256 相同），未作修改 / already imported as {document.code}")
            return
        self.stdout.write(self.style.SUCCESS(
            f"已导入 {document.code}：条款 {result.clauses}，待审核目标 {result.targets}，待审核任务 {result.tasks}"
            f" / imported: {result.clauses} clauses, {result.targets} proposed targets, {result.tasks} proposed tasks"
        ))
        if result.placeholders:
            self.stdout.write(f"新建待定指标 / placeholder indicators: {', '.join(result.placeholders)}")

    def _document(self, code: str) -> PolicyDocument:
        document = PolicyDocument.objects.filter(code=code).first()
        if document is None:
            raise CommandError(f"政策文件“{code}”不存在 / unknown document")
        return document

    def do_review(self, document, format, **_):
        doc = self._document(document)
        rows = [{
            "id": f"target:{t.pk}", "clause": t.clause.path if t.clause else "", "year": t.year,
            "comparator": t.comparator, "value": plain_number(t.value), "value_max": plain_number(t.value_max),
            "unit": t.unit, "indicator": t.indicator_text, "indicator_code": t.indicator.code,
            "span": _flat(t.span),
        } for t in services.proposed_targets(doc)]
        rows += [{
            "id": f"task:{t.pk}", "clause": t.clause.path if t.clause else "", "indicator": t.title,
            "indicator_code": t.lead_text, "span": _flat(t.span),
        } for t in services.proposed_tasks(doc)]
        if not rows:
            self.stdout.write("没有待审核条目 / nothing to review")
            return
        write_rows(rows, REVIEW_FIELDS if format == "table" else list(rows[0]), format, self.stdout,
                   table_fields=REVIEW_FIELDS)

    @staticmethod
    def _parse_id(value: str) -> tuple[str, int]:
        kind, _, number = value.rpartition(":")
        kind = kind or "target"
        if kind not in ("target", "task") or not number.isdigit():
            raise CommandError(f"ID“{value}”无效，应为 12、target:12 或 task:5 / invalid id")
        return kind, int(number)

    def do_accept(self, id, indicator, value, value_max, year, unit, comparator, subject, title, lead,
                  due, user, **_):
        kind, number = self._parse_id(id)
        actor = self._actor(user)
        if kind == "task":
            task = services.accept_task(number, actor=actor, title=title, lead_text=lead, due_date=due)
            self.stdout.write(self.style.SUCCESS(f"已采纳任务 / accepted task:{task.pk} {task.title}"))
            return
        target = services.accept_target(
            number, actor=actor, indicator_code=indicator, value=value, value_max=value_max, year=year,
            unit=unit, comparator=comparator, subject=subject,
        )
        self.stdout.write(self.style.SUCCESS(
            f"已采纳目标 / accepted target:{target.pk} {target.indicator.code} {target.year} "
            f"{target.comparator}{target.value:g}{target.unit}"
        ))

    def do_reject(self, id, reason, user, **_):
        kind, number = self._parse_id(id)
        actor = self._actor(user)
        if kind == "task":
            services.reject_task(number, actor=actor, reason=reason)
        else:
            services.reject_target(number, actor=actor, reason=reason)
        self.stdout.write(self.style.SUCCESS(f"已驳回 / rejected {kind}:{number}"))
