#!/usr/bin/env python3
"""A local HTTPS server implementing the documented Microsoft identity platform token endpoint
(client credentials) and the Microsoft Graph auditLogs/signIns list contract: $filter on
createdDateTime (ge/lt), server-side paging with @odata.nextLink, HTTP 429 with Retry-After,
the 403 an Entra ID Free tenant gets, and bearer-token checks. Used by collect-m365.sh only.

usage: graph_contract_server.py CERT KEY PORTFILE LOGFILE PAGE_SIZE
Writes the chosen port to PORTFILE; logs one JSON line per request served to LOGFILE."""
import base64
import json
import re
import ssl
import sys
import threading
import urllib.parse
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CERT, KEY, PORTFILE, LOGFILE, PAGE = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
SECRET = "collect-secret-1"
TOKEN = "graph-read-token"
lock = threading.RLock()
throttled_once = set()

# Eight sign-ins: a printer failing SMTP AUTH (50126, BAV2ROPC) every 5 minutes, and a user.
base = datetime(2026, 11, 23, 8, 0, 0, tzinfo=timezone.utc)
RECORDS = []
for i in range(6):
    RECORDS.append({
        "id": "printer-%d" % i, "createdDateTime": (base + timedelta(minutes=5 * i)).strftime("%Y-%m-%dT%H:%M:%S.1234567Z"),
        "userPrincipalName": "scanner@contoso.example", "ipAddress": "203.0.113.10",
        "clientAppUsed": "Authenticated SMTP", "userAgent": "BAV2ROPC", "appDisplayName": "Office 365 Exchange Online",
        "status": {"errorCode": 50126, "failureReason": "Error validating credentials due to invalid username or password."},
        "location": {"countryOrRegion": "DE"}})
