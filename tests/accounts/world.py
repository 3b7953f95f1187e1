"""A small world of users, one per role, and rows on both sides of every scope boundary.

Xilingol League (152500) with two of its county-level units — Xilinhot (152502, "our county")
and Erenhot (152501, "the neighbour") — and Guizhou (520000) far away. Used by the permission
matrix, the page tests and the browser tests.
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace

from chainwatch.accounts import services
from chainwatch.accounts.models import Role
from chainwatch.geo.models import Department
from chainwatch.targets.models import Indicator, Observation, Target
from factories import EnterpriseFactory, ObservationFactory, ProjectFactory, TargetFactory, region

PASSWORD = "Xilingol-grassland-2025"

ROLES = [
    "admin", "province", "league", "county", "neighbour", "leader", "department", "enterprise_a",
    "enterprise_b", "guizhou", "norole",
]


def build_world() -> SimpleNamespace:
    w = SimpleNamespace()
    w.im, w.xl, w.gz = region("150000"), region("152500"), region("520000")
    w.county, w.neighbour = region("152502"), region("152501")
    w.dept = Department.objects.get(name="盟农牧局", region=w.xl)
    w.ent_a = EnterpriseFactory(region=w.county, name="锡林浩特测试企业A有限公司")
    w.ent_b = EnterpriseFactory(region=w.neighbour, name="二连浩特测试企业B有限公司")
    make = services.create_user
    w.users = {
        "admin": make("t-admin", role=Role.ADMIN, password=PASSWORD, actor=None),
        "province": make("t-province", role=Role.PROVINCE, region=w.im, password=PASSWORD, actor=None),
        "league": make("t-league", role=Role.PREFECTURE, region=w.xl, password=PASSWORD, actor=None),
        "county": make("t-county", role=Role.COUNTY, region=w.county, password=PASSWORD, actor=None),
        "neighbour": make("t-neighbour", role=Role.COUNTY, region=w.neighbour, password=PASSWORD, actor=None),
        "leader": make("t-leader", role=Role.LEADER, region=w.xl, password=PASSWORD, actor=None),
        "department": make("t-dept", role=Role.DEPARTMENT, department=w.dept, password=PASSWORD, actor=None),
        "enterprise_a": make("t-ent-a", role=Role.ENTERPRISE, enterprise=w.ent_a, password=PASSWORD, actor=None),
        "enterprise_b": make("t-ent-b", role=Role.ENTERPRISE, enterprise=w.ent_b, password=PASSWORD, actor=None),
        "guizhou": make("t-guizhou", role=Role.PROVINCE, region=w.gz, password=PASSWORD, actor=None),
    }
    from django.contrib.auth import get_user_model

    w.users["norole"] = get_user_model().objects.create_user("t-norole", password=PASSWORD)
    u = w.users
    w.output = Indicator.objects.get(code="OUTPUT")
    w.county_target = TargetFactory(indicator=w.output, region=w.county, year=2027, value=50, unit="亿元",
                                    owner=w.dept, indicator_text="县域测试产值")
    w.neighbour_target = TargetFactory(indicator=w.output, region=w.neighbour, year=2027, value=30, unit="亿元")
    w.gz_target = Target.objects.filter(region=w.gz).order_by("pk").first()
    w.xl_target = Target.objects.filter(region=w.xl, owner=w.dept).order_by("pk").first()

    def obs(where, period, status, reporter, value=10):
        year = int(period)
        return ObservationFactory(
            indicator=w.output, region=where, period=period, period_start=datetime.date(year, 1, 1),
            period_end=datetime.date(year, 12, 31), value=value, unit="亿元", status=status, reporter=reporter,
        )

    w.neighbour_draft = obs(w.neighbour, "2023", Observation.Status.DRAFT, u["neighbour"])
    w.neighbour_submitted = obs(w.neighbour, "2022", Observation.Status.SUBMITTED, u["neighbour"])
    w.county_draft = obs(w.county, "2023", Observation.Status.DRAFT, u["county"])
    w.county_approved = obs(w.county, "2022", Observation.Status.APPROVED, u["county"], value=20)
    w.ent_a_obs = obs(w.county, "2021", Observation.Status.SUBMITTED, u["enterprise_a"])
    w.ent_b_obs = obs(w.neighbour, "2021", Observation.Status.SUBMITTED, u["enterprise_b"])
    w.gz_obs = obs(w.gz, "2022", Observation.Status.APPROVED, u["guizhou"])
    w.project_a = ProjectFactory(region=w.county, owner=w.ent_a, colour="red", name="锡林浩特红色测试项目")
    w.project_b = ProjectFactory(region=w.neighbour, owner=w.ent_b, colour="green")
    w.project_gz = ProjectFactory(region=w.gz, colour="red", name="贵州红色测试项目")
    return w
