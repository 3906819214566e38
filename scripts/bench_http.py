"""Sequential request latency over one keep-alive connection, per endpoint (stdlib only)."""
import http.client
import json
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