for i in range(2):
    RECORDS.append({
        "id": "alice-%d" % i, "createdDateTime": (base + timedelta(minutes=7 + 20 * i)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "userPrincipalName": "alice@contoso.example", "ipAddress": "198.51.100.7", "clientAppUsed": "Browser",
        "userAgent": "Mozilla/5.0", "status": {"errorCode": 0}, "location": {"countryOrRegion": "DE"}})
# Graph returns sign-ins newest first.
RECORDS.sort(key=lambda r: r["createdDateTime"], reverse=True)


def parse_time(s):
    return datetime.strptime(s[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, code, body, headers=None):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def log(self, entry):
        with lock:
            with open(LOGFILE, "a") as f:
                f.write(json.dumps(entry) + "\n")

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(n).decode())
        if self.path == "/token":  # Google OAuth 2.0 service-account (JWT bearer) flow
            a = form.get("assertion", [""])[0].split(".")
            if form.get("grant_type") != ["urn:ietf:params:oauth:grant-type:jwt-bearer"] or len(a) != 3:
                return self.reply(400, {"error": "invalid_grant", "error_description": "Invalid JWT"})
            claims = json.loads(base64.urlsafe_b64decode(a[1] + "=" * (-len(a[1]) % 4)))
            if (claims.get("scope") != "https://www.googleapis.com/auth/admin.reports.audit.readonly"
                    or claims.get("sub") != "admin@acme.example" or claims.get("iss") != "collector@acme.iam.example"):
                return self.reply(400, {"error": "unauthorized_client", "error_description": "bad claims"})
            self.log({"token": "google"})
            return self.reply(200, {"access_token": "google-read-token", "token_type": "Bearer", "expires_in": 3600})
        m = re.fullmatch(r"/([^/]+)/oauth2/v2.0/token", self.path)
        if not m:
            return self.reply(404, {"error": "not_found"})
        if (form.get("grant_type") != ["client_credentials"] or form.get("client_id") != ["collect-app"]
                or form.get("scope") != ["https://graph.microsoft.com/.default"]):
            return self.reply(400, {"error": "invalid_request", "error_description": "AADSTS900144: bad request"})
        if form.get("client_secret") != [SECRET]:
            return self.reply(401, {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."})
        self.log({"token": m.group(1)})
        tok = TOKEN if m.group(1) == "contoso-tenant" else "free-tenant-token"
        return self.reply(200, {"token_type": "Bearer", "expires_in": 3599, "access_token": tok})

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(url.query)
        auth = self.headers.get("Authorization", "")
        if url.path == "/admin/reports/v1/activity/users/all/applications/login":
            return self.google(q, auth)
        if auth == "Bearer free-tenant-token":
            return self.reply(403, {"error": {"code": "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
                                              "message": "Neither tenant is B2C or tenant doesn't have premium license"}})
        if auth != "Bearer " + TOKEN:
            return self.reply(401, {"error": {"code": "InvalidAuthenticationToken", "message": "Access token is empty."}})
        if url.path != "/v1.0/auditLogs/signIns":
            return self.reply(404, {"error": {"code": "ResourceNotFound", "message": "no such resource"}})
        flt = q.get("$filter", [""])[0]
        m = re.fullmatch(r"createdDateTime ge (\S+) and createdDateTime lt (\S+)", flt)
        if not m:
            return self.reply(400, {"error": {"code": "BadRequest", "message": "Invalid filter clause: " + flt}})
        lo, hi = parse_time(m.group(1)), parse_time(m.group(2))
        top = int(q.get("$top", ["1000"])[0])
        if top < 1 or top > 1000:
            return self.reply(400, {"error": {"code": "BadRequest", "message": "Invalid $top"}})
        skip = int(q.get("$skiptoken", ["0"])[0])
        key = (flt, skip)
        # The second page is throttled once: 429 with Retry-After.
        with lock:
            if skip == PAGE and key not in throttled_once:
                throttled_once.add(key)
                self.log({"throttled": skip})
                return self.reply(429, {"error": {"code": "TooManyRequests", "message": "Too many requests"}},
                                  {"Retry-After": "1"})
        chosen = [r for r in RECORDS if lo <= parse_time(r["createdDateTime"]) < hi]
        size = min(top, PAGE)
        page = chosen[skip:skip + size]
        body = {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns", "value": page}
        if skip + size < len(chosen):
            nq = urllib.parse.urlencode({"$filter": flt, "$top": str(top), "$skiptoken": str(skip + size)},
                                        quote_via=urllib.parse.quote)
            body["@odata.nextLink"] = "https://127.0.0.1:%d%s?%s" % (self.server.server_address[1], url.path, nq)
        self.log({"page_skip": skip, "served": [r["id"] for r in page]})
        return self.reply(200, body)


def google_items():
    items = []
    for i in range(5):
        items.append({"kind": "admin#reports#activity",
                      "id": {"time": (base + timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                             "uniqueQualifier": str(1000 + i), "applicationName": "login", "customerId": "C01"},
                      "actor": {"email": "user%d@acme.example" % i, "profileId": str(i)}, "ipAddress": "192.0.2.99",
                      "events": [{"type": "login", "name": "login_failure" if i < 4 else "login_success",
                                  "parameters": [{"name": "login_type", "value": "google_password"}] +
                                  ([{"name": "login_failure_type", "value": "login_failure_invalid_password"}] if i < 4 else [])}]})
    return items[::-1]  # newest first


def google(self, q, auth):
    if auth != "Bearer google-read-token":
        return self.reply(401, {"error": {"code": 401, "message": "Request had invalid authentication credentials."}})
    lo, hi = parse_time(q["startTime"][0]), parse_time(q["endTime"][0])
    chosen = [it for it in google_items() if lo <= parse_time(it["id"]["time"]) < hi]
    start = int(q.get("pageToken", ["0"])[0])
    page = chosen[start:start + 2]
    body = {"kind": "admin#reports#activities", "items": page}
    if start + 2 < len(chosen):
        body["nextPageToken"] = str(start + 2)
    self.log({"google_page": start, "served": [it["id"]["uniqueQualifier"] for it in page]})
    return self.reply(200, body)


Handler.google = google
srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(CERT, KEY)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
