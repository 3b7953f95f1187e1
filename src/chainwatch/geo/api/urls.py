from chainwatch.geo.api.views import DepartmentViewSet, RegionViewSet

registrations = [
    ("regions", RegionViewSet, "region"),
    ("departments", DepartmentViewSet, "department"),
]
urlpatterns: list = []
