"""The Excel template: locked cells, unit drop-downs, instruction sheet, signed metadata, round trip."""

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from chainwatch.accounts.models import Profile, Role
from chainwatch.targets import excel, reporting
from chainwatch.targets.imports import import_observations
from chainwatch.targets.models import Observation, ReportingForm, Submission

pytestmark = pytest.mark.django_db


@pytest.fixture
def form():
    return reporting.create_form(
        actor=None, code="T.AGRI", name_zh="测试农牧业年报",
        items=[("XL.CATTLE_STOCK", "XL.I.BEEF"), ("XL.DAIRY_COW_STOCK", None), ("XL.MILK_OUTPUT", None)],
        region_codes=["152502", "152522", "152500"],
    )


@pytest.fixture
def county_user(django_user_model):
    from factories import region

    account = django_user_model.objects.create(username="xlht")
    Profile.objects.create(user=account, role=Role.COUNTY, region=region("152502"))
    return account


def template(form, code="152502", period="2024"):
    return reporting.template_bytes(form, reporting.resolve_reporter(form, code), period)


def fill(data: bytes, values: dict, units: dict | None = None, tmp_path=None, name="filled.xlsx"):
    wb = load_workbook(io.BytesIO(data))
    ws = wb[excel.DATA_SHEET]
    header = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        code = row[header.index("indicator_code")].value
        if code in values:
            row[header.index("value")].value = values[code]
        if units and code in units:
            row[header.index("unit")].value = units[code]
    path = tmp_path / name
    wb.save(path)
    return path


def test_template_layout_protection_and_dropdowns(form):
    wb = load_workbook(io.BytesIO(template(form)))
    assert wb.sheetnames == ["数据", "说明", "_meta"]
    assert wb["_meta"].sheet_state == "veryHidden"
    ws = wb["数据"]
    header = [c.value for c in ws[1]]
    assert header == ["indicator_code", "指标名称", "region_code", "地区", "sector_code", "集群/环节", "period", "value", "unit", "source"]
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=2)]
    assert [r[0] for r in rows] == ["XL.CATTLE_STOCK", "XL.DAIRY_COW_STOCK", "XL.MILK_OUTPUT"]
    assert rows[0][1:9] == ["肉牛存栏", "152502", "锡林浩特市", "XL.I.BEEF", "肉牛产业", "2024", None, "万头"]
    assert ws.protection.sheet
    locked = {header[c.column - 1]: c.protection.locked for c in ws[2]}
    assert [k for k, v in locked.items() if not v] == ["value", "unit", "source"]
    formulas = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list"}
    assert formulas["I4"].strip('"').split(",")[:3] == ["万吨", "吨", "千吨"]
    assert "亿元" not in formulas["I4"]
    assert formulas["I2 I3"] == '"万头,头,万只,只"'
    nonneg = [dv for dv in ws.data_validations.dataValidation if dv.operator == "greaterThanOrEqual"]
    assert str(nonneg[0].sqref) == "H2 H3"  # the two stocks
    text = "\n".join(str(c.value or "") for c in wb["说明"]["A"])
    assert "填报单位：锡林浩特市（152502）" in text and "截止日期：2025-01-15" in text and "不同类的单位" in text


def test_round_trip_stores_observations_with_provenance(form, county_user, tmp_path):
    path = fill(template(form), {"XL.CATTLE_STOCK": 12.5, "XL.MILK_OUTPUT": 5000}, {"XL.MILK_OUTPUT": "吨"}, tmp_path)
    report = import_observations(path, actor=county_user)
    assert report.ok and report.created == 2 and report.skipped_blank == 1 and report.form == "T.AGRI"
    assert report.converted[4] == pytest.approx(0.5)
    obs = Observation.objects.select_related("form", "reporter", "sector").get(indicator__code="XL.CATTLE_STOCK", region__code="152502")
    assert (obs.value, obs.unit, obs.period, obs.status) == (Decimal("12.5"), "万头", "2024", Observation.Status.DRAFT)
    assert (obs.form.code, obs.reporter.username, obs.reporter_text, obs.sector.code) == ("T.AGRI", "xlht", "锡林浩特市", "XL.I.BEEF")
    milk = Observation.objects.get(indicator__code="XL.MILK_OUTPUT", region__code="152502")
    assert (milk.value, milk.unit) == (Decimal("5000"), "吨")
    submission = Submission.objects.get(form=form, region__code="152502", period="2024")
    assert submission.status == Submission.Status.DRAFT
    # the next template carries the stored values, and re-uploading it changes nothing
    again = import_observations(fill(template(form), {}, tmp_path=tmp_path, name="again.xlsx"), actor=county_user)
    assert (again.created, again.versioned, again.unchanged) == (0, 0, 2)


