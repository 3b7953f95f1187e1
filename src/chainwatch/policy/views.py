"""Pages of the policy app: documents, a document's clauses with their targets and tasks (spans
highlighted), the review of proposals, and the task table. Reads go through ``scope``; writes
through ``policy.services``."""

from __future__ import annotations

import html

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from chainwatch.core.scoping import is_read_only, scope
from chainwatch.geo.models import Department
from chainwatch.policy import services
from chainwatch.policy.models import Clause, PolicyDocument, Task
from chainwatch.targets.models import Comparator, Target


def _document(request, code: str) -> PolicyDocument:
    document = scope(PolicyDocument.objects.select_related("region"), request.user).filter(code=code).first()
    if document is None:
        raise Http404(_("政策文件不存在"))
    return document


@login_required
@require_GET
def document_list(request):
    def count(queryset):  # one correlated subquery per column, no join fan-out
        return Coalesce(Subquery(queryset.filter(document=OuterRef("pk")).order_by().values("document")
                                 .annotate(n=Count("pk")).values("n")[:1]), 0)

    documents = scope(PolicyDocument.objects.select_related("region").defer("text"), request.user).annotate(
        clause_count=count(Clause.objects.all()),
        target_count=count(Target.objects.filter(review=Target.Review.ACCEPTED)),
        proposed_count=count(Target.objects.filter(review=Target.Review.PROPOSED)),
        task_count=count(Task.objects.exclude(review=Task.Review.REJECTED)),
    ).order_by("-issued_on", "code")
    return render(request, "policy/document_list.html", {"documents": documents})


def highlight(text: str, offset: int, spans: list[tuple[int, int, str]]) -> str:
    """``text`` (which starts at document offset ``offset``) escaped, with every span in
    ``spans`` (document offsets and a title) wrapped in ``<mark>``; overlapping spans merge."""
    pieces: list[str] = []
    cursor = 0
    for start, end, title in sorted(spans):
        start, end = max(start - offset, cursor), min(end - offset, len(text))
        if end <= start:
            continue
        pieces.append(html.escape(text[cursor:start]))
        pieces.append(f'<mark title="{html.escape(title)}">{html.escape(text[start:end])}</mark>')
        cursor = end
    pieces.append(html.escape(text[cursor:]))
    return mark_safe("".join(pieces))  # every piece of text above is escaped


@login_required
@require_GET
def document_detail(request, code):
    document = _document(request, code)
    targets = scope(Target.objects.filter(document=document), request.user).exclude(
        review=Target.Review.REJECTED).select_related("indicator").order_by("span_start", "id")
    tasks = scope(Task.objects.filter(document=document), request.user).exclude(
        review=Task.Review.REJECTED).prefetch_related("lead_departments").order_by("id")
    clauses = list(Clause.objects.filter(document=document).order_by("ordinal"))
    by_clause_targets: dict[int | None, list] = {}
    for target in targets:
        by_clause_targets.setdefault(target.clause_id, []).append(target)
    by_clause_tasks: dict[int | None, list] = {}
    for task in tasks:
        by_clause_tasks.setdefault(task.clause_id, []).append(task)
    text = document.text
    rows = []
    for index, clause in enumerate(clauses):
        # A clause shows its own text: up to its first child (children are shown as rows of their own).
        own_end = clause.end
        if index + 1 < len(clauses) and clauses[index + 1].start < clause.end:
            own_end = clauses[index + 1].start
        own = by_clause_targets.get(clause.id, [])
        spans = [(t.span_start, t.span_end, f"{t.indicator_text} {t.comparator}{t.value:g}{t.unit}")
                 for t in own if t.span_start is not None and t.span_end is not None]
        rows.append({
            "clause": clause, "html": highlight(text[clause.start:own_end], clause.start, spans),
            "targets": own, "tasks": by_clause_tasks.get(clause.id, []),
        })
    preamble_end = clauses[0].start if clauses else len(text)
    loose = by_clause_targets.get(None, [])
    preamble = highlight(text[:preamble_end], 0, [
        (t.span_start, t.span_end, t.indicator_text) for t in loose
        if t.span_start is not None and t.span_end is not None and t.span_end <= preamble_end])
    return render(request, "policy/document_detail.html", {
        "document": document, "rows": rows, "preamble": preamble, "loose_targets": loose,
        "loose_tasks": by_clause_tasks.get(None, []),
        "proposed": sum(1 for t in targets if t.review == Target.Review.PROPOSED)
        + sum(1 for t in tasks if t.review == Task.Review.PROPOSED),
    })


