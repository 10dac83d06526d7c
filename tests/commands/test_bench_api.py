"""`particula bench api --quick` end to end: a real server, seeded, loaded by wrk, counters exact afterwards."""

from __future__ import annotations

import shutil

import pytest

from particula.commands.bench_api import run_api_bench
from particula.commands.bench_api_load import parse_wrk

pytestmark = pytest.mark.slow

WRK_OUTPUT = """Running 20s test @ http://127.0.0.1:8000
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    10.10ms    2.00ms  80.00ms   90.00%
  Latency Distribution
     50%  850.00us
     75%   12.00ms
     90%   15.00ms
     99%    1.20s
  40000 requests in 20.00s, 30.00MB read
  Socket errors: connect 0, read 1, write 0, timeout 2
  Non-2xx or 3xx responses: 5
Requests/sec:   2000.50
Transfer/sec:      1.50MB
"""


def test_wrk_output_is_read_with_its_units() -> None:
    assert parse_wrk(WRK_OUTPUT) == (2000.5, 0.85, 1200.0, 40000, 5, 3)


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (Debian: apt-get install wrk)")
@pytest.mark.timeout(120)
def test_quick_bench_runs_end_to_end_with_exact_counters(capsys: pytest.CaptureFixture[str]) -> None:
    code = run_api_bench(quick=True, report=None)

    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "counters exact: yes" in printed
    assert "| like / unlike | 2 |" in printed