def test_another_reporters_template_is_refused(form, county_user, tmp_path):
    path = fill(template(form, code="152522"), {"XL.MILK_OUTPUT": 1}, tmp_path=tmp_path)
    report = import_observations(path, actor=county_user, form=form, reporter=reporting.resolve_reporter(form, "152502"))
    assert "这是填报单位“152522”的模板，不是“152502”的" in report.errors[0].message
    report = import_observations(path, actor=county_user)  # no context: the template names 152522
    assert "您不能代表“阿巴嘎旗”填报" in report.errors[0].message
    assert not Observation.objects.filter(indicator__code="XL.MILK_OUTPUT").exclude(origin="knowledge").filter(region__code__in=["152502", "152522"]).exists()


def test_another_forms_or_periods_template_is_refused(form, tmp_path):
    other = reporting.create_form(actor=None, code="T.OTHER", name_zh="另一报表", items=[("XL.MILK_OUTPUT", None)], region_codes=["152502"])
    path = fill(template(form), {"XL.MILK_OUTPUT": 1}, tmp_path=tmp_path)
    report = import_observations(path, actor=None, form=other, reporter=reporting.resolve_reporter(other, "152502"))
    assert "这是报表“T.AGRI”的模板，不能上传到报表“T.OTHER”" in report.errors[0].message
    report = import_observations(path, actor=None, form=form, period="2023")
    assert "这是 2024 期的模板，不是 2023 期的" in report.errors[0].message


def test_an_outdated_or_tampered_template_is_refused(form, tmp_path):
    path = fill(template(form), {"XL.MILK_OUTPUT": 1}, tmp_path=tmp_path)
    ReportingForm.objects.filter(pk=form.pk).update(template_version=2)
    report = import_observations(path, actor=None)
    assert "模板版本 1 已过期（当前为 2）" in report.errors[0].message
    wb = load_workbook(path)
    wb["_meta"]["B3"] = 2  # claim the new version without a valid signature
    wb.save(path)
    report = import_observations(path, actor=None)
    assert "隐藏元数据无效或被修改" in report.errors[0].message


def test_a_plain_sheet_imports_too(tmp_path):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["说明：2024 年数据"])
    ws.append(["indicator_code", "region_code", "period", "value", "unit"])
    ws.append(["XL.MILK_OUTPUT", 152502, 2024, 12, "万吨"])
    ws.append([None, None, None, None, None])
    ws.append(["XL.DAIRY_COW_STOCK", "152502", "2024", "多", "万头"])
    path = tmp_path / "plain.xlsx"
    wb.save(path)
    report = import_observations(path, actor=None)
    # the first non-empty row is the header: here the note row, which lacks the columns
    assert "第 1 行的表头缺少列" in report.errors[0].message
    ws.delete_rows(1)
    wb.save(path)
    report = import_observations(path, actor=None)
    assert [(p.row, p.column) for p in report.errors] == [(4, "value")]


def test_cli_template(form, tmp_path):
    from django.core.management import call_command

    out = tmp_path / "t.xlsx"
    call_command("observations", "template", "--form", "T.AGRI", "--region", "152500", "--period", "2024", "-o", str(out))
    meta = excel.read_meta(load_workbook(out))
    assert meta == {"kind": "chainwatch-observations", "form": "T.AGRI", "version": 1, "reporter_kind": "region", "reporter": "152500", "period": "2024"}


def test_the_openpyxl_reader_agrees_with_the_fast_reader(form):
    from chainwatch.targets.imports import _read_xlsx, _read_xlsx_openpyxl

    data = template(form)
    fast_rows, fast_meta = _read_xlsx(data, "t.xlsx")
    slow_rows, slow_meta = _read_xlsx_openpyxl(data, "t.xlsx")
    assert fast_meta == slow_meta and fast_meta["reporter"] == "152502"
    normalise = [[(n, {k: (v or None) for k, v in cells.items()}) for n, cells in rows] for rows in (fast_rows, slow_rows)]
    assert normalise[0] == normalise[1] and [n for n, _ in fast_rows] == [2, 3, 4]
