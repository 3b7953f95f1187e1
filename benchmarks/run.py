"""Run the chainwatch benchmarks and write BENCHMARKS.md.

    python -m benchmarks.run [--scale small|province|national] [--seed N]
                             [--database-url URL ...] [--quick] [--output BENCHMARKS.md]

For each database (default: SQLite under data/bench/, plus PostgreSQL when
CHAINWATCH_BENCH_POSTGRES_URL or CHAINWATCH_TEST_DATABASE_URL is set) it generates — or reuses,
keyed by scale, seed and a hash of the schema (migrations), the knowledge pack and the generator —
the synthetic data set (`chainwatch synth`), runs every benchmark several times in a separate
process, and writes the figures with their goals into BENCHMARKS.md.

The key leaves out migrations: a reused data set is migrated forward before the run.
SQLite data sets are files data/bench/chainwatch-<scale>-s<seed>-<key>.sqlite3. For PostgreSQL
the URL names the server and an account allowed to create databases; the data set lives in its
own database cw_bench_<scale>_s<seed>_<key> on that server (the URL's own database is untouched).
`--quick` uses the small scale, fewer runs and light HTTP load: a smoke test of the harness.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "chainwatch"
NOTES = Path(__file__).resolve().parent / "notes.md"
PG_ENV = ("CHAINWATCH_BENCH_POSTGRES_URL", "CHAINWATCH_TEST_DATABASE_URL")


# ---------------------------------------------------------------------------------------------
# Data sets


def dataset_key() -> str:
    """Hash of what shapes the generated data: the knowledge pack and the generator.

    Migrations are not in the key: a reused data set is migrated forward before the run, so a
    new index or column does not cost a regeneration (13 minutes at national scale on SQLite).
    """
    h = hashlib.sha256()
    files = sorted((SRC / "knowledge").rglob("*.yaml")) + sorted((SRC / "knowledge").rglob("*.csv"))
    files += sorted((SRC / "synth").glob("*.py"))
    for path in files:
        h.update(str(path.relative_to(SRC)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:10]


def chainwatch(args: list[str], env: dict[str, str], log) -> None:
    command = [sys.executable, "-m", "chainwatch.cli", *args]
    log(f"    $ chainwatch {' '.join(args)}")
    completed = subprocess.run(command, env=env, capture_output=True, text=True)
    if completed.returncode:
        raise SystemExit(f"chainwatch {' '.join(args)} failed:\n{completed.stdout[-2000:]}\n{completed.stderr[-4000:]}")


def base_env(database_url: str, data_dir: Path) -> dict[str, str]:
    env = {**os.environ, "CHAINWATCH_DATABASE_URL": database_url, "CHAINWATCH_DATA_DIR": str(data_dir),
           "DJANGO_SETTINGS_MODULE": "chainwatch.settings", "PYTHONPATH": os.pathsep.join(
               [str(ROOT), str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    env.pop("CHAINWATCH_PRODUCTION", None)
    return env


def generate(database_url: str, scale: str, seed: int, run_dir: Path, log) -> float:
    env = base_env(database_url, run_dir)
    started = time.perf_counter()
    chainwatch(["migrate", "--noinput", "-v", "0"], env, log)
    chainwatch(["load-pack"], env, log)
    chainwatch(["synth", "--scale", scale, "--seed", str(seed)], env, log)
    return time.perf_counter() - started


def prepare_sqlite(bench_dir: Path, scale: str, seed: int, key: str, log) -> tuple[str, dict]:
    prefix = f"chainwatch-{scale}-s{seed}-"
    path = bench_dir / f"{prefix}{key}.sqlite3"
    marker = path.with_suffix(".ready.json")
    url = f"sqlite:///{path}"
    if marker.exists() and path.exists():
        log(f"  reusing {path.name}")
        chainwatch(["migrate", "--noinput", "-v", "0"], base_env(url, bench_dir / "run"), log)
        return url, json.loads(marker.read_text())
    for old in bench_dir.glob(f"{prefix}*"):
        old.unlink()
    log(f"  generating {path.name} …")
    seconds = generate(url, scale, seed, bench_dir / "run", log)
    info = {"generated": datetime.datetime.now().isoformat(timespec="seconds"), "generation_seconds": seconds,
            "file_bytes": path.stat().st_size}
    marker.write_text(json.dumps(info))
    return url, info


def prepare_postgres(base_url: str, bench_dir: Path, scale: str, seed: int, key: str, log) -> tuple[str, dict]:
    import psycopg

    parts = urlsplit(base_url)
    name = f"cw_bench_{scale}_s{seed}_{key}"
    url = urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))
    admin = psycopg.conninfo.make_conninfo(base_url.replace("postgres://", "postgresql://", 1))
    with psycopg.connect(admin, autocommit=True) as conn:
        names = [r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [f"cw_bench_{scale}_s{seed}_%"])]
        if name in names:
            try:
                with psycopg.connect(psycopg.conninfo.make_conninfo(admin, dbname=name)) as target:
                    row = target.execute("SELECT info FROM chainwatch_bench_ready").fetchone()
                if row:
                    log(f"  reusing PostgreSQL database {name}")
                    chainwatch(["migrate", "--noinput", "-v", "0"], base_env(url, bench_dir / "run"), log)
                    return url, json.loads(row[0])
            except psycopg.Error:
                pass
        for old in names:
            conn.execute(f'DROP DATABASE "{old}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    log(f"  generating PostgreSQL database {name} …")
    seconds = generate(url, scale, seed, bench_dir / "run", log)
    info = {"generated": datetime.datetime.now().isoformat(timespec="seconds"), "generation_seconds": seconds}
    with psycopg.connect(psycopg.conninfo.make_conninfo(admin, dbname=name), autocommit=True) as target:
        target.execute("CREATE TABLE chainwatch_bench_ready (info text)")
        target.execute("INSERT INTO chainwatch_bench_ready VALUES (%s)", [json.dumps(info)])
        target.execute("VACUUM ANALYZE")
    return url, info


# ---------------------------------------------------------------------------------------------
# Machine


def machine() -> dict:
    info = {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(), "memory_gb": None,
            "kernel": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_gb"] = round(int(line.split()[1]) / 1024 / 1024, 1)
        info["cores_usable"] = len(os.sched_getaffinity(0))
    except OSError:
        pass
    return info


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


# ---------------------------------------------------------------------------------------------
# Worker (inside Django, one database)


def worker(args) -> int:
    import django

    django.setup()
    from django.db import connection

    from benchmarks import cases
    from chainwatch.chains.models import Capacity, Enterprise
    from chainwatch.geo.models import Region
    from chainwatch.projects.models import Project, ProjectUpdate
    from chainwatch.targets.models import Indicator, Observation, Target

    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()" if connection.vendor == "sqlite" else "SHOW server_version")
        version = cursor.fetchone()[0]
    dataset = {
        "regions": Region.objects.filter(level__in=["province", "prefecture", "county"]).count(),
        "indicators": Indicator.objects.count(), "targets": Target.objects.count(),
        "observations": Observation.objects.count(), "enterprises": Enterprise.objects.count(),
        "capacities": Capacity.objects.count(), "projects": Project.objects.count(),
        "project updates": ProjectUpdate.objects.count(),
    }
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    only = set(args.only.split(",")) if args.only else None
    result = cases.run_all(repeat=args.repeat, quick=args.quick, work=work, database_url=os.environ["CHAINWATCH_DATABASE_URL"],
                           data_dir=os.environ["CHAINWATCH_DATA_DIR"], only=only, profile=not args.no_profile,
                           say=lambda line: print(line, flush=True))
    result.update(vendor=connection.vendor, version=version, dataset=dataset)
    Path(args.result).write_text(json.dumps(result, ensure_ascii=False, indent=1, default=str))
    return 0


# ---------------------------------------------------------------------------------------------
# Report


def _fmt_seconds(value: float, limit: float) -> str:
    if limit < 1:
        return f"{value * 1000:.1f} ms"
    return f"{value:.2f} s" if value < 100 else f"{value:.0f} s"


def figure(case: dict) -> str:
    status = case["status"]
    if status in ("not available", "error"):
        return status
    if case["kind"] == "http":
        urls = [u for u in case["extra"].get("urls", []) if "p95" in u]
        if not urls:
            return "no figures"
        worst = max(urls, key=lambda u: u["p95"])
        return f"worst p95 {worst['p95']:.0f} ms ({worst['url']})"
    if case["kind"] == "rate":
        spread = f"{case['min']:.0f}–{case['max']:.0f}"
        return f"{case['median']:.0f} KB/s ({spread})"
    spread = f"{_fmt_seconds(case['min'], case['limit'])}–{_fmt_seconds(case['max'], case['limit'])}"
    if "q1" in case:
        spread += f", IQR {_fmt_seconds(case['q1'], case['limit'])}–{_fmt_seconds(case['q3'], case['limit'])}"
    return f"**{_fmt_seconds(case['median'], case['limit'])}** ({spread}, n={len(case['runs'])})"


MARK = {"met": "met ✅", "not met": "**not met** ❌", "not available": "not available (service missing)", "error": "error ⚠️"}


def render(runs: list[dict], meta: dict) -> str:
    lines = ["# chainwatch benchmarks", ""]
    lines += [
        f"Generated by `python -m benchmarks.run --scale {meta['scale']} --seed {meta['seed']}"
        f"{' --quick' if meta['quick'] else ''}` (`make bench`) on {meta['date']}. "
        "Every figure is the median of several runs with its spread; every goal is the one the issues state; "
        "\"met\" compares the median with the goal. Data: the synthetic data set (`chainwatch synth`, "
        "marked 【合成】 / origin = synthetic) on the real GB/T 2260 region tree.",
        "",
        *(["> **Quick mode** (`--quick`): the small data set, two runs, light HTTP load — a smoke test of the "
            "harness. The goals are stated for the national scale; \"met\" here says nothing about them.", ""]
          if meta["quick"] else []),
        "## Machine",
        "",
        f"- CPU: {meta['machine']['cpu']}, {meta['machine']['cores']} cores "
        f"({meta['machine'].get('cores_usable', '?')} usable), memory {meta['machine']['memory_gb']} GB",
        f"- {meta['machine']['kernel']}, Python {meta['machine']['python']}",
        f"- load average at start {meta['load_start']}, at end {meta['load_end']} "
        "(other processes on the machine share the cores; a load above the core count inflates every figure)",
        "",
        "## Data sets",
        "",
    ]
    keys = list(runs[0]["dataset"]) if runs else []
    lines.append("| | " + " | ".join(r["label"] for r in runs) + " |")
    lines.append("|---|" + "---|" * len(runs))
    lines.append("| database | " + " | ".join(f"{r['vendor']} {r['version']}" for r in runs) + " |")
    for key in keys:
        lines.append(f"| {key} | " + " | ".join(f"{r['dataset'].get(key, 0):,}" for r in runs) + " |")
    lines.append("| generation (migrate + load-pack + synth) | " + " | ".join(
        f"{r['prepared'].get('generation_seconds', 0):.0f} s" + (" (reused)" if r.get("reused") else "") for r in runs) + " |")
    lines += ["", "## Results", ""]
    lines.append("| benchmark | goal | " + " | ".join(f"{r['label']} | {r['label']}: goal" for r in runs) + " |")
    lines.append("|---|---|" + "---|---|" * len(runs))
    by_id = [{c["id"]: c for c in r["cases"]} for r in runs]
    for case in runs[0]["cases"] if runs else []:
        cells = []
        for table in by_id:
            c = table.get(case["id"])
            cells += [figure(c), MARK.get(c["status"], c["status"])] if c else ["—", "—"]
        lines.append(f"| {case['title']} | {case['goal']} | " + " | ".join(cells) + " |")
    for run in runs:
        lines += ["", f"### Details: {run['label']}", ""]
        for c in run["cases"]:
            extra = {k: v for k, v in c.get("extra", {}).items() if k not in ("urls", "traceback")}
            text = f"- **{c['id']}**: " + (c["note"] or "")
            if extra:
                text += " — " + ", ".join(f"{k}: {v:,}" if isinstance(v, int) else f"{k}: {v}" for k, v in extra.items())
            if c["kind"] == "seconds" and c.get("runs"):
                text += " — runs: " + ", ".join(_fmt_seconds(x, c["limit"]) for x in c["runs"])
            lines.append(text)
            if c.get("extra", {}).get("traceback"):
                lines += ["", "  ```", *("  " + t for t in c["extra"]["traceback"].strip().splitlines()[-8:]), "  ```"]
        http = next((c for c in run["cases"] if c["id"] == "http"), None)
        if http and http.get("extra", {}).get("urls"):
            lines += ["", f"HTTP under load ({run['label']}): {http['extra'].get('server')}, "
                      f"{http['extra'].get('concurrency')} concurrent clients, up to {http['extra'].get('requests per URL')} "
                      "requests per URL after 2 warm-up requests, signed in as the synthetic administrator (sees everything).", "",
                      "| URL | requests | p50 ms | p95 ms | p99 ms | max ms | statuses | p95 < 300 ms |", "|---|---|---|---|---|---|---|---|"]
            for u in http["extra"]["urls"]:
                if "p95" in u:
                    ok = "met" if u["p95"] < http["limit"] and not u["error_count"] else "**not met**"
                    lines.append(f"| `{u['url']}` | {u['requests']} | {u['p50']:.0f} | {u['p95']:.0f} | {u['p99']:.0f} | {u['max']:.0f} | "
                                 f"{', '.join(f'{k}×{v}' for k, v in u['statuses'].items())} | {ok} |")
                else:
                    lines.append(f"| `{u['url']}` | 0 | — | — | — | — | {'; '.join(u['errors'])} | **not met** |")
    profiles = [(r["label"], r["profile"]) for r in runs if r.get("profile")]
    lines += ["", "## Profile of the slowest path", ""]
    if NOTES.exists():
        lines += [NOTES.read_text(encoding="utf-8").strip(), ""]
    for label, profile in profiles:
        lines += [f"cProfile of one run of `{profile['case']}` on {label} over {profile.get('subset', 'the full data set')} "
                  f"(median / goal = {profile['ratio']:.2f}), "
                  "top functions by cumulative time:", "", "```", profile["cumulative"].strip()[:6000], "```", "",
                  "by own time:", "", "```", profile["tottime"].strip()[:4000], "```", ""]
    return "\n".join(lines).rstrip() + "\n"


# ---------------------------------------------------------------------------------------------
# Main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=["small", "province", "national"], default="national")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--database-url", action="append", default=None,
                        help="a database to benchmark (repeatable); default: SQLite under --bench-dir, "
                        "plus PostgreSQL from CHAINWATCH_BENCH_POSTGRES_URL / CHAINWATCH_TEST_DATABASE_URL")
    parser.add_argument("--quick", action="store_true", help="small scale, 2 runs, light HTTP load (smoke test)")
    parser.add_argument("--repeat", type=int, default=None, help="runs per benchmark (default 5, quick 2)")
    parser.add_argument("--only", default=None, help="comma-separated benchmark ids")
    parser.add_argument("--output", default=str(ROOT / "BENCHMARKS.md"))
    parser.add_argument("--bench-dir", default=str(ROOT / "data" / "bench"))
    parser.add_argument("--no-profile", action="store_true")
    parser.add_argument("--render-only", action="store_true",
                        help="rewrite the report from the last results (data/bench/last-results.json), e.g. after editing benchmarks/notes.md")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.scale = "small"
    args.repeat = args.repeat or (2 if args.quick else 5)
    if args.worker:
        return worker(args)

    def log(text: str) -> None:
        print(text, flush=True)

    bench_dir = Path(args.bench_dir)
    bench_dir.mkdir(parents=True, exist_ok=True)
    if args.render_only:
        last = json.loads((bench_dir / "last-results.json").read_text())
        Path(args.output).write_text(render(last["runs"], last["meta"]), encoding="utf-8")
        log(f"wrote {args.output}")
        return 0
    key = dataset_key()
    targets = args.database_url or ["sqlite"]
    if not args.database_url:
        pg = next((os.environ[e] for e in PG_ENV if os.environ.get(e)), None)
        if pg:
            targets.append(pg)
    meta = {"scale": args.scale, "seed": args.seed, "quick": args.quick, "machine": machine(), "load_start": loadavg(),
            "date": datetime.datetime.now().astimezone().isoformat(timespec="minutes")}
    runs = []
    for target in targets:
        vendor = "sqlite" if target == "sqlite" or target.startswith("sqlite") else "postgresql"
        log(f"== {vendor}: data set {args.scale} seed {args.seed} (key {key})")
        started = time.perf_counter()
        if target == "sqlite":
            url, prepared = prepare_sqlite(bench_dir, args.scale, args.seed, key, log)
        elif vendor == "postgresql":
            url, prepared = prepare_postgres(target, bench_dir, args.scale, args.seed, key, log)
        else:  # an explicit SQLite URL: used as it is, generated when empty
            url, prepared = target, {}
        reused = time.perf_counter() - started < 5
        work = bench_dir / "work" / f"{vendor}-{args.scale}-s{args.seed}-{key}"
        if work.exists():
            for stale in work.glob("*.csv"):
                stale.unlink()
        work.mkdir(parents=True, exist_ok=True)
        result_path = work / "result.json"
        env = base_env(url, bench_dir / "run")
        command = [sys.executable, "-m", "benchmarks.run", "--worker", "--result", str(result_path), "--work", str(work),
                   "--repeat", str(args.repeat), "--scale", args.scale]
        command += ["--quick"] if args.quick else []
        command += ["--no-profile"] if args.no_profile else []
        command += ["--only", args.only] if args.only else []
        log("  running the benchmarks …")
        if subprocess.run(command, env=env, cwd=ROOT).returncode:
            log(f"  the benchmark worker failed on {vendor}")
            continue
        result = json.loads(result_path.read_text())
        result.update(label="SQLite" if vendor == "sqlite" else "PostgreSQL", prepared=prepared, reused=reused)
        runs.append(result)
    meta["load_end"] = loadavg()
    if not runs:
        log("no results")
        return 1
    output = Path(args.output)
    output.write_text(render(runs, meta), encoding="utf-8")
    (bench_dir / "last-results.json").write_text(json.dumps({"meta": meta, "runs": runs}, ensure_ascii=False, default=str))
    log(f"wrote {output}")
    shutil.rmtree(bench_dir / "run" / "media", ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
