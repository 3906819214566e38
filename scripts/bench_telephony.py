"""Telephony benchmarks (stdlib only), each beside a baseline measured in the same run:

1. auto-assign under contention, on SQLite and on PostgreSQL, the simulator at zero latency;
2. bulk provisioning of 1,000 users, Teams at 300 ms per call and 2 s per operation, against a
   one-at-a-time client (measured on a sample and extrapolated);
3. voice profiles: a 1,000-user bulk with a 3-policy profile and an emergency location against a
   bulk of 1,000 other users with the number only, same Teams latency as 2; a 5,000-row preview;
4. a 100,000-user sync (full, then delta) and the API process's peak memory, with the simulator
   as a process of its own when its binary is given.

Usage: bench_telephony.py SERVER_BINARY [SIMULATOR_BINARY]. Each part starts its own server on a
fresh database. Markdown on stdout, progress on stderr. Environment (all optional):
BENCH_POSTGRES_URL (server URL without a database; default postgres://postgres@127.0.0.1:5432,
"" skips PostgreSQL), BENCH_CONTENTION_USERS (200), BENCH_CONTENTION_NUMBERS (500),
BENCH_CLIENT_THREADS (32), BENCH_BULK_USERS (1000), BENCH_BULK_CONCURRENCY (32),
BENCH_SEQUENTIAL_SAMPLE (10), BENCH_SYNC_USERS (100000), BENCH_PREVIEW_ROWS (5000),
BENCH_TELEPHONY_PARTS (which parts, comma-separated: contention,bulk,profiles,sync, the default;
e.g. BENCH_TELEPHONY_PARTS=profiles runs the voice-profile part alone).
"""
import http.client
import json
import os
import queue
import glob
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid

SERVER = os.path.abspath(sys.argv[1])
SIMULATOR = os.path.abspath(sys.argv[2]) if len(sys.argv) > 2 and os.path.exists(sys.argv[2]) else None

PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
PG_DB = "tenant_connect_bench"
PG_VERSION = ""
CONTENTION_USERS = int(os.environ.get("BENCH_CONTENTION_USERS", "200"))
CONTENTION_NUMBERS = int(os.environ.get("BENCH_CONTENTION_NUMBERS", "500"))
THREADS = int(os.environ.get("BENCH_CLIENT_THREADS", "32"))
BULK_USERS = int(os.environ.get("BENCH_BULK_USERS", "1000"))
BULK_CONCURRENCY = int(os.environ.get("BENCH_BULK_CONCURRENCY", "32"))
SEQUENTIAL_SAMPLE = int(os.environ.get("BENCH_SEQUENTIAL_SAMPLE", "10"))
SYNC_USERS = int(os.environ.get("BENCH_SYNC_USERS", "100000"))
PREVIEW_ROWS = int(os.environ.get("BENCH_PREVIEW_ROWS", "5000"))

CLIENT_ID = "7b1d3f0e-5c2a-4e8b-9a61-2f4c8d9e0a13"
CLIENT_SECRET = "bench-" + uuid.uuid4().hex
DEMO_ADMIN = ("admin@contoso.example", "demo-password")
JSON = {"Content-Type": "application/json"}


def log(*args):
    print("[bench_telephony]", *args, file=sys.stderr, flush=True)


class BenchError(Exception):
    pass


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# --- HTTP -----------------------------------------------------------------------------------

class Http:
    """Keep-alive connections, one per thread and origin. Paths are relative to `base`;
    absolute URLs go where they say. Redirects are not followed."""

    def __init__(self, base):
        self.base = urllib.parse.urlsplit(base)
        self.local = threading.local()

    def _conn(self, host, port):
        conns = getattr(self.local, "conns", None)
        if conns is None:
            conns = self.local.conns = {}
        key = (host, port)
        if key not in conns:
            conns[key] = http.client.HTTPConnection(host, port, timeout=120)
        return conns[key]

    def call(self, method, url, body=None, headers=None, token=None, form=None):
        parts = urllib.parse.urlsplit(url)
        host, port = (parts.hostname, parts.port) if parts.netloc else (self.base.hostname, self.base.port)
        path = urllib.parse.urlunsplit(("", "", parts.path, parts.query, ""))
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
            headers.setdefault("Content-Type", "application/json")
        for attempt in range(2):
            conn = self._conn(host, port)
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                return response.status, response.getheaders(), data
            except (http.client.HTTPException, OSError) as e:
                conn.close()
                self.local.conns.pop((host, port), None)
                # A keep-alive connection the server closed while idle: once more on a new one.
                idle_close = isinstance(e, (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError))
                if attempt or not idle_close:
                    raise

    def json(self, method, url, body=None, token=None, expect=(200,), headers=None):
        status, _, data = self.call(method, url, body=body, token=token, headers=headers)
        if status not in expect:
            raise BenchError(f"{method} {url}: {status} {data[:500]!r}")
        return json.loads(data) if data else None


def header(headers, name):
    return [v for k, v in headers if k.lower() == name.lower()]


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def in_parallel(threads, items, work):
    """Runs work(item) on `threads` threads; answers [(item, result or exception)] in order done."""
    todo = queue.Queue()
    for item in items:
        todo.put(item)
    done, lock = [], threading.Lock()

    def worker():
        while True:
            try:
                item = todo.get_nowait()
            except queue.Empty:
                return
            try:
                result = work(item)
            except Exception as e:  # noqa: BLE001 - reported with the figures
                result = e
            with lock:
                done.append((item, result))

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return done


# --- processes ------------------------------------------------------------------------------

