from django.core.management.base import BaseCommand, CommandError

from chainwatch.knowledge.sample import load_sample, remove_sample
from chainwatch.knowledge.yamlfile import PackError


class Command(BaseCommand):
    help = "载入示例数据（虚构、已标注，非真实数据）/ load the labelled sample data set."

    def add_arguments(self, parser):
        parser.add_argument("--remove", action="store_true", help="删除全部示例数据 / remove all sample rows")

    def handle(self, *args, remove, **options):
        if remove:
            self.stdout.write(f"已删除示例数据 {remove_sample()} 行 / removed sample rows")
            return
        try:
            summary = load_sample()
        except PackError as exc:
            raise CommandError("示例数据有误，未写入 / sample data malformed:\n" + "\n".join(exc.problems)) from exc
        for line in summary.lines():
            self.stdout.write(line)
        self.stdout.write(self.style.WARNING("示例数据为虚构数据，仅供演示 / sample data is invented, for demonstration only"))
