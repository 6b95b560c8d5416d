// "A login from a country or network new for the account" as a sign of compromise: Entra ID
// sign-ins without location (as Graph gives them without the beta fields), their country and
// ASN added from small .mmdb files written at test time (GeoEnricher), then judged. The sign
// raises a login after an attack to account_compromise; it never makes a finding on its own.
#include <random>

#include <gtest/gtest.h>

#include "../common/temp_dir.h"
#include "../geoip/test_mmdb.h"
#include "core/clock.h"
#include "geoip/geo_enricher.h"
#include "logs/ingester.h"
#include "test_events.h"

namespace mxir::detect {
namespace {

using test::OfKind;

constexpr int64_t kStart = 1795132800;  // 2026-11-20T00:00:00Z

struct SignIn {
  int64_t t;
  std::string user, ip;
  int code;
};

std::string Render(const std::vector<SignIn>& v) {
  std::string out;
  int n = 0;
  for (const auto& s : v) {
    out += R"({"id":"g-)" + std::to_string(++n) + R"(","createdDateTime":")" +
           Timestamp::FromSeconds(kStart + s.t).ToString().substr(0, 19) +
           R"(Z","userPrincipalName":")" + s.user + R"(","ipAddress":")" + s.ip +
           R"(","clientAppUsed":"Browser","userAgent":"Mozilla/5.0","status":{"errorCode":)" +
           std::to_string(s.code) + "}}\n";
  }
  return out;
}

class Collect final : public logs::EventSink {
 public:
  explicit Collect(geoip::GeoEnricher* g) : geo(g) {}
  void Emit(Event&& e) override {
    if (geo) geo->Enrich(e);
    events.push_back(std::move(e));
  }
  geoip::GeoEnricher* geo;
  std::vector<Event> events;
};

class GeoSigns : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::string dir = testing::MakeTempDir("mxir-geo-signs");
    // The office and the user's home in DE (two networks), the attacker's hosts in one foreign
    // network, the stranger's host in another country.
    ASSERT_TRUE(testing::MakeTestMmdb(
        dir + "/c.mmdb", "Test-Country",
        {"203.0.113.0/24=DE", "100.64.0.0/16=DE", "198.51.100.0/24=VN", "192.0.2.0/24=BR"}))
        << "install libmaxmind-db-writer-perl (./run deps build)";
    ASSERT_TRUE(testing::MakeTestMmdb(dir + "/a.mmdb", "Test-ASN",
                                      {"203.0.113.0/24=3320", "100.64.0.0/16=3320",
                                       "198.51.100.0/24=64999", "192.0.2.0/24=64777"}));
    auto c = geoip::GeoIpDatabase::Open(dir + "/c.mmdb");
    auto a = geoip::GeoIpDatabase::Open(dir + "/a.mmdb");
    ASSERT_TRUE(c.ok() && a.ok());
    country_ = new geoip::GeoIpDatabase(std::move(*c));
    asn_ = new geoip::GeoIpDatabase(std::move(*a));
  }

  // alice's own devices for two days, a brute force on her from 198.51.100.0/24, then one
  // success from `after_ip`; other staff log in normally from the office.
  static std::vector<SignIn> Scenario(unsigned seed, const std::string& after_ip) {
    std::mt19937 rng(seed);
    std::vector<SignIn> v;
    for (int day = 0; day < 2; ++day) {
      for (int k = 0; k < 4; ++k) {
        v.push_back({day * 86400 + 8 * 3600 + k * 7200 + static_cast<int64_t>(rng() % 600),
                     "alice@acme.example", k % 2 ? "203.0.113.20" : "100.64.7.9", 0});
        v.push_back({day * 86400 + 9 * 3600 + k * 5400 + static_cast<int64_t>(rng() % 600),
                     "bob@acme.example", "203.0.113.20", 0});
      }
    }
    int64_t t = 2 * 86400 + 3 * 3600;
    const int guesses = 30 + static_cast<int>(rng() % 20);
    for (int i = 0; i < guesses; ++i) {
      t += 3 + rng() % 40;
      v.push_back({t, "alice@acme.example", "198.51.100." + std::to_string(60 + rng() % 3), 50126});
    }
    v.push_back({t + 600 + static_cast<int64_t>(rng() % 1200), "alice@acme.example", after_ip, 0});
    std::sort(v.begin(), v.end(), [](const SignIn& a, const SignIn& b) { return a.t < b.t; });
    return v;
  }

  static DetectResult Run(const std::vector<SignIn>& v, bool with_geo) {
    static ManualClock clock(Timestamp::FromSeconds(kStart + 40 * 86400));
    geoip::GeoEnricher enricher(country_, asn_);
    Collect sink(with_geo ? &enricher : nullptr);
    logs::IngestOptions o;
    o.tz = "UTC";
    auto ing = logs::Ingester::Create(o, clock, &sink).value();
    std::string text = Render(v);
    EXPECT_TRUE(
        ing->IngestDocument(std::string_view(text), "signins.json", "h", "entra-signin").ok());
    return test::Detect(sink.events);
  }

  static geoip::GeoIpDatabase* country_;
  static geoip::GeoIpDatabase* asn_;
};
geoip::GeoIpDatabase* GeoSigns::country_ = nullptr;
geoip::GeoIpDatabase* GeoSigns::asn_ = nullptr;

