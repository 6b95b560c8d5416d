#!/usr/bin/env python3
"""A local HTTPS server implementing the documented Microsoft identity platform token endpoint
(client credentials) and the Microsoft Graph auditLogs/signIns list contract: $filter on
createdDateTime (ge/lt), server-side paging with @odata.nextLink, HTTP 429 with Retry-After,
the 403 an Entra ID Free tenant gets, and bearer-token checks; and the Office 365 Management
Activity API (token for https://manage.office.com/.default; subscriptions/start, already
enabled -> 400 AF20024; subscriptions/content with startTime/endTime at most 24 h apart, paged by
the NextPageUri header, one throttled answer; content blobs as JSON arrays of audit records).
Used by collect-m365.sh only.

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
        raw = self.rfile.read(n).decode()
        url = urllib.parse.urlsplit(self.path)
        if url.path == "/api/v1.0/contoso-tenant/activity/feed/subscriptions/start":
            return self.manage_start(urllib.parse.parse_qs(url.query))
        form = urllib.parse.parse_qs(raw)
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
                or form.get("scope") not in (["https://graph.microsoft.com/.default"],
                                             ["https://manage.office.com/.default"])):
            return self.reply(400, {"error": "invalid_request", "error_description": "AADSTS900144: bad request"})
        if form.get("client_secret") != [SECRET]:
            return self.reply(401, {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."})
        self.log({"token": m.group(1), "scope": form["scope"][0]})
        tok = TOKEN if m.group(1) == "contoso-tenant" else "free-tenant-token"
        if form["scope"] == ["https://manage.office.com/.default"]:
            tok = MANAGE_TOKEN
        return self.reply(200, {"token_type": "Bearer", "expires_in": 3599, "access_token": tok})

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(url.query)
        auth = self.headers.get("Authorization", "")
        if url.path == "/admin/reports/v1/activity/users/all/applications/login":
            return self.google(q, auth)
        if url.path.startswith("/api/v1.0/"):
            return self.manage_get(url, q, auth)
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


# Management Activity API: the audit records of two content types, in content blobs.
MANAGE_TOKEN = "manage-read-token"
MANAGE_BASE = "/api/v1.0/contoso-tenant/activity/feed"
subscribed = set()


def audit_records():
    t = lambda m: (base + timedelta(minutes=m)).strftime("%Y-%m-%dT%H:%M:%S")
    aad = [{"CreationTime": t(10 + i), "Id": "aad-%d" % i, "Operation": "UserLoginFailed", "RecordType": 15,
            "Workload": "AzureActiveDirectory", "UserId": "bob@contoso.example", "ClientIP": "198.51.100.66",
            "ErrorNumber": "50126", "LogonError": "InvalidUserNameOrPassword", "ResultStatus": "Failed"}
           for i in range(3)]
    aad.append({"CreationTime": t(14), "Id": "aad-3", "Operation": "UserLoggedIn", "RecordType": 15,
                "Workload": "AzureActiveDirectory", "UserId": "bob@contoso.example", "ClientIP": "198.51.100.66",
                "ResultStatus": "Success"})
    exo = [{"CreationTime": t(20), "Id": "exo-1", "Operation": "New-InboxRule", "RecordType": 1,
            "Workload": "Exchange", "UserId": "bob@contoso.example", "ResultStatus": "True",
            "ClientIP": "[2001:db8::66]:51234",
            "Parameters": [{"Name": "Name", "Value": "."}, {"Name": "ForwardTo", "Value": "drop@evil.example"},
                           {"Name": "DeleteMessage", "Value": "True"}]},
           {"CreationTime": t(25), "Id": "exo-2", "Operation": "Set-Mailbox", "RecordType": 1,
            "Workload": "Exchange", "UserId": "bob@contoso.example", "ResultStatus": "True",
            "ClientIP": "198.51.100.66:4410",
            "Parameters": [{"Name": "Identity", "Value": "bob"},
                           {"Name": "ForwardingSmtpAddress", "Value": "smtp:drop@evil.example"}]}]
    # Two blobs per content type, each created a few minutes after its records.
    return {"Audit.AzureActiveDirectory": [("aad-blob-1", t(13), aad[:2]), ("aad-blob-2", t(16), aad[2:])],
            "Audit.Exchange": [("exo-blob-1", t(21), exo[:1]), ("exo-blob-2", t(26), exo[1:])]}


def manage_start(self, q):
    if self.headers.get("Authorization", "") != "Bearer " + MANAGE_TOKEN:
        return self.reply(401, {"error": {"code": "AF10001", "message": "The permission set () sent in the request does not include the expected permission."}})
    ct = q.get("contentType", [""])[0]
    if ct not in ("Audit.Exchange", "Audit.AzureActiveDirectory", "Audit.SharePoint", "Audit.General", "DLP.All"):
        return self.reply(400, {"error": {"code": "AF20022", "message": "No subscription found for the specified content type"}})
    with lock:
        if ct in subscribed:
            self.log({"subscribe": ct, "already": True})
            return self.reply(400, {"error": {"code": "AF20024", "message": "The subscription is already enabled. No property change."}})
        subscribed.add(ct)
    self.log({"subscribe": ct})
    return self.reply(200, {"contentType": ct, "status": "enabled", "webhook": None})


def manage_get(self, url, q, auth):
    if auth != "Bearer " + MANAGE_TOKEN:
        return self.reply(401, {"error": {"code": "AF10001", "message": "Authorization denied"}})
    port = self.server.server_address[1]
    if url.path == MANAGE_BASE + "/subscriptions/content":
        ct = q.get("contentType", [""])[0]
        if ct not in subscribed:
            return self.reply(400, {"error": {"code": "AF20022", "message": "No subscription found for the specified content type"}})
        if ("startTime" in q) != ("endTime" in q):
            return self.reply(400, {"error": {"code": "AF20001", "message": "Start time and end time must both be specified (or both omitted)"}})
        lo, hi = parse_time(q["startTime"][0]), parse_time(q["endTime"][0])
        if hi - lo > timedelta(hours=24) or hi <= lo:
            return self.reply(400, {"error": {"code": "AF20055", "message": "Start time and end time must both be specified (or both omitted) and must be less than or equal to 24 hours apart, with the start time prior to end time."}})
        blobs = [b for b in audit_records()[ct] if lo <= parse_time(b[1]) < hi]
        start = int(q.get("nextPage", ["0"])[0])
        key = ("content", ct, q["startTime"][0], start)
        with lock:
            if start == 1 and key not in throttled_once:
                throttled_once.add(key)
                self.log({"audit_throttled": ct})
                return self.reply(429, {"error": {"code": "AF429", "message": "Too many requests."}}, {"Retry-After": "1"})
        page = blobs[start:start + 1]
        body = [{"contentType": ct, "contentId": b[0], "contentCreated": b[1] + ".000Z",
                 "contentExpiration": "2026-11-30T00:00:00.000Z",
                 "contentUri": "https://127.0.0.1:%d%s/audit/%s" % (port, MANAGE_BASE, b[0])} for b in page]
        headers = {}
        if start + 1 < len(blobs):
            nq = urllib.parse.urlencode({"contentType": ct, "startTime": q["startTime"][0], "endTime": q["endTime"][0],
                                         "nextPage": str(start + 1)})
            headers["NextPageUri"] = "https://127.0.0.1:%d%s/subscriptions/content?%s" % (port, MANAGE_BASE, nq)
        self.log({"content_list": ct, "page": start, "blobs": [b[0] for b in page]})
        return self.reply(200, body, headers)
    m = re.fullmatch(MANAGE_BASE + r"/audit/([\w-]+)", url.path)
    if m:
        for ct, blobs in audit_records().items():
            for b in blobs:
                if b[0] == m.group(1):
                    self.log({"blob": b[0], "audit_served": [r["Id"] for r in b[2]]})
                    return self.reply(200, b[2])
    return self.reply(404, {"error": {"code": "AF20051", "message": "Content requested with the key does not exist."}})


Handler.google = google
Handler.manage_start = manage_start
Handler.manage_get = manage_get
srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(CERT, KEY)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(PORTFILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os
os.rename(PORTFILE + ".tmp", PORTFILE)
srv.serve_forever()
