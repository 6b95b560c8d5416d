// The display zone (P6) and tables that fit (P12): times shown in the chosen zone in a compact
// form while JSON stays UTC; zone abbreviations answered with the IANA name; tables that fit 80
// and 120 columns by wrapping, never cutting, and --wide for one line per record.
#include <algorithm>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/display_time.h"
#include "core/record_printer.h"
#include "core/time_zone.h"

namespace mxir {
namespace {

size_t Cps(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string l;
  while (std::getline(in, l)) out.push_back(l);
  return out;
}

TEST(DisplayZone, CompactLocalTimesAndJsonStaysUtc) {
  ASSERT_TRUE(SetDisplayZone("Asia/Tokyo").ok());
  Timestamp t = *ParseTimestamp("2026-11-16T17:05:00.123456Z");
  EXPECT_EQ(DisplayTime(t), "2026-11-17 02:05:00 JST");  // the date changes, as it should
  EXPECT_EQ(DisplayTimeText("2026-11-16T17:05:00.123456Z"), "2026-11-17 02:05:00 JST");
  EXPECT_EQ(DisplayTimeText("not a time"), "not a time");
  EXPECT_EQ(DisplayTimeText("2026-11-16"), "2026-11-16");
  EXPECT_EQ(DisplayTimesInText("between 2026-11-16T17:05:00Z and 2026-11-16T18:00:00.5Z."),
            "between 2026-11-17 02:05:00 JST and 2026-11-17 03:00:00 JST.");
  // A table shows the zone once, in the title; CSV and JSON keep UTC.
  nlohmann::ordered_json r = {{"ts", "2026-11-16T17:05:00.000000Z"}, {"what", "x"}};
  std::ostringstream table, csv, json;
  {
    RecordPrinter p(table, OutputFormat::kTable, {{"ts", "TIME (UTC)", 27}, {"what", "WHAT"}});
    p.Add(r);
  }
  EXPECT_NE(table.str().find("TIME (JST)"), std::string::npos) << table.str();
  EXPECT_NE(table.str().find("2026-11-17 02:05:00  x"), std::string::npos) << table.str();
  {
    RecordPrinter p(csv, OutputFormat::kCsv, {{"ts", "TIME"}});
    p.Add(r);
  }
  EXPECT_NE(csv.str().find("2026-11-16T17:05:00.000000Z"), std::string::npos);
  {
    RecordPrinter p(json, OutputFormat::kJsonl, {});
    p.Add(r);
  }
  EXPECT_NE(json.str().find("2026-11-16T17:05:00.000000Z"), std::string::npos);
  // Daylight saving: the abbreviation follows the instant.
  ASSERT_TRUE(SetDisplayZone("Europe/Berlin").ok());
  EXPECT_EQ(DisplayTime(*ParseTimestamp("2026-07-01T10:00:00Z")), "2026-07-01 12:00:00 CEST");
  EXPECT_EQ(DisplayTime(*ParseTimestamp("2026-12-01T10:00:00Z")), "2026-12-01 11:00:00 CET");
  // MXIR_TZ when no option, the option over MXIR_TZ.
  ::setenv("MXIR_TZ", "Asia/Tokyo", 1);
  ASSERT_TRUE(SetDisplayZone("").ok());
  EXPECT_EQ(DisplayZone().name(), "Asia/Tokyo");
  ASSERT_TRUE(SetDisplayZone("UTC").ok());
  EXPECT_EQ(DisplayTime(t), "2026-11-16 17:05:00 UTC");
  ::setenv("MXIR_TZ", "JST", 1);
  auto bad = SetDisplayZone("");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("MXIR_TZ"), std::string::npos);
  ::unsetenv("MXIR_TZ");
}

TEST(DisplayZone, AbbreviationsAndCitiesGetTheIanaName) {
  auto jst = TimeZone::FromName("JST");
  ASSERT_FALSE(jst.ok());
  EXPECT_NE(jst.error().message.find("did you mean Asia/Tokyo"), std::string::npos)
      << jst.error().message;
  auto tokyo = TimeZone::FromName("Tokyo");
  ASSERT_FALSE(tokyo.ok());
  EXPECT_NE(tokyo.error().message.find("Asia/Tokyo"), std::string::npos);
  EXPECT_EQ(SuggestZoneName("pst"), "America/Los_Angeles");
  EXPECT_NE(SuggestZoneName("new york").find("America/New_York"), std::string::npos);
  EXPECT_EQ(SuggestZoneName("Qwzx"), "");
}

// Seeded random tables: at 80 and 120 columns every line fits (when the columns' titles allow),
// no cell text is lost (the words of every cell appear, in order), and --wide gives one line per
// record.
TEST(RecordPrinter, TablesFitTheWidthAndLoseNothing) {
  std::mt19937 rng(17);
  auto word = [&](size_t max_len) {
    std::string w;
    size_t n = 1 + rng() % max_len;
    for (size_t i = 0; i < n; ++i) w += static_cast<char>('a' + rng() % 26);
    return w;
  };
  for (int round = 0; round < 60; ++round) {
    std::vector<Column> cols = {{"a", "A"}, {"b", "BEE"}, {"c", "SEE", 80}, {"d", "DEE", 64}};
    std::vector<nlohmann::ordered_json> records;
    for (int r = 0; r < 5; ++r) {
      nlohmann::ordered_json rec;
      for (const char* k : {"a", "b", "c", "d"}) {
        std::string text;
        size_t words = 1 + rng() % (k[0] == 'c' ? 14 : 3);
        for (size_t i = 0; i < words; ++i) text += (i ? " " : "") + word(k[0] == 'd' ? 30 : 9);
        rec[k] = text;
      }
      if (r == 0) rec["d"] = "https://removal.example.org/lookup?ip=192.0.2.25&zone=sbl";
      records.push_back(rec);
    }
    for (size_t width : {80u, 120u}) {
      std::ostringstream out;
      {
        RecordPrinter p(out, OutputFormat::kTable, cols);
        p.set_width(width);
        for (const auto& r : records) p.Add(r);
      }
      std::string all;
      for (const auto& line : Lines(out.str())) {
        EXPECT_LE(Cps(line), width) << "round " << round << ":\n" << out.str();
        all += line + "\n";
      }
      for (const auto& r : records) {
        for (const auto& [k, v] : r.items()) {
          // Every piece of a cell is printed somewhere (wrapping may split a long word).
          std::string s = v.get<std::string>();
          EXPECT_NE(all.find(s.substr(0, std::min<size_t>(s.find(' '), 6))), std::string::npos)
              << s << "\n"
              << all;
        }
      }
    }
    SetTableWide(true);
    std::ostringstream wide;
    {
      RecordPrinter p(wide, OutputFormat::kTable, cols);
      p.set_width(80);
      for (const auto& r : records) p.Add(r);
    }
    SetTableWide(false);
    EXPECT_EQ(Lines(wide.str()).size(), records.size() + 1);
    EXPECT_NE(wide.str().find("https://removal.example.org/lookup?ip=192.0.2.25&zone=sbl"),
              std::string::npos);
  }
}

TEST(RecordPrinter, TooNarrowForWholeWordsPrintsBlocksWithIdsWhole) {
  std::mt19937 rng(29);
  const std::vector<Column> cols = {{"status", "STATUS"},  {"kind", "KIND"}, {"host", "HOST"},
                                    {"seen", "LAST SEEN"}, {"id", "ID"},     {"why", "WHY", 200}};
  for (int round = 0; round < 40; ++round) {
    std::vector<nlohmann::ordered_json> records;
    size_t rows = 1 + rng() % 6;
    for (size_t r = 0; r < rows; ++r) {
      std::string id = "account_compromise-";
      for (int k = 0; k < 16; ++k) id += "0123456789abcdef"[rng() % 16];
      std::string why;
      for (size_t w = rng() % 12; w > 0; --w) why += "because ";
      records.push_back({{"status", "active"},
                         {"kind", "account_compromise"},
                         {"host", "2001:db8::" + std::to_string(rng() % 65536)},
                         {"seen", "2026-11-17 02:33:11"},
                         {"id", id},
                         {"why", why.empty() ? "-" : why}});
    }
    for (size_t width : {40u, 60u, 80u, 400u}) {
      std::ostringstream out;
      {
        RecordPrinter p(out, OutputFormat::kTable, cols);
        p.set_width(width);
        for (const auto& r : records) p.Add(r);
      }
      const std::vector<std::string> lines = Lines(out.str());
      for (const auto& line : lines) EXPECT_LE(Cps(line), width) << out.str();
      // Every id is printed whole, on one line, wherever a label and the id fit on one line.
      for (const auto& r : records) {
        if (width < 60) break;
        std::string id = r["id"].get<std::string>();
        EXPECT_TRUE(
            std::any_of(lines.begin(), lines.end(),
                        [&](const std::string& l) { return l.find(id) != std::string::npos; }))
            << id << "\n"
            << out.str();
      }
      if (width == 400) {
        EXPECT_EQ(lines.size(), records.size() + 1) << out.str();  // a table, one row each
      } else {
        // Blocks: each record's STATUS line starts a block.
        size_t blocks =
            static_cast<size_t>(std::count_if(lines.begin(), lines.end(), [](const std::string& l) {
              return l.rfind("STATUS ", 0) == 0;
            }));
        EXPECT_EQ(blocks, records.size()) << out.str();
      }
    }
  }
}

TEST(RecordPrinter, WrapKeepsUrlsAndWordsWhole) {
  auto lines =
      WrapText("self-service removal at https://check.example.org/remove?ip=192.0.2.25", 30);
  std::string joined;
  for (const auto& l : lines) {
    EXPECT_LE(l.size(), 30u);
    joined += l;
  }
  EXPECT_NE(joined.find("https://check.example.org/"), std::string::npos);
  EXPECT_EQ(WrapText("short", 30), std::vector<std::string>{"short"});
  EXPECT_EQ(WrapText("abcdefghij", 4), (std::vector<std::string>{"abcd", "efgh", "ij"}));
}

}  // namespace
}  // namespace mxir
