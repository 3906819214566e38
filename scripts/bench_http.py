"""Sequential request latency over one keep-alive connection, per endpoint (stdlib only)."""
import http.client
import json
import os
import urllib.parse
import statistics
import sys
import time
from urllib.parse import urlparse

base = urlparse(sys.argv[1])


def connect():
    return http.client.HTTPConnection(base.hostname, base.port, timeout=30)


def measure(conn, method, path, body=None, headers=None, n=500):
    times = []
    for _ in range(n):
        started = time.perf_counter()
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        response.read()
        times.append(time.perf_counter() - started)
        assert response.status < 400, (path, response.status)
    times.sort()
    pick = lambda q: times[min(len(times) - 1, int(q * len(times)))] * 1000
    return n, statistics.median(times) * 1000, pick(0.95), pick(0.99), n / sum(times)


conn = connect()
login_body = json.dumps({"email": "admin@contoso.example", "password": "demo-password"})
json_headers = {"Content-Type": "application/json"}
conn.request("POST", "/api/v1/auth/login", body=login_body, headers=json_headers)
token = json.loads(conn.getresponse().read())["access_token"]
auth = {"Authorization": f"Bearer {token}"}

rows = [
    ("GET /healthz", measure(conn, "GET", "/healthz", n=2000)),
    ("GET /api/v1/me (JWT checked, user loaded)", measure(conn, "GET", "/api/v1/me", headers=auth, n=2000)),
    ("GET /api/v1/members", measure(conn, "GET", "/api/v1/members", headers=auth, n=1000)),
    ("POST /api/v1/auth/login (argon2id)", measure(conn, "POST", "/api/v1/auth/login", body=login_body, headers=json_headers, n=50)),
]
print("| request (sequential, one connection) | n | p50 ms | p95 ms | p99 ms | req/s |")
print("|---|---|---|---|---|---|")
for name, (n, p50, p95, p99, rps) in rows:
    print(f"| {name} | {n} | {p50:.2f} | {p95:.2f} | {p99:.2f} | {rps:.0f} |")


def flood_bench(auth):
    """GET /api/v1/me while 50 clients send bogus sign-ins as fast as they can, each from its
    own address (X-Forwarded-For; the server runs with TRUSTED_PROXIES=1) so that the throttle
    lets every one through to a password check: the worst case for the server."""
    import threading

    def me_times(conn, n):
        times = []
        for _ in range(n):
            started = time.perf_counter()
            conn.request("GET", "/api/v1/me", headers=auth)
            response = conn.getresponse()
            response.read()
            assert response.status == 200, response.status
            times.append(time.perf_counter() - started)
        times.sort()
        return times

    def pct(times, q):
        return times[min(len(times) - 1, int(q * len(times)))] * 1000

    conn = connect()
    idle = me_times(conn, 300)
    stop = threading.Event()
    answers = {}
    lock = threading.Lock()

    def intruder(n):
        c = connect()
        i = 0
        while not stop.is_set():
            i += 1
            body = json.dumps({"email": f"intruder{n}-{i}@bench.example", "password": "bogus password"})
            headers = dict(json_headers)
            headers["X-Forwarded-For"] = f"198.18.{n}.{i % 250 + 1}"
            c.request("POST", "/api/v1/auth/login", body=body, headers=headers)
            response = c.getresponse()
            response.read()
            with lock:
                answers[response.status] = answers.get(response.status, 0) + 1

    threads = [threading.Thread(target=intruder, args=(n,), daemon=True) for n in range(50)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    flooded = me_times(conn, 300)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    print()
    print("| GET /api/v1/me, sequential | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|")
    print(f"| idle | {pct(idle, 0.5):.2f} | {pct(idle, 0.95):.2f} | {idle[-1] * 1000:.2f} |")
    print(f"| during 50 concurrent bogus sign-ins | {pct(flooded, 0.5):.2f} | {pct(flooded, 0.95):.2f} | {flooded[-1] * 1000:.2f} |")
    print(f"| ratio, during / idle | {pct(flooded, 0.5) / pct(idle, 0.5):.1f}x | {pct(flooded, 0.95) / pct(idle, 0.95):.1f}x | |")
    summary = ", ".join(f"{count} answered {status}" for status, count in sorted(answers.items()))
    print()
    print(f"Bogus sign-ins during that run: {summary} (401: checked and refused; 429: the password checks were busy).")


def simulator_bench():
    """A 100,000-user tenant in the built-in simulator: creation, then every page of users."""
    conn = connect()
    started = time.perf_counter()
    conn.request("POST", "/_microsoft/control/tenants",
                 body=json.dumps({"name": "Bench", "domain": "bench.onmicrosoft.com", "users": 100000}),
                 headers=json_headers)
    tenant = json.loads(conn.getresponse().read())
    created = time.perf_counter() - started
    # As the product reads users: the app's own token after admin consent (User.Read.All).
    conn.request("PUT", f"/_microsoft/control/tenants/{tenant['id']}/consent",
                 body=json.dumps({"granted": True}), headers=json_headers)
    conn.getresponse().read()
    form = urllib.parse.urlencode({
        "client_id": os.environ["MS_CLIENT_ID"],
        "client_secret": os.environ["MS_CLIENT_SECRET"],
        "scope": "https://graph.microsoft.com/.default",
        "grant_type": "client_credentials",
    })
    conn.request("POST", f"/_microsoft/login/{tenant['id']}/oauth2/v2.0/token", body=form,
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    admin_token = json.loads(conn.getresponse().read())["access_token"]
    path = "/_microsoft/graph/v1.0/users?$select=id,userPrincipalName,displayName,usageLocation&$top=999"
    pages, users, slowest = 0, 0, 0.0
    started = time.perf_counter()
    while path:
        page_started = time.perf_counter()
        conn.request("GET", path, headers={"Authorization": f"Bearer {admin_token}"})
        response = conn.getresponse()
        page = json.loads(response.read())
        assert response.status == 200, page
        slowest = max(slowest, time.perf_counter() - page_started)
        pages += 1
        users += len(page["value"])
        link = page.get("@odata.nextLink")
        path = urlparse(link)._replace(scheme="", netloc="").geturl() if link else None
    paged = time.perf_counter() - started
    print()
    print("| simulator, 100,000-user tenant | value |")
    print("|---|---|")
    print(f"| create the tenant (control API) | {created * 1000:.0f} ms |")
    print(f"| page all users, $top=999 | {users} users in {pages} pages, {paged:.2f} s; slowest page {slowest * 1000:.0f} ms |")


flood_bench(auth)
simulator_bench()
