"""Enterprise registry import: parse → validate → match → commit, and the CLI around it."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from chainwatch.chains import services
from chainwatch.chains.imports import EnterpriseImportError, import_enterprises
from chainwatch.chains.models import (
    Capacity,
    Enterprise,
    EnterpriseAlias,
    EnterpriseImport,
    EnterpriseMatchReview,
)
from chainwatch.core.codes import make_uscc
from chainwatch.core.models import AuditEntry
from factories import EnterpriseFactory, region

pytestmark = pytest.mark.django_db

CODE_A = make_uscc("9", "1", "150200", "MA0000001")
CODE_B = make_uscc("9", "1", "150600", "MA0000002")
CODE_C = make_uscc("9", "1", "520100", "MA0000003")
HEADER = "统一社会信用代码,企业名称,地区代码,产业链环节,链主,龙头,专精特新,上市,产能环节,产能,产能单位,产能状态,投产年份,产能来源,产能环节2,产能2,产能单位2,产能状态2,投产年份2"


def csv_file(tmp_path, *rows, header=HEADER, name="名录.csv"):
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


GOOD = [
    f"{CODE_A},包头锂电正极材料有限公司,150200,LI.CATHODE_LFP,是,否,省级,否,LI.CATHODE_LFP,16,万吨/年,已建成,2023,企业填报,LI.CATHODE_LFP,7.5,万吨/年,在建,2025",
    f"{CODE_B},鄂尔多斯储能电池有限公司,150600,\"LI.CELL,LI.ESS\",否,是,,是,LI.CELL,10500,MWh/年,built,2023,年报,,,,,",
    ",呼和浩特隔膜科技有限公司,150100,LI.SEPARATOR,,,national,,,,,,,,,,,,",
]


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_import_creates_enterprises_capacities_and_audit(tmp_path):
    result = import_enterprises(csv_file(tmp_path, *GOOD), actor=None)
    assert dict(result.counts) == {"create": 3}
    a = Enterprise.objects.get(uscc=CODE_A)
    assert (a.name, a.region.code, a.is_chain_leader, a.is_leading, a.specialised) == (
        "包头锂电正极材料有限公司", "150200", True, False, "provincial")
    assert sorted((c.status, float(c.amount), c.start_year) for c in a.capacities.all()) == [
        ("built", 16.0, 2023), ("construction", 7.5, 2025)]
    b = Enterprise.objects.get(uscc=CODE_B)
    assert set(b.nodes.values_list("code", flat=True)) == {"LI.CELL", "LI.ESS"} and b.is_listed
    cell = b.capacities.get()
    assert (cell.unit, float(cell.amount), cell.region.code) == ("MWh/年", 10500.0, "150600")
    c = Enterprise.objects.get(name="呼和浩特隔膜科技有限公司")
    assert c.uscc is None and c.specialised == "national"
    batch = EnterpriseImport.objects.get()
    assert batch.rows == 3 and batch.summary == {"create": 3}
    assert AuditEntry.objects.filter(note__startswith=f"enterprise import #{batch.pk}").count() == 3 + 3 + 1
    # the MWh row counts in GWh: 10.5 GWh of cells in Ordos
    assert {r.node: r for r in services.balance_for("150600", 2025, "built")}["LI.CELL"].supply == pytest.approx(10.5)


def test_reimport_is_idempotent_and_updates_what_changed(tmp_path):
    import_enterprises(csv_file(tmp_path, *GOOD), actor=None)
    before = (Enterprise.objects.count(), Capacity.objects.count(), AuditEntry.objects.count())
    again = import_enterprises(csv_file(tmp_path, *GOOD), actor=None)
    assert dict(again.counts) == {"unchanged": 3}
    assert (Enterprise.objects.count(), Capacity.objects.count()) == before[:2]
    assert AuditEntry.objects.count() == before[2] + 1  # only the batch itself
    changed = [GOOD[0].replace(",16,万吨/年", ",20,万吨/年").replace("包头锂电正极材料有限公司", "包头锂电正极材料股份有限公司"), *GOOD[1:]]
    result = import_enterprises(csv_file(tmp_path, *changed), actor=None)
    assert dict(result.counts) == {"update": 1, "unchanged": 2}
    a = Enterprise.objects.get(uscc=CODE_A)
    assert a.name == "包头锂电正极材料股份有限公司"
    assert list(a.aliases.values_list("name", flat=True)) == ["包头锂电正极材料有限公司"]
    assert float(a.capacities.get(status="built").amount) == 20


def test_dry_run_writes_nothing(tmp_path):
    result = import_enterprises(csv_file(tmp_path, *GOOD), actor=None, dry_run=True)
    assert dict(result.counts) == {"create": 3}
    assert not Enterprise.objects.filter(uscc=CODE_A).exists() and not EnterpriseImport.objects.exists()


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        (f"{CODE_A[:-1]}X,甲公司,150200,,,,,,,,,,,,,,,,", "统一社会信用代码", "校验位错误"),
        (f"{CODE_A},甲公司,159999,,,,,,,,,,,,,,,,", "地区代码", "159999"),
        (f"{CODE_A},甲公司,150200,LI.NOPE,,,,,,,,,,,,,,,", "产业链环节", "LI.NOPE"),
        (f"{CODE_A},甲公司,150200,,,,,,LI.CELL,5,桶/年,已建成,,,,,,,", "产能单位", "桶/年"),
        (f"{CODE_A},甲公司,150200,,,,,,LI.CELL,5,万吨/年,已建成,,,,,,,", "产能单位", "不兼容"),
        (f"{CODE_A},甲公司,150200,,,,,,LI.CELL,五,GWh/年,已建成,,,,,,,", "产能", "不是非负数"),
        (f"{CODE_A},甲公司,150200,,,,,,LI.CELL,5,GWh/年,,,,,,,,", "产能状态", "不完整"),
        (f"{CODE_A},甲公司,150200,,也许,,,,,,,,,,,,,,", "链主", "是/否"),
        (f"{CODE_A},,150200,,,,,,,,,,,,,,,,", "企业名称", "不能为空"),
        (f"{CODE_A},甲公司,150200,,,,,,,,,,,,LI.CELL,5,GWh/年,在建,二〇二五", "投产年份2", "不是整数"),
    ],
)
def test_bad_rows_are_named_and_nothing_is_written(tmp_path, row, column, message):
    path = csv_file(tmp_path, GOOD[1], row)
    with pytest.raises(EnterpriseImportError) as info:
        import_enterprises(path, actor=None)
    text = str(info.value)
    assert f"第3行“{column}”列" in text and message in text, text
    assert not Enterprise.objects.exists() and not EnterpriseImport.objects.exists()


def test_duplicates_within_the_file_name_both_rows(tmp_path):
    same_code = GOOD[0].replace("包头锂电正极材料有限公司", "另一家公司")
    with pytest.raises(EnterpriseImportError, match="第3行.*与第2行统一社会信用代码重复"):
        import_enterprises(csv_file(tmp_path, GOOD[0], same_code), actor=None)
    same_name = GOOD[0].replace(CODE_A, "").replace("包头锂电正极材料有限公司", "包头锂电正极材料（有限公司）")
    with pytest.raises(EnterpriseImportError, match="第3行.*与第2行为同一地区同名企业"):
        import_enterprises(csv_file(tmp_path, GOOD[0].replace(CODE_A, ""), same_name), actor=None)
    assert not Enterprise.objects.exists()


def test_unknown_column_and_missing_required_column(tmp_path):
    with pytest.raises(EnterpriseImportError, match="“电话”列：无法识别的列名"):
        import_enterprises(csv_file(tmp_path, "甲公司,150200,123", header="企业名称,地区代码,电话"), actor=None)
    with pytest.raises(EnterpriseImportError, match="“地区代码”列：缺少必填列"):
        import_enterprises(csv_file(tmp_path, "甲公司", header="企业名称"), actor=None)


def test_matching_by_name_and_region_then_review_queue(tmp_path):
    exact = EnterpriseFactory(uscc=None, name="包头锂电正极材料有限公司", region=region("150200"))
    similar = EnterpriseFactory(uscc=None, name="鄂尔多斯新能源储能科技集团", region=region("150600"))
    elsewhere = EnterpriseFactory(uscc=CODE_C, name="呼和浩特隔膜科技有限公司", region=region("520100"))
    result = import_enterprises(csv_file(tmp_path, *GOOD), actor=None)
    actions = {r.name: (r.action, r.enterprise_id) for r in result.rows}
    # exact normalised name in the same region: matched, credit code filled in
    assert actions["包头锂电正极材料有限公司"] == ("update", exact.pk)
    exact.refresh_from_db()
    assert exact.uscc == CODE_A
    # 鄂尔多斯储能电池 vs 鄂尔多斯新能源储能科技: similar (0.5–0.8) → review, nothing created
    assert actions["鄂尔多斯储能电池有限公司"] == ("review", similar.pk)
    # the same name in another region → review
    assert actions["呼和浩特隔膜科技有限公司"] == ("review", elsewhere.pk)
    assert Enterprise.objects.count() == 3
    reviews = {r.name: r for r in EnterpriseMatchReview.objects.all()}
    assert 0.5 <= reviews["鄂尔多斯储能电池有限公司"].score < 0.8
    assert "其他地区有同名企业" in reviews["呼和浩特隔膜科技有限公司"].reason
    # importing again does not queue the same rows twice
    again = import_enterprises(csv_file(tmp_path, *GOOD), actor=None)
    assert again.counts["queued"] == 2 and EnterpriseMatchReview.objects.count() == 2
    # a person decides: the Ordos row is the same enterprise, the Hohhot row is a new one
    services.resolve_review(reviews["鄂尔多斯储能电池有限公司"], "match", actor=None)
    similar.refresh_from_db()
    assert similar.name == "鄂尔多斯储能电池有限公司" and similar.uscc == CODE_B
    assert similar.aliases.filter(name="鄂尔多斯新能源储能科技集团").exists()
    created = services.resolve_review(reviews["呼和浩特隔膜科技有限公司"], "create", actor=None).result
    assert created.region.code == "150100" and created.pk != elsewhere.pk
    with pytest.raises(services.ChainError, match="已处理"):
        services.resolve_review(reviews["呼和浩特隔膜科技有限公司"], "reject", actor=None)
    # and now every row matches exactly
    assert dict(import_enterprises(csv_file(tmp_path, *GOOD), actor=None).counts) == {"unchanged": 3}


def test_near_identical_name_in_the_same_region_matches_automatically(tmp_path):
    existing = EnterpriseFactory(uscc=None, name="包头锂电正极材料科技有限公司", region=region("150200"))
    result = import_enterprises(csv_file(tmp_path, GOOD[0]), actor=None)
    (row,) = result.rows
    assert (row.action, row.enterprise_id) == ("update", existing.pk) and "相似度" in row.note


def test_conflicting_codes_go_to_review(tmp_path):
    other = make_uscc("9", "1", "150200", "MA0000009")
    EnterpriseFactory(uscc=other, name="包头锂电正极材料有限公司", region=region("150200"))
    result = import_enterprises(csv_file(tmp_path, GOOD[0]), actor=None)
    assert result.rows[0].action == "review" and "信用代码不同" in result.rows[0].note


def test_merged_away_code_matches_the_surviving_enterprise(tmp_path):
    keep = EnterpriseFactory(name="包头锂电正极材料集团有限公司", region=region("150200"))
    drop = EnterpriseFactory(uscc=CODE_A, name="包头锂电正极材料有限公司", region=region("150200"))
    services.merge_enterprises(keep, drop, actor=None)
    assert EnterpriseAlias.objects.filter(enterprise=keep, uscc=CODE_A).exists()
    result = import_enterprises(csv_file(tmp_path, GOOD[0]), actor=None)
    assert (result.rows[0].action, result.rows[0].enterprise_id) == ("update", keep.pk)
    assert Enterprise.objects.filter(uscc=CODE_A).count() == 0


def test_xlsx_import(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["uscc", "name", "region", "nodes", "capacity_node", "capacity", "capacity_unit", "capacity_status", "start_year"])
    sheet.append([CODE_C, "贵阳磷酸铁有限公司", 520100, "LI.IRON_PHOSPHATE", "LI.IRON_PHOSPHATE", 200000, "吨/年", "在建", 2025.0])
    path = tmp_path / "registry.xlsx"
    book.save(path)
    result = import_enterprises(path, actor=None)
    assert dict(result.counts) == {"create": 1}
    capacity = Enterprise.objects.get(uscc=CODE_C).capacities.get()
    assert (float(capacity.amount), capacity.unit, capacity.status, capacity.start_year) == (200000.0, "吨/年", "construction", 2025)


def test_unsupported_and_empty_files(tmp_path):
    path = tmp_path / "x.pdf"
    path.write_bytes(b"%PDF")
    with pytest.raises(EnterpriseImportError, match="不支持的文件类型"):
        import_enterprises(path, actor=None)
    with pytest.raises(EnterpriseImportError, match="没有数据行"):
        import_enterprises(csv_file(tmp_path), actor=None)
    with pytest.raises(EnterpriseImportError, match="无法读取XLSX"):
        bad = tmp_path / "bad.xlsx"
        bad.write_bytes(b"not a zip")
        import_enterprises(bad, actor=None)


# --- CLI --------------------------------------------------------------------------------------


def test_cli_import_review_merge(tmp_path):
    EnterpriseFactory(uscc=None, name="鄂尔多斯新能源储能科技集团", region=region("150600"))
    path = csv_file(tmp_path, *GOOD)
    dry = run("enterprises", "import", str(path), "--dry-run")
    assert "试运行" in dry and not EnterpriseImport.objects.exists()
    out = run("enterprises", "import", str(path))
    assert "已导入" in out and "review 1" in out
    listing = run("enterprises", "review")
    assert "鄂尔多斯储能电池有限公司" in listing and "鄂尔多斯新能源储能科技集团" in listing
    review = EnterpriseMatchReview.objects.get()
    assert "已驳回" in run("enterprises", "review", "--resolve", str(review.pk), "--as", "reject")
    keep = Enterprise.objects.get(uscc=CODE_A)
    drop = Enterprise.objects.get(name="呼和浩特隔膜科技有限公司")
    assert "已合并" in run("enterprises", "merge", str(keep.pk), str(drop.pk))
    assert EnterpriseAlias.objects.filter(enterprise=keep, name="呼和浩特隔膜科技有限公司").exists()
    with pytest.raises(CommandError, match="不存在"):
        run("enterprises", "merge", str(keep.pk), str(drop.pk))


def test_cli_import_errors_are_clear(tmp_path):
    path = csv_file(tmp_path, f"{CODE_A[:-1]}X,甲公司,150200,,,,,,,,,,,,,,,,")
    with pytest.raises(CommandError, match="第2行“统一社会信用代码”列"):
        run("enterprises", "import", str(path))
    with pytest.raises(CommandError, match="无法读取文件"):
        run("enterprises", "import", str(tmp_path / "missing.csv"))
