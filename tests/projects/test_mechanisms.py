"""Xilingol's 七个一 (seed 004, 四(二)): seven items per cluster, evidence, completeness score."""

import pytest

from chainwatch.chains.models import Sector
from chainwatch.projects import services
from chainwatch.projects.models import ClusterMechanism
from chainwatch.projects.services import ProjectError

pytestmark = pytest.mark.django_db


def test_ensure_creates_seven_items_per_cluster_and_prefills_the_lead_department():
    clusters = Sector.objects.filter(kind="cluster").count()
    assert clusters >= 5
    assert services.ensure_mechanisms(actor=None) == 7 * clusters
    assert services.ensure_mechanisms(actor=None) == 0  # idempotent
    lead = ClusterMechanism.objects.select_related("department").get(sector__code="XL.C.AGRI", item="lead_department")
    assert (lead.value, lead.department.name, lead.done) == ("盟农牧局", "盟农牧局", False)
    assert lead.source.endswith("xl-clusters-2025")
    assert ClusterMechanism.objects.get(sector__code="IM.C.AGRI", item="lead_department").value == ""  # the text names none


def test_confirm_needs_evidence_and_the_score_is_the_done_share(admin_user):
    services.ensure_mechanisms(actor=None)
    lead = ClusterMechanism.objects.get(sector__code="XL.C.AGRI", item="lead_department")
    with pytest.raises(ProjectError, match="须附佐证"):
        services.confirm_mechanism(lead, actor=admin_user)
    lead = services.confirm_mechanism(lead, actor=admin_user, evidence_text="锡署发〔2023〕号文明确盟农牧局牵头")
    assert lead.done and lead.confirmed_by == admin_user and lead.confirmed_at is not None
    row = next(r for r in services.mechanism_scores(Sector.objects.filter(code="XL.C.AGRI")))
    assert (row["done"], row["total"]) == (1, 7) and row["score"] == pytest.approx(1 / 7)
    assert [m.item for m in row["items"]][:2] == ["leader", "lead_department"]
    ClusterMechanism.objects.filter(sector__code="XL.C.AGRI", item="lead_department").update(weight=3)
    row = services.mechanism_scores(Sector.objects.filter(code="XL.C.AGRI"))[0]
    assert row["score"] == pytest.approx(3 / 9)  # weights configured: 3 of 3+6
    services.confirm_mechanism(lead, actor=admin_user, done=False)
    assert services.mechanism_scores(Sector.objects.filter(code="XL.C.AGRI"))[0]["score"] == 0


def test_clusters_page(admin_client, django_assert_max_num_queries):
    services.ensure_mechanisms(actor=None)
    with django_assert_max_num_queries(10):
        response = admin_client.get("/projects/clusters/")
    text = response.content.decode()
    assert response.status_code == 200
    assert "绿色农畜产品产业集群" in text and "0% (0/7)" in text and "牵头部门：盟农牧局" in text
