"""Import a document as proposals, review them (services, CLI, admin, page) and read them back
(pages and API), with audit entries and pinned query counts."""

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from chainwatch.core.audit import history
from chainwatch.core.models import AuditEntry
from chainwatch.policy import services
from chainwatch.policy.models import Clause, PolicyDocument, Task
from chainwatch.policy.textio import PolicyTextError
from chainwatch.targets.models import ProposedTarget, Target

pytestmark = pytest.mark.django_db

HELDOUT = Path(__file__).resolve().parent / "heldout"
AGRI = HELDOUT / "h3_agri_city.txt"


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def imported(admin_user):
    return services.import_document(AGRI, actor=admin_user, code="bn-agri-2025", title="北原市现代农牧业实施方案",
                                    region_code="150200", issued="2025-03-01")


def test_import_creates_clauses_and_proposals_with_provenance(imported):
    document = imported.document
    assert imported.created and (imported.clauses, imported.targets, imported.tasks) == (10, 23, 2)
    assert Clause.objects.filter(document=document).count() == 10
    cattle = Target.objects.get(document=document, span="肉牛存栏达到120万头")
    assert cattle.review == Target.Review.PROPOSED
    assert (cattle.year, cattle.value, cattle.unit, cattle.comparator) == (2025, 120, "万头", "=")
    assert document.text[cattle.span_start:cattle.span_end] == cattle.span
    assert cattle.clause.path == "二" and cattle.region.code == "150200"
    assert cattle.indicator.code == "XL.CATTLE_STOCK"  # matched by name and a convertible unit
    grain = Target.objects.get(document=document, span="粮食产量稳定在43亿斤以上")
    assert grain.indicator.code.startswith("PROPOSED.") and grain.indicator.name_zh == "粮食产量"
    income = Target.objects.get(document=document, span="农牧民人均可支配收入较2022年增长30%以上")
    assert (income.change_kind, income.change_base_year, income.change_percent) == ("increase", 2022, 30)
    leaders = Target.objects.get(document=document, span="年销售收入10亿元以上龙头企业8家")
    assert (leaders.count_threshold, leaders.count_threshold_unit) == (10, "亿元")
    task = Task.objects.get(document=document, clause__path="三(一)")
    assert task.review == Task.Review.PROPOSED and task.lead_text == "市农牧局；配合：市财政局、市自然资源局"
    assert AuditEntry.objects.filter(note__startswith="policy import").count() >= 1 + 10 + 23 + 2


def test_reimport_of_the_same_text_is_a_no_op(imported, admin_user):
    again = services.import_document(AGRI, actor=admin_user, code="other-code", title="x", region_code="150200")
    assert not again.created and again.document == imported.document
    assert Target.objects.filter(document=imported.document).count() == 23


def test_import_refuses_bad_region_code_and_a_taken_code(admin_user, tmp_path):
    with pytest.raises(services.PolicyServiceError, match="地区代码“999999”不存在"):
        services.import_document(AGRI, actor=admin_user, code="x", title="x", region_code="999999")
    with pytest.raises(services.PolicyServiceError, match="im-lithium-2024"):
        services.import_document(AGRI, actor=admin_user, code="im-lithium-2024", title="x", region_code="150000")
    assert not PolicyDocument.objects.filter(code="x").exists()
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(PolicyTextError):
        services.import_document(empty, actor=admin_user, code="e", title="e", region_code="150000")


def test_accept_with_edits_and_reject_are_audited(imported, admin_user):
    grain = Target.objects.get(document=imported.document, span="粮食产量稳定在43亿斤以上")
    accepted = services.accept_target(grain.pk, actor=admin_user, value="45", year=2026)
    assert (accepted.review, accepted.value, accepted.year) == (Target.Review.ACCEPTED, 45, 2026)
    entry = history(accepted).filter(action="approve").get()
    assert entry.before["value"] == "43" and entry.after["value"] == "45" and entry.actor == admin_user
    with pytest.raises(services.PolicyServiceError, match="不是待审核状态"):
        services.accept_target(grain.pk, actor=admin_user)
    sheep = Target.objects.get(document=imported.document, span="羊存栏稳定在900万只左右")
    rejected = services.reject_target(sheep.pk, actor=admin_user, reason="口径不清")
    assert rejected.review == Target.Review.REJECTED and "口径不清" in rejected.note
    assert history(rejected).filter(action="return").exists()


