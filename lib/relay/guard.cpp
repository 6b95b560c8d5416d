#include "relay/guard.h"

#include <algorithm>

namespace mxir::relay {

namespace {

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
  return s;
}

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    auto c = s.find(',', start);
    if (c == std::string::npos) c = s.size();
    if (c > start) out.push_back(s.substr(start, c - start));
    start = c + 1;
  }
  return out;
}

Result<int64_t> Count(const PolicyRequest& r, const char* name) {
  const auto& v = r.Get(name);
  if (v.empty()) return int64_t{0};
  int64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9' || n > 100000000) {
      return MakeError(ErrorCode::kInvalidInput, std::string(name) + " is not a count");
    }
    n = n * 10 + (c - '0');
  }
  return n;
}

Decision Make(std::string action, std::string rule, std::string account) {
  Decision d;
  d.action = std::move(action);
  d.rule = std::move(rule);
  d.account = std::move(account);
  return d;
}

}  // namespace

Guard::Guard(const RelayConfig& config, CounterStore* store, const Clock& clock)
    : cfg_(config), store_(store), clock_(clock) {
  std::set<std::string> inv(config.investigate.begin(), config.investigate.end());
  SetInvestigated(inv);
}

void Guard::SetInvestigated(const std::set<std::string>& accounts) {
  investigated_.clear();
  for (const auto& a : accounts) investigated_.insert(Lower(a));
}

Status Guard::Load() {
  if (!store_) return Status::Ok();
  int64_t now = clock_.Now().micros();
  MXIR_ASSIGN_OR_RETURN(auto rows, store_->LoadSince(now - cfg_.window_seconds * 1000000));
  for (const auto& r : rows) {
    AddCommitted(r.key, Entry{r.ts_us, r.msgs, r.rcpts, SplitComma(r.domains)});
  }
  return Status::Ok();
}

Guard::Window& Guard::WindowOf(const std::string& key, int64_t now) {
  auto& w = windows_[key];
  Evict(w, now);
  return w;
}

void Guard::Evict(Window& w, int64_t now) {
  int64_t horizon = now - cfg_.window_seconds * 1000000;
  while (!w.entries.empty() && w.entries.front().ts <= horizon) {
    const auto& e = w.entries.front();
    w.msgs -= e.msgs;
    w.rcpts -= e.rcpts;
    for (const auto& d : e.domains) {
      auto it = w.domains.find(d);
      if (it != w.domains.end() && --it->second <= 0) w.domains.erase(it);
    }
    w.entries.pop_front();
  }
}

void Guard::AddCommitted(const std::string& key, const Entry& e) {
  auto& w = windows_[key];
  // Rows arrive in time order; keep the deque ordered for eviction even if a clock stepped back.
  auto pos = w.entries.end();
  while (pos != w.entries.begin() && std::prev(pos)->ts > e.ts) --pos;
  w.entries.insert(pos, e);
  w.msgs += e.msgs;
  w.rcpts += e.rcpts;
  for (const auto& d : e.domains) ++w.domains[d];
}

Guard::Counts Guard::CountsOf(const std::string& key) {
  auto& w = WindowOf(key, clock_.Now().micros());
  return Counts{w.msgs + w.pending_msgs, w.rcpts + w.pending_rcpts,
                static_cast<int64_t>(w.domains.size())};
}

void Guard::AddPending(const Instance& in, int64_t msgs, int64_t rcpts, const std::string* domain) {
  for (const auto* key : {&in.account_key, &in.client_key}) {
    auto& w = windows_[*key];
    w.pending_msgs += msgs;
    w.pending_rcpts += rcpts;
    if (domain && key == &in.account_key) ++w.domains[*domain];
  }
}

void Guard::DropInstance(const std::string& id) {
  auto it = instances_.find(id);
  if (it == instances_.end()) return;
  const Instance& in = it->second;
  for (const auto* key : {&in.account_key, &in.client_key}) {
    auto& w = windows_[*key];
    w.pending_msgs -= in.rcpts > 0 ? 1 : 0;
    w.pending_rcpts -= in.rcpts;
    if (key == &in.account_key) {
      for (const auto& d : in.domains) {
        auto dit = w.domains.find(d);
        if (dit != w.domains.end() && --dit->second <= 0) w.domains.erase(dit);
      }
    }
  }
  instances_.erase(it);
}

void Guard::ExpireInstances(int64_t now) {
  int64_t horizon = now - cfg_.reservation_ttl_seconds * 1000000;
  while (!instance_order_.empty() && instance_order_.front().first <= horizon) {
    auto [ts, id] = instance_order_.front();
    instance_order_.pop_front();
    auto it = instances_.find(id);
    if (it != instances_.end() && it->second.first_ts == ts) DropInstance(id);
  }
}

nlohmann::ordered_json DecisionCounts::ToJson() const {
  nlohmann::ordered_json j = nlohmann::ordered_json::object();
  if (account_messages >= 0) {
    j["account_messages"] = account_messages;
    j["account_recipients"] = account_recipients;
    j["account_domains"] = account_domains;
  }
  if (client_recipients >= 0) j["client_recipients"] = client_recipients;
  return j;
}