def _review_post(request, document: PolicyDocument) -> None:
    kind, action = request.POST.get("kind"), request.POST.get("action")
    try:
        item_id = int(request.POST.get("id", ""))
    except ValueError:
        messages.error(request, _("缺少条目编号。"))
        return
    model = Target if kind == "target" else Task if kind == "task" else None
    if model is None or action not in ("accept", "reject"):
        messages.error(request, _("无效的操作。"))
        return
    # The item must be visible to the reviewer and belong to this document.
    if not scope(model.objects.filter(document=document, pk=item_id), request.user).exists():
        messages.error(request, _("条目不存在或无权操作。"))
        return
    post = request.POST
    try:
        if kind == "target" and action == "accept":
            target = services.accept_target(
                item_id, actor=request.user, indicator_code=post.get("indicator") or None,
                value=post.get("value") or None, value_max=post.get("value_max") or None,
                year=post.get("year") or None, unit=post.get("unit") or None,
                comparator=post.get("comparator") or None, subject=post.get("subject") or None,
                indicator_text=post.get("indicator_text") or None,
            )
            messages.success(request, _("已采纳目标：%(t)s") % {"t": target})
        elif kind == "target":
            services.reject_target(item_id, actor=request.user, reason=post.get("reason", ""))
            messages.success(request, _("已驳回目标 %(id)s") % {"id": item_id})
        elif action == "accept":
            task = services.accept_task(item_id, actor=request.user, title=post.get("title") or None,
                                        lead_text=post.get("lead_text") or None,
                                        due_date=post.get("due_date") or None)
            messages.success(request, _("已采纳任务：%(t)s") % {"t": task.title})
        else:
            services.reject_task(item_id, actor=request.user, reason=post.get("reason", ""))
            messages.success(request, _("已驳回任务 %(id)s") % {"id": item_id})
    except services.PolicyServiceError as error:
        messages.error(request, str(error))


@login_required
@require_http_methods(["GET", "POST"])
def document_review(request, code):
    document = _document(request, code)
    read_only = is_read_only(request.user)
    if request.method == "POST":
        if read_only:
            messages.error(request, _("只读用户不能审核。"))
        else:
            _review_post(request, document)
        return redirect("policy:review", code=document.code)
    targets = scope(services.proposed_targets(document), request.user)
    tasks = scope(services.proposed_tasks(document), request.user)
    return render(request, "policy/review.html", {
        "document": document, "targets": targets, "tasks": tasks, "read_only": read_only,
        "comparators": Comparator.choices,
    })


@login_required
@require_GET
def task_list(request):
    tasks = scope(Task.objects.all(), request.user).exclude(review=Task.Review.REJECTED)
    document_code = request.GET.get("document", "")
    department = request.GET.get("department", "").strip()
    status = request.GET.get("status", "")
    if document_code:
        tasks = tasks.filter(document__code=document_code)
    if department:
        tasks = tasks.filter(Q(lead_text__contains=department) | Q(lead_departments__name__contains=department))
    if status in Task.Status.values:
        tasks = tasks.filter(status=status)
    ids = tasks.values("id")
    queryset = Task.objects.filter(id__in=ids).select_related("document", "clause").prefetch_related(
        Prefetch("lead_departments", queryset=Department.objects.only("id", "name")),
    ).order_by("document__code", "clause__ordinal", "id")
    page = Paginator(queryset, 100).get_page(request.GET.get("page"))
    documents = scope(PolicyDocument.objects.all(), request.user).only("code", "title_zh").order_by("code")
    return render(request, "policy/task_list.html", {
        "page": page, "documents": documents, "statuses": Task.Status.choices,
        "filters": {"document": document_code, "department": department, "status": status},
    })
