from django.core.management.base import BaseCommand, CommandError

from chainwatch.knowledge.loader import PackError, load_pack


class Command(BaseCommand):
    help = "载入内置知识包（政策文件、条款、目标、基期数据、产业链模板、行政区划）；可重复运行。"

    def handle(self, *args, **options):
        try:
            summary = load_pack()
        except PackError as exc:
            raise CommandError("知识包有误，未写入任何数据 / pack is malformed, nothing written:\n" + "\n".join(exc.problems)) from exc
        for line in summary.lines():
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS(f"完成：{summary.changed} 行有变化 / done: {summary.changed} rows changed"))
