"""Reporting pages: forms, template download, upload with a dry-run report, submission, approval."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from chainwatch.core.periods import PeriodError
from chainwatch.core.scoping import scope
from chainwatch.targets import reporting
from chainwatch.targets.forms import ReporterPeriodForm, ReturnForm, UploadForm
from chainwatch.targets.imports import import_observations
from chainwatch.targets.models import ReportingForm, Submission, series_key

_SESSION_KEY = "targets.uploads"


def _message(request, title: str, text: str, status: int = 400):
    return render(request, "targets/message.html", {"title": title, "text": text}, status=status)


def _my_reporters(user, form: ReportingForm) -> list[reporting.Reporter]:
    return [r for r in form.all_reporters if reporting.may_report(user, r)]


def _attach_reporters(forms) -> None:
    for form in forms:
        form.all_reporters = [reporting.Reporter(r) for r in form.regions.all()] + [
            reporting.Reporter(d.region, d) for d in form.departments.all()
        ]


def _forms_queryset():
    return ReportingForm.objects.filter(active=True).prefetch_related("regions", "departments__region", "items")


@login_required
@require_GET
def form_list(request):
    forms = list(_forms_queryset())
    _attach_reporters(forms)
    rows = []
    for form in forms:
        mine = _my_reporters(request.user, form)
        rows.append({"form": form, "mine": mine, "item_count": len(form.items.all()),
                     "reporter_count": len(form.all_reporters)})
    submissions = (
        scope(Submission.objects.all(), request.user)
        .select_related("form", "region", "department")
        .order_by("-updated_at")[:50]
    )
    return render(request, "targets/form_list.html", {"rows": rows, "submissions": submissions})


def _form_and_reporters(request, code):
    form = _forms_queryset().filter(code=code).first()
    if form is None:
        raise Http404(_("报表不存在"))
    _attach_reporters([form])
    return form, _my_reporters(request.user, form)


@login_required
@require_GET
def template_download(request, code):
    form, mine = _form_and_reporters(request, code)
    selector = ReporterPeriodForm(request.GET or None, reporters=mine)
    if not request.GET:
        return render(request, "targets/template.html", {"form": form, "selector": selector})
    if not selector.is_valid():
        return render(request, "targets/template.html", {"form": form, "selector": selector}, status=400)
    reporter = next(r for r in mine if r.code == selector.cleaned_data["reporter"])
    period = selector.cleaned_data["period"]
    try:
        data = reporting.template_bytes(form, reporter, period)
    except (reporting.ReportingError, PeriodError) as exc:
        selector.add_error("period", str(exc))
        return render(request, "targets/template.html", {"form": form, "selector": selector}, status=400)
    response = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    filename = reporting.template_filename(form, reporter, period)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _upload_dir() -> Path:
    path = Path(settings.MEDIA_ROOT) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


@login_required
def upload(request, code):
    form, mine = _form_and_reporters(request, code)
    context = {"form": form}
    if request.method == "POST" and request.POST.get("action") == "commit":
        return _commit_upload(request, form, mine)
    upload_form = UploadForm(request.POST or None, request.FILES or None, reporters=mine)
    context["upload_form"] = upload_form
    if request.method != "POST":
        return render(request, "targets/upload.html", context)
    if not upload_form.is_valid():
        return render(request, "targets/upload.html", context, status=400)
    reporter = next(r for r in mine if r.code == upload_form.cleaned_data["reporter"])
    period = upload_form.cleaned_data["period"]
    uploaded = upload_form.cleaned_data["file"]
    report = import_observations(
        uploaded, actor=request.user, filename=uploaded.name, form=form, reporter=reporter, period=period,
        dry_run=True,
    )
    context["report"] = report
    if report.ok and (report.created or report.versioned):
        token = uuid.uuid4().hex
        path = _upload_dir() / f"{token}.bin"
        if uploaded.size <= 50 * 1024 * 1024:
            with path.open("wb") as handle:
                for chunk in uploaded.chunks():
                    handle.write(chunk)
            pending = request.session.get(_SESSION_KEY, {})
            pending[token] = {"path": str(path), "form": form.code, "reporter": reporter.code, "period": period,
                              "filename": uploaded.name}
            request.session[_SESSION_KEY] = pending
            context["token"] = token
    return render(request, "targets/upload.html", context, status=200 if report.ok else 400)


def _commit_upload(request, form, mine):
    pending = request.session.get(_SESSION_KEY, {})
    item = pending.pop(request.POST.get("token", ""), None)
    request.session[_SESSION_KEY] = pending
    if item is None or item["form"] != form.code:
        return _message(request, _("上传已失效"), _("请重新选择文件并校验。"))
    reporter = next((r for r in mine if r.code == item["reporter"]), None)
    if reporter is None:
        return _message(request, _("无权填报"), _("您不能代表该单位填报。"), status=403)
    path = Path(item["path"])
    try:
        report = import_observations(
            path, actor=request.user, filename=item["filename"], form=form, reporter=reporter, period=item["period"],
        )
    finally:
        path.unlink(missing_ok=True)
    if not report.ok:
        return render(request, "targets/upload.html", {"form": form, "report": report,
                                                       "upload_form": UploadForm(reporters=mine)}, status=400)
    messages.success(request, report.summary())
    submission = reporting.find_submission(form, reporter, item["period"])
    if submission is None:
        return redirect("targets:forms")
    return redirect("targets:submission", pk=submission.pk)


def _scoped_submission(request, pk) -> Submission:
    queryset = scope(Submission.objects.all(), request.user).select_related(
        "form", "region", "region__parent", "department", "department__region", "submitted_by", "reviewed_by"
    )
    return get_object_or_404(queryset, pk=pk)


@login_required
@require_GET
def submission_detail(request, pk):
    submission = _scoped_submission(request, pk)
    items = reporting.form_items(submission.form)
    observations = {
        obs.series: obs
        for obs in reporting.submission_observations(submission, items).select_related("reporter")
    }
    rows = []
    for item in items:
        obs = observations.get(series_key(item.indicator_id, submission.region_id, item.sector_id, item.chain_node_id))
        rows.append({"item": item, "obs": obs})
    findings = reporting.validate_submission(submission)
    reporter = reporting.Reporter(submission.region, submission.department)
    context = {
        "submission": submission,
        "rows": rows,
        "findings": findings,
        "has_errors": any(f.is_error for f in findings),
        "may_submit": reporting.may_report(request.user, reporter)
        and submission.status in (Submission.Status.DRAFT, Submission.Status.RETURNED),
        "review_block": reporting.approval_block(request.user, submission),
        "return_form": ReturnForm(),
        "deadline": reporting.deadline_of(submission.form, submission.period_end),
    }
    return render(request, "targets/submission.html", context)


@login_required
@require_POST
def submission_submit(request, pk):
    submission = _scoped_submission(request, pk)
    try:
        findings = reporting.submit(submission, actor=request.user)
    except reporting.ReportingError as exc:
        messages.error(request, str(exc))
    else:
        warnings = [f for f in findings if not f.is_error]
        messages.success(request, _("已提交审核。") + (_("（有 %(n)d 条警告）") % {"n": len(warnings)} if warnings else ""))
    return redirect("targets:submission", pk=submission.pk)


@login_required
@require_GET
def approval_queue(request):
    queue = reporting.approval_queue(request.user)
    return render(request, "targets/approvals.html", {"queue": queue, "return_form": ReturnForm()})


@login_required
@require_POST
def submission_approve(request, pk):
    submission = _scoped_submission(request, pk)
    try:
        reporting.approve(submission, actor=request.user)
    except reporting.ReportingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已审核通过：%(s)s") % {"s": submission})
    return redirect("targets:approvals")


@login_required
@require_POST
def submission_return(request, pk):
    submission = _scoped_submission(request, pk)
    form = ReturnForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("退回须填写意见。"))
        return redirect("targets:approvals")
    try:
        reporting.return_for_revision(submission, actor=request.user, comment=form.cleaned_data["comment"])
    except reporting.ReportingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("已退回：%(s)s") % {"s": submission})
    return redirect("targets:approvals")

