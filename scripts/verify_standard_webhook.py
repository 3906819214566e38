#!/usr/bin/env python3
"""Verifies one webhook delivery with the Standard Webhooks reference library (PyPI
`standardwebhooks`), independently of the server's own code: what an integrator's
off-the-shelf verifier does.

Reads one JSON document on standard input (so the secret is never on a command line):
    {"secret": "whsec_...", "headers": {"webhook-id": ..., "webhook-timestamp": ...,
     "webhook-signature": ...}, "body": "<the request body, exactly as received>"}
Prints "accepted" and exits 0 when the signature verifies; prints "rejected: <why>" and
exits 1 otherwise. Exits 2 when the input is not such a document.

Install: scripts/ensure-tools.sh test (puts it in .tools/venv); then
    .tools/venv/bin/python scripts/verify_standard_webhook.py < delivery.json
"""

import json
import sys

from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def main() -> int:
    try:
        given = json.load(sys.stdin)
        secret, headers, body = given["secret"], given["headers"], given["body"]
    except (ValueError, KeyError, TypeError) as e:
        print(f"usage: a JSON document with secret, headers and body on stdin ({e})")
        return 2
    try:
        Webhook(secret).verify(body.encode("utf-8"), headers)
    except WebhookVerificationError as e:
        print(f"rejected: {e}")
        return 1
    except Exception as e:  # a malformed secret or signature header
        print(f"rejected: {type(e).__name__}: {e}")
        return 1
    print("accepted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
