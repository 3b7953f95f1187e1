from django.urls import path

from chainwatch.chains.api.views import (
    BalanceView,
    CapacityViewSet,
    ChainEdgeViewSet,
    ChainNodeViewSet,
    ChainTemplateViewSet,
    EnterpriseViewSet,
    GapsView,
    PanoramaView,
    PeersView,
)

registrations = [
    ("chains/templates", ChainTemplateViewSet, "chain-template"),
    ("chains/nodes", ChainNodeViewSet, "chain-node"),
    ("chains/edges", ChainEdgeViewSet, "chain-edge"),
    ("enterprises", EnterpriseViewSet, "enterprise"),
    ("capacities", CapacityViewSet, "capacity"),
]
urlpatterns = [
    path("chains/balance/", BalanceView.as_view(), name="api-chain-balance"),
    path("chains/gaps/", GapsView.as_view(), name="api-chain-gaps"),
    path("chains/panorama/", PanoramaView.as_view(), name="api-chain-panorama"),
    path("chains/peers/", PeersView.as_view(), name="api-chain-peers"),
]