DecisionCounts Guard::CountsOf(const std::string& account_key, const std::string& client_key,
                               int64_t now) {
  DecisionCounts c;
  if (!account_key.empty()) {
    auto& a = WindowOf(account_key, now);
    c.account_messages = a.msgs + a.pending_msgs;
    c.account_recipients = a.rcpts + a.pending_rcpts;
    c.account_domains = static_cast<int64_t>(a.domains.size());
  }
  if (!client_key.empty()) {
    auto& w = WindowOf(client_key, now);
    c.client_recipients = w.rcpts + w.pending_rcpts;
  }
  return c;
}

Status Guard::Flush() {
  if (unsaved_.empty()) return Status::Ok();
  if (!store_) {
    unsaved_.clear();
    return Status::Ok();
  }
  if (auto st = store_->Append(unsaved_); !st.ok()) {
    // Kept for the next Flush (a busy or full disk may recover); bounded so a store that stays
    // broken cannot take all memory (every END-OF-MESSAGE then goes unanswered anyway).
    if (unsaved_.size() > 200000) unsaved_.erase(unsaved_.begin(), unsaved_.begin() + 100000);
    return st;
  }
  commits_since_prune_ += static_cast<int64_t>(unsaved_.size() / 2);
  unsaved_.clear();
  if (commits_since_prune_ >= 4096) {
    commits_since_prune_ = 0;
    MXIR_RETURN_IF_ERROR(
        store_->PruneBefore(clock_.Now().micros() - cfg_.window_seconds * 1000000));
  }
  return Status::Ok();
}

std::vector<CounterRow> Guard::TakeUnsaved(int64_t* prune_before) {
  *prune_before = 0;
  std::vector<CounterRow> rows;
  rows.swap(unsaved_);
  commits_since_prune_ += static_cast<int64_t>(rows.size() / 2);
  if (commits_since_prune_ >= 4096) {
    commits_since_prune_ = 0;
    *prune_before = clock_.Now().micros() - cfg_.window_seconds * 1000000;
  }
  return rows;
}

Result<Decision> Guard::Decide(const PolicyRequest& r) {
  int64_t now = clock_.Now().micros();
  auto d = DecideAt(r, now);
  if (d.ok()) d->ts_us = now;
  return d;
}

