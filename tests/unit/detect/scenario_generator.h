// A seeded, deterministic generator of login traffic for the detector property tests: a small
// company's normal use, with one or two attacks mixed in, and the truth about both.
//
// What varies with the seed (what real traffic varies, not what one sample shows):
//   * normal users: 4..30 accounts, 1..3 devices each; an office where many users share one NAT
//     address (inside or as a public address); home connections; mobile users whose address
//     changes at every login — within their carrier's network, or anywhere while the device
//     keeps its name (EHLO); typos (one wrong password, then the right one); mail with 1..3
//     recipients and sizes from 1 KB to 5 MB; logins spread over 1..4 days;
//   * stale devices: one old password retried at a steady pace or in bursts (an app opened at
//     random times);
//   * attacks: fast brute force (1..6 attempts per connection, 1..6 parallel connections, 0..5 s
//     error delay), slow brute force (one guess every 5..30 minutes for 1..3 days), distributed
//     brute force (50..300 hosts, 1..2 attempts each), password spraying (one host, 10..40
//     accounts, 1..3 passwords each), a successful guess followed by use of the account, a stolen
//     account used by many hosts with a foreign From; from outside, from a machine inside, or
//     from behind the office NAT address; during normal use;
//   * whether the sources show password fingerprints (a capture of plaintext AUTH; Dovecot with
//     auth_verbose_passwords) or not (plain logs); ports 25, 587, 465 or any other.
// Where the spec says the evidence cannot separate two behaviours, the generator does not ask
// for it: without fingerprints a guesser needs several attempts per connection or parallel
// connections (one attempt per connection at a steady pace IS a stale device's signature), and a
// stale device without fingerprints keeps a steady pace.
#pragma once

#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "test_events.h"

namespace mxir::detect::test {

struct Truth {
  std::vector<std::string> kinds;  // any of these kinds
  std::string host;                // the finding's client_ip ("" = several hosts)
  std::set<std::string> hosts;     // the attack's hosts (distributed: top clients are among them)
  std::string account;             // must be named (user or users); "" = any
  bool required = true;            // false: allowed, not required (stale devices)
  std::string what;                // for failure messages
};

struct Scenario {
  uint64_t seed = 0;
  std::string description;
  std::vector<Event> events;
  std::vector<Truth> truths;
  std::set<std::string> compromised;  // accounts that really are in an attacker's hands
  bool fingerprints = true;
};

class ScenarioGenerator {
 public:
  explicit ScenarioGenerator(uint64_t seed) : rng_(seed) { s_.seed = seed; }

  Scenario Make() {
    s_.fingerprints = Chance(0.7);
    port_ = Pick<int>({25, 587, 465, 2525, 10000 + static_cast<int>(Uniform(0, 50000))});
    days_ = Uniform(1, 4);
    nat_public_ = Chance(0.5);
    nat_ = nat_public_ ? "198.51.100." + std::to_string(Uniform(2, 250))
                       : "10.0." + std::to_string(Uniform(0, 9)) + ".1";
    MakeUsers();
    for (const User& u : users_) NormalUse(u);
    const int attacks = static_cast<int>(Uniform(1, 2));
    for (int i = 0; i < attacks; ++i) Attack();
    Describe("fp=" + std::to_string(s_.fingerprints) + " port=" + std::to_string(port_) +
             " users=" + std::to_string(users_.size()) + " days=" + std::to_string(days_));
    return std::move(s_);
  }

 private:
  struct Device {
    std::string address;  // fixed address; "" for a mobile device
    std::string carrier;  // mobile: "100.70.12." (same /24) or "" (anywhere)
    std::string helo;
    std::string password_fp;
  };
  struct User {
    std::string account;
    std::vector<Device> devices;
  };

