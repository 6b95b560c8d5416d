#include "dnsbl/catalog.h"

#include <gtest/gtest.h>

namespace mxir::dnsbl {
namespace {

TEST(CatalogTest, ShippedCatalogLoadsAndKeepsDefunctZonesOut) {
  auto cat = DnsblCatalog::LoadFile(std::string(MXIR_SOURCE_DIR) + "/data/dnsbl/catalog.json");
  ASSERT_TRUE(cat.ok()) << cat.error().message;
  EXPECT_GT(cat->zones().size(), 30u);
  auto defaults = cat->DefaultZones();
  EXPECT_GT(defaults.size(), 20u);
  for (const auto& z : defaults) {
    EXPECT_EQ(z.state, ZoneState::kActive) << z.id;
    EXPECT_FALSE(z.next_action.empty()) << z.id;
    EXPECT_FALSE(z.codes.empty() && z.bits.empty()) << z.id;
  }
  for (const char* dead : {"relays.ordb.org", "dnsbl.sorbs.net", "dnsbl.njabl.org",
                           "bl.spamcannibal.org", "cbl.abuseat.org"}) {
    const DnsblZone* z = cat->Find(dead);
    ASSERT_NE(z, nullptr) << dead;
    EXPECT_EQ(z->state, ZoneState::kDefunct) << dead;
    auto r = cat->ResolveZoneArgument(dead);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("defunct"), std::string::npos);
  }
  auto keyed = cat->ResolveZoneArgument("abusix-combined");
  ASSERT_FALSE(keyed.ok());
  EXPECT_NE(keyed.error().message.find("key"), std::string::npos);
  EXPECT_TRUE(cat->ResolveZoneArgument("hostkarma").ok());  // uncertain: only when named
  // The public-resolver answer of Spamhaus is a refusal, never a listing.
  const DnsblZone* zen = cat->Find("spamhaus-zen");
  ASSERT_NE(zen, nullptr);
  bool found = false;
  for (const auto& r : zen->codes) {
    if (r.from <= 0x7ffffffe && r.to >= 0x7ffffffe) {
      EXPECT_EQ(r.status, CheckStatus::kRefused);
      found = true;
    }
  }
  EXPECT_TRUE(found);
}

TEST(CatalogTest, ZoneArguments) {
  auto cat = DnsblCatalog::Parse(
      R"({"zones": [{"id": "a", "zone": "a.example", "kinds": ["ip4"], "codes": []}]})", "t");
  ASSERT_TRUE(cat.ok());
  EXPECT_EQ(cat->ResolveZoneArgument("A.EXAMPLE.")->id, "a");
  auto adhoc = cat->ResolveZoneArgument("other.example=domain");
  ASSERT_TRUE(adhoc.ok());
  EXPECT_TRUE(adhoc->domain);
  EXPECT_FALSE(adhoc->ip4);
  EXPECT_TRUE(adhoc->ad_hoc);
  auto unknown = cat->ResolveZoneArgument("other.example");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("=ip"), std::string::npos);
  auto spaced = cat->ResolveZoneArgument("zen spamhaus.org=ip");
  ASSERT_FALSE(spaced.ok());
  EXPECT_NE(spaced.error().message.find("space"), std::string::npos);
  EXPECT_FALSE(cat->ResolveZoneArgument("x.example=cname").ok());
}

TEST(CatalogTest, BadCatalogsAreClearErrors) {
  EXPECT_FALSE(DnsblCatalog::Parse("", "t").ok());
  EXPECT_FALSE(DnsblCatalog::Parse("[1,2]", "t").ok());
  EXPECT_FALSE(DnsblCatalog::Parse(R"({"zones": [{"zone": "a.example"}]})", "t").ok());
  EXPECT_FALSE(
      DnsblCatalog::Parse(R"({"zones": [{"id": "a", "zone": "a example", "kinds": ["ip4"]}]})", "t")
          .ok());
  auto bad_code = DnsblCatalog::Parse(
      R"({"zones": [{"id": "a", "zone": "a.example", "kinds": ["ip4"],
          "codes": [["10.0.0.2", "listed", "x"]]}]})",
      "t");
  ASSERT_FALSE(bad_code.ok());
  EXPECT_NE(bad_code.error().message.find("127.0.0.0/8"), std::string::npos);
  EXPECT_FALSE(DnsblCatalog::Parse(R"({"zones": [{"id": "a", "zone": "a.example", "kinds":
      ["ip4"], "codes": [["127.0.0.9-127.0.0.2", "listed", "x"]]}]})",
                                   "t")
                   .ok());
}

TEST(CatalogTest, ZoneNames) {
  EXPECT_EQ(*NormaliseZoneName("Zen.Spamhaus.ORG."), "zen.spamhaus.org");
  EXPECT_FALSE(NormaliseZoneName("").ok());
  EXPECT_FALSE(NormaliseZoneName("localhost").ok());
  EXPECT_FALSE(NormaliseZoneName("a..b").ok());
  EXPECT_FALSE(NormaliseZoneName("-a.b").ok());
  EXPECT_FALSE(NormaliseZoneName(std::string(64, 'a') + ".b").ok());
  EXPECT_FALSE(NormaliseZoneName("a.b\n").ok());
}

}  // namespace
}  // namespace mxir::dnsbl