Result<Decision> Guard::DecideAt(const PolicyRequest& r, int64_t now) {
  if (r.Get("request") != "smtpd_access_policy") {
    if (!r.Has("request")) {
      return MakeError(ErrorCode::kInvalidInput, "a request without request=");
    }
    return Make("DUNNO", "not_a_policy_request", "");
  }
  const std::string& state = r.Get("protocol_state");
  bool rcpt = state == "RCPT", data = state == "DATA", eom = state == "END-OF-MESSAGE";
  if (!rcpt && !data && !eom) return Make("DUNNO", "stage_not_guarded", "");
  ExpireInstances(now);

  const std::string sender = Lower(r.Get("sender"));
  const std::string login = Lower(r.Get("sasl_username"));
  const std::string& client = r.Get("client_address");
  const std::string& instance_id = r.Get("instance");
  if (login.empty()) {
    return Make(
        "REJECT 5.7.1 authentication required: this relay only accepts mail from its "
        "logins",
        "unauthenticated", "");
  }
  if (investigated_.count(login) || (!sender.empty() && investigated_.count(sender))) {
    std::string who = investigated_.count(login) ? login : sender;
    switch (cfg_.under_investigation) {
      case InvestigationMode::kHold:
        return Make("HOLD account " + who + " is under investigation (mxir relay)", "investigation",
                    who);
      case InvestigationMode::kReject:
        return Make(
            "REJECT 5.7.1 account " + who + " is under investigation; mail from it is refused",
            "investigation", who);
      case InvestigationMode::kDefer:
        return Make(
            "DEFER_IF_PERMIT 4.7.1 account " + who + " is under investigation; try again later",
            "investigation", who);
    }
  }
  const bool per_user = login.find('@') != std::string::npos;
  const bool null_sender = sender.empty();
  std::string account_key;
  if (null_sender) {
    account_key = "n:" + login;
  } else {
    if (!cfg_.IsCompanyDomain(DomainOfAddress(sender))) {
      return Make("REJECT 5.7.1 sender " + sender + " is not in the company's domains",
                  "sender_domain", login);
    }
    if (per_user && sender != login) {
      return Make("REJECT 5.7.1 sender " + sender + " is not owned by login " + login,
                  "sender_ownership", login);
    }
    account_key = "a:" + (per_user ? login : sender);
  }
  const std::string client_key = "c:" + client;
  const std::string account_name = account_key.substr(2);

  if (instance_id.empty()) return MakeError(ErrorCode::kInvalidInput, "no instance attribute");
  auto it = instances_.find(instance_id);
  if (it == instances_.end()) {
    if (eom && !r.Has("recipient_count")) {
      return MakeError(ErrorCode::kInvalidInput, "END-OF-MESSAGE without recipient_count");
    }
    Instance in;
    in.account_key = account_key;
    in.client_key = client_key;
    in.first_ts = now;
    it = instances_.emplace(instance_id, std::move(in)).first;
    instance_order_.emplace_back(now, instance_id);
  } else if (it->second.account_key != account_key || it->second.client_key != client_key) {
    return MakeError(ErrorCode::kInvalidInput, "instance reused with another account or client");
  }
  Instance& in = it->second;
  auto defer = [&](const std::string& why, const std::string& rule) {
    Decision d = Make("DEFER_IF_PERMIT 4.7.1 " + why + "; try again later", rule, account_name);
    d.counts = CountsOf(account_key, client_key, now);
    return d;
  };
  // Would adding `add_rcpts` recipients (and maybe a message, and maybe a domain) pass?
  auto check = [&](int64_t add_rcpts, bool add_msg,
                   const std::string* domain) -> std::optional<Decision> {
    auto& a = WindowOf(account_key, now);
    auto& c = WindowOf(client_key, now);
    if (null_sender) {
      if (a.rcpts + a.pending_rcpts + add_rcpts > cfg_.max_null_sender_per_hour) {
        return defer("null-sender (bounce) limit reached for login " + login, "null_sender_window");
      }
    } else {
      if (add_msg && a.msgs + a.pending_msgs + 1 > cfg_.max_messages_per_hour) {
        return defer("message limit reached for " + account_name, "account_message_window");
      }
      if (a.rcpts + a.pending_rcpts + add_rcpts > cfg_.max_recipients_per_hour) {
        return defer("recipient limit reached for " + account_name, "account_recipient_window");
      }
      if (domain && !a.domains.count(*domain) &&
          static_cast<int64_t>(a.domains.size()) + 1 > cfg_.max_recipient_domains_per_hour) {
        return defer("recipient-domain limit reached for " + account_name, "account_domain_window");
      }
    }
    if (c.rcpts + c.pending_rcpts + add_rcpts > cfg_.max_recipients_per_hour_per_client) {
      return defer("recipient limit reached for client " + client, "client_recipient_window");
    }
    return std::nullopt;
  };

  if (rcpt) {
    std::string domain = DomainOfAddress(r.Get("recipient"));
    if (in.rcpts + 1 > cfg_.max_recipients_per_message) {
      Decision d = Make("452 4.5.3 Too many recipients in one message (at most " +
                            std::to_string(cfg_.max_recipients_per_message) + ")",
                        "recipient_cap", account_name);
      d.counts = CountsOf(account_key, client_key, now);
      return d;
    }
    bool new_domain = std::find(in.domains.begin(), in.domains.end(), domain) == in.domains.end();
    if (auto d = check(1, in.rcpts == 0, new_domain ? &domain : nullptr)) return *d;
    AddPending(in, in.rcpts == 0 ? 1 : 0, 1, new_domain ? &domain : nullptr);
    ++in.rcpts;
    if (new_domain) in.domains.push_back(domain);
    Decision d = Make("DUNNO", "permit", account_name);
    d.counts = CountsOf(account_key, client_key, now);
    return d;
  }
  MXIR_ASSIGN_OR_RETURN(int64_t n, Count(r, "recipient_count"));
  if (data) {
    if (n > cfg_.max_recipients_per_message) {
      Decision d = Make("452 4.5.3 Too many recipients in one message (at most " +
                            std::to_string(cfg_.max_recipients_per_message) + ")",
                        "recipient_cap", account_name);
      d.counts = CountsOf(account_key, client_key, now);
      return d;
    }
    if (n > in.rcpts) {  // recipients this service did not see (e.g. it restarted mid-message)
      if (auto d = check(n - in.rcpts, in.rcpts == 0, nullptr)) return *d;
      AddPending(in, in.rcpts == 0 ? 1 : 0, n - in.rcpts, nullptr);
      in.rcpts = n;
    }
    in.reserved = true;
    Decision d = Make("DUNNO", "reserve", account_name);
    d.counts = CountsOf(account_key, client_key, now);
    return d;
  }
  // END-OF-MESSAGE: commit what was delivered to the queue.
  int64_t final_rcpts = std::max<int64_t>(n, 0);
  Entry e{now, 1, final_rcpts, in.domains};
  Entry ce{now, 1, final_rcpts, {}};
  unsaved_.push_back({now, account_key, 1, final_rcpts, Join(in.domains)});
  unsaved_.push_back({now, client_key, 1, final_rcpts, ""});
  if (!group_commit_) {
    if (auto st = Flush(); !st.ok()) {
      unsaved_.clear();  // not counted: the message is not accepted (no answer -> 451)
      return st.error();
    }
  }
  DropInstance(instance_id);
  AddCommitted(account_key, e);
  AddCommitted(client_key, ce);
  Decision d = Make("DUNNO", "commit", account_name);
  d.commit = true;
  d.counts = CountsOf(account_key, client_key, now);
  return d;
}

}  // namespace mxir::relay