class Process:
    def __init__(self, name, argv, env, ready_url):
        self.name = name
        self.dir = tempfile.mkdtemp(prefix=f"bench-{name}-")
        self.log_path = os.path.join(self.dir, "log")
        full_env = dict(os.environ)
        full_env.update(env)
        full_env.setdefault("RUST_LOG", "warn")
        self.log_file = open(self.log_path, "wb")
        self.proc = subprocess.Popen(argv, env=full_env, stdout=self.log_file, stderr=subprocess.STDOUT)
        try:
            self._wait_ready(name, ready_url)
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self, name, ready_url):
        deadline = time.time() + 60
        probe = Http(ready_url)
        while True:
            if self.proc.poll() is not None:
                raise BenchError(f"{name} exited at start-up: {self.tail()}")
            try:
                status, _, _ = probe.call("GET", ready_url)
                if status < 500:
                    break
            except (OSError, http.client.HTTPException):
                pass
            if time.time() > deadline:
                raise BenchError(f"{name} did not start: {self.tail()}")
            time.sleep(0.1)

    def status_kib(self, field):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
        return 0

    def tail(self, lines=20):
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-lines:]).decode(errors="replace")
        except OSError:
            return ""

    def log_lines(self, *needles):
        """Log lines at WARN or ERROR (RUST_LOG=warn), optionally only those with a needle."""
        with open(self.log_path, "rb") as f:
            text = re.sub(r"\x1b\[[0-9;]*m", "", f.read().decode(errors="replace"))
        return [line for line in text.splitlines()
                if re.search(r"\s(WARN|ERROR)\s|panicked", line) and "web app is not built" not in line
                and (not needles or any(n in line for n in needles))]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log_file.close()
        if os.environ.get("BENCH_KEEP_LOGS"):
            log(f"{self.name} log kept: {self.log_path}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


def start_api(env, port=None):
    port = port or free_port()
    data = tempfile.mkdtemp(prefix="bench-data-")
    base = {
        "BIND_ADDR": f"127.0.0.1:{port}",
        "DATA_DIR": data,
        "DEMO_SEED": "true",
        "MS_CLIENT_ID": CLIENT_ID,
        "MS_CLIENT_SECRET": CLIENT_SECRET,
        # Nothing scheduled behind the measurements' back: syncs on demand only,
        # reconciliation at start-up only.
        "USER_SYNC_INTERVAL_SECONDS": "0",
        "RECONCILE_INTERVAL_SECONDS": "0",
        # The abuse limits stay on (their cost is measured) but out of reach: one principal
        # sends thousands of writes and loads here on purpose.
        "RATE_LIMIT_WRITES_PER_MINUTE": "100000000",
        "NUMBER_LOADS_PER_WINDOW": "100000",
        "NUMBER_QUOTA": "10000000",
        "BULK_MAX_UNFINISHED": "100",
    }
    base.update(env)
    try:
        api = Process("api", [SERVER], base, f"http://127.0.0.1:{port}/readyz")
    except BaseException:
        shutil.rmtree(data, ignore_errors=True)
        raise
    api.base = f"http://127.0.0.1:{port}"
    api.data = data
    return api


def stop_api(api):
    api.stop()
    shutil.rmtree(api.data, ignore_errors=True)


def recreate_postgres():
    """A fresh database on the PostgreSQL server: its URL, or None (and why) when unusable."""
    if not PG_URL:
        return None, "BENCH_POSTGRES_URL is empty"
    if not shutil.which("psql"):
        return None, "psql is not installed"
    admin = PG_URL.rstrip("/") + "/postgres"
    for sql in (f"DROP DATABASE IF EXISTS {PG_DB}", f"CREATE DATABASE {PG_DB}"):
        run = subprocess.run(["psql", admin, "-v", "ON_ERROR_STOP=1", "-qc", sql], capture_output=True, text=True)
        if run.returncode != 0:
            return None, f"psql failed: {run.stderr.strip()[:200]}"
    version = subprocess.run(["psql", admin, "-Atc", "SHOW server_version"], capture_output=True, text=True)
    global PG_VERSION
    PG_VERSION = version.stdout.strip().split(" ")[0]
    return PG_URL.rstrip("/") + "/" + PG_DB, None


# --- the portal and the simulator, as a person and an admin would drive them ------------------

def login(api):
    body = {"email": DEMO_ADMIN[0], "password": DEMO_ADMIN[1]}
    return api.json("POST", "/api/v1/auth/login", body)["access_token"]


def create_tenant(sim, label, users):
    domain = f"{label}{uuid.uuid4().hex[:6]}.onmicrosoft.com"
    tenant = sim.json("POST", "/_microsoft/control/tenants",
                      {"name": f"Bench {label}", "domain": domain, "users": users}, expect=(201,))
    return tenant["id"], domain


def add_licensed_users(sim, tenant, domain, prefix, count):
    """Licensed US users created out of band (as an Entra admin would): their UPNs."""
    upns = [f"{prefix}{i:05d}@{domain}" for i in range(count)]

    def create(upn):
        sim.json("POST", f"/_microsoft/control/tenants/{tenant}/users",
                 {"userPrincipalName": upn, "displayName": f"Bench {upn.split('@')[0]}",
                  "usageLocation": "US", "teamsPhoneLicense": True}, expect=(201,))

    failures = [r for _, r in in_parallel(8, upns, create) if isinstance(r, Exception)]
    if failures:
        raise BenchError(f"creating users: {failures[0]}")
    return upns


def connect(api, sim, token, tenant, domain):
    """Setup steps 1 to 4 over plain HTTP: sign-in and consent pages, the role, verify."""
    status, headers, data = api.call("POST", "/api/v1/tenant-connection/setup", body={}, token=token)
    if status != 200:
        raise BenchError(f"setup: {status} {data[:300]!r}")
    binding = next(c.split(";")[0] for c in header(headers, "Set-Cookie") if c.startswith("tc_consent_binding="))
    sign_in = json.loads(data)["consent_url"]
    admin = f"admin@{domain}"
    api.call("GET", sign_in)
    status, headers, data = api.call("POST", sign_in, form={"user": admin, "action": "accept"})
    if status != 302:
        raise BenchError(f"sign-in: {status} {data[:300]!r}")
    session = header(headers, "Set-Cookie")[0].split(";")[0]
    status, headers, _ = api.call("GET", header(headers, "Location")[0], headers={"Cookie": binding})
    consent = header(headers, "Location")[0]
    if "/v2.0/adminconsent" not in consent:
        raise BenchError(f"after sign-in the portal sent the browser to {consent}")
    api.call("GET", consent, headers={"Cookie": session})
    status, headers, data = api.call("POST", consent, form={"user": admin, "action": "accept"},
                                     headers={"Cookie": session})
    if status != 302:
        raise BenchError(f"consent: {status} {data[:300]!r}")
    status, headers, _ = api.call("GET", header(headers, "Location")[0], headers={"Cookie": binding})
    landed = header(headers, "Location")[0]
    if landed != "/tenant-connection?consent=granted":
        raise BenchError(f"consent landed on {landed}")
    sim.json("PUT", f"/_microsoft/control/tenants/{tenant}/directory-role", {"assigned": True})
    report = api.json("POST", "/api/v1/tenant-connection/verify", {}, token=token)
    if report["outcome"] != "passed":
        raise BenchError(f"verify: {report['outcome']}: {report['message']}")


def wait_job(api, token, job_id, deadline_s, every=0.25):
    """Polls the job until it is finished: (the job, seconds waited)."""
    started = time.perf_counter()
    while True:
        job = api.json("GET", f"/api/v1/jobs/{job_id}", token=token)
        if job["status"] in ("succeeded", "failed"):
            return job, time.perf_counter() - started
        if time.perf_counter() - started > deadline_s:
            raise BenchError(f"job {job_id} not finished after {deadline_s} s: {job}")
        time.sleep(every)


def sync(api, token, deadline_s=120, every=0.25):
    """POST /users/sync followed to its end: (the job, seconds from the request to success)."""
    started = time.perf_counter()
    job = api.json("POST", "/api/v1/users/sync", {}, token=token, expect=(202,))
    job, _ = wait_job(api, token, job["id"], deadline_s, every)
    elapsed = time.perf_counter() - started
    if job["status"] != "succeeded":
        raise BenchError(f"sync failed: {job.get('last_error')}")
    return job, elapsed


def all_pages(api, token, first):
    items, path = [], first
    while path:
        page = api.json("GET", path, token=token)
        items.extend(page["items"])
        path = page.get("next")
    return items


def app_token(sim, tenant):
    form = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
            "scope": "https://graph.microsoft.com/.default", "grant_type": "client_credentials"}
    status, _, data = sim.call("POST", f"/_microsoft/login/{tenant}/oauth2/v2.0/token", form=form)
    if status != 200:
        raise BenchError(f"app token: {status} {data[:300]!r}")
    return json.loads(data)["access_token"]


def teams_assignments(sim, tenant, prefix):
    """Teams' own view (Graph numberAssignments, as the app): {number: assigned user id}."""
    token = app_token(sim, tenant)
    found, skip = {}, 0
    while True:
        page = sim.json("GET", "/_microsoft/graph/v1.0/admin/teams/telephoneNumberManagement/"
                        f"numberAssignments?$top=1000&$skip={skip}", token=token)
        for n in page["value"]:
            number = n["telephoneNumber"]
            number = number if number.startswith("+") else "+" + number
            if number.startswith(prefix) and n.get("assignmentStatus") == "userAssigned":
                found[number] = n.get("assignmentTargetId")
        if len(page["value"]) < 1000:
            return found
        skip += 1000


def throughput(api, token, path, threads, per_thread):
    """Requests per second of GET `path` from `threads` client threads, each on its connection."""
    def work(_):
        for _ in range(per_thread):
            status, _, _ = api.call("GET", path, token=token)
            if status != 200:
                raise BenchError(f"GET {path}: {status}")
    started = time.perf_counter()
    errors = [r for _, r in in_parallel(threads, range(threads), work) if isinstance(r, Exception)]
    elapsed = time.perf_counter() - started
    if errors:
        raise BenchError(str(errors[0]))
    return threads * per_thread / elapsed


# --- 1. auto-assign under contention ----------------------------------------------------------

