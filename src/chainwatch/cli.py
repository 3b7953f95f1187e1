"""The `chainwatch` command: one entry point for people and scripts.

`chainwatch load-pack` runs the Django management command `load_pack`; every sub-command is a
management command (hyphens become underscores), so `chainwatch help` lists them all.
"""

from __future__ import annotations

import os
import sys

USAGE = """chainwatch — 产业链集群监测调度平台

Setup and data
  chainwatch migrate                      create or upgrade the database schema
  chainwatch load-pack                    load the built-in knowledge pack (idempotent)
  chainwatch load-sample [--remove]       the labelled sample data set (示例数据)
  chainwatch synth --scale small|province|national --seed N    synthetic data for benchmarks
  chainwatch serve [--host H] [--port N]  serve the web platform
  chainwatch users create|token|list|deactivate ...            accounts, roles, API tokens
  chainwatch audit export --since DATE --format csv|jsonl      the audit trail

Policy, targets and progress
  chainwatch indicators [--format table|jsonl|csv]
  chainwatch targets [--region CODE] [--document CODE] [--year YEAR] [--format table|jsonl|csv]
  chainwatch policy extract|eval|import|review|accept|reject ...
  chainwatch observations import|template|completeness ...
  chainwatch progress [--region CODE] [--as-of DATE] [--format table|jsonl]
  chainwatch refresh-progress [--as-of DATE]                   the stored snapshot the cockpit reads
  chainwatch report --region CODE [--cluster CODE] --as-of DATE --format html|pdf|xlsx|docx -o FILE

Chains and projects
  chainwatch chain balance|gaps|peers|panorama ...
  chainwatch enterprises import|review|merge ...
  chainwatch rules evaluate|list ...
  chainwatch projects recompute|escalate|mechanisms|projection|export ...

  chainwatch <command> --help             the options of one command
  chainwatch help                         every command (Django's list)

The database is CHAINWATCH_DATABASE_URL (default: SQLite in ./data).
"""


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chainwatch.settings")
    if not args or args[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    from django.core.management import execute_from_command_line

    command = args[0] if args[0] == "help" else args[0].replace("-", "_")
    try:
        execute_from_command_line(["chainwatch", command, *args[1:]])
    except BrokenPipeError:  # `chainwatch targets | head`: the reader left, nothing is wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main())
