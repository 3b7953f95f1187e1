"""招商线索: stages, response clocks as data, and one lead however many levels report it."""

from datetime import date

import pytest

from chainwatch.chains.models import ChainNode
from chainwatch.core.codes import make_uscc
from chainwatch.projects import services
from chainwatch.projects.leads import lead_flags
from chainwatch.projects.models import Lead, LeadClock, LeadShare
from chainwatch.projects.services import ProjectError
from factories import region

pytestmark = pytest.mark.django_db
USCC = make_uscc("9", "1", "152528", "MA0LEAD01")


def report(where, **extra):
    values = {"actor": None, "jurisdiction": region(where), "region": region("152528"),
              "enterprise_name": "锡林郭勒锂业有限公司", "received_on": date(2025, 6, 1),
              "node": ChainNode.objects.get(code="LI.CONCENTRATE")}
    values.update(extra)
    return services.report_lead(**values)


def test_a_relayed_lead_is_one_lead():
    lead, created = report("152528", uscc=USCC)
    relayed, again = report("152500", uscc=USCC, enterprise_name="锡林郭勒锂业（集团）", received_on=date(2025, 6, 3))
    assert created and not again and relayed.pk == lead.pk
    assert list(LeadShare.objects.values_list("region__code", flat=True)) == ["152500"]
    by_name, _ = report("152528", enterprise_name="内蒙古赤峰新能源有限公司", region=region("150400"))
    same_name, made = report("150400", enterprise_name="内蒙古赤峰新能源（有限公司）", region=region("150400"))
    assert not made and same_name.pk == by_name.pk  # name normalised: punctuation and legal form removed
    assert Lead.objects.count() == 2
    counts = {row["region"]: row["leads"] for row in services.lead_counts(region("150000"))}
    assert counts == {"150000": 2, "150400": 1, "152500": 1}
    assert services.lead_counts(region("152500"))[0]["leads"] == 1


def test_bad_lead_input():
    with pytest.raises(ProjectError, match="uscc：统一社会信用代码校验位错误"):
        report("152528", uscc=USCC[:-1] + ("0" if USCC[-1] != "0" else "1"))
    with pytest.raises(ProjectError, match="企业名称或统一社会信用代码：必填"):
        report("152528", enterprise_name="")


def test_clock_flags_hand_computed():
    # received 1 June: respond due 2 June, assess due 4 June, report due 8 June (defaults 1/3/7 days)
    flags = lead_flags(stage="clue", received_on=date(2025, 6, 1), responded_on=None, assessed_on=None,
                       last_reported_on=None, as_of=date(2025, 6, 2))
    assert not flags.overdue
    flags = lead_flags(stage="clue", received_on=date(2025, 6, 1), responded_on=None, assessed_on=None,
                       last_reported_on=None, as_of=date(2025, 6, 5))
    assert (flags.respond_overdue, flags.assess_overdue, flags.report_overdue) == (True, True, False)
    flags = lead_flags(stage="abandoned", received_on=date(2025, 6, 1), responded_on=None, assessed_on=None,
                       last_reported_on=None, as_of=date(2025, 9, 1))
    assert not flags.overdue


def test_clocks_are_data_and_the_nearest_jurisdiction_wins():
    LeadClock.objects.create(jurisdiction=region("152500"), step="respond", days=2)
    LeadClock.objects.create(jurisdiction=region("150000"), step="respond", days=5)
    LeadClock.objects.create(jurisdiction=region("150000"), step="report", days=30)
    assert services.lead_clocks(region("152528")) == {"respond": 2, "assess": 3, "report": 30}
    lead, _ = report("152528", uscc=USCC)
    lead = Lead.objects.select_related("jurisdiction").get(pk=lead.pk)
    assert not services.flags_for([lead], as_of=date(2025, 6, 3))[lead.pk].respond_overdue
    assert services.flags_for([lead], as_of=date(2025, 6, 4))[lead.pk].respond_overdue
    services.log_lead(lead, "respond", actor=None, on=date(2025, 6, 2))
    lead = Lead.objects.select_related("jurisdiction").get(pk=lead.pk)
    flags = services.flags_for([lead], as_of=date(2025, 6, 10))[lead.pk]
    assert (flags.respond_overdue, flags.assess_overdue, flags.report_overdue) == (False, True, False)


def test_stages_move_forward_and_close_with_a_reason_or_a_project():
    lead, _ = report("152528", uscc=USCC)
    lead = services.advance_lead(lead, "visit", actor=None, on=date(2025, 6, 2))
    assert (lead.responded_on, lead.assessed_on) == (date(2025, 6, 2), date(2025, 6, 2))
    with pytest.raises(ProjectError, match="只能前进"):
        services.advance_lead(lead, "contact", actor=None)
    with pytest.raises(ProjectError, match="须说明原因"):
        services.advance_lead(lead, "abandoned", actor=None)
    with pytest.raises(ProjectError, match="须关联项目"):
        services.advance_lead(lead, "converted", actor=None)
    project = services.create_project(actor=None, code="2025-152528-09-03-000077", name="锂精矿项目",
                                      region=region("152528"), total_investment=10**9, on=date(2025, 6, 30))
    lead = services.advance_lead(lead, "converted", actor=None, on=date(2025, 7, 1), project=project)
    assert (lead.stage, lead.closed_on, lead.project) == ("converted", date(2025, 7, 1), project)
    with pytest.raises(ProjectError, match="已结束"):
        services.advance_lead(lead, "abandoned", actor=None, reason="x")


def test_leads_page_and_api(admin_client, django_assert_max_num_queries):
    report("152528", uscc=USCC, received_on=date(2020, 1, 1))
    report("152500", uscc=USCC)
    report("150400", enterprise_name="赤峰锂盐", region=region("150400"))
    with django_assert_max_num_queries(10):
        page = admin_client.get("/projects/leads/")
    assert page.status_code == 200 and "响应逾期" in page.content.decode()
    with django_assert_max_num_queries(10):
        data = admin_client.get("/api/v1/leads/?region=152500").json()
    assert data["count"] == 1
    row = data["results"][0]
    assert row["shared_with"] == ["152500"] and row["flags"]["respond_overdue"] is True
