"""`chainwatch synth --scale small|province|national --seed N [--database-url URL]`."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from chainwatch.synth import SCALES, SynthError, generate, remove_synthetic


def _same_database(url: str) -> bool:
    import dj_database_url

    wanted = dj_database_url.parse(url)
    current = settings.DATABASES["default"]
    return all(str(wanted.get(k) or "") == str(current.get(k) or "") for k in ("ENGINE", "NAME", "HOST", "PORT"))


class Command(BaseCommand):
    help = (
        "生成合成数据（标注【合成】，origin=synthetic，非真实数据）用于测试与性能基准 / "
        "generate the deterministic synthetic data set (small, province or national scale)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="small")
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument(
            "--database-url", default=None,
            help="write into this database instead of CHAINWATCH_DATABASE_URL (sqlite:///… or postgres://…)",
        )
        parser.add_argument(
            "--prepare", action="store_true",
            help="先建表并载入知识包 / migrate and load the knowledge pack first",
        )
        parser.add_argument("--remove", action="store_true", help="删除全部合成数据 / remove all synthetic rows")

    def handle(self, *args, scale, seed, database_url, prepare, remove, **options):
        if database_url and not _same_database(database_url):
            # settings are read once per process: run again with the other database
            argv = [sys.executable, "-m", "chainwatch.cli", "synth", "--scale", scale, "--seed", str(seed)]
            argv += ["--prepare"] if prepare else []
            argv += ["--remove"] if remove else []
            env = {**os.environ, "CHAINWATCH_DATABASE_URL": database_url}
            code = subprocess.call(argv, env=env)
            if code:
                raise CommandError(f"synth 在 {database_url} 上失败 / failed (exit {code})")
            return
        if remove:
            self.stdout.write(f"已删除合成数据 {remove_synthetic():,} 行 / removed synthetic rows")
            return
        if prepare:
            call_command("migrate", interactive=False, verbosity=0)
            from chainwatch.geo.models import Region
            from chainwatch.knowledge.loader import load_pack

            if not Region.objects.exists():
                self.stdout.write("载入知识包 / loading the knowledge pack …")
                load_pack()
        try:
            summary = generate(scale, seed, progress=lambda line: self.stderr.write(f"  {line}"))
        except SynthError as exc:
            raise CommandError(str(exc)) from exc
        for line in summary.lines():
            self.stdout.write(line)
        self.stdout.write(self.style.WARNING("合成数据为虚构数据，仅供测试与性能基准 / synthetic data is invented, for tests and benchmarks only"))