def test_accept_refuses_bad_edits(imported, admin_user):
    target = Target.objects.get(document=imported.document, span="肉牛存栏达到120万头")
    for edits, message in (({"value": "abc"}, "不是数字"), ({"year": "1800"}, "超出范围"),
                           ({"comparator": "!="}, "comparator"), ({"unit": "亿元"}, "不能换算")):
        with pytest.raises(services.PolicyServiceError, match=message):
            services.accept_target(target.pk, actor=admin_user, **edits)
    target.refresh_from_db()
    assert target.review == Target.Review.PROPOSED and target.value == 120
    with pytest.raises(services.PolicyServiceError, match="指标代码"):
        services.accept_target(target.pk, actor=admin_user, indicator_code="NO.SUCH")


def test_task_review(imported, admin_user):
    task = Task.objects.get(document=imported.document, clause__path="三(一)")
    accepted = services.accept_task(task.pk, actor=admin_user, due_date="2027-12-31")
    assert accepted.review == Task.Review.ACCEPTED and str(accepted.due_date) == "2027-12-31"
    other = Task.objects.get(document=imported.document, clause__path="三(二)")
    assert services.reject_task(other.pk, actor=admin_user, reason="重复").review_note == "重复"


# ---------------------------------------------------------------------------- CLI


def test_cli_import_review_accept_reject(tmp_path):
    out = run("policy", "import", str(AGRI), "--code", "bn-agri", "--title", "北原市", "--region", "150200")
    assert "待审核目标 23" in out
    assert "已导入过" in run("policy", "import", str(AGRI), "--code", "bn-agri", "--title", "北原市", "--region", "150200")
    review = run("policy", "review", "--document", "bn-agri", "--format", "jsonl").splitlines()
    rows = [json.loads(line) for line in review]
    assert len(rows) == 25 and rows[0]["id"].startswith("target:")
    first = next(r for r in rows if r["span"] == "粮食产量稳定在43亿斤以上")
    out = run("policy", "accept", first["id"], "--value", "44", "--comparator", ">=")
    assert "已采纳目标" in out
    target = Target.objects.get(pk=int(first["id"].split(":")[1]))
    assert (target.review, target.value) == (Target.Review.ACCEPTED, 44)
    assert history(target).get(action="approve").actor_name.startswith("cli")
    task = next(r for r in rows if r["id"].startswith("task:"))
    assert "已驳回" in run("policy", "reject", task["id"], "--reason", "不是任务")
    with pytest.raises(CommandError, match="ID“x:1”无效"):
        run("policy", "accept", "x:1")
    with pytest.raises(CommandError, match="不存在"):
        run("policy", "review", "--document", "nope")


def test_cli_extract_jsonl_has_exactly_the_issue_fields():
    rows = [json.loads(line) for line in run("policy", "extract", str(AGRI)).splitlines()]
    assert len(rows) == 23
    assert all(list(row) == ["span", "indicator", "subject", "value", "value_max", "unit", "year",
                             "comparator", "change", "count_of", "qualifier"] for row in rows)
    assert rows[0] == {"span": "粮食产量稳定在43亿斤以上", "indicator": "粮食产量", "subject": "全市",
                       "value": 43, "value_max": None, "unit": "亿斤", "year": 2025, "comparator": ">=",
                       "change": None, "count_of": None, "qualifier": None}
    table = run("policy", "extract", str(AGRI), "--format", "table")
    assert table.splitlines()[0].split()[:3] == ["year", "comparator", "value"]


def test_cli_eval_prints_per_document_and_total(tmp_path):
    here = Path(__file__).resolve().parent
    out = run("policy", "eval", str(here / "labels_heldout"), str(HELDOUT), "--verbose")
    assert "h3_agri_city" in out and "合计 total" in out
    total = next(line for line in out.splitlines() if line.startswith("合计")).split()
    assert total[2:5] == ["106", "0", "1"]  # tp fp fn
    assert "漏检 miss" in out  # the one miss is listed
    with pytest.raises(CommandError, match="不存在|not a directory"):
        run("policy", "eval", str(tmp_path / "none"), str(HELDOUT))


