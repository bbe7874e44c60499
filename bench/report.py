"""Targets, ratios and the printed report (rich in the terminal, Markdown for docs/performance.md).

Both renderings come from the same sections: ``(title, header, rows)``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench import pg_stats

RELAY_TARGET = 5000.0  # events/s, issue 2
FRESHNESS_P99_TARGET = 300.0  # ms at 200 writes/s, issue 2
FRESHNESS_RATE = 200.0

Section = tuple[str, list[str], list[list[str]]]


def _f(value: float, digits: int = 1) -> str:
    return "n/a" if value != value else f"{value:,.{digits}f}"  # NaN check


def _ratio(a: float, b: float) -> float:
    return a / b if b and a == a and b == b else float("nan")


def evaluate(results: dict[str, Any]) -> None:
    """Adds ``targets`` and ``ratios`` to ``results`` (whatever phases ran)."""
    targets, ratios = [], {}
    raw, relay, fresh = results.get("raw"), results.get("relay") or [], results.get("freshness") or []
    if relay:
        one = relay[0]
        targets.append({"name": f"outbox relay publish rate ({one['relays']} relay)", "figure": one["rate"],
                        "unit": "events/s", "target": f">= {RELAY_TARGET:,.0f}", "pass": one["rate"] >= RELAY_TARGET})
    if fresh:
        f = fresh[0]
        note = "" if f["rate"] == FRESHNESS_RATE else f" (measured at {f['rate']:g}/s, target is stated at 200/s)"
        targets.append({"name": f"write rate sustained at {f['rate']:g}/s offered", "figure": f["completed_rate"],
                        "unit": "writes/s", "target": f">= {0.98 * f['rate']:g}",
                        "pass": f["completed_rate"] >= 0.98 * f["rate"]})
        targets.append({"name": "end-to-end freshness p99" + note, "figure": f["freshness"]["p99"], "unit": "ms",
                        "target": f"<= {FRESHNESS_P99_TARGET:g}",
                        "pass": f["freshness"]["p99"] <= FRESHNESS_P99_TARGET and f["unseen"] == 0})
    if raw:
        for run in relay:
            ratios[f"relay x{run['relays']} / raw produce"] = _ratio(run["rate"], raw["produce_rate"])
        rt = raw["round_trips"]
        for f in fresh:
            for q in ("p50", "p99"):
                for kind in ("default", "tuned"):
                    if kind in rt:
                        key = f"freshness {q} @{f['rate']:g}/s / raw round trip {q} ({_rt_name(rt[kind])})"
                        ratios[key] = _ratio(f["freshness"][q], rt[kind][q])
    results["targets"], results["ratios"] = targets, {k: round(v, 3) for k, v in ratios.items()}


def _rt_name(rt: dict[str, Any]) -> str:
    return f"fetch_max_wait_ms={rt['fetch_max_wait_ms']}"


def sections(results: dict[str, Any]) -> list[Section]:
    out: list[Section] = []
    meta = results["meta"]
    out.append(("Setup", ["", ""], [[k, str(v)] for k, v in meta.items() if not isinstance(v, dict)]
                + [[f"postgres {k}", v] for k, v in meta.get("postgres", {}).items()]
                + [[k, v] for k, v in meta.get("machine", {}).items()]))
    raw = results.get("raw")
    if raw:
        out.append(("(a) raw aiokafka against the same broker", ["figure", "value"], [
            ["records", f"{raw['records']:,} ({raw['value_bytes']} B value + {raw['header_bytes']} B ce_* headers, "
                        "keyed)"],
            ["produce rate (acks=all, services' producer settings)", f"{raw['produce_rate']:,} events/s"],
            ["consume rate (one consumer, all partitions)", f"{raw['consume_rate']:,} events/s"],
        ] + [[f"produce→consume round trip at {rt['rate']:g}/s, {_rt_name(rt)}"
              + (" (aiokafka default, as the services' consumers)" if kind == "default" else ""),
              f"p50 {_f(rt['p50'])} ms · p99 {_f(rt['p99'])} ms · max {_f(rt['max'])} ms"]
             for kind, rt in raw["round_trips"].items()]))
    relay = results.get("relay")
    if relay:
        produce = raw["produce_rate"] if raw else float("nan")
        out.append(("(b) outbox relay (fresh database, pre-filled outbox, publish until empty)",
                    ["relays", "rows", "seconds", "events/s", "ratio to raw produce", "published per relay"],
                    [[str(r["relays"]), f"{r['rows']:,}", _f(r["seconds"], 2), f"{r['rate']:,}",
                      _f(_ratio(r["rate"], produce), 2), " / ".join(f"{n:,}" for n in r["per_relay_published"])]
                     for r in relay]))
    fresh = results.get("freshness") or []
    if fresh:
        rows = []
        for f in fresh:
            rows.append([f"{f['rate']:g}/s for {f['duration_s']:g}s", f"{f['achieved_rate']:g}",
                         f"{f['completed_rate']:g}",
                         f"{f['ok']:,}/{f['sent']:,}", _lat(f["freshness"]), _lat(f["freshness_to_kpi_commit"]),
                         f"{_f(f['write_latency']['p50'])} / {_f(f['write_latency']['p99'])}"])
        out.append(("(c) end-to-end freshness, POST /invoices → row in the kpi read model",
                    ["offered load", "generated/s", "completed/s", "201s",
                     "freshness p50/p95/p99/max ms (seen by poller)", "to kpi commit p50/p95/p99/max ms",
                     "POST latency p50/p99 ms"], rows))
        header = ["component", *[f"@{f['rate']:g}/s p50 / p99 ms" for f in fresh]]
        keys = list(fresh[0]["components"])
        comp_rows = [[fresh[0]["components"][k]["label"],
                      *[f"{_f(f['components'][k]['p50'])} / {_f(f['components'][k]['p99'])}" for f in fresh]]
                     for k in keys]
        comp_rows.append(["total: POST due → seen", *[f"{_f(f['freshness']['p50'])} / {_f(f['freshness']['p99'])}"
                                                      for f in fresh]])
        out.append(("(c) where the time goes (per invoice, from the databases' commit timestamps)", header, comp_rows))
        names = list(fresh[0]["cpu_percent"])
        out.append(("(c) CPU during the load (% of one core; the machine has "
                    f"{meta.get('machine', {}).get('cores', '?')} cores)",
                    ["process", *[f"@{f['rate']:g}/s" for f in fresh]],
                    [[n, *[_f(f["cpu_percent"].get(n, float("nan"))) for f in fresh]] for n in names]))
        out.append(("(c) load generator and measurement quality", ["", *[f"@{f['rate']:g}/s" for f in fresh]], [
            ["load generator slip behind schedule p99 ms", *[_f(f["schedule_slip"]["p99"]) for f in fresh]],
            ["max POSTs in flight (connections)", *[str(f["max_in_flight"]) for f in fresh]],
            ["legal entities (invoice numbers: one locked counter each)", *[str(f["legal_entities"]) for f in fresh]],
            ["kpi poll interval ms", *[_f(f["poll_interval_ms"]) for f in fresh]],
            ["poll query p50 / p99 ms", *[f"{_f(f['poll_query']['p50'], 2)} / {_f(f['poll_query']['p99'], 2)}"
                                         for f in fresh]],
            ["invoices already visible at their first poll", *[f"{f['seen_on_first_poll']:,}" for f in fresh]],
            ["invoices never seen", *[str(f["unseen"]) for f in fresh]],
            ["load average (1 min) before", *[str(f["load_average_before"]) for f in fresh]],
            ["records on the broker before (events published so far)",
             *[f"{f['broker_records_before']:,}" if "broker_records_before" in f else "n/a" for f in fresh]],
            ["pipeline drained after preparing the invoices (s)",
             *[_f(f["drained_before_s"], 1) if "drained_before_s" in f else "n/a" for f in fresh]],
        ]))
        for f in fresh:
            if f.get("statements"):
                out.append((f"(c) @{f['rate']:g}/s: PostgreSQL's statements by time (--pg-stats; lock waits included)",
                            ["database", "calls", "total s", "mean ms", "statement"], pg_stats.rows(f["statements"])))
            if f.get("waits"):
                out.append((f"(c) @{f['rate']:g}/s: where the services' transactions are (--pg-stats; backends on "
                            "average, pg_stat_activity every 10 ms)", ["database", "backends", "where", "statement"],
                            pg_stats.wait_rows(f["waits"])))
    if results.get("targets"):
        out.append(("Targets (issue 2)", ["figure", "measured", "target", "result"],
                    [[t["name"], f"{_f(t['figure'])} {t['unit']}", f"{t['target']} {t['unit']}",
                      "PASS" if t["pass"] else "MISS"] for t in results["targets"]]))
    if results.get("ratios"):
        out.append(("Ratios to (a)", ["ratio", "value"], [[k, _f(v, 2)] for k, v in results["ratios"].items()]))
    return out


def _lat(s: dict[str, float]) -> str:
    return f"{_f(s['p50'])} / {_f(s['p95'])} / {_f(s['p99'])} / {_f(s['max'])}"


def print_report(console: Console, results: dict[str, Any]) -> None:
    for title, header, rows in sections(results):
        table = Table(title=title, title_justify="left", show_header=any(header))
        for h in header:
            table.add_column(h)
        for row in rows:
            table.add_row(*[_style(c) for c in row])
        console.print(table)


def _style(cell: str) -> str:
    return {"PASS": "[bold green]PASS[/]", "MISS": "[bold red]MISS[/]"}.get(cell, cell.replace("[", r"\["))


def markdown(results: dict[str, Any]) -> str:
    parts = []
    for title, header, rows in sections(results):
        parts.append(f"**{title}**\n")
        head = header if any(header) else ["", ""]
        parts.append("| " + " | ".join(head) + " |")
        parts.append("|" + "---|" * len(head))
        parts.extend("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows)
        parts.append("")
    return "\n".join(parts)


def write_json(path: Path, results: dict[str, Any]) -> None:
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