TEST_F(GeoSigns, NewCountryAfterAnAttackRaisesTheLoginToCompromise) {
  for (unsigned seed = 1; seed <= 4; ++seed) {
    auto v = Scenario(seed, "192.0.2.77");
    // Without location the same login is only to be confirmed.
    auto plain = Run(v, false);
    EXPECT_TRUE(OfKind(plain, "account_compromise").empty()) << seed;
    ASSERT_EQ(OfKind(plain, "login_after_attack").size(), 1u) << seed;
    // With the GeoIP files: a country and a network none of alice's devices used.
    auto geo = Run(v, true);
    auto comp = OfKind(geo, "account_compromise");
    ASSERT_EQ(comp.size(), 1u) << seed;
    EXPECT_EQ(comp[0]->user, "alice@acme.example");
    EXPECT_EQ(comp[0]->client_ip, "192.0.2.77");
    EXPECT_EQ(comp[0]->evidence.value("rule", ""), "new_client_with_signs");
    EXPECT_EQ(comp[0]->evidence["new_countries"], nlohmann::ordered_json::array({"BR"}));
    EXPECT_EQ(comp[0]->evidence["new_networks"], nlohmann::ordered_json::array({"AS64777"}));
    EXPECT_NE(comp[0]->explanation.find("country none of its own devices used (BR; its own: DE)"),
              std::string::npos)
        << comp[0]->explanation;
    EXPECT_TRUE(OfKind(geo, "login_after_attack").empty()) << seed;
  }
}

TEST_F(GeoSigns, SameCountryAndNetworkAsItsOwnDevicesIsNoSign) {
  for (unsigned seed = 1; seed <= 4; ++seed) {
    // A new address in the network of alice's home: nothing raises it.
    auto geo = Run(Scenario(seed, "100.64.200.3"), true);
    EXPECT_TRUE(OfKind(geo, "account_compromise").empty()) << seed;
    auto confirm = OfKind(geo, "login_after_attack");
    ASSERT_EQ(confirm.size(), 1u) << seed;
    EXPECT_NE(confirm[0]->explanation.find("no country or network new to the account"),
              std::string::npos)
        << confirm[0]->explanation;
  }
}

TEST_F(GeoSigns, ANewCountryWithoutAnAttackIsNoFinding) {
  // alice travels: a login from BR with no guessing anywhere is nobody's business here.
  std::vector<SignIn> v;
  for (int k = 0; k < 6; ++k) v.push_back({k * 3600, "alice@acme.example", "203.0.113.20", 0});
  v.push_back({7 * 3600, "alice@acme.example", "192.0.2.77", 0});
  auto geo = Run(v, true);
  EXPECT_TRUE(test::KindsAtLeast(geo, Severity::kLow).empty())
      << geo.findings.front().kind << ": " << geo.findings.front().explanation;
}

}  // namespace
}  // namespace mxir::detect