SEED = "到2025年，全省锂电池材料产业总产值达到1000亿元以上，数字化率达到５０％。\n"


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("gbk.txt", SEED.encode("gbk"), [(1000, "亿元", ">="), (50, "%", "=")]),
        ("fullwidth.txt", SEED.encode("utf-8"), [(1000, "亿元", ">="), (50, "%", "=")]),
        ("traditional.txt", "到2025年，全省鋰電池材料產業總產值達到1000億元以上。".encode(), [(1000, "亿元", ">=")]),
    ],
)
def test_cli_reads_gbk_full_width_and_traditional(tmp_path, name, data, expected):
    path = tmp_path / name
    path.write_bytes(data)
    rows = [json.loads(line) for line in run("policy", "extract", str(path)).splitlines()]
    assert [(r["value"], r["unit"], r["comparator"]) for r in rows] == expected


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.txt", b"", "文件为空"),
        ("binary.bin", bytes(range(256)) * 8, "binary"),
        ("big.txt", b"a" * (5 * 1024 * 1024 + 1), "5 MB"),
        ("fake.docx", b"PK\x03\x04not a zip", "压缩文件"),
    ],
)
def test_cli_refuses_bad_files_with_exit_code_2(tmp_path, name, data, message):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(CommandError, match=message) as error:
        run("policy", "extract", str(path))
    assert error.value.returncode == 2


