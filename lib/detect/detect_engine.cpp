#include "detect/detect_engine.h"

#include <algorithm>
#include <future>

#include "detect/auth_analysis.h"
#include "detect/detect_context.h"

namespace mxir::detect {

DetectEngine::DetectEngine(DetectConfig config, Locality locality)
    : config_(config), locality_(std::move(locality)), collector_(config.merge_window_s) {}

void SortFindings(std::vector<Finding>* findings) {
  std::sort(findings->begin(), findings->end(), [](const Finding& a, const Finding& b) {
    if (a.severity != b.severity) return a.severity > b.severity;
    if (a.first_seen != b.first_seen) return a.first_seen < b.first_seen;
    return a.id < b.id;
  });
}

DetectResult DetectEngine::Finish() { return Analyze(collector_); }

void DetectEngine::SetLocality(Locality locality) {
  Locality added;
  if (locality.Extends(locality_, &added)) {
    // Inside stays inside; outside becomes inside only by what was added.
    const Evidence& ev = collector_.evidence();
    if (added.has_networks()) {
      for (size_t c = 0; c < inside_.size() && c < ev.clients.size(); ++c) {
        if (inside_[c] == 1 && added.IsInternal(ev.clients[c])) inside_[c] = 2;
      }
    } else {
      // Only addresses added (the usual case: listed addresses): each looked up among the
      // clients (stored unmapped, as IsInternal compares them) instead of every client asked.
      for (const IpAddress& ip : added.Hosts()) {
        const int64_t c = ev.client_index.Find(ip);
        if (c >= 0 && static_cast<size_t>(c) < inside_.size() && inside_[c] == 1) inside_[c] = 2;
      }
    }
  } else {
    inside_.clear();
  }
  locality_ = std::move(locality);
}

DetectResult DetectEngine::Analyze(EvidenceCollector& collector) {
  collector.Finalize();
  const Evidence& ev = collector.evidence();
  // The sources' clock offsets read only the settled evidence: found on another thread while
  // the detectors run (a --follow pass waits for one core's work less).
  std::future<std::vector<SourceOffset>> offsets = std::async(
      std::launch::async, [&ev, w = config_.merge_window_s] { return FindSourceOffsets(ev, w); });
  std::vector<uint8_t> local_domain(ev.domains.size());
  for (uint32_t d = 0; d < ev.domains.size(); ++d) {
    local_domain[d] = locality_.IsLocalDomain(ev.domains.Get(d));
  }
  // bulk_outbound and remote_blocklisting read only the mail evidence (not the login view, not
  // other findings): they run on another thread while the login view is built, into findings
  // of their own, with their own copy of the inside/outside answers. Their findings join at
  // their places in the fixed order below, so the result is the one of running them there.
  static const AuthAnalysis kNoLoginView;
  std::vector<Finding> bulk_findings, listed_findings;
  size_t listed_folded = 0;
  std::future<void> mail =
      std::async(std::launch::async, [&, inside = inside_, local = local_domain] {
        DetectContext mail_ctx{ev, kNoLoginView, config_, locality_, bulk_findings};
        mail_ctx.inside_cache = std::move(inside);
        mail_ctx.local_domain = std::move(local);
        DetectBulkOutbound(mail_ctx);
        DetectContext listed_ctx{ev, kNoLoginView, config_, locality_, listed_findings};
        listed_ctx.inside_cache = std::move(mail_ctx.inside_cache);
        listed_ctx.local_domain = std::move(mail_ctx.local_domain);
        DetectRemoteBlocklisting(listed_ctx);
        listed_folded = listed_ctx.listed_folded;
      });
  AuthAnalysis auth = AuthAnalysis::Build(ev, config_);
  DetectResult result;
  DetectContext ctx{ev, auth, config_, locality_, result.findings};
  ctx.inside_cache = std::move(inside_);
  ctx.local_domain = std::move(local_domain);
  auto join = [&](std::vector<Finding>& found) {
    for (Finding& f : found) ctx.findings.push_back(std::move(f));
  };
  // Order matters: account_compromise reads bulk_outbound; session_burst reads the login view.
  DetectStaleCredentials(ctx);
  DetectBruteForce(ctx);
  DetectPasswordSpraying(ctx);
  DetectCredentialStuffing(ctx);
  mail.get();  // DetectBulkOutbound and DetectRemoteBlocklisting
  join(bulk_findings);
  DetectAccountCompromise(ctx);
  DetectPasswordAcceptedAfterGuessing(ctx);
  DetectMailboxRules(ctx);
  DetectLegacyAuth(ctx);
  DetectOpenRelay(ctx);
  DetectInboundFlood(ctx);
  join(listed_findings);
  ctx.listed_folded = listed_folded;
  DetectRemoteThrottling(ctx);
  DetectSessionBurst(ctx);
  SortFindings(&result.findings);
  result.offsets = offsets.get();
  Counters& c = collector.counters();
  if (!locality_.has_local_domains() && !ev.messages.empty()) {
    c.Add("not_checked.open_relay_and_inbound_flood_need_local_domains");
  }
  c.Set("auth_attempts", static_cast<int64_t>(ev.attempts.size()));
  c.Set("messages", static_cast<int64_t>(ev.messages.size()));
  c.Set("findings", static_cast<int64_t>(result.findings.size()));
  inside_ = std::move(ctx.inside_cache);
  result.listed_folded = ctx.listed_folded;
  if (ctx.listed_folded > 0) {
    c.Set("guard.remote_blocklisting_folded", static_cast<int64_t>(ctx.listed_folded));
  }
  for (const Finding& f : result.findings) {
    if (f.kind != "remote_blocklisting") continue;
    std::string ip = f.evidence.value("listed_ip", std::string());
    if (!ip.empty()) result.listed.push_back({ip, f.evidence.value("blocklist", std::string())});
  }
  return result;
}

}  // namespace mxir::detect
