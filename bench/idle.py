"""``python -m bench.idle``: what the whole stack costs at rest (issue 16, "quiet at rest"; not a test).

Starts the bench's own PostgreSQL (durable, as in dev) and Tansu, the five services as ``o2c dev`` runs them (relays,
consumers and periodic workers on), waits until every service is ready, lets it sit ``--settle`` seconds with
nothing happening, then sums each process's CPU over ``--window`` seconds from /proc: the services, PostgreSQL
(postmaster and every backend) and the broker. Prints % of one core per process and in total, with the load average
(other work on the machine does not count: only these processes are summed). Target: under 10 % of one core.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.cpu import CpuMeter
from bench.infra import bench_infra, load_average, machine, started_stack
from o2c_cli.localstack import free_port
from o2c_cli.services import SERVICES
from o2c_cli.stack import StackConfig

TARGET_PERCENT = 10.0


def measure(data_dir: Path, *, settle_s: float, window_s: float, extra_env: dict[str, str]) -> dict[str, float]:
    with bench_infra(data_dir / "infra") as infra:
        stack = started_stack(StackConfig(data_dir=data_dir / "stack", external_pg_url=infra.infra.pg_url,
                                          external_kafka=infra.infra.kafka_bootstrap, mail_port=None,
                                          extra_env=extra_env, ports={name: free_port() for name in SERVICES}))
        try:
            print(f"stack ready at {datetime.now(UTC):%H:%M:%S} UTC; load {load_average(' / ')}; "
                  f"idle for {settle_s:.0f} s")
            time.sleep(settle_s)
            pids = {name: proc.pid for name, proc in stack.processes.items()}
            if infra.broker.process is not None:
                pids["tansu (broker)"] = infra.broker.process.pid
            trees = {"postgres (all backends)": infra.pg.process.pid} if infra.pg.process is not None else {}
            meter = CpuMeter(pids, trees)
            print(f"measuring {window_s:.0f} s; load {load_average(' / ')}")
            meter.start()
            time.sleep(window_s)
            return meter.stop()
        finally:
            stack.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--settle", type=float, default=60.0, help="seconds idle before measuring")
    parser.add_argument("--window", type=float, default=60.0, help="seconds measured")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting for every service (e.g. O2C_CONSUMER_IDLE_FETCH_MAX_WAIT_MS=25 for 'before')")
    args = parser.parse_args()
    extra_env = dict(item.split("=", 1) for item in args.env)
    print(f"# idle bench {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {machine()}; load at start {load_average(' / ')}")
    data_dir = Path(tempfile.mkdtemp(prefix="o2c-bench-idle-"))
    try:
        cpu = measure(data_dir, settle_s=args.settle, window_s=args.window, extra_env=extra_env)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    others = {k: cpu.pop(k) for k in ("bench (this process)", "all others on the machine", "machine (100% = one core)")}
    stack_total = sum(cpu.values())
    for name, percent in sorted(cpu.items(), key=lambda kv: -kv[1]):
        print(f"    {name:<28} {percent:6.1f} % of one core")
    verdict = "PASS" if stack_total < TARGET_PERCENT else "MISS"
    print(f"    {'the stack':<28} {stack_total:6.1f} % of one core (target < {TARGET_PERCENT:.0f} %: {verdict})")
    print(f"    (not counted: this bench {others['bench (this process)']} %, the rest of the machine "
          f"{others['all others on the machine']} %)")
    print(f"load average at end (1/5/15 min): {load_average(' / ')}")


if __name__ == "__main__":
    main()