def test_cli_one_megabyte_document(tmp_path):
    seed = (HELDOUT / "h2_digital_province.txt").read_text(encoding="utf-8")
    path = tmp_path / "large.txt"
    path.write_text("\n".join([seed] * (1024 * 1024 // len(seed.encode()) + 1)), encoding="utf-8")
    assert path.stat().st_size > 1024 * 1024
    lines = run("policy", "extract", str(path)).splitlines()
    assert len(lines) > 33 * 100


def test_console_script_exit_code_and_no_traceback(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    env = {**os.environ, "CHAINWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}"}
    result = subprocess.run([sys.executable, "-m", "chainwatch.cli", "policy", "extract", str(empty)],
                            env=env, capture_output=True, text=True)
    assert result.returncode == 2
    assert "文件为空" in result.stderr and "Traceback" not in result.stderr


# ---------------------------------------------------------------------------- admin and pages


def test_admin_actions_accept_and_reject(admin_client, imported):
    ids = list(ProposedTarget.objects.filter(document=imported.document).order_by("span_start").values_list("pk", flat=True))
    url = reverse("admin:targets_proposedtarget_changelist")
    assert admin_client.get(url).status_code == 200
    admin_client.post(url, {"action": "accept_targets", "_selected_action": ids[:2]})
    admin_client.post(url, {"action": "reject_targets", "_selected_action": ids[2:3]})
    reviews = dict(Target.objects.filter(pk__in=ids[:3]).values_list("pk", "review"))
    assert [reviews[i] for i in ids[:3]] == ["accepted", "accepted", "rejected"]
    assert ProposedTarget.objects.filter(document=imported.document).count() == 20
    task = Task.objects.filter(document=imported.document).first()
    admin_client.post(reverse("admin:policy_task_changelist"), {"action": "accept_tasks", "_selected_action": [task.pk]})
    task.refresh_from_db()
    assert task.review == Task.Review.ACCEPTED


def test_pages_require_login(client):
    for url in ("/policy/documents/", "/policy/documents/im-lithium-2024/", "/policy/tasks/"):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_document_list_and_detail(admin_client, imported, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = admin_client.get("/policy/documents/")
    assert "北原市现代农牧业实施方案" in response.content.decode()
    with django_assert_max_num_queries(10):
        response = admin_client.get("/policy/documents/bn-agri-2025/")
    page = response.content.decode()
    assert '肉牛存栏达到120万头</mark>' in page and "三(一)" in page and "市农牧局" in page
    assert admin_client.get("/policy/documents/nope/").status_code == 404


def test_document_detail_escapes_text(admin_client, admin_user):
    text = "一、目标\n<script>alert(1)</script>到2025年，产值达到100亿元。\n"
    services.import_document(None, text=text, actor=admin_user, code="xss", title="t", region_code="150000")
    page = admin_client.get("/policy/documents/xss/").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "产值达到100亿元</mark>" in page


def test_review_page_accepts_with_edits_and_rejects(admin_client, imported):
    url = "/policy/documents/bn-agri-2025/review/"
    response = admin_client.get(url)
    assert response.status_code == 200 and "粮食产量稳定在43亿斤以上" in response.content.decode()
    grain = Target.objects.get(document=imported.document, span="粮食产量稳定在43亿斤以上")
    response = admin_client.post(url, {"kind": "target", "id": grain.pk, "action": "accept", "value": "44",
                                       "year": "2025", "comparator": ">=", "unit": "亿斤"})
    assert response.status_code == 302
    grain.refresh_from_db()
    assert (grain.review, grain.value) == (Target.Review.ACCEPTED, 44)
    bad = Target.objects.get(document=imported.document, span="肉牛存栏达到120万头")
    admin_client.post(url, {"kind": "target", "id": bad.pk, "action": "accept", "value": "x"})
    bad.refresh_from_db()
    assert bad.review == Target.Review.PROPOSED
    follow = admin_client.post(url, {"kind": "target", "id": bad.pk, "action": "reject", "reason": "r"}, follow=True)
    assert "已驳回" in follow.content.decode()
    # an item of another document is not reviewable from this page
    other = Target.objects.filter(document__code="im-lithium-2024").first()
    admin_client.post(url, {"kind": "target", "id": other.pk, "action": "reject"})
    other.refresh_from_db()
    assert other.review == Target.Review.ACCEPTED


def test_review_requires_csrf(client, admin_user, imported):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(admin_user)
    target = Target.objects.filter(document=imported.document).first()
    response = strict.post("/policy/documents/bn-agri-2025/review/", {"kind": "target", "id": target.pk, "action": "reject"})
    assert response.status_code == 403


def test_task_table_filters(admin_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        response = admin_client.get("/policy/tasks/?document=jx-lithium-2024")
    page = response.content.decode()
    assert page.count("<tr>") == 11  # header + Jiangxi's ten tasks
    assert "中国人民银行江西省分行" in page
    narrowed = admin_client.get("/policy/tasks/?document=jx-lithium-2024&department=人民银行").content.decode()
    assert 1 < narrowed.count("<tr>") < 11


# ---------------------------------------------------------------------------- API


def test_api_documents_clauses_tasks(admin_client, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        documents = admin_client.get("/api/v1/policy/documents/").json()
    assert {d["code"] for d in documents["results"]} >= {"im-lithium-2024", "xl-clusters-2025"}
    assert "text" not in documents["results"][0]
    detail = admin_client.get("/api/v1/policy/documents/jx-lithium-2024/").json()
    assert detail["doc_number"] == "赣府厅发〔2024〕15号" and detail["text"]
    with django_assert_max_num_queries(6):
        clauses = admin_client.get("/api/v1/policy/clauses/?document=xl-clusters-2025&level=1").json()
    assert clauses["count"] >= 4 and all(c["level"] == 1 for c in clauses["results"])
    clause = admin_client.get(f"/api/v1/policy/clauses/{clauses['results'][0]['id']}/").json()
    assert clause["text"]
    with django_assert_max_num_queries(8):
        tasks = admin_client.get("/api/v1/policy/tasks/?document=jx-lithium-2024").json()
    assert tasks["count"] == 10
    assert admin_client.get("/api/v1/policy/tasks/?status=bogus").status_code == 400


def test_api_requires_login(client):
    assert client.get("/api/v1/policy/documents/").status_code in (401, 403)
    assert client.post("/api/v1/policy/extract/", {"text": "x"}, content_type="application/json").status_code in (401, 403)


def test_api_extract(admin_client):
    response = admin_client.post("/api/v1/policy/extract/", {"text": "到2027年，肉牛存栏达到120万头。", "tasks": True},
                                 content_type="application/json")
    assert response.status_code == 200
    target = response.json()["targets"][0]
    assert (target["value"], target["unit"], target["year"], target["span"]) == (120, "万头", 2027, "肉牛存栏达到120万头")
    assert response.json()["tasks"] == []
    assert admin_client.post("/api/v1/policy/extract/", {"text": ""}, content_type="application/json").status_code == 400
    big = admin_client.post("/api/v1/policy/extract/", {"text": "产" * 400_000}, content_type="application/json")
    assert big.status_code == 413 and "1 MB" in big.json()["detail"]
