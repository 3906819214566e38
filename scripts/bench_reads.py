"""REST reads under load, measured with Debian's wrk, each beside GET /healthz in the same run.

For each backend (SQLite; PostgreSQL when reachable): a fresh server (release build) with a
connected simulated tenant of BENCH_READS_USERS users synced into the directory and 500 numbers
loaded, then `wrk --latency -c CONNECTIONS -t 2 -d DURATION` on each read in turn. The figures
that matter are the ratios to /healthz (the framework's ceiling on this machine, measured by
the same wrk in the same run) and p99: wrk and the server share the machine's cores, so absolute
requests/s say as much about the machine as about the server.

Also, with BENCH_READS_SCALE_OUT (default on): two API processes on one PostgreSQL database,
wrk's connections split between them, beside one process with all of them.

Usage: bench_reads.py SERVER_BINARY. Markdown on stdout, progress on stderr. Environment
(optional): BENCH_POSTGRES_URL (as bench_telephony.py), BENCH_READS_CONNECTIONS (64),
BENCH_READS_DURATION (10s), BENCH_READS_USERS (200), BENCH_READS_COMPARE (another server
binary to measure first, as the "before" of a change), BENCH_READS_SCALE_OUT (1; 0 skips it).
"""
import os
import re
import subprocess
import sys
import threading

import bench_telephony as bt

CONNECTIONS = int(os.environ.get("BENCH_READS_CONNECTIONS", "64"))
DURATION = os.environ.get("BENCH_READS_DURATION", "10s")
USERS = int(os.environ.get("BENCH_READS_USERS", "200"))
SCALE_OUT = os.environ.get("BENCH_READS_SCALE_OUT", "1") != "0"

READS = [
    ("/healthz", False),
    ("/api/v1/me", True),
    ("/api/v1/tenant-connection", True),
    ("/api/v1/users", True),
    ("/api/v1/numbers/capacity", True),
]


def log(*args):
    print("[bench_reads]", *args, file=sys.stderr, flush=True)


def wrk(url, token, connections=CONNECTIONS, threads=2):
    """wrk's figures for GET url: (req/s, p50 ms, p99 ms, non-2xx count, errors)."""
    argv = ["wrk", "--latency", "-t", str(threads), "-c", str(connections), "-d", DURATION, url]
    if token:
        argv[1:1] = ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:.*", out)
    return {
        "rps": rps,
        "p50": latency_ms(out, "50%"),
        "p99": latency_ms(out, "99%"),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "errors": errors.group(0) if errors else "",
    }


