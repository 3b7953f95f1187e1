"""The scoping function itself: many-valued lookups, department and enterprise rules, drafts."""

import pytest

from chainwatch.chains.models import Enterprise
from chainwatch.core.scoping import is_read_only, scope, visible
from chainwatch.policy.models import Task
from chainwatch.targets.models import Observation

pytestmark = pytest.mark.django_db


def test_department_sees_tasks_it_leads_or_cooperates_on_once(world):
    tasks = list(Task.objects.filter(document__region=world.xl)[:2])
    tasks[0].lead_departments.add(world.dept)
    tasks[0].cooperating_departments.add(world.dept)
    tasks[1].cooperating_departments.add(world.dept)
    seen = list(scope(Task.objects.all(), world.users["department"]))
    led_or_cooperating = Task.objects.filter(lead_departments=world.dept).values_list("pk", flat=True)
    expected = set(led_or_cooperating) | {tasks[1].pk}
    assert sorted(t.pk for t in seen) == sorted(expected)  # no duplicates, both kinds


def test_department_sees_enterprises_of_its_region(world):
    seen = set(scope(Enterprise.objects.all(), world.users["department"]).values_list("pk", flat=True))
    assert {world.ent_a.pk, world.ent_b.pk} <= seen
    assert not scope(Enterprise.objects.filter(region=world.gz), world.users["department"]).exists()


def test_enterprise_user_sees_only_its_enterprise(world):
    assert list(scope(Enterprise.objects.all(), world.users["enterprise_a"])) == [world.ent_a]


def test_drafts_are_seen_by_author_and_own_region_only(world):
    draft = world.county_draft
    assert visible(draft, world.users["county"])
    for role in ("province", "league", "leader", "neighbour", "department", "guizhou", "norole"):
        assert not visible(draft, world.users[role]), role
    draft.status = Observation.Status.SUBMITTED
    draft.save()
    for role in ("province", "league", "leader", "county"):
        assert visible(draft, world.users[role]), role


def test_anonymous_sees_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    assert not scope(Observation.objects.all(), AnonymousUser()).exists()
    assert not scope(Enterprise.objects.all(), None).exists()


def test_read_only(world):
    assert is_read_only(world.users["leader"]) and is_read_only(world.users["norole"])
    assert not is_read_only(world.users["county"]) and not is_read_only(world.users["admin"])
