"""`python -m benchmarks.run --quick` runs end to end on the small data set and writes a report.

No timing is asserted: the figures are whatever this machine gives; the test checks that every
benchmark produced a result (a figure, or an honest "not available"/"error") and the report.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_quick_run_writes_a_report(tmp_path):
    output = tmp_path / "BENCHMARKS.md"
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick", "--bench-dir", str(tmp_path / "bench"), "--output", str(output),
         "--database-url", "sqlite"],
        cwd=ROOT, capture_output=True, text=True, timeout=1200,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    text = output.read_text(encoding="utf-8")
    for heading in ("## Machine", "## Data sets", "## Results", "## Profile of the slowest path"):
        assert heading in text
    results = json.loads((tmp_path / "bench" / "last-results.json").read_text())
    cases = {c["id"]: c for c in results["runs"][0]["cases"]}
    assert set(cases) == {"progress_full", "progress_incremental", "import_csv", "import_xlsx", "balance_all",
                          "balance_one", "rules_colours", "projections", "extraction", "http"}
    for case in cases.values():
        assert case["status"] in {"met", "not met", "not available", "error"}
        assert case["goal"] in text
    assert results["runs"][0]["dataset"]["observations"] >= 20_000
    # the data set is kept and reused on the next run (keyed by scale, seed and schema)
    assert list((tmp_path / "bench").glob("chainwatch-small-s42-*.ready.json"))
