"""调度报告 and 调度会议材料: structure computed by hand, four real files read back, scoping."""

from __future__ import annotations

import datetime
import io
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader

from chainwatch.accounts.models import Profile, Role
from chainwatch.chains.models import Sector
from chainwatch.knowledge.sample import load_sample
from chainwatch.projects.models import DispatchIssue
from chainwatch.reports.dispatch import (
    ReportError,
    build_dispatch_report,
    due_period,
    resolve_scope,
)
from chainwatch.reports.meeting import build_meeting_pack
from chainwatch.reports.render import render_docx, render_html
from chainwatch.targets.models import Indicator
from factories import ObservationFactory, ProjectFactory, region

pytestmark = pytest.mark.django_db

AS_OF = date(2025, 6, 30)


def add_output(region_code: str, year: int, value, unit="亿元", **extra):
    return ObservationFactory(
        indicator=Indicator.objects.get(code="OUTPUT"), region=region(region_code), period=str(year),
        period_start=datetime.date(year, 1, 1), period_end=datetime.date(year, 12, 31), value=value, unit=unit,
        **extra,
    )


def dispatch(region_code: str, cluster_code: str | None = None, as_of: date = AS_OF):
    region_obj, cluster = resolve_scope(region_code, cluster_code)
    return build_dispatch_report(region=region_obj, cluster=cluster, as_of=as_of)


def rows_by_target(section):
    return {row["target"]: row for row in section.rows}


def test_dispatch_report_structure_for_inner_mongolia():
    add_output("150000", 2024, 330)
    report = dispatch("150000")
    assert [s.key for s in report.sections] == ["summary", "lights", "lagging", "projections", "missing", "clauses"]
    summary = {row["item"]: row["value"] for row in report.section("summary").rows}
    lights = report.section("lights").rows
    assert summary["评价目标数"] == len(lights)
    assert sum(summary[k] for k in ("绿灯", "黄灯", "红灯")) + summary["灰色（无数据/过期/缺基期/单位不符）"] == len(lights)
    # Appendix restatements are not listed twice.
    assert summary["重述目标（附件等，未重复列出）"] > 0
    lithium = next(r for r in lights if r["target"] == "锂产业链产值" and r["year"] == 2025)
    assert (lithium["light"], lithium["status"], lithium["latest"], lithium["period"]) == ("yellow", "进展一般", 330, "2024")
    lagging = next(r for r in report.section("lagging").rows if r["target"] == "锂产业链产值" and r["year"] == 2025)
    # pace gap = 165/535 − (2025 + 181/365 − 2024)/2 = 0.308411 − 0.747945
    assert lagging["pace_gap"] == pytest.approx(0.308411 - 0.747945, abs=1e-6)
    projection = next(r for r in report.section("projections").rows if r["target"] == "锂产业链产值" and r["year"] == 2025)
    assert projection["projected"] == pytest.approx(660) and projection["verdict"] == "预计难以达到"
    missing = report.section("missing").rows
    assert due_period("annual", AS_OF) == ("2024", date(2024, 12, 31))
    assert any(r["indicator_code"] == "CAPACITY" and r["subject"] == "电解液" and r["latest"] == "从未报送" for r in missing)
    assert not any(r["indicator_code"] == "OUTPUT" and r["region"] == "内蒙古自治区" and not r["subject"] for r in missing)
    clause = next(r for r in report.section("clauses").rows if r["key"] == "im-li-output-2025")
    assert clause["clause"] == "二(二)" and "700亿元" in clause["span"]
    assert report.sample is False and "示例数据" not in render_html(report)


def test_sample_figures_are_marked():
    load_sample()
    report = dispatch("150000")
    assert report.sample is True
    lithium = next(r for r in report.section("lights").rows if r["target"] == "锂产业链产值" and r["year"] == 2025)
    assert lithium["latest"] == 310 and lithium["source"] == "示例数据"
    html = render_html(report)
    assert 'class="sample"' in html and "示例数据" in html
    docx = Document(io.BytesIO(render_docx(report)))
    assert any(p.text.startswith("示例数据") for p in docx.paragraphs)


