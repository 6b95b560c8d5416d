// account_compromise and login_after_attack: the detector over the compromise model
// (compromise.h, compromise.cpp). Runs after the attack detectors and bulk_outbound, whose
// findings it reads.
#include <algorithm>
#include <map>
#include <set>

#include "detect/compromise.h"
#include "detect/detect_context.h"

namespace mxir::detect {

namespace {

constexpr double kUs = 1e6;

std::string Joined(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i) s += i + 1 == v.size() ? " and " : ", ";
    s += v[i];
  }
  return s;
}

}  // namespace

namespace {

Finding* FindExisting(DetectContext& ctx, const std::string& id) {
  for (Finding& f : ctx.findings) {
    if (f.id == id) return &f;
  }
  return nullptr;
}

}  // namespace

void EmitAccountCompromise(DetectContext& ctx, const CompromiseReport& r) {
  const std::string id = StableId("account_compromise", {r.user});
  if (Finding* f = FindExisting(ctx, id)) {
    f->first_seen = std::min(f->first_seen, Timestamp::FromMicros(r.first));
    f->last_seen = std::max(f->last_seen, Timestamp::FromMicros(r.last));
    f->evidence["rules"].push_back(r.rule);
    for (const auto& s : r.signs) f->evidence["signs"].push_back(s);
    f->explanation += " Also: " + r.why;
    return;
  }
  Finding f = NewFinding("account_compromise", Severity::kCritical, "compromised-account", {r.user},
                         r.first, r.last);
  f.client_ip = r.client;
  f.user = r.user;
  f.counts = r.counts;
  f.evidence["rule"] = r.rule;
  f.evidence["rules"] = nlohmann::ordered_json::array({r.rule});
  f.evidence["signs"] = r.signs;
  if (!r.new_countries.empty()) f.evidence["new_countries"] = r.new_countries;
  if (!r.new_networks.empty()) f.evidence["new_networks"] = r.new_networks;
  AddOrigins(f, r.origins);
  f.explanation = r.why;
  if (!r.why_not.empty()) f.explanation += " " + r.why_not;
  if (r.inside) {
    f.explanation +=
        " The login came from inside your network: the attacker may be on an infected machine "
        "there.";
  }
  f.next_steps = {"Reset the password of " + r.user +
                      " with a forced change and end its sessions (mxir reset " + r.user + ").",
                  "Suspend its outgoing mail and hold its queued messages until it is clean.",
                  "Check forwarding rules, filters and app passwords added by the attacker."};
  if (!r.client.empty()) {
    f.next_steps.push_back(std::string(r.inside ? "Isolate the machine at " : "Block ") + r.client +
                           ".");
  }
  SetVerdict(f, r.rule == "success_from_attacker"
                    ? "account taken over (login from the guessing host)"
                : r.rule == "new_client_with_signs" ? "account taken over (new host, then abuse)"
                : r.rule == "used_by_many_clients"  ? "account taken over (used by many hosts)"
                                                    : "account taken over (" + r.rule + ")");
  ctx.findings.push_back(std::move(f));
}

void EmitLoginAfterAttack(DetectContext& ctx, const CompromiseReport& r) {
  Finding f = NewFinding("login_after_attack", Severity::kMedium, "triage", {r.user, r.client},
                         r.first, r.last);
  f.client_ip = r.client;
  f.user = r.user;
  f.counts = r.counts;
  f.evidence["rule"] = r.rule;
  AddOrigins(f, r.origins);
  f.explanation = r.why;
  if (!r.why_not.empty()) f.explanation += " " + r.why_not;
  f.next_steps = {"Ask the owner of " + r.user + " whether they logged in from " + r.client +
                      " at that time (a new phone, a trip, a new home connection).",
                  "If it was not them: reset the password (mxir reset " + r.user +
                      ") and treat the account as compromised.",
                  "If it was them: nothing to do; the attack finding still needs its own steps."};
  SetVerdict(f, "login from a new host after an attack: confirm it was the user");
  ctx.findings.push_back(std::move(f));
}

