#!/usr/bin/env python3
"""Issue 14's event targets: import speed, five behavioural segments against DuckDB, peak RSS.

usage: bench_events.py --ferry BIN --work DIR [--profiles N] [--events M] [--seed S]

Generates N profiles and M events (scripts/lib/gen_events.py; 1,000,000 and
10,000,000 by default) over the 60 days before now, imports them into a fresh
SQLite workspace with the given ferry (profiles, then `ferry events import`,
timed with peak RSS), keeps 61 days of events so all are in play (more for
files reused from an earlier run), creates the
five segments below and times `ferry segments evaluate`. DuckDB loads the same
files and runs the same five predicates written by hand as SQL; each query is
timed after the load. Prints per segment Ferry's seconds, DuckDB's, the ratio
and both member counts, which must be equal.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PAGE, CART, BUY = "web.webpagedetails.pageViews", "commerce.productListAdds", "commerce.purchases"


def segments(window: str):
    """(name, PQL, DuckDB SQL counting the members); window: an ISO instant 7 days before now."""
    w = f"epoch(TIMESTAMP '{window[:19].replace('T', ' ')}')"
    return [
        ("any-in-window",
         f'xEvent[eventType = "{BUY}" and timestamp occurs after "{window}"]',
         f"SELECT count(DISTINCT email) FROM ev WHERE etype = '{BUY}' AND ets > {w}"),
        ("count-in-window",
         f'xEvent[eventType = "{PAGE}" and timestamp occurs after "{window}"].count() >= 5',
         f"SELECT count(*) FROM (SELECT email FROM ev WHERE etype = '{PAGE}' AND ets > {w} GROUP BY email HAVING count(*) >= 5)"),
        ("chain-within-1-day",
         f'chain(xEvent, timestamp, [A: WHAT(eventType = "{CART}"), B: WHAT(eventType = "{BUY}") WHEN(< 1 days after A)])',
         f"SELECT count(DISTINCT a.email) FROM ev a JOIN ev b ON a.email = b.email WHERE a.etype = '{CART}' "
         f"AND b.etype = '{BUY}' AND b.ets > a.ets AND b.ets < a.ets + 86400"),
        ("cart-without-purchase",
         f'xEvent[eventType = "{CART}" and timestamp occurs after "{window}"] and '
         f'not xEvent[eventType = "{BUY}" and timestamp occurs after "{window}"]',
         f"SELECT count(*) FROM (SELECT email FROM ev WHERE etype = '{CART}' AND ets > {w} "
         f"EXCEPT SELECT email FROM ev WHERE etype = '{BUY}' AND ets > {w})"),
        ("mixed-with-profile",
         f'homeAddress.countryCode = "US" and loyalty.tier in ["gold", "platinum"] and '
         f'xEvent[eventType = "{BUY}"].sum(commerce.order.priceTotal) > 500',
         f"SELECT count(*) FROM pr JOIN (SELECT email FROM ev WHERE etype = '{BUY}' GROUP BY email "
         f"HAVING sum(price) > 500) s USING (email) WHERE pr.country = 'US' AND pr.tier IN ('gold', 'platinum')"),
    ]


def measure(label, cmd, work):
    out = os.path.join(work, f"{label}.json")
    log = os.path.join(work, f"{label}.out")
    with open(log, "w") as stdout:
        code = subprocess.call([sys.executable, os.path.join(HERE, "measure.py"), "--json", out, "--label", label, "--"] + cmd,
                               stdout=stdout)
    result = json.load(open(out))
    text = open(log).read()
    if code != 0:
        sys.exit(f"{label} failed ({code}):\n{text[-2000:]}")
    return result, text


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--ferry", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--profiles", type=int, default=1_000_000)
    p.add_argument("--events", type=int, default=10_000_000)
    p.add_argument("--seed", type=int, default=14)
    a = p.parse_args()
    os.makedirs(a.work, exist_ok=True)
    now = float(int(time.time()) // 3600 * 3600)
    profiles = os.path.join(a.work, "profiles.jsonl")
    events = os.path.join(a.work, "events.jsonl")
    started = time.monotonic()
    stamp = os.path.join(a.work, "generated.json")
    wanted = {"profiles": a.profiles, "events": a.events, "seed": a.seed}
    if os.path.exists(stamp) and json.load(open(stamp)).get("spec") == wanted:
        # Files made by an earlier run in the same --workdir: reused, with their own "now".
        now = json.load(open(stamp))["now"]
    else:
        subprocess.check_call([sys.executable, os.path.join(HERE, "gen_events.py"), str(a.profiles), str(a.events),
                               str(a.seed), str(now), profiles, events])
        json.dump({"spec": wanted, "now": now}, open(stamp, "w"))
        print(f"generated {a.profiles:,} profiles and {a.events:,} events in {time.monotonic() - started:.1f} s",
              file=sys.stderr)
    ws = os.path.join(a.work, "ws")
    if os.path.exists(ws):
        subprocess.check_call(["rm", "-rf", ws])
    ferry = [a.ferry]
    prof, _ = measure("profiles-import", ferry + ["profiles", "import", profiles, "--workspace", ws], a.work)
    # 61 days hold the 60 days of events and the cart adds up to 20 hours before
    # them; files reused from an earlier run are older by the time since then.
    retention = 61 + max(0, int((time.time() - now) // 86400) + 1)
    subprocess.check_call(ferry + ["events", "retention", str(retention), "--workspace", ws], stdout=subprocess.DEVNULL)
    imp, text = measure("events-import", ferry + ["events", "import", events, "--workspace", ws], a.work)
    window = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 7 * 86400))
    plan = segments(window)
    for name, pql, _ in plan:
        subprocess.check_call(ferry + ["segments", "create", name, "--pql", pql, "--workspace", ws],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ev, text = measure("evaluate", ferry + ["segments", "evaluate", "--workspace", ws], a.work)
    ferry_rows = {}
    for line in text.splitlines():
        m = re.match(r"(\S+): realized (\d+), existing (\d+).* in ([0-9.]+)s", line)
        if m:
            ferry_rows[m.group(1)] = (int(m.group(2)) + int(m.group(3)), float(m.group(4)), "Swift" in line)

    import duckdb
    con = duckdb.connect()
    t = time.monotonic()
    con.execute(f"""CREATE TABLE ev AS SELECT json_extract_string(identityMap, '$.Email[0].id') AS email,
        epoch(CAST(replace(replace("timestamp", 'T', ' '), 'Z', '') AS TIMESTAMP)) AS ets, eventType AS etype,
        CAST(json_extract(commerce, '$.order.priceTotal') AS DOUBLE) AS price
        FROM read_json('{events}', format = 'newline_delimited',
            columns = {{'timestamp': 'VARCHAR', 'eventType': 'VARCHAR', 'identityMap': 'JSON', 'commerce': 'JSON'}})""")
    con.execute(f"""CREATE TABLE pr AS SELECT json_extract_string(identityMap, '$.Email[0].id') AS email,
        homeAddress.countryCode AS country, loyalty.tier AS tier FROM read_json('{profiles}', format = 'newline_delimited')""")
    load = time.monotonic() - t
    print(f"DuckDB load {load:.1f} s", file=sys.stderr)
    events_per_s = a.events / imp["wall_seconds"]
    print(f"\nScale: {a.profiles:,} profiles, {a.events:,} events; ferry {a.ferry}")
    # On a shared machine the wall time is mostly other processes' share of the
    # cores; the CPU time and the load beside it say how much.
    print("load average (1, 5, 15 min) now: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"profiles import: {prof['wall_seconds']:.1f} s (cpu {prof['cpu_seconds']:.1f} s), "
          f"peak RSS {prof['peak_rss_mib']:.0f} MiB")
    print(f"events import: {imp['wall_seconds']:.1f} s = {events_per_s:,.0f} events/s (target >= 200,000; "
          f"cpu {imp['cpu_seconds']:.1f} s = {a.events / imp['cpu_seconds']:,.0f} events per cpu-second), "
          f"peak RSS {imp['peak_rss_mib']:.0f} MiB")
    print(f"segments evaluate (5 segments, one scan): {ev['wall_seconds']:.2f} s (cpu {ev['cpu_seconds']:.2f} s), "
          f"peak RSS {ev['peak_rss_mib']:.0f} MiB\n")
    print("| segment | Ferry s | DuckDB s | ratio | Ferry members | DuckDB members | equal | in |")
    print("|---|---|---|---|---|---|---|---|")
    total_duck = 0.0
    ok = True
    for name, _, sql in plan:
        t = time.monotonic()
        count = con.execute(sql).fetchone()[0]
        duck = time.monotonic() - t
        total_duck += duck
        members, seconds, swift = ferry_rows.get(name, (None, float("nan"), False))
        ok &= members == count
        print(f"| {name} | {seconds:.2f} | {duck:.3f} | {seconds / duck:.1f}x | {members} | {count} | "
              f"{'yes' if members == count else 'NO'} | {'Swift' if swift else 'SQL'} |")
    print(f"| all five (evaluate wall) | {ev['wall_seconds']:.2f} | {total_duck:.3f} | "
          f"{ev['wall_seconds'] / total_duck:.1f}x | | | | |")
    print(f"| all five (Ferry evaluate cpu, DuckDB wall) | {ev['cpu_seconds']:.2f} | {total_duck:.3f} | "
          f"{ev['cpu_seconds'] / total_duck:.1f}x | | | | |")
    peak = max(prof["peak_rss_mib"], imp["peak_rss_mib"], ev["peak_rss_mib"])
    print(f"\npeak RSS of any ferry step: {peak:.0f} MiB (target < 300 MiB)")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