def test_cluster_report_only_covers_the_cluster_and_its_industries():
    report = dispatch("152500", "XL.C.AGRI")
    subjects = {row["subject"] for row in report.section("lights").rows}
    agri = set(Sector.objects.filter(code="XL.C.AGRI").values_list("name_zh", flat=True)) | set(
        Sector.objects.filter(parent__code="XL.C.AGRI").values_list("name_zh", flat=True)
    )
    assert subjects and subjects <= agri


def test_scope_errors_are_clear():
    with pytest.raises(ReportError, match="地区代码“999999”不存在"):
        resolve_scope("999999")
    with pytest.raises(ReportError, match="集群/产业代码“XL.C.NOPE”不存在"):
        resolve_scope("152500", "XL.C.NOPE")
    with pytest.raises(ReportError, match="不在贵州省范围内"):
        resolve_scope("520000", "XL.C.AGRI")


def run_report(*args) -> str:
    out = StringIO()
    call_command("report", *args, stdout=out)
    return out.getvalue()


def test_four_formats_are_real_files(tmp_path):
    add_output("152500", 2024, 128, sector=Sector.objects.get(code="XL.I.BEEF"))
    paths = {}
    for fmt in ("html", "pdf", "xlsx", "docx"):
        paths[fmt] = tmp_path / f"report.{fmt}"
        message = run_report("--region", "152500", "--cluster", "XL.C.AGRI", "--as-of", "2025-06-30",
                             "--format", fmt, "-o", str(paths[fmt]))
        assert "调度报告已写入" in message

    html = paths["html"].read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and "锡林郭勒盟" in html and "三色预警表" in html

    pdf = PdfReader(io.BytesIO(paths["pdf"].read_bytes()))
    pages = len(pdf.pages)
    first = pdf.pages[0].extract_text()
    assert "调度报告" in first and "锡林郭勒盟" in first and "绿色农畜产品产业集群" in first
    assert f"第 1 页 / 共 {pages} 页" in first
    assert f"第 {pages} 页 / 共 {pages} 页" in pdf.pages[-1].extract_text()
    box = pdf.pages[0].mediabox
    assert sorted([round(float(box.width)), round(float(box.height))]) == [595, 842]  # A4 in points

    workbook = load_workbook(paths["xlsx"])
    assert workbook.sheetnames[:3] == ["摘要", "三色预警表", "落后目标"]
    sheet = workbook["三色预警表"]
    headers = [cell.value for cell in sheet[1]]
    assert headers[:6] == ["目标", "地区", "集群/产业/环节", "目标年", "目标值", "单位"] and "预警" in headers
    assert sheet.freeze_panes == "A2"
    beef = [row for row in sheet.iter_rows(min_row=2, values_only=True) if row[0] == "产值" and row[2] == "肉牛产业"]
    assert beef and beef[0][5] == "亿元" and 128 in beef[0]

    document = Document(str(paths["docx"]))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert {"摘要", "三色预警表", "落后目标", "趋势预测", "缺报情况", "目标出处"} <= set(headings)
    assert len(document.tables) >= 3
    assert document.tables[1].rows[0].cells[0].text == "目标"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--region", "999999"], "地区代码“999999”不存在"),
        (["--region", "152500", "--cluster", "NOPE"], "集群/产业代码“NOPE”不存在"),
        (["--region", "152500", "--as-of", "2025-02-30"], "日期“2025-02-30”无效"),
    ],
)
def test_cli_bad_input(tmp_path, args, message):
    base = {"--as-of": "2025-06-30", "--format": "html", "-o": str(tmp_path / "r.html")}
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base[flag] = value
    flat = [item for pair in base.items() for item in pair]
    with pytest.raises(CommandError, match=message):
        run_report(*flat)