  // --- randomness -------------------------------------------------------------------------------
  int64_t Uniform(int64_t lo, int64_t hi) {  // inclusive
    return lo + static_cast<int64_t>(rng_() % static_cast<uint64_t>(hi - lo + 1));
  }
  double Real(double lo, double hi) {
    return lo + (hi - lo) * static_cast<double>(rng_() >> 11) / static_cast<double>(1ull << 53);
  }
  bool Chance(double p) { return Real(0, 1) < p; }
  template <typename T>
  T Pick(std::initializer_list<T> v) {
    return *(v.begin() + Uniform(0, static_cast<int64_t>(v.size()) - 1));
  }
  std::string Fp() {  // a fresh secret fingerprint
    char buf[17];
    snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng_()));
    return buf;
  }
  std::string PublicAddress() {
    // Anywhere on the internet (kept out of the private, loopback and test-net-2 ranges that the
    // office and users use).
    return std::to_string(Uniform(11, 99)) + "." + std::to_string(Uniform(0, 255)) + "." +
           std::to_string(Uniform(0, 255)) + "." + std::to_string(Uniform(1, 254));
  }
  std::string Session() { return "s" + std::to_string(++session_); }
  void Describe(const std::string& d) {
    if (!s_.description.empty()) s_.description += "; ";
    s_.description += d;
  }

  // --- events -----------------------------------------------------------------------------------
  void Login(double t, const std::string& session, const std::string& client,
             const std::string& helo, const std::string& user, bool success,
             const std::string& fp) {
    Event st = Base(t, "pcap", session, client, EventKind::kSessionStart);
    st.server_port = port_;
    if (!helo.empty()) {
      Event h = Base(t + 0.05, "pcap", session, client, EventKind::kHelo);
      h.server_port = port_;
      h.helo = helo;
      s_.events.push_back(h);
    }
    s_.events.push_back(st);
    Event a = Auth(t + 0.2, "pcap", session, client, user, success ? "success" : "failure",
                   s_.fingerprints ? fp : "");
    a.server_port = port_;
    s_.events.push_back(a);
  }
  void Mail(double t, const std::string& session, const std::string& client,
            const std::string& user, const std::string& from, int rcpts) {
    std::vector<std::string> to;
    for (int i = 0; i < rcpts; ++i)
      to.push_back("p" + std::to_string(Uniform(1, 999)) + "@partner" +
                   std::to_string(Uniform(1, 30)) + ".example");
    Event m = Message(t, session, client, user, from, to, "Re: " + std::to_string(Uniform(1, 1e6)));
    m.source = "pcap";
    m.server_port = port_;
    m.size = Uniform(1000, 5000000);
    s_.events.push_back(m);
  }

  // --- normal use -------------------------------------------------------------------------------
  void MakeUsers() {
    const int n = static_cast<int>(Uniform(4, 30));
    const std::string carrier = "100.70." + std::to_string(Uniform(0, 255)) + ".";
    for (int i = 0; i < n; ++i) {
      User u;
      u.account = "user" + std::to_string(i) + "@acme.example";
      const std::string fp = Fp();
      const int devices = static_cast<int>(Uniform(1, 3));
      for (int d = 0; d < devices; ++d) {
        Device dev;
        dev.password_fp = fp;
        dev.helo = "dev-" + std::to_string(i) + "-" + std::to_string(d) + ".home.example";
        const int where = static_cast<int>(Uniform(0, 3));
        if (where == 0) {
          dev.address = nat_;  // the office: many users behind one address
        } else if (where == 1) {
          dev.address = PublicAddress();  // home
        } else {
          dev.carrier = Chance(0.5) ? carrier : "";  // mobile: the carrier's /24, or anywhere
          dev.helo = "Phone-of-user" + std::to_string(i);
        }
        u.devices.push_back(dev);
      }
      users_.push_back(u);
    }
    mobile_ = false;
    for (const User& u : users_)
      for (const Device& d : u.devices) mobile_ |= d.address.empty();
    Describe(std::string(nat_public_ ? "public" : "inside") + " NAT " + nat_ +
             (mobile_ ? ", mobile users" : ""));
  }

  std::string AddressOf(const Device& d) {
    if (!d.address.empty()) return d.address;
    if (!d.carrier.empty()) return d.carrier + std::to_string(Uniform(1, 254));
    return PublicAddress();
  }

  void NormalUse(const User& u) {
    const double span = days_ * 86400.0;
    const int logins = static_cast<int>(Uniform(3, 12)) * days_;
    for (int i = 0; i < logins; ++i) {
      const Device& d = u.devices[Uniform(0, static_cast<int64_t>(u.devices.size()) - 1)];
      // The first login of every device is early, before any attack (its own earlier device).
      double t = i < static_cast<int>(u.devices.size()) ? Real(0, 3000) : Real(0, span);
      if (i < static_cast<int>(u.devices.size())) {
        const Device& first = u.devices[i];
        Session1(t, u, first);
        continue;
      }
      Session1(t, u, d);
    }
    if (Chance(0.25)) StaleDevice(u);
  }

  void Session1(double t, const User& u, const Device& d) {
    const std::string s = Session();
    const std::string client = AddressOf(d);
    if (Chance(0.1)) Login(t - 8, Session(), client, d.helo, u.account, false, Fp());  // typo
    Login(t, s, client, d.helo, u.account, true, d.password_fp);
    const int mails = static_cast<int>(Uniform(0, 2));
    for (int m = 0; m < mails; ++m)
      Mail(t + 5 + m * 20, s, client, u.account, u.account, static_cast<int>(Uniform(1, 3)));
  }

  void StaleDevice(const User& u) {
    const std::string client = Chance(0.5) ? nat_ : PublicAddress();
    const std::string fp = Fp();
    const bool bursty = s_.fingerprints && Chance(0.5);
    const double every = Pick<double>({60, 300, 900, 1800});
    double t = Real(0, 3600);
    const int n = static_cast<int>(Uniform(8, 60));
    for (int i = 0; i < n; ++i) {
      if (bursty) {
        t += Real(60, 4 * 3600);  // the app is opened at random times
        const int tries = static_cast<int>(Uniform(1, 3));
        for (int k = 0; k < tries; ++k)
          Login(t + k * Real(2, 20), Session(), client, "old-laptop", u.account, false, fp);
      } else {
        t += every * Real(0.97, 1.03);
        Login(t, Session(), client, "old-laptop", u.account, false, fp);
      }
    }
    Truth tr;
    tr.kinds = {"stale_credentials"};
    tr.host = client;
    tr.account = u.account;
    tr.required = false;
    tr.what = "stale device " + client;
    s_.truths.push_back(tr);
  }

  // --- attacks ----------------------------------------------------------------------------------
  std::string AttackerAddress() {
    const int where = static_cast<int>(Uniform(0, 2));
    if (where == 0) return PublicAddress();
    if (where == 1)
      return "10.9." + std::to_string(Uniform(0, 255)) + "." +
             std::to_string(Uniform(2, 254));  // an infected machine inside
    return nat_;                               // behind the office NAT address, with the users
  }
  const User& Victim() { return users_[Uniform(0, static_cast<int64_t>(users_.size()) - 1)]; }

  void Attack() {
    const int kind = static_cast<int>(Uniform(0, 5));
    const double start = Real(3600, days_ * 86400.0 * 0.6);
    switch (kind) {
      case 0:
        FastBrute(start, false);
        break;
      case 1:
        SlowBrute(start);
        break;
      case 2:
        DistributedBrute(start);
        break;
      case 3:
        Spray(start, false);
        break;
      case 4:
        Chance(0.5) ? FastBrute(start, true) : Spray(start, true);
        break;
      default:
        StolenAccount(start);
        break;
    }
  }

  // Guessing one account from one host: `per_conn` attempts per connection, `parallel`
  // connections at once, `delay` seconds of server error delay after each failure.
  double Guess(double t, const std::string& host, const std::string& helo,
               const std::string& account, int n, int per_conn, int parallel, double delay,
               double conn_gap) {
    int done = 0;
    while (done < n) {
      for (int p = 0; p < parallel && done < n; ++p) {
        const std::string s = Session();
        int k = 0;
        for (; k < per_conn && done < n; ++k, ++done)
          Login(t + p * 0.3 + k * (delay + 0.3), s, host, helo, account, false, Fp());
        // The connection lasts until the server's error delay after the last attempt.
        Event end =
            Base(t + p * 0.3 + k * (delay + 0.3) + 0.2, "pcap", s, host, EventKind::kSessionEnd);
        end.server_port = port_;
        end.duration_s = k * (delay + 0.3) + 0.2;
        s_.events.push_back(end);
      }
      t += per_conn * (delay + 0.3) + conn_gap;
    }
    return t;
  }

  void FastBrute(double start, bool succeed) {
    const std::string host = AttackerAddress();
    const bool victim_exists = succeed || Chance(0.7);
    const std::string account = victim_exists ? Victim().account : "admin@acme.example";
    int per_conn = static_cast<int>(Uniform(1, 6));
    int parallel = static_cast<int>(Uniform(1, 6));
    if (!s_.fingerprints && per_conn < 3 && parallel < 3) per_conn = 3;
    const int n = static_cast<int>(Uniform(25, 300));
    const std::string helo = Pick<std::string>({"User", "ylmf-pc", "WIN-" + Fp().substr(0, 6)});
    double end = Guess(start, host, helo, account, n, per_conn, parallel, Real(0, 5), Real(0, 3));
    Truth tr;
    tr.kinds = {"brute_force"};
    tr.host = host;
    tr.hosts = {host};
    tr.account = account;
    tr.what = "fast brute force " + host + " -> " + account;
    s_.truths.push_back(tr);
    Describe(tr.what + " per_conn=" + std::to_string(per_conn) +
             " parallel=" + std::to_string(parallel) + " n=" + std::to_string(n));
    if (succeed) Takeover(end + Real(1, 60), host, helo, account);
  }

  void SlowBrute(double start) {
    const std::string host = AttackerAddress();
    const std::string account = Chance(0.7) ? Victim().account : "info@acme.example";
    const double every = Real(300, 1800);
    const double span = Real(1, 3) * 86400;
    const int n = std::max(25, static_cast<int>(span / every));
    int per_conn = s_.fingerprints ? 1 : 3;
    double t = start;
    for (int i = 0; i < n; i += per_conn) {
      const std::string s = Session();
      for (int k = 0; k < per_conn; ++k) Login(t + k * 2.5, s, host, "User", account, false, Fp());
      t += every * per_conn * Real(0.5, 1.5);
    }
    Truth tr;
    tr.kinds = {"brute_force"};
    tr.host = host;
    tr.hosts = {host};
    tr.account = account;
    tr.what = "slow brute force " + host + " -> " + account + " every " +
              std::to_string(static_cast<int>(every)) + " s, n=" + std::to_string(n);
    s_.truths.push_back(tr);
    Describe(tr.what);
  }

  void DistributedBrute(double start) {
    const std::string account = Chance(0.7) ? Victim().account : "office@acme.example";
    const int clients = static_cast<int>(Uniform(50, 300));
    const double span = Real(0.2, 3) * 86400;
    Truth tr;
    tr.kinds = {"brute_force"};
    tr.account = account;
    for (int c = 0; c < clients; ++c) {
      const std::string host = PublicAddress();
      tr.hosts.insert(host);
      const int tries = static_cast<int>(Uniform(1, 2));
      double t = start + Real(0, span);
      const std::string s = Session();
      for (int k = 0; k < tries; ++k) Login(t + k * 3, s, host, "", account, false, Fp());
    }
    tr.what =
        "distributed brute force on " + account + " from " + std::to_string(clients) + " hosts";
    s_.truths.push_back(tr);
    Describe(tr.what);
  }

  void Spray(double start, bool succeed) {
    const std::string host = Chance(0.5) ? PublicAddress()
                                         : "10.9." + std::to_string(Uniform(0, 255)) + "." +
                                               std::to_string(Uniform(2, 254));
    const int accounts = static_cast<int>(Uniform(10, 40));
    const int passwords = static_cast<int>(Uniform(1, 3));
    std::vector<std::string> list;
    for (int p = 0; p < passwords; ++p) list.push_back(Fp());
    std::vector<std::string> targets;
    for (int a = 0; a < accounts; ++a) {
      targets.push_back(a < static_cast<int>(users_.size()) && (a == 0 || Chance(0.7))
                            ? users_[a].account
                            : "guess" + std::to_string(a) + "@acme.example");
    }
    double t = start;
    for (int p = 0; p < passwords; ++p) {
      for (const auto& acct : targets) {
        Login(t, Session(), host, "User", acct, false, list[p]);
        t += Real(1, 60);
      }
    }
    Truth tr;
    tr.kinds = {"password_spraying", "credential_stuffing", "brute_force"};
    tr.host = host;
    tr.hosts = {host};
    tr.account = targets.back();  // (targets.front() may be taken over: its own finding)
    tr.what = "spray " + host + " on " + std::to_string(accounts) + " accounts";
    s_.truths.push_back(tr);
    Describe(tr.what);
    if (succeed) Takeover(t + Real(10, 600), host, "User", targets.front());
  }

  // The attacker logs in with the guessed password, then uses the account.
  void Takeover(double t, const std::string& host, const std::string& helo,
                const std::string& account) {
    const std::string s = Session();
    Login(t, s, host, helo, account, true, Fp());
    for (int m = 0; m < 3; ++m) Mail(t + 5 + m, s, host, account, "billing@bank-secure.example", 5);
    Truth tr;
    tr.kinds = {"account_compromise"};
    tr.host = host;
    tr.hosts = {host};
    tr.account = account;
    tr.what = "takeover of " + account + " from " + host;
    s_.truths.push_back(tr);
    s_.compromised.insert(account);
    Describe(tr.what);
  }

  // A password stolen elsewhere: no guessing here; many hosts use the account and send mail
  // under a foreign From.
  void StolenAccount(double start) {
    std::string account = Victim().account;
    if (s_.compromised.count(account)) return FastBrute(start, false);  // one story per account
    const int clients = static_cast<int>(Uniform(10, 40));
    Truth tr;
    tr.kinds = {"account_compromise"};
    tr.account = account;
    for (int c = 0; c < clients; ++c) {
      const std::string host = PublicAddress();
      tr.hosts.insert(host);
      const std::string s = Session();
      double t = start + Real(0, 6 * 3600);
      Login(t, s, host, "[" + host + "]", account, true, "stolen");
      Mail(t + 3, s, host, account, "promo" + std::to_string(c) + "@deals.example", 20);
    }
    tr.what = "stolen " + account + " used by " + std::to_string(clients) + " hosts";
    s_.truths.push_back(tr);
    s_.compromised.insert(account);
    Describe(tr.what);
  }

  std::mt19937_64 rng_;
  Scenario s_;
  std::vector<User> users_;
  std::string nat_;
  bool nat_public_ = false, mobile_ = false;
  int port_ = 25;
  int days_ = 1;
  uint64_t session_ = 0;
};

}  // namespace mxir::detect::test
