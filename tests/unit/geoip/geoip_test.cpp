// GeoIpDatabase and GeoEnricher on small databases written at test time (make_test_mmdb.pl).
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "../common/temp_dir.h"
#include "geoip/geo_enricher.h"
#include "geoip/geoip_database.h"
#include "test_mmdb.h"

namespace mxir::geoip {
namespace {

IpAddress Ip(const char* s) { return *IpAddress::Parse(s); }

class GeoIpTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(testing::MakeTempDir("mxir-geoip"));
    ASSERT_TRUE(testing::MakeTestMmdb(
        *dir_ + "/country.mmdb", "Test-Country",
        {"203.0.113.0/24=DE", "198.51.100.0/25=US", "2001:db8:1::/48=FR", "192.0.2.0/24=JP"}))
        << "install libmaxmind-db-writer-perl (./run deps build)";
    ASSERT_TRUE(testing::MakeTestMmdb(
        *dir_ + "/asn.mmdb", "Test-ASN",
        {"203.0.113.0/24=64500", "198.51.100.0/24=64501", "2001:db8::/32=64502"}));
  }
  static std::string Path(const char* name) { return *dir_ + "/" + name; }
  static std::string* dir_;
};
std::string* GeoIpTest::dir_ = nullptr;

TEST_F(GeoIpTest, LooksUpCountryAndAsnForIpv4AndIpv6) {
  auto c = GeoIpDatabase::Open(Path("country.mmdb"));
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->type(), "Test-Country");
  EXPECT_EQ(c->Lookup(Ip("203.0.113.77")).country, "DE");
  EXPECT_EQ(c->Lookup(Ip("198.51.100.1")).country, "US");
  EXPECT_EQ(c->Lookup(Ip("198.51.100.200")).country, "");  // outside the /25
  EXPECT_EQ(c->Lookup(Ip("2001:db8:1::5")).country, "FR");
  EXPECT_EQ(c->Lookup(Ip("2001:db8:2::5")).country, "");
  EXPECT_EQ(c->Lookup(Ip("10.1.2.3")).country, "");
  EXPECT_FALSE(c->Lookup(Ip("203.0.113.77")).asn);
  auto a = GeoIpDatabase::Open(Path("asn.mmdb"));
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_EQ(a->Lookup(Ip("198.51.100.200")).asn.value_or(0), 64501);
  EXPECT_EQ(a->Lookup(Ip("2001:db8:77::1")).asn.value_or(0), 64502);
  EXPECT_FALSE(a->Lookup(Ip("8.8.8.8")).asn);
}

TEST_F(GeoIpTest, MissingDirectoryAndDamagedFilesAreClearErrors) {
  auto missing = GeoIpDatabase::Open(Path("nope.mmdb"));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().ExitStatus(), 2);
  EXPECT_NE(missing.error().message.find("nope.mmdb"), std::string::npos);
  auto dir = GeoIpDatabase::Open(*dir_);
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.error().ExitStatus(), 2);
  EXPECT_NE(dir.error().message.find("directory"), std::string::npos);

  std::ifstream in(Path("country.mmdb"), std::ios::binary);
  std::string good((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(good.size(), 200u);
  auto write = [&](const char* name, const std::string& bytes) {
    std::ofstream(Path(name), std::ios::binary) << bytes;
    return Path(name);
  };
  // Not a database at all; a text file; empty; cut in the middle; the search tree overwritten.
  std::string tree_damaged = good;
  for (size_t i = 0; i < 64; ++i) tree_damaged[i] = static_cast<char>(0xff);
  std::mt19937 rng(7);
  std::string noise(4096, '\0');
  for (char& c : noise) c = static_cast<char>(rng());
  for (const auto& [name, bytes] : std::vector<std::pair<const char*, std::string>>{
           {"noise.mmdb", noise},
           {"text.mmdb", "network,country\n1.2.3.0/24,DE\n"},
           {"empty.mmdb", ""},
           {"cut.mmdb", good.substr(0, good.size() / 2)},
           {"tree.mmdb", tree_damaged}}) {
    auto r = GeoIpDatabase::Open(write(name, bytes));
    ASSERT_FALSE(r.ok()) << name;
    EXPECT_EQ(r.error().ExitStatus(), 2) << name << ": " << r.error().message;
    EXPECT_NE(r.error().message.find(name), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find(".mmdb"), std::string::npos) << r.error().message;
  }
}

TEST_F(GeoIpTest, EnricherFillsOnlyWhatTheSourceLeftOut) {
  auto c = GeoIpDatabase::Open(Path("country.mmdb"));
  auto a = GeoIpDatabase::Open(Path("asn.mmdb"));
  ASSERT_TRUE(c.ok() && a.ok());
  GeoEnricher both(&*c, &*a);
  Event e;
  e.client_ip = Ip("203.0.113.9");
  both.Enrich(e);
  EXPECT_EQ(e.country, "DE");
  EXPECT_EQ(e.asn.value_or(0), 64500);
  // The source's own values stay.
  Event from_source;
  from_source.client_ip = Ip("203.0.113.9");
  from_source.country = "AT";
  from_source.asn = 8447;
  both.Enrich(from_source);
  EXPECT_EQ(from_source.country, "AT");
  EXPECT_EQ(from_source.asn.value_or(0), 8447);
  // IPv4-mapped IPv6 is the IPv4 address; no client address, nothing added.
  Event mapped;
  mapped.client_ip = Ip("::ffff:198.51.100.3");
  both.Enrich(mapped);
  EXPECT_EQ(mapped.country, "US");
  EXPECT_EQ(mapped.asn.value_or(0), 64501);
  Event none;
  both.Enrich(none);
  EXPECT_TRUE(none.country.empty());
  EXPECT_FALSE(none.asn);
  EXPECT_EQ(both.countries_added(), 2);
  EXPECT_EQ(both.asns_added(), 2);
  // Only an ASN file: no country is invented.
  GeoEnricher asn_only(nullptr, &*a);
  Event x;
  x.client_ip = Ip("2001:db8:1::1");
  asn_only.Enrich(x);
  EXPECT_TRUE(x.country.empty());
  EXPECT_EQ(x.asn.value_or(0), 64502);
}

TEST_F(GeoIpTest, RandomAddressesAgreeWithTheNetworksWritten) {
  // Property: every address inside a written network gets its value, every other one none.
  auto c = GeoIpDatabase::Open(Path("country.mmdb"));
  ASSERT_TRUE(c.ok());
  std::mt19937 rng(11);
  for (int i = 0; i < 2000; ++i) {
    uint32_t v = rng();
    IpAddress ip = IpAddress::V4(v);
    std::string want;
    if ((v >> 8) == ((203u << 16) | (0u << 8) | 113u)) want = "DE";
    if ((v >> 7) == (((198u << 24) | (51u << 16) | (100u << 8)) >> 7)) want = "US";
    if ((v >> 8) == ((192u << 16) | (0u << 8) | 2u)) want = "JP";
    EXPECT_EQ(c->Lookup(ip).country, want) << ip.ToString();
  }
  for (int i = 0; i < 256; ++i) {  // inside the wanted networks too
    EXPECT_EQ(c->Lookup(IpAddress::V4((203u << 24) | (113u << 8) | i)).country, "DE");
  }
}

}  // namespace
}  // namespace mxir::geoip