def test_cli_unwritable_path(tmp_path):
    with pytest.raises(CommandError, match="输出目录.*不存在"):
        run_report("--region", "152500", "--as-of", "2025-06-30", "--format", "html", "-o", str(tmp_path / "no" / "r.html"))
    with pytest.raises(CommandError, match="是目录"):
        run_report("--region", "152500", "--as-of", "2025-06-30", "--format", "html", "-o", str(tmp_path))


def test_meeting_pack_lists_red_and_yellow_projects_and_overdue_issues(tmp_path):
    red = ProjectFactory(region=region("152528"), colour="red", name="红灯项目")
    yellow = ProjectFactory(region=region("152502"), colour="yellow", name="黄灯项目")
    ProjectFactory(region=region("152502"), colour="green", name="绿灯项目")
    ProjectFactory(region=region("150400"), colour="red", name="赤峰项目")  # outside Xilingol
    DispatchIssue.objects.create(project=red, description="用地手续未办结", raised_on=date(2025, 3, 1), due=date(2025, 5, 31))
    DispatchIssue.objects.create(project=yellow, description="已解决的问题", raised_on=date(2025, 3, 1), due=date(2025, 4, 30), status=DispatchIssue.Status.RESOLVED)
    DispatchIssue.objects.create(project=yellow, description="未到期的问题", raised_on=date(2025, 6, 1), due=date(2025, 7, 31))
    region_obj, _ = resolve_scope("152500")
    report = build_meeting_pack(region=region_obj, as_of=AS_OF)
    assert [s.key for s in report.sections] == ["summary", "projects", "issues", "lagging"]
    assert [r["name"] for r in report.section("projects").rows] == ["红灯项目", "黄灯项目"]
    assert report.section("projects").rows[0]["total"] == pytest.approx(10)  # 1,000,000,000 元 = 10 亿元
    issues = report.section("issues").rows
    assert [r["description"] for r in issues] == ["用地手续未办结"] and issues[0]["overdue_days"] == 30
    for fmt in ("html", "docx"):
        path = tmp_path / f"meeting.{fmt}"
        run_report("--region", "152500", "--kind", "meeting", "--as-of", "2025-06-30", "--format", fmt, "-o", str(path))
        assert path.stat().st_size > 1000
    assert "用地手续未办结" in (tmp_path / "meeting.html").read_text(encoding="utf-8")


# --- the download page ---------------------------------------------------------------------


@pytest.fixture
def county_client(client, django_user_model):
    user = django_user_model.objects.create_user("xianghuang", password="a-strong-password-1")
    Profile.objects.create(user=user, role=Role.COUNTY, region=region("152528"))
    client.force_login(user)
    return client


def test_page_requires_login(client):
    response = client.get("/reports/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_page_shows_the_form_in_chinese(admin_client):
    response = admin_client.get("/reports/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "调度报告" in text and 'name="region"' in text and "绿色农畜产品产业集群" in text


def test_admin_downloads_an_xlsx(admin_client):
    response = admin_client.get("/reports/", {"region": "152500", "as_of": "2025-06-30", "format": "xlsx", "kind": "dispatch"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="dispatch-152500-2025-06-30.xlsx"' in response["Content-Disposition"]
    assert "三色预警表" in load_workbook(io.BytesIO(response.content)).sheetnames


def test_county_user_is_limited_to_its_subtree(county_client):
    outside = county_client.get("/reports/", {"region": "152500", "as_of": "2025-06-30", "format": "html", "kind": "dispatch"})
    assert outside.status_code == 403
    own = county_client.get("/reports/", {"region": "152528", "as_of": "2025-06-30", "format": "html", "kind": "meeting"})
    assert own.status_code == 200 and "镶黄旗" in own.content.decode()


def test_bad_form_input_is_a_400_with_a_message(admin_client):
    response = admin_client.get("/reports/", {"region": "999999", "as_of": "2025-06-30", "format": "pdf", "kind": "dispatch"})
    assert response.status_code == 400 and "地区代码“999999”不存在" in response.content.decode()
    response = admin_client.get("/reports/", {"region": "152500", "as_of": "not-a-date", "format": "pdf", "kind": "dispatch"})
    assert response.status_code == 400
