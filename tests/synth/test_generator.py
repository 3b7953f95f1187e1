"""The synthetic data generator at small scale: counts, marks, valid codes, series keys, determinism."""

import datetime

import pytest
from django.contrib.auth import get_user_model

from chainwatch.accounts.models import Profile, Role
from chainwatch.chains.models import Capacity, Enterprise
from chainwatch.core.codes import uscc_problem
from chainwatch.geo.models import Department, Region
from chainwatch.policy.models import PolicyDocument
from chainwatch.projects.models import Project, ProjectUpdate
from chainwatch.synth import SCALES, SYNTH_LABEL, checksums, generate, remove_synthetic
from chainwatch.targets.models import Indicator, Observation, Target, series_key

pytestmark = pytest.mark.django_db

SYN = {"origin": "synthetic"}


@pytest.fixture
def small():
    return generate("small", 7)


def test_small_has_the_specified_counts(small):
    scale = SCALES["small"]
    assert (scale.indicators, scale.targets, scale.observations) == (50, 500, 20_000)
    assert (scale.enterprises, scale.capacities, scale.projects) == (1_000, 3_000, 500)
    assert Indicator.objects.filter(**SYN).count() == 50
    assert Target.objects.filter(**SYN).count() == 500
    assert Observation.objects.filter(**SYN).count() == 20_000
    assert Enterprise.objects.filter(**SYN).count() == 1_000
    assert Capacity.objects.filter(**SYN).count() == 3_000
    assert Project.objects.filter(**SYN).count() == 500
    assert ProjectUpdate.objects.filter(**SYN).count() == small.counts["project updates"] > 0
    # what the summary says is what is in the database
    assert small.counts["observations"] == 20_000 and small.counts["targets"] == 500


def test_small_stays_inside_its_province(small):
    inner_mongolia = Region.objects.get(code="150000", valid_to__isnull=True)
    for model in (Target, Observation, Enterprise, Capacity, Project):
        outside = model.objects.filter(**SYN).exclude(region__path__startswith=inner_mongolia.path)
        assert not outside.exists(), model.__name__


def test_every_row_is_marked_synthetic():
    models = (Indicator, Target, Observation, Enterprise, Capacity, Project, ProjectUpdate, Department, PolicyDocument)
    before = {m: m.objects.count() for m in models}
    generate("small", 7)
    for model in models:
        added = model.objects.count() - before[model]
        assert added > 0 and model.objects.filter(**SYN).count() == added, model.__name__
    # names carry the 【合成】 label wherever they show
    for model, name in ((Indicator, "name_zh"), (Enterprise, "name"), (Project, "name"), (Department, "name"),
                        (PolicyDocument, "title_zh"), (Target, "indicator_text"), (Target, "span")):
        assert not model.objects.filter(**SYN).exclude(**{f"{name}__startswith": SYNTH_LABEL}).exists(), (model, name)
    assert not Observation.objects.filter(**SYN).exclude(reporter_text__startswith=SYNTH_LABEL).exists()
    assert not ProjectUpdate.objects.filter(**SYN).exclude(narrative__startswith=SYNTH_LABEL).exists()


def test_users_for_every_role(small):
    users = get_user_model().objects.filter(username__startswith="synth-")
    assert users.count() == small.counts["users"]
    assert not users.exclude(first_name__startswith=SYNTH_LABEL).exists()
    assert not any(u.has_usable_password() for u in users)
    roles = set(Profile.objects.filter(user__in=users).values_list("role", flat=True))
    assert roles == set(Role.values)
    county = Profile.objects.filter(user__in=users, role=Role.COUNTY).select_related("region").first()
    assert county.region.level == "county"


def test_credit_codes_are_valid_and_unique(small):
    codes = list(Enterprise.objects.filter(**SYN).values_list("uscc", "region__code"))
    assert len(codes) == 1_000 and len({c for c, _ in codes}) == 1_000
    for code, region in codes:
        assert uscc_problem(code) is None, code
        assert code[2:8] == region  # the division part is the enterprise's county


def test_observation_series_keys_are_correct(small):
    rows = Observation.objects.filter(**SYN).values_list("series", "indicator_id", "region_id", "sector_id", "chain_node_id")
    wrong = [r for r in rows if r[0] != series_key(*r[1:])]
    assert wrong == []
    # each series × period once; monthly series have 120 months 2016-11 … 2026-10, annual 2016 … 2025
    assert Observation.objects.filter(**SYN).values("series", "period").distinct().count() == 20_000
    monthly = Observation.objects.filter(**SYN, period_type="month")
    assert monthly.order_by("period_end").first().period == "2016-11"
    assert monthly.order_by("period_end").last().period == "2026-10"
    annual = Observation.objects.filter(**SYN, period_type="year").values_list("period", flat=True).distinct()
    assert set(annual) <= {str(y) for y in range(2016, 2026)}


def test_targets_come_with_milestones(small):
    years = set(Target.objects.filter(**SYN).values_list("year", flat=True))
    assert years == {2025, 2027, 2030}
    # the first series carries its three milestones with one indicator and region
    first = list(Target.objects.filter(**SYN, key__in=["synth:t000001", "synth:t000002", "synth:t000003"])
                 .values_list("indicator_id", "region_id", "year"))
    assert len({(i, r) for i, r, _ in first}) == 1 and sorted(y for _, _, y in first) == [2025, 2027, 2030]
    assert not Target.objects.filter(**SYN, document__isnull=True).exists()


def test_same_seed_same_rows_other_seed_other_rows():
    generate("small", 11)
    first = checksums()
    generate("small", 11)  # replaces the earlier synthetic rows
    assert Observation.objects.filter(**SYN).count() == 20_000
    assert checksums() == first
    generate("small", 12)
    other = checksums()
    assert all(other[k] != first[k] for k in first)


def test_remove_leaves_no_synthetic_row(small):
    assert remove_synthetic() > 0
    for model in (Indicator, Target, Observation, Enterprise, Capacity, Project, ProjectUpdate, Department, PolicyDocument):
        assert not model.objects.filter(**SYN).exists()
    assert not get_user_model().objects.filter(username__startswith="synth-").exists()
    assert Target.objects.exists()  # the knowledge pack stays


def test_indexes_are_rebuilt_after_a_large_load_on_either_backend():
    """A national load drops the observation indexes and rebuilds them in the same transaction;
    on PostgreSQL the rows' deferred foreign-key checks must not block the rebuild."""
    from django.db import connection

    from chainwatch.synth.generator import _Writer

    def indexes() -> set[str]:
        with connection.cursor() as cursor:
            found = connection.introspection.get_constraints(cursor, Observation._meta.db_table)
        return {name for name, info in found.items() if info["index"] and not info["primary_key"]}

    before = indexes()
    writer = _Writer("default")
    indicator = Indicator.objects.get(code="OUTPUT")
    region = Region.objects.get(code="150000")
    with writer.without_indexes(Observation, rows=1_000_000):
        assert len(indexes()) < len(before)
        writer.write(Observation, 1, {
            "indicator_id": indicator.pk, "region_id": region.pk, "series": series_key(indicator.pk, region.pk, None, None),
            "period": "2031", "period_type": "annual", "period_start": datetime.date(2031, 1, 1),
            "period_end": datetime.date(2031, 12, 31), "value": 1, "unit": "亿元", "status": "approved",
            "origin": "synthetic", "version": 1, "is_current": True,
        })
    assert indexes() == before
    assert Observation.objects.filter(region=region, period="2031").count() == 1
