// Collector: the records of `mxir collect m365|google`, pulled page by page from the provider's
// API and handed over as JSON pages in the shape the ingest parsers read (hosted_parsers.h).
//
//  m365 (hooks file section [m365]: tenant, client_id, secret_file|secret_env; app-only token by
//  OAuth2 client credentials, scope https://graph.microsoft.com/.default):
//    signins: GET {graph}/v1.0/auditLogs/signIns?$filter=createdDateTime ge S and
//             createdDateTime lt U&$top=N, then each @odata.nextLink (format entra-signin);
//             needs AuditLog.Read.All and an Entra ID P1/P2 licence (a 403 naming the missing
//             premium licence is explained);
//    trace:   GET {graph}/beta/admin/exchange/tracing/messageTraces?$filter=receivedDateTime ge S
//             and receivedDateTime lt U&$top=N, then @odata.nextLink (format m365-trace); needs
//             ExchangeMessageTrace.Read.All.
//    audit:   the Unified Audit Log through the Office 365 Management Activity API (a token for
//             https://manage.office.com/.default): per content type (Audit.AzureActiveDirectory,
//             Audit.Exchange) POST {manage}/api/v1.0/{tenant}/activity/feed/subscriptions/start
//             (400 AF20024 "already enabled" is fine), GET .../subscriptions/content with
//             startTime/endTime per window of at most 24 h, paged by the NextPageUri header, then
//             each blob's contentUri (a JSON array, format m365-audit); needs ActivityFeed.Read.
//  google (section [google]: service_account_file, admin_subject; a service-account JWT with
//  scope https://www.googleapis.com/auth/admin.reports.audit.readonly):
//    login:   GET {api}/admin/reports/v1/activity/users/all/applications/login?startTime=S&
//             endTime=U&maxResults=N, then &pageToken= of each nextPageToken (format google-login).
// Throttling: 429 and 503 answers are retried after their Retry-After (SendWithRetry), up to
// `max_attempts` per page. A next link that leaves the API's base URL is refused.
// Verified against the providers' documented contracts with a local test server, not live.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/ini_file.h"
#include "core/status.h"
#include "core/timestamp.h"
#include "hooks/http_client.h"

namespace mxir::collect {

struct CollectRequest {
  std::string provider;              // m365 or google
  std::vector<std::string> sources;  // m365: signins, trace, audit; google: login (empty: default)
  Timestamp since;
  std::optional<Timestamp> until;  // default: now
  std::string endpoint;            // a test server: replaces the provider's login and API URLs
  int page_size = 1000;
  int max_attempts = 5;  // per page, for 429/503 with Retry-After
  int max_retry_after_seconds = 120;
  std::function<void(std::chrono::milliseconds)> sleep;  // tests
};

// One page of records: `format` is the ingest format of `body`, `origin` names the API
// ("graph:auditLogs/signIns").
struct CollectedPage {
  std::string source, format, origin;
  int number = 0;  // 1-based within the source
  std::string body;
};

struct CollectStats {
  int pages = 0;
  int retries = 0;  // throttled or failed attempts that were retried
};

// The default sources of a provider, and all it knows.
std::vector<std::string> DefaultSources(const std::string& provider);
std::vector<std::string> KnownSources(const std::string& provider);
// The ingest format (and event source) of a collect source: signins -> entra-signin, ...
std::string FormatOfSource(const std::string& source);

// Pulls every page; `on_page` consumes each (an error from it stops the run). `progress` gets a
// short line per page. `http` may be null (libcurl with the hooks file's ca_file / timeout).
Status Collect(const IniFile& hooks, const CollectRequest& request, const Clock& clock,
               hooks::HttpClient* http, const std::function<Status(CollectedPage&)>& on_page,
               const std::function<void(const std::string&)>& progress, CollectStats* stats);

}  // namespace mxir::collect
