"""Reporting workflow: submission, approval up the hierarchy, completeness and timeliness, pages."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from chainwatch.accounts.models import Profile, Role
from chainwatch.core.models import AuditEntry
from chainwatch.targets import reporting
from chainwatch.targets.imports import import_observations
from chainwatch.targets.models import Observation, Submission, ValidationRule

pytestmark = pytest.mark.django_db

HEADER = "indicator_code,region_code,sector_code,period,value,unit,source\n"


@pytest.fixture
def form():
    return reporting.create_form(
        actor=None, code="T.AGRI", name_zh="测试农牧业年报",
        items=[("XL.CATTLE_STOCK", "XL.I.BEEF"), ("XL.DAIRY_COW_STOCK", None), ("XL.MILK_OUTPUT", None)],
        region_codes=["152502", "152522", "152500"], deadline_days=15,
    )


@pytest.fixture
def users(django_user_model):
    from factories import region

    def make(username, role, code):
        account = django_user_model.objects.create(username=username)
        Profile.objects.create(user=account, role=role, region=region(code))
        return account

    return {
        "xlht": make("xlht", Role.COUNTY, "152502"),      # 锡林浩特市
        "abg": make("abg", Role.COUNTY, "152522"),        # 阿巴嘎旗
        "xlm": make("xlm", Role.PREFECTURE, "152500"),    # 锡林郭勒盟
        "ordos": make("ordos", Role.PREFECTURE, "150600"),  # 鄂尔多斯市, a neighbouring league
        "nmg": make("nmg", Role.PROVINCE, "150000"),
    }


def report_values(form, user, code, tmp_path, lines):
    path = tmp_path / f"{code}.csv"
    path.write_text(HEADER + "".join(line + "\n" for line in lines), encoding="utf-8")
    report = import_observations(path, actor=user, form=form, reporter=reporting.resolve_reporter(form, code))
    assert report.ok, report.lines()
    return reporting.find_submission(form, reporting.resolve_reporter(form, code), "2024")


def full(code):
    return [f"XL.CATTLE_STOCK,{code},XL.I.BEEF,2024,12,万头,", f"XL.DAIRY_COW_STOCK,{code},,2024,3,万头,",
            f"XL.MILK_OUTPUT,{code},,2024,20,万吨,"]


def test_a_county_submission_is_approved_by_its_league_not_a_neighbour(form, users, tmp_path):
    submission = report_values(form, users["xlht"], "152502", tmp_path, full("152502"))
    assert reporting.submit(submission, actor=users["xlht"]) == []
    submission.refresh_from_db()
    assert submission.status == Submission.Status.SUBMITTED and submission.first_submitted_at is not None
    assert set(reporting.submission_observations(submission).values_list("status", flat=True)) == {"submitted"}
    with pytest.raises(reporting.ReportingError, match="应由锡林郭勒盟的用户审核"):
        reporting.approve(submission, actor=users["ordos"])
    with pytest.raises(reporting.ReportingError):
        reporting.approve(submission, actor=users["xlht"])  # not one's own
    with pytest.raises(reporting.ReportingError):
        reporting.approve(submission, actor=users["nmg"])  # the province reviews the league, not its counties
    reporting.approve(submission, actor=users["xlm"])
    submission.refresh_from_db()
    assert submission.status == "approved" and submission.reviewed_by == users["xlm"]
    assert set(reporting.submission_observations(submission).values_list("status", flat=True)) == {"approved"}
    assert AuditEntry.objects.filter(action=AuditEntry.Action.APPROVE, object_id=str(submission.pk)).count() == 1
    # approval locks the data
    path = tmp_path / "again.csv"
    path.write_text(HEADER + "XL.MILK_OUTPUT,152502,,2024,21,万吨,\n", encoding="utf-8")
    report = import_observations(path, actor=users["xlht"], form=form, reporter=reporting.resolve_reporter(form, "152502"))
    assert "已审核通过，数据已锁定" in report.errors[0].message


def test_the_league_is_approved_only_after_every_county_below(form, users, tmp_path):
    league = report_values(form, users["xlm"], "152500", tmp_path, full("152500"))
    county_a = report_values(form, users["xlht"], "152502", tmp_path, full("152502"))
    county_b = report_values(form, users["abg"], "152522", tmp_path, full("152522"))
    for submission, user in ((league, "xlm"), (county_a, "xlht"), (county_b, "abg")):
        reporting.submit(submission, actor=users[user])
    reporting.approve(county_a, actor=users["xlm"])
    league.refresh_from_db()
    with pytest.raises(reporting.ReportingError, match="下级尚未全部审核通过：阿巴嘎旗"):
        reporting.approve(league, actor=users["nmg"])
    queue = dict((s.pk, block) for s, block in reporting.approval_queue(users["nmg"]))
    assert list(queue) == [league.pk] and "阿巴嘎旗" in queue[league.pk]
    # the league returns 阿巴嘎旗 for revision; it re-reports and resubmits; then all goes up
    reporting.return_for_revision(county_b, actor=users["xlm"], comment="奶牛存栏请核实")
    county_b.refresh_from_db()
    assert (county_b.status, county_b.comment) == ("returned", "奶牛存栏请核实")
    path = tmp_path / "fix.csv"
    path.write_text(HEADER + "XL.DAIRY_COW_STOCK,152522,,2024,2.5,万头,核实后\n", encoding="utf-8")
    assert import_observations(path, actor=users["abg"], form=form, reporter=reporting.resolve_reporter(form, "152522")).versioned == 1
    reporting.submit(county_b, actor=users["abg"])
    reporting.approve(county_b, actor=users["xlm"])
    reporting.approve(league, actor=users["nmg"])
    league.refresh_from_db()
    assert league.status == "approved"


def test_return_needs_a_comment(form, users, tmp_path):
    submission = report_values(form, users["xlht"], "152502", tmp_path, full("152502"))
    reporting.submit(submission, actor=users["xlht"])
    with pytest.raises(reporting.ReportingError, match="退回须填写意见"):
        reporting.return_for_revision(submission, actor=users["xlm"], comment="  ")


def test_validation_errors_block_submission_and_warnings_do_not(form, users, tmp_path):
    submission = report_values(form, users["xlht"], "152502", tmp_path, full("152502"))
    ValidationRule.objects.create(code="T.DAIRY", name_zh="奶牛存栏不超过肉牛存栏", kind="compare", importance="error",
                                  left_expression="XL.DAIRY_COW_STOCK", operator="<=", right_expression="XL.CATTLE_STOCK / 10")
    with pytest.raises(reporting.ReportingError, match="校验未通过"):
        reporting.submit(submission, actor=users["xlht"])
    ValidationRule.objects.filter(code="T.DAIRY").update(importance="warning")
    findings = reporting.submit(submission, actor=users["xlht"])
    assert [f.rule for f in findings] == ["T.DAIRY"] and "1.2" in findings[0].message


def test_completeness_and_timeliness_by_hand(form, users, tmp_path):
    a = report_values(form, users["xlht"], "152502", tmp_path, full("152502")[:2])   # 2 of 3
    b = report_values(form, users["abg"], "152522", tmp_path, full("152522"))        # 3 of 3
    reporting.submit(a, actor=users["xlht"])
    reporting.submit(b, actor=users["abg"])
    tz = timezone.get_current_timezone()
    Submission.objects.filter(pk=a.pk).update(first_submitted_at=datetime.datetime(2025, 1, 10, 12, tzinfo=tz))
    Submission.objects.filter(pk=b.pk).update(first_submitted_at=datetime.datetime(2025, 1, 20, 9, tzinfo=tz))
    rows = reporting.completeness(form, "2024", as_of=datetime.date(2025, 2, 1))
    got = [(r["reporter_code"], r["expected"], r["present"], r["completeness"], r["status"], r["timely"]) for r in rows]
    assert got == [
        ("152500", 3, 0, 0.0, "missing", False),   # deadline 2025-01-15 passed, nothing sent
        ("152502", 3, 2, 0.6667, "submitted", True),
        ("152522", 3, 3, 1.0, "submitted", False),  # sent 2025-01-20, five days late
    ]
    assert rows[0]["deadline"] == "2025-01-15"
    summary = reporting.completeness_summary(rows)
    assert (summary["expected"], summary["present"], summary["completeness"], summary["timeliness"]) == (9, 5, 0.5556, 0.3333)
    early = reporting.completeness(form, "2024", as_of=datetime.date(2025, 1, 10))
    assert early[0]["timely"] is None  # the league's deadline has not passed yet


def test_cli_completeness(form, users, tmp_path, capsys):
    report_values(form, users["xlht"], "152502", tmp_path, full("152502")[:1])
    call_command("observations", "completeness", "--form", "T.AGRI", "--period", "2024", "--format", "jsonl")
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3 and '"reporter_code": "152502"' in lines[1] and '"present": 1' in lines[1]
    call_command("observations", "completeness", "--form", "T.AGRI", "--period", "2024")
    assert "应报 9，已报 1，完整率 11.1%" in capsys.readouterr().out
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="不是年报期间"):
        call_command("observations", "completeness", "--form", "T.AGRI", "--period", "2024Q1")


# --- pages -----------------------------------------------------------------------------------


def test_pages_require_login(client, form):
    for name, args in (("targets:forms", []), ("targets:approvals", []), ("targets:upload", ["T.AGRI"])):
        response = client.get(reverse(name, args=args))
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_form_list_and_template_download(client, form, users):
    client.force_login(users["xlht"])
    page = client.get(reverse("targets:forms")).content.decode()
    assert "测试农牧业年报" in page and "锡林浩特市" in page
    response = client.get(reverse("targets:template", args=["T.AGRI"]), {"reporter": "152502", "period": "2024"})
    assert response.status_code == 200 and "T.AGRI_152502_2024.xlsx" in response["Content-Disposition"]
    assert load_workbook(io.BytesIO(response.content))["数据"]["C2"].value == "152502"
    # another county is not among this user's reporters
    response = client.get(reverse("targets:template", args=["T.AGRI"]), {"reporter": "152522", "period": "2024"})
    assert response.status_code == 400
    response = client.get(reverse("targets:template", args=["T.AGRI"]), {"reporter": "152502", "period": "2024Q1"})
    assert response.status_code == 400 and "不是年报期间" in response.content.decode()


def test_upload_shows_the_dry_run_report_then_commits(client, form, users):
    client.force_login(users["xlht"])
    url = reverse("targets:upload", args=["T.AGRI"])
    bad = io.BytesIO((HEADER + "XL.MILK_OUTPUT,152502,,2024,很多,万吨,\nXL.DAIRY_COW_STOCK,152502,,2024,3,亿元,\n").encode())
    bad.name = "bad.csv"
    response = client.post(url, {"action": "check", "reporter": "152502", "period": "2024", "file": bad})
    page = response.content.decode()
    assert response.status_code == 400
    assert "<td>2</td><td>value</td>" in page and "<td>3</td><td>unit</td>" in page and "确认保存" not in page
    good = io.BytesIO((HEADER + "XL.MILK_OUTPUT,152502,,2024,12,万吨,\n").encode())
    good.name = "good.csv"
    response = client.post(url, {"action": "check", "reporter": "152502", "period": "2024", "file": good})
    assert response.status_code == 200 and "将新增 1 条" in response.content.decode()
    assert not Observation.objects.filter(region__code="152502", indicator__code="XL.MILK_OUTPUT").exists()
    token = response.context["token"]
    response = client.post(url, {"action": "commit", "token": token})
    submission = Submission.objects.get(form=form, region__code="152502", period="2024")
    assert response.status_code == 302 and response["Location"] == reverse("targets:submission", args=[submission.pk])
    assert Observation.objects.get(region__code="152502", indicator__code="XL.MILK_OUTPUT").value == 12
    assert client.post(url, {"action": "commit", "token": token}).status_code == 400  # a token works once
    page = client.get(response["Location"]).content.decode()
    assert "提交审核" in page and "未填报" in page


def test_approval_queue_page_and_buttons(client, form, users, tmp_path, django_assert_max_num_queries):
    for code, user in (("152502", "xlht"), ("152522", "abg")):
        reporting.submit(report_values(form, users[user], code, tmp_path, full(code)), actor=users[user])
    client.force_login(users["ordos"])
    assert "没有待您审核的填报" in client.get(reverse("targets:approvals")).content.decode()
    client.force_login(users["xlm"])
    with CaptureQueriesContext(connection) as two:
        page = client.get(reverse("targets:approvals")).content.decode()
    queries_for_two = len(two.captured_queries)
    assert page.count("审核通过</button>") == 2 and "锡林浩特市" in page and "阿巴嘎旗" in page
    a, b = Submission.objects.filter(form=form, status="submitted").order_by("region__path")
    response = client.post(reverse("targets:approve", args=[a.pk]))
    assert response.status_code == 302
    response = client.post(reverse("targets:return", args=[b.pk]), {"comment": "请补充来源"}, follow=True)
    assert "已退回" in response.content.decode()
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.status, b.status, b.comment) == ("approved", "returned", "请补充来源")
    # the queue costs the same with more rows: pin it
    reporting.submit(b, actor=users["abg"])
    with django_assert_max_num_queries(queries_for_two):
        client.get(reverse("targets:approvals"))
    assert queries_for_two <= 10


def test_approve_needs_post_and_csrf(form, users, tmp_path):
    submission = report_values(form, users["xlht"], "152502", tmp_path, full("152502"))
    reporting.submit(submission, actor=users["xlht"])
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["xlm"])
    assert client.get(reverse("targets:approve", args=[submission.pk])).status_code == 405
    assert client.post(reverse("targets:approve", args=[submission.pk])).status_code == 403
    submission.refresh_from_db()
    assert submission.status == "submitted"


def test_a_neighbour_cannot_see_or_approve_a_submission(client, form, users, tmp_path):
    submission = report_values(form, users["xlht"], "152502", tmp_path, full("152502"))
    reporting.submit(submission, actor=users["xlht"])
    client.force_login(users["ordos"])
    assert client.get(reverse("targets:submission", args=[submission.pk])).status_code == 404
    assert client.post(reverse("targets:approve", args=[submission.pk])).status_code == 404