void DetectAccountCompromise(DetectContext& ctx) {
  const Evidence& ev = ctx.ev;
  const DetectConfig& cfg = ctx.cfg;
  const int64_t lookback = static_cast<int64_t>(cfg.compromise_lookback_s * kUs);
  CompromiseModel model = CompromiseModel::Build(ev, ctx.auth, cfg, ctx.loc, &ctx);

  // Judge every success, in time order, per account.
  struct PerAccount {
    std::vector<uint32_t> attacker, fresh;  // attempt indexes
    std::vector<LoginOrigin> seq;           // judged logins in order (own/new), for "in a row"
    std::vector<uint32_t> seq_client;
    int64_t own_after = 0;  // own-device logins after the attack began
  };
  // By account index (deterministic order): sorted once filled.
  std::vector<std::pair<uint32_t, PerAccount>> per;
  std::vector<uint32_t> per_at(ev.users.size(), kNone);  // per Evidence::users: index in `per`
  for (uint32_t i = 0; i < ev.attempts.size(); ++i) {
    const AuthAttempt& a = ev.attempts[i];
    if (a.outcome != AuthOutcome::kSuccess || a.user == kNone) continue;
    LoginOrigin o = model.Judge(i);
    if (o == LoginOrigin::kNotJudged) continue;
    uint32_t& at = per_at[a.user];
    if (at == kNone) {
      at = static_cast<uint32_t>(per.size());
      per.emplace_back(a.user, PerAccount{});
    }
    PerAccount& p = per[at].second;
    if (o == LoginOrigin::kAttacker) p.attacker.push_back(i);
    if (o == LoginOrigin::kNewClient) p.fresh.push_back(i);
    if (o == LoginOrigin::kOwnDevice) ++p.own_after;
    p.seq.push_back(o);
    p.seq_client.push_back(a.client);
  }
  std::sort(per.begin(), per.end(), [](const auto& x, const auto& y) { return x.first < y.first; });
  // Messages per account (time order), for From-mismatch signs.
  std::unordered_map<uint32_t, std::vector<uint32_t>> mail_of;
  for (uint32_t i = 0; i < ev.messages.size(); ++i) {
    if (ev.messages[i].user != kNone) mail_of[ev.messages[i].user].push_back(i);
  }
  // Per account, once: its bulk_outbound findings and the kinds of the attacks naming it.
  std::unordered_map<std::string, std::vector<size_t>> bulk_of;
  std::unordered_map<std::string, std::set<std::string>> attacks_of;
  for (size_t i = 0; i < ctx.findings.size(); ++i) {
    const Finding& f = ctx.findings[i];
    if (f.kind == "bulk_outbound" && !f.user.empty()) bulk_of[f.user].push_back(i);
    if (f.kind == "brute_force" || f.kind == "password_spraying" ||
        f.kind == "credential_stuffing") {
      if (!f.user.empty()) attacks_of[f.user].insert(f.kind);
      for (const auto& u : f.users) attacks_of[u].insert(f.kind);
    }
  }
  auto bulk_after = [&](const std::string& user, int64_t ts) -> const Finding* {
    auto it = bulk_of.find(user);
    if (it == bulk_of.end()) return nullptr;
    for (size_t i : it->second) {
      if (ctx.findings[i].last_seen.micros() >= ts) return &ctx.findings[i];
    }
    return nullptr;
  };
  auto attack_findings_of = [&](const std::string& user) {
    auto it = attacks_of.find(user);
    if (it == attacks_of.end()) return std::string("an attack");
    return Joined(std::vector<std::string>(it->second.begin(), it->second.end()));
  };
  std::set<uint32_t> reported;
  // Per Evidence::clients index: the number of the run of new hosts it was last seen in.
  std::vector<uint32_t> run_stamp(ev.clients.size(), 0);
  uint32_t run_id = 0;

  for (auto& [u, p] : per) {
    const AccountHistory* h = model.History(u);
    const std::string user = ev.UserText(u);
    const int64_t attack_failures = h ? h->attack_failures : 0;
    const std::string attack = attack_findings_of(user);
    // Rule 1: a success from the guessing host.
    if (!p.attacker.empty()) {
      const AuthAttempt& a = ev.attempts[p.attacker.front()];
      CompromiseReport r;
      r.user = user;
      r.client = ev.ClientText(a.client);
      r.inside = ctx.Inside(a.client);
      r.first = a.ts;
      r.last = ev.attempts[p.attacker.back()].ts;
      r.rule = "success_from_attacker";
      r.counts["failures"] = attack_failures;
      r.counts["successes"] = p.attacker.size();
      r.counts["logins_from_new_hosts"] = p.fresh.size();
      r.origins = {ev.OriginText(a.origin)};
      r.why = "The account " + user + " logged in successfully from " + r.client + " at " +
              Timestamp::FromMicros(a.ts).ToString() +
              ", a host that was guessing passwords (for this account or others)";
      if (attack_failures > 0)
        r.why += "; the account itself had " +
                 Count(attack_failures, "failed guess", "failed guesses") + " from attacking hosts";
      r.why +=
          ". The attacker very probably has the password now (rule: success from the "
          "guessing host).";
      if (const Finding* b = bulk_after(user, a.ts)) {
        int64_t messages = b->counts.value("messages", int64_t{0});
        r.why += " The account then sent bulk mail (" + Count(messages, "message") +
                 ", see the bulk_outbound finding).";
        r.counts["messages"] = messages;
        r.last = std::max(r.last, b->last_seen.micros());
        r.signs.push_back("bulk sending");
      }
      EmitAccountCompromise(ctx, r);
      reported.insert(u);
      continue;
    }
    if (p.fresh.empty()) continue;
    // Rule 2: a host new to the account after the attack — login_after_attack, or
    // account_compromise with raising signs.
    const AuthAttempt& a = ev.attempts[p.fresh.front()];
    const int64_t t0 = a.ts, t1 = a.ts + lookback;
    // The new hosts, and those within the lookback: sorted, each once.
    std::vector<uint32_t> fresh_clients, fresh_in_window;
    for (uint32_t i : p.fresh) {
      fresh_clients.push_back(ev.attempts[i].client);
      if (ev.attempts[i].ts <= t1) fresh_in_window.push_back(ev.attempts[i].client);
    }
    for (auto* v : {&fresh_clients, &fresh_in_window}) {
      std::sort(v->begin(), v->end());
      v->erase(std::unique(v->begin(), v->end()), v->end());
    }
    auto is_fresh = [&](uint32_t client) {
      return std::binary_search(fresh_clients.begin(), fresh_clients.end(), client);
    };
    // The longest run of new hosts in a row, each host counted once in its run: a host is in
    // the current run when its stamp is the run's number.
    int64_t run = 0, best_run = 0;
    ++run_id;
    for (size_t k = 0; k < p.seq.size(); ++k) {
      if (p.seq[k] != LoginOrigin::kNewClient) {
        ++run_id;
        run = 0;
        continue;
      }
      uint32_t& stamp = run_stamp[p.seq_client[k]];
      if (stamp != run_id) {
        stamp = run_id;
        best_run = std::max(best_run, ++run);
      }
    }
    int64_t mismatch = 0;
    for (uint32_t mi : mail_of[u]) {
      const MessageRec& m = ev.messages[mi];
      if (m.ts >= t0 && m.ts <= t1 && m.from_mismatch && is_fresh(m.client)) ++mismatch;
    }
    std::vector<std::string> signs, not_signs, r_countries, r_nets;
    const Finding* bulk = bulk_after(user, t0);
    (bulk ? signs : not_signs)
        .push_back(bulk ? "the account then sent bulk mail (bulk_outbound finding)"
                        : "no bulk sending");
    (mismatch > 0 ? signs : not_signs)
        .push_back(mismatch > 0 ? Count(mismatch, "message") +
                                      " from the new hosts with a From that is not the account"
                                : "no mail with a foreign From from the new hosts");
    const int64_t many = static_cast<int64_t>(fresh_in_window.size());
    (many >= cfg.compromise_many_clients ? signs : not_signs)
        .push_back(many >= cfg.compromise_many_clients
                       ? Count(many, "new host") + " using the account within " +
                             Seconds(cfg.compromise_lookback_s)
                       : "only " + Count(many, "new host") + " (fewer than " +
                             std::to_string(cfg.compromise_many_clients) + ")");
    (best_run >= cfg.compromise_new_clients_in_row ? signs : not_signs)
        .push_back(best_run >= cfg.compromise_new_clients_in_row
                       ? Count(best_run, "new host") + " in a row with no own device between"
                       : "no run of " + std::to_string(cfg.compromise_new_clients_in_row) +
                             " new hosts in a row");
    // A country or network none of the account's own devices used (known on both sides).
    {
      std::set<std::string> new_countries, new_nets, own_countries, own_nets;
      for (uint32_t i : p.fresh) {
        const AuthAttempt& f = ev.attempts[i];
        if (f.ts > t1) break;
        const uint16_t cc = ev.client_country.empty() ? 0 : ev.client_country[f.client];
        const uint32_t asn = ev.client_asn.empty() ? 0 : ev.client_asn[f.client];
        if (cc && !h->own_countries.empty() &&
            !std::binary_search(h->own_countries.begin(), h->own_countries.end(), cc))
          new_countries.insert(ev.CountryText(f.client));
        if (asn && !h->own_asns.empty() &&
            !std::binary_search(h->own_asns.begin(), h->own_asns.end(), asn))
          new_nets.insert(ev.AsnText(f.client));
      }
      auto names = [](const std::vector<uint16_t>& v) {
        std::vector<std::string> out;
        for (uint16_t c : v)
          out.push_back({static_cast<char>(c >> 8), static_cast<char>(c & 0xff)});
        return out;
      };
      auto nets = [](const std::vector<uint32_t>& v) {
        std::vector<std::string> out;
        for (uint32_t a : v) out.push_back("AS" + std::to_string(a));
        return out;
      };
      if (!new_countries.empty()) {
        signs.push_back("a login from a country none of its own devices used (" +
                        Joined({new_countries.begin(), new_countries.end()}) +
                        "; its own: " + ShortList(names(h->own_countries)) + ")");
        r_countries = {new_countries.begin(), new_countries.end()};
      }
      if (!new_nets.empty()) {
        signs.push_back("a login from a network none of its own devices used (" +
                        Joined({new_nets.begin(), new_nets.end()}) +
                        "; its own: " + ShortList(nets(h->own_asns)) + ")");
        r_nets = {new_nets.begin(), new_nets.end()};
      }
      if (new_countries.empty() && new_nets.empty() &&
          (!h->own_countries.empty() || !h->own_asns.empty()))
        not_signs.push_back("no country or network new to the account");
    }
    for (const CompromiseSign& s : ctx.compromise_signs) {
      if (s.user == user && s.ts >= h->attack_start && s.ts <= t1) signs.push_back(s.what);
    }
    CompromiseReport r;
    r.user = user;
    r.client = ev.ClientText(a.client);
    r.inside = ctx.Inside(a.client);
    r.first = t0;
    r.last = ev.attempts[p.fresh.back()].ts;
    r.counts["failures"] = attack_failures;
    r.counts["logins_from_new_hosts"] = p.fresh.size();
    r.counts["new_hosts"] = fresh_clients.size();
    r.counts["own_device_logins_after_attack"] = p.own_after;
    r.counts["from_mismatch_messages"] = mismatch;
    if (bulk) r.counts["messages"] = bulk->counts.value("messages", int64_t{0});
    if (!r_countries.empty()) r.new_countries = r_countries;
    if (!r_nets.empty()) r.new_networks = r_nets;
    r.origins = {ev.OriginText(a.origin)};
    const std::string seen = "The account " + user + " was attacked (" + attack + ", " +
                             Count(attack_failures, "failed guess", "failed guesses") + " from " +
                             Timestamp::FromMicros(h->attack_start).ToString() + "), and then " +
                             r.client + ", a host never seen logging in as " + user +
                             " before the attack, logged in successfully at " +
                             Timestamp::FromMicros(t0).ToString() + ".";
    const std::string not_attacker =
        " It is not one of the guessing hosts (rule 'success from the guessing host' did not "
        "fire) and not one of the account's own earlier devices.";
    if (!signs.empty()) {
      r.rule = "new_client_with_signs";
      r.signs = signs;
      r.why = seen + not_attacker + " Then: " + Joined(signs) +
              " (rule: new host after an attack, with signs of abuse). The account is very "
              "probably in an attacker's hands.";
      if (bulk) r.last = std::max(r.last, bulk->last_seen.micros());
      EmitAccountCompromise(ctx, r);
      reported.insert(u);
    } else {
      r.rule = "new_client_after_attack";
      r.why = seen + not_attacker;
      r.why_not = "No sign of abuse followed (" + Joined(not_signs) +
                  "), so this is not called a compromise: a person should confirm the login "
                  "was the user (a new phone, a trip).";
      EmitLoginAfterAttack(ctx, r);
    }
  }

  // Rule 3: an account used by many hosts new to it, with mail under a foreign From — a stolen
  // password used without any guessing seen here.
  std::unordered_map<uint32_t, std::vector<std::pair<int64_t, uint32_t>>> first_use;  // per user
  {
    std::vector<uint8_t> seen(ctx.auth.pair_count, 0);  // per AuthAnalysis::pair id
    for (uint32_t i = 0; i < ev.attempts.size(); ++i) {
      const AuthAttempt& a = ev.attempts[i];
      if (a.outcome != AuthOutcome::kSuccess || a.user == kNone || a.client == kNone) continue;
      if (!seen[ctx.auth.pair[i]]) {
        seen[ctx.auth.pair[i]] = 1;
        first_use[a.user].push_back({a.ts, i});
      }
    }
  }
  std::vector<uint32_t> users;
  for (const auto& [u, v] : first_use) {
    if (!reported.count(u) && static_cast<int64_t>(v.size()) > cfg.compromise_many_clients)
      users.push_back(u);
  }
  std::sort(users.begin(), users.end());
  for (uint32_t u : users) {
    const auto& v = first_use[u];  // time order; v[0] is the account's first host
    size_t b = 1, best_b = 1, best_e = 0;
    for (size_t e = 1; e < v.size(); ++e) {
      while (v[e].first - v[b].first > lookback) ++b;
      if (e + 1 - b > best_e + 1 - best_b || best_e < best_b) {
        best_b = b;
        best_e = e;
      }
    }
    if (best_e < best_b) continue;
    const int64_t n = static_cast<int64_t>(best_e - best_b + 1);
    if (n < cfg.compromise_many_clients) continue;
    std::set<uint32_t> fresh;
    for (size_t k = best_b; k <= best_e; ++k) fresh.insert(ev.attempts[v[k].second].client);
    const int64_t t0 = v[best_b].first, t1 = v[best_e].first + lookback;
    std::set<uint32_t> mismatch_clients;
    int64_t mismatch = 0;
    for (uint32_t mi : mail_of[u]) {
      const MessageRec& m = ev.messages[mi];
      if (m.ts >= t0 && m.ts <= t1 && m.from_mismatch && fresh.count(m.client)) {
        ++mismatch;
        mismatch_clients.insert(m.client);
      }
    }
    const std::string user = ev.UserText(u);
    const Finding* bulk = bulk_after(user, t0);
    if (mismatch_clients.size() < 2 && !bulk) continue;
    CompromiseReport r;
    r.user = user;
    const AuthAttempt& a = ev.attempts[v[best_b].second];
    r.client = ev.ClientText(a.client);
    r.inside = ctx.Inside(a.client);
    r.first = t0;
    r.last = v[best_e].first;
    // The host named is the first new one that sent mail under a foreign From.
    for (uint32_t mi : mail_of[u]) {
      const MessageRec& m = ev.messages[mi];
      if (m.ts >= t0 && m.ts <= t1 && m.from_mismatch && fresh.count(m.client)) {
        r.client = ev.ClientText(m.client);
        r.inside = ctx.Inside(m.client);
        break;
      }
    }
    r.rule = "used_by_many_clients";
    r.counts["new_hosts"] = n;
    r.counts["from_mismatch_messages"] = mismatch;
    if (bulk) r.counts["messages"] = bulk->counts.value("messages", int64_t{0});
    r.origins = {ev.OriginText(a.origin)};
    r.signs.push_back(Count(n, "new host") + " logging in within " +
                      Seconds(cfg.compromise_lookback_s));
    if (mismatch) r.signs.push_back(Count(mismatch, "message") + " with a foreign From");
    if (bulk) r.signs.push_back("bulk sending");
    r.why = Count(n, "host") + " that had never logged in as " + user + " did so between " +
            Timestamp::FromMicros(t0).ToString() + " and " +
            Timestamp::FromMicros(r.last).ToString() + " (" + r.client + " among them), and " +
            Joined(std::vector<std::string>(r.signs.begin() + 1, r.signs.end())) +
            " followed. One person does not use an account from that many places at once: its "
            "password is very probably in other hands (rule: used by many hosts).";
    r.why_not =
        "No password guessing against it was seen here (the password was probably "
        "stolen elsewhere: phishing, malware or reuse), so the rules about attacks did "
        "not fire.";
    EmitAccountCompromise(ctx, r);
    reported.insert(u);
  }

  // Signs another detector judged enough on their own.
  for (const CompromiseSign& s : ctx.compromise_signs) {
    if (!s.alone) continue;
    CompromiseReport r;
    r.user = s.user;
    r.client = s.client;
    r.first = r.last = s.ts;
    if (auto ip = IpAddress::Parse(s.client)) r.inside = ctx.loc.IsInternal(*ip);
    r.rule = "sign";
    r.signs = {s.what};
    r.why = "The account " + s.user + ": " + s.what + ".";
    EmitAccountCompromise(ctx, r);
  }

  // The attack findings say, per account they name, whether it was taken.
  std::set<std::string> taken, to_confirm;
  for (const Finding& f : ctx.findings) {
    if (f.kind == "account_compromise") taken.insert(f.user);
    if (f.kind == "login_after_attack") to_confirm.insert(f.user);
  }
  for (Finding& f : ctx.findings) {
    if (f.kind != "brute_force" && f.kind != "password_spraying" && f.kind != "credential_stuffing")
      continue;
    std::vector<std::string> names = f.users;
    if (!f.user.empty()) names.insert(names.begin(), f.user);
    std::vector<std::string> t, c, n;
    for (const auto& x : names) (taken.count(x) ? t : to_confirm.count(x) ? c : n).push_back(x);
    if (!t.empty()) f.evidence["accounts_taken"] = t;
    if (!c.empty()) f.evidence["accounts_to_confirm"] = c;
    if (!n.empty()) {
      f.explanation +=
          " " + (names.size() == 1 ? std::string("The account shows") : ShortList(n) + " show") +
          " no sign of being taken: no success from the guessing hosts, and any "
          "later logins came from " +
          (names.size() == 1 ? "its" : "their") + " own earlier devices.";
    }
    if (!t.empty()) f.explanation += " Taken: " + ShortList(t) + " (see account_compromise).";
    if (!c.empty()) f.explanation += " To confirm: " + ShortList(c) + " (see login_after_attack).";
  }
}

}  // namespace mxir::detect
