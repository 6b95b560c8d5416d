// M8: a zone without a never-listed probe cannot tell "listed" from "lists everything".
#include <chrono>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include "../common/temp_dir.h"
#include "dnsbl/catalog.h"
#include "dnsbl/target.h"
#include "on_change.h"

namespace mxir::dnsbl {
namespace {

TEST(HardeningDnsbl, EveryActiveZoneHasANeverListedProbe) {
  auto cat = DnsblCatalog::LoadFile(std::string(MXIR_SOURCE_DIR) + "/data/dnsbl/catalog.json");
  ASSERT_TRUE(cat.ok()) << cat.error().message;
  int checked = 0;
  for (const auto& z : cat->zones()) {
    if (z.state != ZoneState::kActive) continue;
    for (auto kind :
         {DnsblTarget::Kind::kIp4, DnsblTarget::Kind::kIp6, DnsblTarget::Kind::kDomain}) {
      bool covers = kind == DnsblTarget::Kind::kIp4   ? z.ip4
                    : kind == DnsblTarget::Kind::kIp6 ? z.ip6
                                                      : z.domain;
      if (!covers) continue;
      EXPECT_TRUE(TestPointsFor(z, kind).unlisted.has_value()) << z.id;
      ++checked;
    }
  }
  EXPECT_GT(checked, 20);
  const DnsblZone* zero = cat->Find("bl.0spam.org");
  ASSERT_NE(zero, nullptr);
  auto tp = TestPointsFor(*zero, DnsblTarget::Kind::kIp4);
  ASSERT_TRUE(tp.unlisted.has_value());
  EXPECT_EQ(tp.unlisted->text, "255.255.255.255");
}

// M11: the --on-change timeout holds while mxir writes the changes to a command that does not
// read them, and it ends the command's children too.
TEST(HardeningDnsbl, OnChangeTimeoutCoversStdinAndChildren) {
  std::string dir = mxir::testing::MakeTempDir("mxir-hard");
  std::string pidfile = dir + "/child.pid";
  std::string big(1 << 20, 'x');  // far more than a pipe holds
  auto start = std::chrono::steady_clock::now();
  auto r = tools::RunChangeCommand("sleep 30 & echo $! > " + pidfile + "; wait", big, 2);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(r.ok());
  EXPECT_LT(took, std::chrono::seconds(6));
  int pid = 0;
  std::ifstream(pidfile) >> pid;
  ASSERT_GT(pid, 0);
  bool gone = false;
  for (int i = 0; i < 50 && !gone; ++i) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string a, b, state;
    gone = !(stat >> a >> b >> state) || state == "Z";
    if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_TRUE(gone) << "the command's child outlived the timeout";
  if (!gone) ::kill(pid, SIGKILL);
  // A command that reads its input and exits is unaffected.
  auto ok = tools::RunChangeCommand("cat >/dev/null; exit 3", big, 10);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 3);
}

}  // namespace
}  // namespace mxir::dnsbl
