"""factory_boy factories for test data that the knowledge pack does not provide."""

import datetime

import factory

from chainwatch.chains.models import Capacity, ChainNode, Enterprise
from chainwatch.core.codes import make_uscc
from chainwatch.geo.models import Region
from chainwatch.projects.models import Project, ProjectRating
from chainwatch.targets.models import Indicator, Observation, Target


def region(code: str) -> Region:
    return Region.objects.get(code=code, valid_to__isnull=True)


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Indicator

    code = factory.Sequence(lambda n: f"TEST.IND_{n}")
    name_zh = factory.Sequence(lambda n: f"测试指标{n}")
    unit = "亿元"
    kind = Indicator.Kind.FLOW
    aggregation = Indicator.Aggregation.SUM
    direction = Indicator.Direction.INCREASE


class TargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Target

    indicator = factory.SubFactory(IndicatorFactory)
    region = factory.LazyFunction(lambda: region("150000"))
    year = 2025
    value = 100
    unit = "亿元"
    comparator = ">="


class ObservationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Observation

    indicator = factory.SubFactory(IndicatorFactory)
    region = factory.LazyFunction(lambda: region("150000"))
    period = "2024"
    period_type = "year"
    period_start = datetime.date(2024, 1, 1)
    period_end = datetime.date(2024, 12, 31)
    value = 50
    unit = "亿元"
    status = Observation.Status.APPROVED


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    uscc = factory.Sequence(lambda n: make_uscc("9", "1", "150000", f"MA{n:07d}"))
    name = factory.Sequence(lambda n: f"测试企业{n}有限公司")
    region = factory.LazyFunction(lambda: region("150000"))


class CapacityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Capacity

    enterprise = factory.SubFactory(EnterpriseFactory)
    region = factory.SelfAttribute("enterprise.region")
    node = factory.LazyFunction(lambda: ChainNode.objects.get(code="LI.CELL"))
    amount = 10
    unit = "GWh/年"
    status = Capacity.Status.BUILT


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"2025-150000-38-03-{n:06d}")
    name = factory.Sequence(lambda n: f"测试项目{n}")
    region = factory.LazyFunction(lambda: region("150000"))
    total_investment = 1_000_000_000

    @factory.post_generation
    def colour(obj, create, extracted, **kwargs):
        """``ProjectFactory(colour="red")``: the project with a stored rating of that colour."""
        if create and extracted:
            ProjectRating.objects.create(project=obj, colour=extracted)