def latency_ms(out, label):
    value, unit = re.search(rf"^\s+{re.escape(label)}\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def prepared_server(label, database_url):
    """A server with a connected tenant, its users synced, numbers loaded: (server, token)."""
    env = {"SIM_OPERATION_DELAY_MS": "0"}
    if database_url:
        env["DATABASE_URL"] = database_url
    server = bt.start_api(env)
    try:
        api = bt.Http(server.base)
        token = bt.login(api)
        tenant, domain = bt.create_tenant(api, "reads", 3)
        bt.add_licensed_users(api, tenant, domain, "reader", USERS)
        bt.connect(api, api, token, tenant, domain)
        bt.sync(api, token)
        status, _, data = api.call("POST", "/api/v1/number-blocks", token=token,
                                   body={"start": "+14255551000", "count": 500, "label": "Bench"})
        if status != 201:
            raise bt.BenchError(f"loading numbers: {status} {data[:300]!r}")
        for path, auth in READS:
            status, _, data = api.call("GET", path, token=token if auth else None)
            if status != 200:
                raise bt.BenchError(f"{label}: GET {path}: {status} {data[:300]!r}")
        log(f"{label}: server ready with {USERS} users and 500 numbers")
        return server, token
    except BaseException:
        bt.stop_api(server)
        raise


def reads(label, database_url):
    server, token = prepared_server(label, database_url)
    try:
        rows = []
        for path, auth in READS:
            log(f"{label}: wrk {path}")
            rows.append((path, wrk(server.base + path, token if auth else None)))
        warn = server.log_lines()
        return {"label": label, "rows": rows, "warnings": len(warn)}
    finally:
        bt.stop_api(server)


def reads_markdown(runs):
    lines = [
        f"### REST reads, {CONNECTIONS} connections (wrk, {DURATION} each, 2 wrk threads on the same 2 cores)",
        "",
        f"A fresh server per backend with a connected simulated tenant, {USERS} users synced and 500 numbers "
        "loaded; the demo admin's session token. /healthz answers from memory: the framework's ceiling on "
        "this machine in the same run. Target: every read at least 50 % of the ceiling, p99 under 10 ms.",
        "",
        "| backend | request | req/s | share of /healthz | p50 ms | p99 ms | target | non-2xx |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        ceiling = run["rows"][0][1]["rps"]
        for path, r in run["rows"]:
            share = r["rps"] / ceiling
            met = "—" if path == "/healthz" else ("met" if share >= 0.5 and r["p99"] < 10 else "**missed**")
            lines.append(f"| {run['label']} | GET {path} | {r['rps']:.0f} | {share:.0%} | {r['p50']:.2f} | "
                         f"{r['p99']:.2f} | {met} | {r['non2xx']}{' ' + r['errors'] if r['errors'] else ''} |")
    lines.append("")
    lines.append("Server WARN/ERROR log lines: " + ", ".join(f"{r['label']} {r['warnings']}" for r in runs) + ".")
    return "\n".join(lines)


def scale_out(database_url):
    """One process with all connections, then two processes on the same database with half each."""
    first, token = prepared_server("PostgreSQL, scale-out", database_url)
    second = None
    try:
        path = "/api/v1/me"
        log("scale-out: one process")
        one = wrk(first.base + path, token)
        # The second process shares the database and the JWT secret (so the session is valid).
        second = bt.start_api({"DATABASE_URL": database_url, "DATA_DIR": first.data,
                               "SIM_OPERATION_DELAY_MS": "0"})
        log("scale-out: two processes")
        results = [None, None]

        def run(i, base):
            results[i] = wrk(base + path, token, connections=CONNECTIONS // 2, threads=1)

        threads = [threading.Thread(target=run, args=(i, s.base)) for i, s in enumerate((first, second))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return {"one": one, "two": results, "path": path}
    finally:
        if second:
            second.stop()
        bt.stop_api(first)


def scale_out_markdown(r):
    both = sum(x["rps"] for x in r["two"])
    return "\n".join([
        f"### Scale-out: two API processes on one PostgreSQL (GET {r['path']}, {CONNECTIONS} connections in all)",
        "",
        "| | req/s | p50 ms | p99 ms |",
        "|---|---|---|---|",
        f"| one process, {CONNECTIONS} connections | {r['one']['rps']:.0f} | {r['one']['p50']:.2f} | {r['one']['p99']:.2f} |",
        *[f"| two processes: process {i + 1}, {CONNECTIONS // 2} connections | {x['rps']:.0f} | {x['p50']:.2f} | "
          f"{x['p99']:.2f} |" for i, x in enumerate(r["two"])],
        f"| two processes together | {both:.0f} ({both / r['one']['rps']:.2f}× one process) | | |",
        "",
        "Both processes, the PostgreSQL server and wrk share the same 2 cores, so a second process cannot add "
        "CPU here: this shows the processes share one database correctly under load, not the gain on more "
        "machines. The invariants under two processes (no number assigned twice, each job run once) are "
        "checked by the telephony part's two-process run and by the integration tests.",
    ])


def main():
    # BENCH_READS_COMPARE: another build of the server (e.g. of an earlier commit), measured in
    # the same run, before this one, as the "before" of a change.
    builds = [(os.environ["BENCH_READS_COMPARE"], "before: ")] if os.environ.get("BENCH_READS_COMPARE") else []
    builds.append((bt.SERVER, ""))
    runs = []
    for binary, prefix in builds:
        bt.SERVER = os.path.abspath(binary)
        runs.append(reads(f"{prefix}SQLite", None))
        pg, why = bt.recreate_postgres()
        if pg:
            runs.append(reads(f"{prefix}PostgreSQL {bt.PG_VERSION}", pg))
    out = ["## REST reads", "", reads_markdown(runs)]
    if len(builds) > 1:
        out += ["", f"*before*: `{os.path.basename(builds[0][0])}`, the server built from an earlier commit "
                "(BENCH_READS_COMPARE), measured in the same run just before this build."]
    if not pg:
        out += ["", f"PostgreSQL skipped: {why}."]
    elif SCALE_OUT:
        pg, _ = bt.recreate_postgres()
        out += ["", scale_out_markdown(scale_out(pg))]
    print("\n".join(out))


if __name__ == "__main__":
    main()
