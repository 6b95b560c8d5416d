#!/usr/bin/env python3
"""Entra ID sign-ins as Microsoft Graph writes them (JSON Lines of signIn objects, the shape of
Untitled Goose Tool and Extractor-Suite's SOF-ELK output) for the ingest benchmark.
usage: gen_entra.py OUT RECORDS [SEED]"""
import json
import random
import sys
from datetime import datetime, timedelta, timezone

out, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 1)
apps = [("Authenticated SMTP", "BAV2ROPC"), ("Browser", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0"),
        ("Mobile Apps and Desktop clients", "Microsoft Office/16.0"), ("IMAP4", "BAV2ROPC")]
codes = [0, 0, 0, 50126, 50126, 50053, 50074, 50140]
t = datetime(2026, 11, 1, tzinfo=timezone.utc)
with open(out, "w") as f:
    for i in range(n):
        t += timedelta(milliseconds=rng.randint(1, 3000))
        app, ua = rng.choice(apps)
        code = rng.choice(codes)
        rec = {
            "id": "%08x-%04x-4%03x-8%03x-%012x" % (rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(12),
                                                  rng.getrandbits(12), rng.getrandbits(48)),
            "createdDateTime": t.strftime("%Y-%m-%dT%H:%M:%S.") + "%07dZ" % rng.randint(0, 9999999),
            "userDisplayName": "User %d" % (i % 500), "userPrincipalName": "user%d@contoso.example" % (i % 500),
            "userId": "%032x" % rng.getrandbits(128), "appId": "00000002-0000-0ff1-ce00-000000000000",
            "appDisplayName": "Office 365 Exchange Online", "ipAddress": "%d.%d.%d.%d" % (
                rng.randint(1, 223), rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254)),
            "clientAppUsed": app, "userAgent": ua, "correlationId": "%032x" % rng.getrandbits(128),
            "conditionalAccessStatus": "notApplied", "isInteractive": app == "Browser",
            "riskDetail": "none", "riskLevelAggregated": "none", "riskState": "none",
            "status": {"errorCode": code, "failureReason": "Other." if code else None, "additionalDetails": None},
            "deviceDetail": {"deviceId": "", "displayName": "", "operatingSystem": "Windows 10", "browser": "Chrome 120"},
            "location": {"city": "Berlin", "state": "Berlin", "countryOrRegion": "DE",
                         "geoCoordinates": {"latitude": 52.52, "longitude": 13.40}},
            "autonomousSystemNumber": rng.choice([3320, 8881, 6805]),
            "appliedConditionalAccessPolicies": []}
        f.write(json.dumps(rec, separators=(",", ":")) + "\n")