def raw_update_rate(database_url, threads):
    """The database's own ceiling for what a reservation is, a one-row update in its own
    transaction: updates/s from `threads` clients on one row of a scratch table, measured with
    nothing of ours in between (sqlite3's C library from Python; pgbench on PostgreSQL)."""
    if database_url is None:
        import sqlite3
        path = os.path.join(tempfile.mkdtemp(prefix="bench-raw-"), "raw.db")
        setup = sqlite3.connect(path)
        setup.executescript("PRAGMA journal_mode=WAL; CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER);"
                            "INSERT INTO t VALUES (1, 0);")
        setup.close()
        per_thread = 2000

        def work(_):
            conn = sqlite3.connect(path, timeout=30, isolation_level=None)
            conn.executescript("PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;")
            for _ in range(per_thread):
                conn.execute("UPDATE t SET v = v + 1 WHERE id = 1")
            conn.close()
        started = time.perf_counter()
        in_parallel(threads, range(threads), work)
        rate = threads * per_thread / (time.perf_counter() - started)
        shutil.rmtree(os.path.dirname(path), ignore_errors=True)
        return rate, "sqlite3 (Python), WAL, synchronous=NORMAL, as the server"
    pgbench = shutil.which("pgbench") or next(iter(sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pgbench"), reverse=True)), None)
    if not pgbench:
        return None, "pgbench not found"
    subprocess.run(["psql", database_url, "-qc", "CREATE TABLE bench_row (id int PRIMARY KEY, v int);"
                    "INSERT INTO bench_row VALUES (1, 0);"], check=True, capture_output=True)
    script = os.path.join(tempfile.mkdtemp(prefix="bench-pgbench-"), "update.sql")
    with open(script, "w") as f:
        f.write("UPDATE bench_row SET v = v + 1 WHERE id = 1;\n")
    run = subprocess.run([pgbench, "-n", "-c", str(threads), "-j", "2", "-T", "5", "-f", script, database_url],
                         capture_output=True, text=True)
    subprocess.run(["psql", database_url, "-qc", "DROP TABLE bench_row"], capture_output=True)
    shutil.rmtree(os.path.dirname(script), ignore_errors=True)
    found = re.search(r"tps = ([\d.]+)", run.stdout)
    if not found:
        return None, f"pgbench failed: {run.stderr.strip()[:200]}"
    return float(found.group(1)), "pgbench, one UPDATE per transaction"


def start_simulator(api_port):
    """ms-simulator as a process of its own, redirecting to the portal on `api_port`: (process,
    the portal's environment to talk to it as it would to Microsoft)."""
    sim_port = free_port()
    callbacks = ",".join(f"http://127.0.0.1:{api_port}/api/v1/tenant-connection/{leg}-callback"
                         for leg in ("sign-in", "consent"))
    simulator = Process("simulator", [SIMULATOR], {
        "SIM_BIND": f"127.0.0.1:{sim_port}",
        "SIM_CLIENT_ID": CLIENT_ID,
        "SIM_CLIENT_SECRET": CLIENT_SECRET,
        "SIM_REDIRECT_URIS": callbacks,
        "SIM_OPERATION_DELAY_MS": "0",
    }, f"http://127.0.0.1:{sim_port}/_microsoft/control/tenants")
    simulator.base = f"http://127.0.0.1:{sim_port}"
    return simulator, {
        "MICROSOFT_MODE": "live",
        "MS_LOGIN_URL": f"{simulator.base}/_microsoft/login",
        "MS_GRAPH_URL": f"{simulator.base}/_microsoft/graph",
    }


def contention(label, database_url, processes=1):
    """Auto-assign under contention. With two processes (PostgreSQL): both API processes share
    the database and the session secret and talk to one ms-simulator process; the PUTs
    alternate between them."""
    env = {"SIM_OPERATION_DELAY_MS": "0"}
    if database_url:
        env["DATABASE_URL"] = database_url
    log(f"contention on {label}: the database's raw single-row update rate")
    raw_rate, raw_how = raw_update_rate(database_url, THREADS)
    log(f"contention on {label}: starting {processes} server(s)")
    simulator, second = None, None
    api_port = free_port()
    if processes > 1:
        simulator, live = start_simulator(api_port)
        env.update(live)
    try:
        server = start_api(env, api_port)
    except BaseException:
        if simulator:
            simulator.stop()
        raise
    try:
        api = Http(server.base)
        sim = Http(simulator.base) if simulator else api
        if processes > 1:
            second = start_api(dict(env, DATA_DIR=server.data))
        apis = [api] + ([Http(second.base)] if second else [])
        token = login(api)
        tenant, domain = create_tenant(sim, "contention", 3)
        upns = add_licensed_users(sim, tenant, domain, "caller", CONTENTION_USERS)
        connect(api, sim, token, tenant, domain)
        sync(api, token)
        prefix = "+1425555"
        status, _, data = api.call("POST", "/api/v1/number-blocks", token=token,
                                   body={"start": "+14255551000", "count": CONTENTION_NUMBERS, "label": "Bench"})
        if status != 201:
            raise BenchError(f"loading numbers: {status} {data[:300]!r}")
        api.json("GET", "/api/v1/me", token=token)

        log(f"contention on {label}: baseline")
        per_thread = 100
        healthz_rps = throughput(api, None, "/healthz", THREADS, per_thread)
        me_rps = throughput(api, token, "/api/v1/me", THREADS, per_thread)

        log(f"contention on {label}: {CONTENTION_USERS} concurrent PUTs from {THREADS} threads")
        answers = {}

        target = {upn: apis[i % len(apis)] for i, upn in enumerate(upns)}

        def put(upn):
            sent = time.perf_counter()
            status, _, data = target[upn].call("PUT", f"/api/v1/users/{upn}/phone-service", body={}, token=token,
                                       headers={"Idempotency-Key": str(uuid.uuid4())})
            return status, json.loads(data) if data else None, time.perf_counter() - sent

        # Connections opened before the clock starts, so that the run measures the requests.
        for each in apis:
            in_parallel(THREADS, range(THREADS), lambda _, each=each: each.call("GET", "/healthz"))
        started = time.perf_counter()
        results = in_parallel(THREADS, upns, put)
        reserved_s = time.perf_counter() - started
        statuses, latencies, reserved_numbers, problems = {}, [], [], {}
        for upn, result in results:
            if isinstance(result, Exception):
                statuses[type(result).__name__] = statuses.get(type(result).__name__, 0) + 1
                continue
            status, body, latency = result
            statuses[status] = statuses.get(status, 0) + 1
            latencies.append(latency)
            if status == 202:
                reserved_numbers.append(body["user"]["service"]["number"])
            answers[upn] = (status, body)
            if status != 202:
                problems.setdefault(status, body)

        accepted = statuses.get(202, 0)
        active_s, pending, failed = None, None, None
        while time.perf_counter() - started < 120:
            active = all_pages(api, token, "/api/v1/users?service=active&limit=500")
            failed = all_pages(api, token, "/api/v1/users?service=failed&limit=500")
            pending = all_pages(api, token, "/api/v1/users?service=pending&limit=500")
            if not pending:
                active_s = time.perf_counter() - started
                break
            time.sleep(0.1)

        assigned = all_pages(api, token, "/api/v1/numbers?status=assigned&limit=500")
        reserved_left = all_pages(api, token, "/api/v1/numbers?status=reserved&limit=500")
        holders = [n["user"]["id"] for n in assigned if n.get("user")]
        teams = teams_assignments(sim, tenant, prefix)
        portal = {n["number"]: (n.get("user") or {}).get("id") for n in assigned}
        agree = sum(1 for number, user in portal.items() if teams.get(number) == user)
        # Each change ran once: one `phone_service.enabled` event per user in the ledger.
        enabled = all_pages(api, token, "/api/v1/audit-events?type=phone_service.enabled&limit=500")
        per_user = {}
        for event in enabled:
            per_user[event.get("user_id")] = per_user.get(event.get("user_id"), 0) + 1
        errors = server.log_lines() + (second.log_lines() if second else [])
        return {
            "label": label,
            "processes": processes,
            "raw_rate": raw_rate,
            "raw_how": raw_how,
            "enabled_events": len(enabled),
            "enabled_users": len(per_user),
            "enabled_twice": sum(1 for n in per_user.values() if n > 1),
            "healthz_rps": healthz_rps,
            "me_rps": me_rps,
            "statuses": statuses,
            "reserved_s": reserved_s,
            "latency_p50": pct(latencies, 0.5) * 1000 if latencies else 0,
            "latency_p95": pct(latencies, 0.95) * 1000 if latencies else 0,
            "accepted": accepted,
            "distinct_reserved": len(set(reserved_numbers)),
            "active_s": active_s,
            "pending_left": len(pending or []),
            "failed": len(failed or []),
            "failed_detail": sorted({(u["service"].get("detail") or "")[:120] for u in (failed or [])}),
            "assigned": len(assigned),
            "assigned_distinct": len(set(n["number"] for n in assigned)),
            "holders_distinct": len(set(holders)),
            "reserved_left": len(reserved_left),
            "teams_assigned": len(teams),
            "teams_agree": agree,
            "log_errors": errors,
            "problems": problems,
        }
    finally:
        if second:
            stop_api(second)
        stop_api(server)
        if simulator:
            simulator.stop()


def contention_markdown(runs):
    out = []
    out.append(f"### Auto-assign under contention ({CONTENTION_USERS} users, {CONTENTION_NUMBERS} numbers, "
               f"{THREADS} client threads, simulator at zero latency)")
    out.append("")
    out.append(f"{CONTENTION_USERS} licensed users each get `PUT /api/v1/users/{{id}}/phone-service` with no number "
               f"(a new Idempotency-Key each), all at once from {THREADS} client threads (Python, one keep-alive "
               "connection each). *Reserved*: until every request was answered. *Active*: until no user is "
               "pending any more (polled every 0.1 s; the server's own job runner, JOB_WORKERS=4, "
               "OPERATION_POLL_MS=500, calls Teams and follows each operation). The baseline is measured by the "
               "same client, same threads, same server, just before; a Python client on the same 2 cores is "
               "as much the limit there as the server, so read the baselines as this client's ceiling. The raw "
               "update rate is the database's own ceiling for one-row updates, each its own transaction, all on "
               "one row, from as many clients, with nothing of ours in between; a reservation is one transaction "
               "of several statements (the number, the idempotency key, the job, the ledger event and its "
               "webhook outbox rows). *Two processes*: two API processes on one database and one ms-simulator "
               "process (the portal in live mode against it); the PUTs alternate between them, and both "
               "processes' job runners and schedules run. SQLite: "
               "a file in a fresh DATA_DIR" + (f"; PostgreSQL {PG_VERSION}: a fresh database on the same machine."
                                               if PG_VERSION else "."))
    out.append("")
    out.append("| | " + " | ".join(r["label"] for r in runs) + " |")
    out.append("|---|" + "---|" * len(runs))

    def row(name, f):
        out.append(f"| {name} | " + " | ".join(f(r) for r in runs) + " |")

    row("API processes", lambda r: str(r["processes"]) + (" (one ms-simulator process)" if r["processes"] > 1 else ""))
    row(f"baseline: the database's raw single-row update rate, {THREADS} clients",
        lambda r: f"{r['raw_rate']:.0f} updates/s ({r['raw_how']})" if r["raw_rate"] else r["raw_how"])
    row(f"baseline: GET /healthz, {THREADS} threads", lambda r: f"{r['healthz_rps']:.0f} req/s")
    row(f"baseline: GET /api/v1/me (JWT + database), {THREADS} threads", lambda r: f"{r['me_rps']:.0f} req/s")
    row("PUT answers", lambda r: ", ".join(f"{n}× {s}" for s, n in sorted(r["statuses"].items(), key=str)))
    row("all reserved (every 202 received)",
        lambda r: f"{r['reserved_s']:.2f} s = **{r['accepted'] / r['reserved_s']:.0f} reservations/s**")
    row("reservations/s as a share of the raw update rate",
        lambda r: f"{r['accepted'] / r['reserved_s'] / r['raw_rate']:.1%}" if r["raw_rate"] else "—")
    row("PUT latency p50 / p95", lambda r: f"{r['latency_p50']:.0f} / {r['latency_p95']:.0f} ms")
    row("all active in Teams",
        lambda r: (f"{r['active_s']:.2f} s = {r['accepted'] / r['active_s']:.0f} users/s" if r["active_s"]
                   else f"**not after 120 s** ({r['pending_left']} still pending)"))
    row("users failed", lambda r: str(r["failed"]) + (f" ({'; '.join(r['failed_detail'])})" if r["failed"] else ""))
    row("distinct numbers in the 202 answers", lambda r: f"{r['distinct_reserved']} of {r['accepted']}")
    row("recount, GET /api/v1/numbers?status=assigned",
        lambda r: f"{r['assigned']} assigned, {r['assigned_distinct']} distinct numbers, "
                  f"{r['holders_distinct']} distinct users; {r['reserved_left']} still reserved")
    row("Teams' numberAssignments (Graph, as the app)",
        lambda r: f"{r['teams_assigned']} assigned; {r['teams_agree']} agree with the portal's holder")
    row("ledger: `phone_service.enabled` events",
        lambda r: f"{r['enabled_events']} for {r['enabled_users']} users; {r['enabled_twice']} users enabled twice")
    row("server WARN/ERROR log lines", lambda r: str(len(r["log_errors"])))
    for r in runs:
        ok = (r["accepted"] == CONTENTION_USERS and r["distinct_reserved"] == r["accepted"]
              and r["assigned"] == r["assigned_distinct"] == r["holders_distinct"] == CONTENTION_USERS
              and r["teams_agree"] == CONTENTION_USERS and r["reserved_left"] == 0
              and r["enabled_events"] == r["enabled_users"] == CONTENTION_USERS and r["enabled_twice"] == 0)
        r["ok"] = ok
    out.append("")
    verdicts = [f"{r['label']}: " + ("every user got a number of their own; none was assigned twice; each "
                                      "change ran once" if r["ok"] else "**CHECK FAILED** (see the rows above)")
                for r in runs]
    out.append("Distinctness: " + "; ".join(verdicts) + ".")
    for r in runs:
        for status, body in sorted(r["problems"].items()):
            out.append("")
            out.append(f"A PUT answered {status} on {r['label']}: `{json.dumps(body)[:400]}`")
        if r["log_errors"]:
            out.append("")
            out.append(f"First server log lines at WARN/ERROR on {r['label']}:")
            out.append("```")
            out.extend(line[:300] for line in r["log_errors"][:5])
            out.append("```")
    return "\n".join(out)


# --- 2. bulk provisioning against one at a time -----------------------------------------------

def bulk():
    env = {"SIM_OPERATION_DELAY_MS": "2000", "BULK_CONCURRENCY": str(BULK_CONCURRENCY)}
    log("bulk: starting the server")
    server = start_api(env)
    try:
        api = Http(server.base)
        token = login(api)
        tenant, domain = create_tenant(api, "bulk", 3)
        upns = add_licensed_users(api, tenant, domain, "bulk", BULK_USERS + SEQUENTIAL_SAMPLE)
        connect(api, api, token, tenant, domain)
        sync(api, token)
        status, _, data = api.call("POST", "/api/v1/number-blocks", token=token,
                                   body={"start": "+14255552000", "count": BULK_USERS + SEQUENTIAL_SAMPLE + 100,
                                         "label": "Bench bulk"})
        if status != 201:
            raise BenchError(f"loading numbers: {status} {data[:300]!r}")
        api.json("PUT", "/_microsoft/control/faults", {"endpoint": "teams", "latency_ms": 300})
        sample, users = upns[:SEQUENTIAL_SAMPLE], upns[SEQUENTIAL_SAMPLE:]

        log(f"bulk: one at a time, {len(sample)} users")
        each = []
        for upn in sample:
            started = time.perf_counter()
            status, _, data = api.call("PUT", f"/api/v1/users/{upn}/phone-service", body={}, token=token,
                                       headers={"Idempotency-Key": str(uuid.uuid4())})
            if status not in (200, 202):
                raise BenchError(f"PUT {upn}: {status} {data[:300]!r}")
            while True:
                user = api.json("GET", f"/api/v1/users/{upn}", token=token)
                if user["service"]["state"] not in ("pending", "removing"):
                    break
                if time.perf_counter() - started > 60:
                    raise BenchError(f"{upn} still {user['service']['state']} after 60 s")
                time.sleep(0.05)
            if user["service"]["state"] != "active":
                raise BenchError(f"{upn} ended {user['service']}")
            each.append(time.perf_counter() - started)

        log(f"bulk: {len(users)} users in one bulk job (BULK_CONCURRENCY={BULK_CONCURRENCY})")
        started = time.perf_counter()
        accepted = api.json("POST", "/api/v1/phone-service/bulk", {"users": users}, token=token, expect=(202,))
        job, _ = wait_job(api, token, accepted["job_id"], deadline_s=420, every=0.5)
        bulk_s = time.perf_counter() - started
        status = api.json("GET", f"/api/v1/phone-service/bulk/{accepted['job_id']}", token=token)
        outcomes, details = {}, {}
        for item in status["items"]:
            outcomes[item["outcome"]] = outcomes.get(item["outcome"], 0) + 1
            if item["outcome"] == "failed":
                d = (item.get("detail") or "")[:120]
                details[d] = details.get(d, 0) + 1
        numbers = [i["number"] for i in status["items"] if i["outcome"] == "assigned"]
        active = all_pages(api, token, "/api/v1/users?service=active&limit=500")
        teams = teams_assignments(api, tenant, "+1425555")
        return {
            "sample": each,
            "bulk_s": bulk_s,
            "job": job,
            "outcomes": outcomes,
            "details": details,
            "distinct": len(set(numbers)),
            "assigned": len(numbers),
            "active": len(active),
            "teams": len(teams),
            "log_errors": server.log_lines(),
        }
    finally:
        stop_api(server)


def bulk_markdown(r):
    mean = statistics.mean(r["sample"])
    n = BULK_USERS
    extrapolated = mean * n
    out = [f"### Bulk provisioning of {n:,} users (Teams: 300 ms per call, 2 s per operation)", ""]
    out.append("The simulator answers every Teams call (assign, each operation poll) after 300 ms "
               "(a `latency_ms` fault on endpoint `teams`) and settles each number operation after 2 s "
               f"(SIM_OPERATION_DELAY_MS=2000). SQLite. Bulk: one `POST /api/v1/phone-service/bulk` of {n:,} users, "
               f"BULK_CONCURRENCY={BULK_CONCURRENCY} (the default is 8), followed until the job finished (polled "
               f"every 0.5 s). One at a time: a client that sends one PUT, waits until that user is active "
               f"(polling the user every 50 ms), then the next; measured on {len(r['sample'])} other users "
               f"and **extrapolated** to {n:,}.")
    out.append("")
    out.append("| | value |")
    out.append("|---|---|")
    out.append(f"| baseline: one at a time, measured on {len(r['sample'])} users | mean {mean:.2f} s per user "
               f"(min {min(r['sample']):.2f}, max {max(r['sample']):.2f}) |")
    out.append(f"| baseline: one at a time, **extrapolated** to {n:,} users | {extrapolated:.0f} s "
               f"({extrapolated / 60:.0f} min) |")
    out.append(f"| bulk job, {n:,} users, until finished | **{r['bulk_s']:.1f} s** = {n / r['bulk_s']:.1f} users/s, "
               f"{extrapolated / r['bulk_s']:.0f}× the one-at-a-time client |")
    out.append(f"| bulk job status, attempts | {r['job']['status']}, {r['job']['attempts']} |")
    out.append("| per-user outcomes | " + ", ".join(f"{c} {o}" for o, c in sorted(r["outcomes"].items())) + " |")
    if r["details"]:
        out.append("| failure details | " + "; ".join(f"{c}× {d}" for d, c in r["details"].items()) + " |")
    out.append(f"| distinct numbers among the assigned | {r['distinct']} of {r['assigned']} |")
    out.append(f"| users active afterwards (bulk + sample) | {r['active']} |")
    out.append(f"| numbers assigned in Teams (Graph numberAssignments) | {r['teams']} |")
    out.append(f"| server WARN/ERROR log lines | {len(r['log_errors'])} |")
    if r["log_errors"]:
        out.append("")
        out.append("First of them:")
        out.append("```")
        out.extend(line[:300] for line in r["log_errors"][:5])
        out.append("```")
    return "\n".join(out)


# --- 3. voice profiles: a bulk with policies against the number only; a preview --------------

PROFILE_POLICIES = [("OnlineVoiceRoutingPolicy", "US-Route"), ("TenantDialPlan", "US-DialPlan"),
                    ("CallingLineIdentity", "Anonymous")]
PROFILE_LOCATION = "Seattle HQ"


def add_users(sim, tenant, domain, prefix, count, usage_location, licensed):
    """Users created out of band, as add_licensed_users, with a given usage location and licence."""
    upns = [f"{prefix}{i:05d}@{domain}" for i in range(count)]

    def create(upn):
        sim.json("POST", f"/_microsoft/control/tenants/{tenant}/users",
                 {"userPrincipalName": upn, "displayName": f"Bench {upn.split('@')[0]}",
                  "usageLocation": usage_location, "teamsPhoneLicense": licensed}, expect=(201,))

    failures = [r for _, r in in_parallel(8, upns, create) if isinstance(r, Exception)]
    if failures:
        raise BenchError(f"creating users: {failures[0]}")
    return upns


def teams_view(sim, tenant):
    """Teams' own view (Graph as the app): {user id: {"numbers": {number: locationId},
    "policies": {policyType: (displayName, assignmentType)}}}."""
    token = app_token(sim, tenant)
    view = {}
    skip = 0
    while True:
        page = sim.json("GET", "/_microsoft/graph/v1.0/admin/teams/telephoneNumberManagement/"
                        f"numberAssignments?$top=1000&$skip={skip}", token=token)
        for n in page["value"]:
            if n.get("assignmentStatus") == "userAssigned" and n.get("assignmentTargetId"):
                entry = view.setdefault(n["assignmentTargetId"], {"numbers": {}, "policies": {}})
                entry["numbers"][n["telephoneNumber"].lstrip("+")] = n.get("locationId")
        if len(page["value"]) < 1000:
            break
        skip += 1000
    path = "/_microsoft/graph/v1.0/admin/teams/userConfigurations?$top=999"
    while path:
        page = sim.json("GET", path, token=token)
        for c in page["value"]:
            entry = view.setdefault(c["id"], {"numbers": {}, "policies": {}})
            for e in c.get("effectivePolicyAssignments") or []:
                a = e["policyAssignment"]
                entry["policies"][e["policyType"]] = (a.get("displayName"), a.get("assignmentType"))
        path = page.get("@odata.nextLink")
    return view


def run_bulk(api, token, users, profile, deadline_s):
    """One bulk job followed to its end, then its users until none is in flight: the figures."""
    body = {"users": users}
    if profile:
        body["profile"] = profile
    started = time.perf_counter()
    accepted = api.json("POST", "/api/v1/phone-service/bulk", body, token=token, expect=(202,))
    job, _ = wait_job(api, token, accepted["job_id"], deadline_s=deadline_s, every=0.5)
    job_s = time.perf_counter() - started
    wanted = set(users)
    while True:
        mine = [u for u in all_pages(api, token, "/api/v1/users?limit=500") if u["user_principal_name"] in wanted]
        if not any(u["service"]["state"] in ("pending", "removing") for u in mine):
            break
        if time.perf_counter() - started > deadline_s:
            break
        time.sleep(0.5)
    settled_s = time.perf_counter() - started
    status = api.json("GET", f"/api/v1/phone-service/bulk/{accepted['job_id']}", token=token)
    outcomes, details = {}, {}
    for item in status["items"]:
        outcomes[item["outcome"]] = outcomes.get(item["outcome"], 0) + 1
        if item["outcome"] == "failed":
            d = (item.get("detail") or "")[:160]
            details[d] = details.get(d, 0) + 1
    numbers = [i["number"] for i in status["items"] if i["outcome"] == "assigned"]
    return {"job_s": job_s, "settled_s": settled_s, "job": job, "outcomes": outcomes, "details": details,
            "assigned": len(numbers), "distinct": len(set(numbers)), "users": mine}


def check_users(users, teams, profile=None, location_id=None):
    """Counts of what does not match: the portal's record of each user, and Teams' own view."""
    c = {"users": len(users), "not_active": 0, "wrong_profile": 0, "parts_missing": 0, "parts_not_in_effect": 0,
         "extra_parts": 0, "teams_number_missing": 0, "teams_location_wrong": 0, "teams_policies_wrong": 0,
         "part_states": {}, "examples": [], "mismatched": 0}
    want_policies = {t: n for t, n in PROFILE_POLICIES} if profile else {}
    for u in users:
        s = u["service"]
        bad = []
        if s["state"] != "active":
            c["not_active"] += 1
            bad.append(f"state {s['state']}: {s.get('detail')}")
        if profile and s.get("profile_id") != profile:
            c["wrong_profile"] += 1
            bad.append(f"profile_id {s.get('profile_id')}")
        parts = s.get("parts") or []
        for p in parts:
            key = p["kind"] + (f" {p['policy_type']}" if p.get("policy_type") else "")
            c["part_states"].setdefault(key, {}).setdefault(p["state"], 0)
            c["part_states"][key][p["state"]] += 1
        wanted = [("number", None, s.get("number"))]
        if profile:
            wanted.append(("emergency_location", None, location_id))
            wanted += [("policy", t, n) for t, n in PROFILE_POLICIES]
        found = {(p["kind"], p.get("policy_type")): p for p in parts}
        missing = [w for w in wanted if (w[0], w[1]) not in found or found[(w[0], w[1])]["wanted"] != w[2]]
        if missing:
            c["parts_missing"] += 1
            bad.append(f"parts missing or other than wanted: {missing}")
        if any(p["state"] != "in_effect" for p in parts):
            c["parts_not_in_effect"] += 1
            bad.append("parts: " + "; ".join(f"{p['kind']} {p.get('policy_type') or ''} {p['state']} "
                                              f"({p.get('reported')}; {p.get('detail')})"
                                              for p in parts if p["state"] != "in_effect"))
        if len(parts) > len(wanted):
            c["extra_parts"] += 1
            bad.append(f"{len(parts)} parts, {len(wanted)} wanted")
        t = teams.get(u["id"], {"numbers": {}, "policies": {}})
        number = (s.get("number") or "").lstrip("+")
        if number not in t["numbers"]:
            c["teams_number_missing"] += 1
            bad.append(f"Teams shows numbers {sorted(t['numbers'])}")
        elif t["numbers"][number] != location_id:
            c["teams_location_wrong"] += 1
            bad.append(f"Teams shows location {t['numbers'][number]!r}")
        direct = {k: v[0] for k, v in t["policies"].items()}
        if direct != want_policies:
            c["teams_policies_wrong"] += 1
            bad.append(f"Teams shows policies {t['policies']}")
        if bad:
            c["mismatched"] += 1
        if bad and len(c["examples"]) < 5:
            c["examples"].append(f"{u['user_principal_name']}: " + " | ".join(bad))
    return c


def profiles():
    env = {"SIM_OPERATION_DELAY_MS": "2000", "BULK_CONCURRENCY": str(BULK_CONCURRENCY)}
    log("profiles: starting the server")
    server = start_api(env)
    try:
        api = Http(server.base)
        token = login(api)
        tenant, domain = create_tenant(api, "prof", 3)
        plain = add_licensed_users(api, tenant, domain, "plain", BULK_USERS)
        withp = add_licensed_users(api, tenant, domain, "prof", BULK_USERS)
        # The preview's rows: 1% without a Teams Phone licence and 1% in another country than
        # the numbers (GB; the numbers are US), which it must refuse; the rest would succeed.
        odd = PREVIEW_ROWS // 100
        preview_ok = add_licensed_users(api, tenant, domain, "prev", PREVIEW_ROWS - 2 * odd)
        unlicensed = add_users(api, tenant, domain, "nolic", odd, "US", False)
        abroad = add_users(api, tenant, domain, "gb", odd, "GB", True)
        connect(api, api, token, tenant, domain)
        sync(api, token, deadline_s=300)
        count = 2 * BULK_USERS + PREVIEW_ROWS + 100
        status, _, data = api.call("POST", "/api/v1/number-blocks", token=token,
                                   body={"start": "+14255552000", "count": count, "label": "Bench profiles"})
        if status != 201:
            raise BenchError(f"loading numbers: {status} {data[:300]!r}")
        # The number-only bulk must get no profile: the account's default would apply to it.
        existing = api.json("GET", "/api/v1/voice-profiles", token=token)
        for p in existing:
            if p["is_default"] or p["default_for_blocks"]:
                api.json("PATCH", f"/api/v1/voice-profiles/{p['id']}", token=token,
                         body={"is_default": False, "default_for_blocks": []})
        # Teams' latency on every Teams call, the policy calls included (they are another fault
        # endpoint than the number calls); the number-only bulk makes no policy calls.
        faults = [{"endpoint": "teams", "latency_ms": 300}, {"endpoint": "policies", "latency_ms": 300}]
        api.json("PUT", "/_microsoft/control/faults", faults)

        log(f"profiles: {len(plain)} users in one bulk job, number only")
        number_only = run_bulk(api, token, plain, None, deadline_s=600)

        locations = api.json("GET", f"/_microsoft/control/tenants/{tenant}/locations")
        location_id = next((l["locationId"] for l in locations if l["description"] == PROFILE_LOCATION), None)
        if not location_id:
            raise BenchError(f"no LIS location {PROFILE_LOCATION!r} in the tenant: {locations}")
        started = time.perf_counter()
        profile = api.json("POST", "/api/v1/voice-profiles", token=token, expect=(201,), body={
            "name": "Bench US",
            "policies": [{"policy_type": t, "name": n} for t, n in PROFILE_POLICIES],
            "emergency_location": {"location_id": location_id, "label": PROFILE_LOCATION}})
        profile_s = time.perf_counter() - started

        log(f"profiles: {len(withp)} users in one bulk job with the profile")
        with_profile = run_bulk(api, token, withp, profile["id"], deadline_s=900)

        preview_users = preview_ok + unlicensed + abroad
        runs = {}
        for label in ("teams_latency", "no_latency"):
            if label == "no_latency":
                api.call("DELETE", "/_microsoft/control/faults")
            log(f"profiles: preview of {len(preview_users)} rows, 5 runs ({label})")
            times, answer = [], None
            for _ in range(5):
                started = time.perf_counter()
                answer = api.json("POST", "/api/v1/phone-service/preview", token=token,
                                  body={"users": preview_users, "profile": profile["id"]})
                times.append(time.perf_counter() - started)
            runs[label] = (times, answer)
        answer = runs["no_latency"][1]
        problems = {}
        for row in answer["rows"]:
            for p in row["problems"]:
                key = re.sub(r"\d{4,}", "…", p)[:160]
                problems[key] = problems.get(key, 0) + 1
        picked = [row["number"] for row in answer["rows"] if row["would_succeed"]]
        refused = {row["user"] for row in answer["rows"] if not row["would_succeed"]}
        expected_refused = set(unlicensed + abroad)

        teams = teams_view(api, tenant)
        return {
            "number_only": number_only,
            "with_profile": with_profile,
            "profile": profile,
            "profile_s": profile_s,
            "existing_profiles": [(p["name"], p["is_default"]) for p in existing],
            "location_id": location_id,
            "check_plain": check_users(number_only["users"], teams),
            "check_profile": check_users(with_profile["users"], teams, profile["id"], location_id),
            "preview": {label: times for label, (times, _) in runs.items()},
            "preview_rows": len(answer["rows"]),
            "would_succeed": answer["would_succeed"],
            "would_fail": answer["would_fail"],
            "expected_fail": len(expected_refused),
            "refused_as_expected": len(refused & expected_refused),
            "refused_unexpected": len(refused - expected_refused),
            "picked_distinct": len(set(picked)),
            "picked": len(picked),
            "free_numbers": count - number_only["assigned"] - with_profile["assigned"],
            "problems": problems,
            "log_errors": server.log_lines(),
        }
    finally:
        stop_api(server)


def profiles_markdown(r):
    n = BULK_USERS
    a, b = r["number_only"], r["with_profile"]
    ratio = b["job_s"] / a["job_s"]
    out = [f"### Voice profiles: a {n:,}-user bulk with a 3-policy profile, and a {r['preview_rows']:,}-row preview", ""]
    out.append("Same Teams as the bulk above: every Teams call answered after 300 ms (`latency_ms` faults on "
               "endpoints `teams` and `policies`: the policy calls, getPolicyId and userAssignments, are an "
               "endpoint of their own in the simulator) and each number operation settled after 2 s "
               f"(SIM_OPERATION_DELAY_MS=2000); policies in effect as soon as assigned (the simulator's "
               f"`policy_delay_ms` left at 0). SQLite, one process, BULK_CONCURRENCY={BULK_CONCURRENCY}. One "
               f"tenant, two sets of {n:,} other licensed US users. *Number only*: a bulk with no profile, run "
               "first, while the account has no voice profile at all. *With the profile*: then a profile "
               "\"Bench US\" (OnlineVoiceRoutingPolicy US-Route, TenantDialPlan US-DialPlan, "
               f"CallingLineIdentity Anonymous, emergency location {PROFILE_LOCATION} by its LIS locationId, "
               "all seeded in the simulated tenant) is saved and a bulk names it. Each bulk is timed from its "
               "`POST /api/v1/phone-service/bulk` until `GET /api/v1/jobs/{id}` shows it finished (polled every "
               "0.5 s); *settled*: until none of its users is pending any more (the user list polled every "
               "0.5 s after the job). Afterwards each user is checked against the portal's record "
               "(`service.state`, `service.profile_id`, every `service.parts` entry `in_effect` and wanted as "
               "asked) and against Teams' own view (Graph numberAssignments with their locationId, "
               "userConfigurations' effectivePolicyAssignments, read as the app).")
    out.append("")
    out.append("| | number only | with the profile |")
    out.append("|---|---|---|")
    out.append(f"| bulk job, {n:,} users, until finished | **{a['job_s']:.1f} s** = {n / a['job_s']:.1f} users/s | "
               f"**{b['job_s']:.1f} s** = {n / b['job_s']:.1f} users/s |")
    out.append(f"| until no user is pending | {a['settled_s']:.1f} s | {b['settled_s']:.1f} s |")
    out.append(f"| job status, attempts | {a['job']['status']}, {a['job']['attempts']} | "
               f"{b['job']['status']}, {b['job']['attempts']} |")
    fmt = lambda o: ", ".join(f"{c} {k}" for k, c in sorted(o.items()))
    out.append(f"| per-user outcomes | {fmt(a['outcomes'])} | {fmt(b['outcomes'])} |")
    if a["details"] or b["details"]:
        d = lambda x: "; ".join(f"{c}× {k}" for k, c in x.items()) or "none"
        out.append(f"| failure details | {d(a['details'])} | {d(b['details'])} |")
    out.append(f"| distinct numbers among the assigned | {a['distinct']} of {a['assigned']} | "
               f"{b['distinct']} of {b['assigned']} |")
    ca, cb = r["check_plain"], r["check_profile"]
    for key, label in (("not_active", "users not active"),
                       ("wrong_profile", "users whose service names another profile"),
                       ("parts_missing", "users missing a part, or with a part other than asked"),
                       ("parts_not_in_effect", "users with a part not `in_effect`"),
                       ("extra_parts", "users with more parts than asked"),
                       ("teams_number_missing", "Teams: users without their number"),
                       ("teams_location_wrong", "Teams: number with another emergency location"),
                       ("teams_policies_wrong", "Teams: direct policies other than the profile's")):
        out.append(f"| {label} | {ca[key]} of {ca['users']} | {cb[key]} of {cb['users']} |")
    states = lambda c: "; ".join(f"{k}: " + ", ".join(f"{v} {s}" for s, v in sorted(st.items()))
                                 for k, st in sorted(c["part_states"].items()))
    out.append(f"| **users with any mismatch above** | **{ca['mismatched']}** | **{cb['mismatched']}** |")
    out.append(f"| `service.parts` states | {states(ca)} | {states(cb)} |")
    out.append(f"| **time with the profile / number only** | | **{ratio:.2f}×** (target: at most 1.5×; "
               f"settled: {b['settled_s'] / a['settled_s']:.2f}×) |")
    for label, c in (("number only", ca), ("with the profile", cb)):
        if c["examples"]:
            out.append("")
            out.append(f"First mismatches ({label}):")
            out.append("```")
            out.extend(e[:400] for e in c["examples"])
            out.append("```")
    if r["existing_profiles"]:
        out.append("")
        out.append("The account had voice profiles before the number-only bulk (name, default): "
                   f"{r['existing_profiles']}; any default was unset first, so that the bulk got none.")
    out.append("")
    out.append(f"Saving the profile (`POST /api/v1/voice-profiles`, its 3 policy names resolved with Teams' "
               f"getPolicyId at 300 ms each): {r['profile_s']:.2f} s.")
    out.append("")
    out.append(f"**Preview** of {r['preview_rows']:,} rows: one `POST /api/v1/phone-service/preview` naming the "
               f"profile and {r['preview_rows']:,} users by UPN, none of them with service yet: "
               f"{r['preview_rows'] - r['expected_fail']:,} licensed US users, "
               f"{r['expected_fail'] // 2} without a Teams Phone licence and {r['expected_fail'] - r['expected_fail'] // 2} "
               f"with usage location GB (the numbers are US), which it must refuse; {r['free_numbers']:,} "
               "free numbers. Five runs in a row, each timed to the whole answer read, with Teams' 300 ms "
               "latency and again without it.")
    out.append("")
    out.append("| | value |")
    out.append("|---|---|")
    for label, name in (("teams_latency", "with Teams at 300 ms per call"), ("no_latency", "Teams at no latency")):
        t = r["preview"][label]
        out.append(f"| preview, {name}: median of 5 | **{statistics.median(t):.2f} s** "
                   f"(min {min(t):.2f}, max {max(t):.2f}) |")
    out.append(f"| would_succeed / would_fail | {r['would_succeed']:,} / {r['would_fail']:,} "
               f"(expected {r['preview_rows'] - r['expected_fail']:,} / {r['expected_fail']:,}) |")
    out.append(f"| refused rows that were expected to be refused | {r['refused_as_expected']} of {r['expected_fail']}; "
               f"{r['refused_unexpected']} others refused |")
    out.append(f"| distinct numbers picked for the rows that would succeed | {r['picked_distinct']:,} of {r['picked']:,} |")
    if r["problems"]:
        out.append("| reasons given | " + "; ".join(f"{c}× {p}" for p, c in sorted(r["problems"].items())) + " |")
    out.append(f"| server WARN/ERROR log lines (whole section) | {len(r['log_errors'])} |")
    if r["log_errors"]:
        out.append("")
        out.append("First of them:")
        out.append("```")
        out.extend(line[:300] for line in r["log_errors"][:5])
        out.append("```")
    return "\n".join(out)


# --- 4. a 100,000-user sync -------------------------------------------------------------------

def big_sync():
    api_port = free_port()
    simulator = None
    if SIMULATOR:
        log("sync: starting ms-simulator")
        # The portal talks to the separate simulator as it would to Microsoft.
        simulator, env = start_simulator(api_port)
        sim_base = simulator.base
    else:
        env = {}
    log("sync: starting the server")
    server = None
    try:
        server = start_api(env, api_port)
        api = Http(server.base)
        sim = Http(sim_base) if simulator else api
        token = login(api)
        started = time.perf_counter()
        tenant, domain = create_tenant(sim, "sync", SYNC_USERS)
        created_s = time.perf_counter() - started
        connect(api, sim, token, tenant, domain)
        time.sleep(1)
        before = {f: server.status_kib(f) for f in ("VmRSS", "VmHWM")}

        log(f"sync: baseline, every user read straight from Graph")
        graph_token = app_token(sim, tenant)
        path = "/_microsoft/graph/v1.0/users?$select=id,userPrincipalName,displayName,usageLocation," \
               "accountEnabled,assignedPlans&$top=999"
        started, read = time.perf_counter(), 0
        while path:
            page = sim.json("GET", path, token=graph_token)
            read += len(page["value"])
            link = page.get("@odata.nextLink")
            path = link
        graph_s = time.perf_counter() - started

        log(f"sync: full sync of {SYNC_USERS:,} users")
        full_job, full_s = sync(api, token, deadline_s=300, every=0.5)
        after_full = {f: server.status_kib(f) for f in ("VmRSS", "VmHWM")}
        status = api.json("GET", "/api/v1/users/sync", token=token)
        # Teams' numbers (the tenant's seeded Direct Routing users) came with the users.
        teams = teams_assignments(sim, tenant, "+")
        teams_seen = sum(1 for number, user in teams.items()
                         if number in api.json("GET", f"/api/v1/users/{user}", token=token)["teams_numbers"])

        log("sync: changing 100 users, then a delta sync")
        some = api.json("GET", "/api/v1/users?limit=120", token=token)["items"]
        changed = [u for u in some if not u["user_principal_name"].startswith(("admin@", "pra@"))][:100]

        def rename(user):
            sim.json("PATCH", f"/_microsoft/control/tenants/{tenant}/users/{user['id']}",
                     {"displayName": user["display_name"] + " (renamed)"})
        errors = [r for _, r in in_parallel(8, changed, rename) if isinstance(r, Exception)]
        if errors:
            raise BenchError(f"renaming: {errors[0]}")
        delta_job, delta_s = sync(api, token, deadline_s=120, every=0.1)
        seen = sum(1 for u in changed
                   if api.json("GET", f"/api/v1/users/{u['id']}", token=token)["display_name"].endswith("(renamed)"))
        after_delta = {f: server.status_kib(f) for f in ("VmRSS", "VmHWM")}
        sim_hwm = simulator.status_kib("VmHWM") if simulator else None
        return {
            "separate": simulator is not None,
            "created_s": created_s,
            "graph_s": graph_s,
            "graph_read": read,
            "before": before,
            "full_s": full_s,
            "full": full_job,
            "after_full": after_full,
            "status": status,
            "teams": len(teams),
            "teams_seen": teams_seen,
            "delta_s": delta_s,
            "delta": delta_job,
            "changed": len(changed),
            "seen": seen,
            "after_delta": after_delta,
            "sim_hwm": sim_hwm,
            "log_errors": server.log_lines(),
        }
    finally:
        if server:
            stop_api(server)
        if simulator:
            simulator.stop()


def sync_markdown(r):
    mib = lambda kib: f"{kib / 1024:.0f} MiB"
    n = SYNC_USERS
    where = ("the simulator runs as a process of its own (`ms-simulator`; the portal in "
             "MICROSOFT_MODE=live pointed at it with MS_LOGIN_URL/MS_GRAPH_URL), so the portal's memory "
             "below is the portal's alone" if r["separate"] else
             "the simulator runs **inside** the API process (no `ms-simulator` binary was given), so the "
             "memory below includes the simulator's own 100,000-user tenant")
    out = [f"### Sync of a {n:,}-user tenant", ""]
    out.append(f"A {n:,}-user tenant is created in the simulator and connected; `POST /api/v1/users/sync` is "
               "timed until `GET /api/v1/jobs/{id}` shows it succeeded (polled every 0.5 s; the job runner "
               f"claims it within its 1 s poll). SQLite. {where[0].upper() + where[1:]}. The baseline reads every user straight "
               "from the same simulator's Graph `/users` ($top=999, one client, no database) in the same run.")
    out.append("")
    out.append("| | value |")
    out.append("|---|---|")
    out.append(f"| create the tenant (simulator control API) | {r['created_s']:.2f} s |")
    out.append(f"| baseline: read all users from Graph, no database | {r['graph_read']:,} users in {r['graph_s']:.2f} s |")
    res = r["full"].get("result") or {}
    out.append(f"| **full sync** (request to success) | **{r['full_s']:.1f} s** = {n / r['full_s']:.0f} users/s; "
               f"result: {json.dumps(res)}; attempts {r['full']['attempts']} |")
    out.append(f"| users in the directory afterwards (GET /api/v1/users/sync) | {r['status']['users']:,} |")
    out.append(f"| Teams numbers (numberAssignments) shown on their users afterwards | {r['teams_seen']} of {r['teams']} |")
    out.append(f"| API process memory before the sync (RSS / peak VmHWM) | {mib(r['before']['VmRSS'])} / "
               f"{mib(r['before']['VmHWM'])} |")
    out.append(f"| API process memory after the full sync (RSS / **peak VmHWM**) | {mib(r['after_full']['VmRSS'])} / "
               f"**{mib(r['after_full']['VmHWM'])}** |")
    dres = r["delta"].get("result") or {}
    out.append(f"| **delta sync** after {r['changed']} users were renamed (control API) | **{r['delta_s']:.2f} s**; "
               f"result: {json.dumps(dres)} |")
    out.append(f"| renamed users showing the new name afterwards | {r['seen']} of {r['changed']} |")
    out.append(f"| API process peak memory after the delta sync (VmHWM) | {mib(r['after_delta']['VmHWM'])} |")
    if r["sim_hwm"] is not None:
        out.append(f"| simulator process peak memory (VmHWM), for comparison | {mib(r['sim_hwm'])} |")
    out.append(f"| server WARN/ERROR log lines | {len(r['log_errors'])} |")
    if r["log_errors"]:
        out.append("")
        out.append("First of them:")
        out.append("```")
        out.extend(line[:300] for line in r["log_errors"][:5])
        out.append("```")
    return "\n".join(out)


def main():
    only = set(filter(None, os.environ.get("BENCH_TELEPHONY_PARTS", "contention,bulk,profiles,sync").split(",")))
    sections = ["## Telephony", ""]
    timings = []
    if "contention" in only:
        started = time.perf_counter()
        runs = [contention("SQLite", None)]
        pg, why = recreate_postgres()
        if pg:
            runs.append(contention("PostgreSQL", pg))
            if SIMULATOR:
                pg, why = recreate_postgres()
                runs.append(contention("PostgreSQL, two processes", pg, processes=2))
        sections.append(contention_markdown(runs))
        if not pg:
            sections.append("")
            sections.append(f"PostgreSQL skipped: {why}.")
        sections.append("")
        timings.append(("contention", time.perf_counter() - started))
    if "bulk" in only:
        started = time.perf_counter()
        sections.append(bulk_markdown(bulk()))
        sections.append("")
        timings.append(("bulk", time.perf_counter() - started))
    if "profiles" in only:
        started = time.perf_counter()
        sections.append(profiles_markdown(profiles()))
        sections.append("")
        timings.append(("profiles", time.perf_counter() - started))
    if "sync" in only:
        started = time.perf_counter()
        sections.append(sync_markdown(big_sync()))
        sections.append("")
        timings.append(("sync", time.perf_counter() - started))
    sections.append("Wall time of these parts (set-up included): "
                    + ", ".join(f"{name} {s:.0f} s" for name, s in timings) + ".")
    print("\n".join(sections))


if __name__ == "__main__":
    main()
