"""In a real browser: a league user sees only the league, the target chart is drawn, the language
switches, a bad template row is reported, a province user approves."""

import datetime

import pytest

from chainwatch.accounts import services
from chainwatch.accounts.models import Role
from chainwatch.geo.models import Region
from chainwatch.projects.models import Project, ProjectRating
from chainwatch.targets.models import Observation, Target

PASSWORD = "Xilingol-grassland-2025"


def user(username, role, code):
    region = Region.objects.get(code=code, valid_to__isnull=True)
    return services.create_user(username, role=role, region=region, password=PASSWORD, actor=None)


def login(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.login button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/accounts/login/" not in page.url, page.content()[:2000]


def test_league_user_sees_the_league_only_and_the_chart_is_drawn(pack, page, live_server, shoot):
    base = live_server.url
    user("e2e-league", Role.PREFECTURE, "152500")
    xl, gz = Region.objects.get(code="152500"), Region.objects.get(code="520000")
    ProjectRating.objects.create(
        project=Project.objects.create(code="E2E-XL-1", name="锡林郭勒红色示例项目", region=xl, total_investment=1), colour="red"
    )
    ProjectRating.objects.create(
        project=Project.objects.create(code="E2E-GZ-1", name="贵州红色示例项目", region=gz, total_investment=1), colour="red"
    )
    target = Target.objects.filter(region=xl, year=2025, indicator__code="XL.CATTLE_STOCK").first()
    for year, value in ((2021, 170), (2022, 190), (2023, 205), (2024, 226)):
        Observation.objects.create(
            indicator=target.indicator, region=xl, sector=target.sector, chain_node=target.chain_node,
            period=str(year), period_type="year", period_start=datetime.date(year, 1, 1),
            period_end=datetime.date(year, 12, 31), value=value, unit=target.unit, status="approved",
        )

    login(page, base, "e2e-league")
    page.goto(f"{base}/cockpit/")
    text = page.inner_text("main")
    assert "锡林郭勒盟" in text and "锡林郭勒红色示例项目" in text
    assert "贵州" not in text
    assert page.locator('a[href="/cockpit/152502/"]').count() >= 1  # drill-down to the banners
    page.wait_for_function("document.querySelector('#children-chart canvas') !== null")
    shoot(page, "cockpit-league")
    assert page.goto(f"{base}/cockpit/520000/").status == 404
    assert page.goto(f"{base}/cockpit/targets/{Target.objects.filter(region=gz).first().pk}/").status == 404

    page.goto(f"{base}/cockpit/targets/{target.pk}/")
    page.wait_for_function("document.querySelector('#target-chart').getAttribute('data-drawn') === '1'")
    page.wait_for_timeout(300)
    painted = page.evaluate(
        """() => {
            const canvas = document.querySelector('#target-chart canvas');
            const ctx = canvas.getContext('2d');
            const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
            let n = 0;
            for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
            return {n, w: canvas.width, h: canvas.height};
        }"""
    )
    assert painted["w"] > 300 and painted["h"] > 200
    assert painted["n"] > 2000, painted  # axes, lines, points and labels, not a blank canvas
    assert "<mark>" in page.inner_html("#clause")
    shoot(page, "target")

    page.click("form.lang button[value=en]")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Cockpit" in page.inner_text("header nav")
    shoot(page, "target-en")
    page.goto(f"{base}/cockpit/")
    assert "Lagging targets" in page.inner_text("main")
    shoot(page, "cockpit-en")
    page.click("form.lang button[value=zh-hans]")
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "zh-hans"


def test_upload_with_a_bad_row_then_a_province_user_approves(pack, page, live_server, shoot, tmp_path):
    reporting = pytest.importorskip("chainwatch.targets.reporting")
    from chainwatch.targets.models import Submission

    base = live_server.url
    user("e2e-league", Role.PREFECTURE, "152500")
    user("e2e-province", Role.PROVINCE, "150000")
    reporting.create_form(
        actor=None, code="E2E.AGRI", name_zh="浏览器测试农牧业年报",
        items=[("XL.CATTLE_STOCK", "XL.I.BEEF"), ("XL.MILK_OUTPUT", None)], region_codes=["152500"],
    )
    header = "indicator_code,region_code,sector_code,period,value,unit,source\n"
    bad = tmp_path / "bad.csv"
    bad.write_text(header + "XL.CATTLE_STOCK,152500,XL.I.BEEF,2024,226,万头,\nXL.MILK_OUTPUT,152500,,2024,很多,万吨,\n",
                   encoding="utf-8")
    good = tmp_path / "good.csv"
    good.write_text(header + "XL.CATTLE_STOCK,152500,XL.I.BEEF,2024,226,万头,\nXL.MILK_OUTPUT,152500,,2024,120,万吨,\n",
                    encoding="utf-8")

    login(page, base, "e2e-league")

    def check(path):
        page.goto(f"{base}/targets/forms/E2E.AGRI/upload/")
        reporter = page.locator("#id_reporter")
        if reporter.evaluate("el => el.tagName") == "SELECT":
            reporter.select_option("152500")
        else:
            reporter.fill("152500")
        page.fill("#id_period", "2024")
        page.set_input_files("#id_file", str(path))
        page.click("form[enctype] button[type=submit]")
        page.wait_for_load_state("networkidle")

    check(bad)
    problems = page.inner_text("table.problems")
    assert "3" in problems and "value" in problems  # row 3 (the second data row), column value
    assert page.locator("text=确认保存").count() == 0
    shoot(page, "upload-bad-row")

    check(good)
    page.click("text=确认保存")
    page.wait_for_load_state("networkidle")
    page.click("button:has-text('提交审核')")
    page.wait_for_load_state("networkidle")
    submission = Submission.objects.get(form__code="E2E.AGRI", region__code="152500", period="2024")
    assert submission.status == "submitted"

    page.context.clear_cookies()
    login(page, base, "e2e-province")
    page.goto(f"{base}/targets/approvals/")
    assert "浏览器测试农牧业年报" in page.inner_text("main") or "E2E.AGRI" in page.inner_text("main")
    shoot(page, "approvals")
    page.click("button:has-text('审核通过')")
    page.wait_for_load_state("networkidle")
    submission.refresh_from_db()
    assert submission.status == "approved"
    assert Observation.objects.filter(region__code="152500", indicator__code="XL.MILK_OUTPUT", status="approved").exists()
