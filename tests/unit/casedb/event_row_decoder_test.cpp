// The case's read path (event_row_decoder.h): seeded random events with every Event field and
// odd strings go in through EventWriter and come back equal; each stored row decodes member by
// member to exactly the event the JSON path (DecodeRest + EventReader) gives, and damaged rests
// fail or succeed on both paths alike (never a crash).
#include "casedb/event_row_decoder.h"

#include <map>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "../common/temp_dir.h"
#include "casedb/background_writer.h"
#include "casedb/case_db.h"
#include "casedb/event_codec.h"
#include "casedb/event_reader.h"
#include "casedb/event_store.h"
#include "casedb/sqlite.h"
#include "casedb/string_table.h"
#include "core/event_json.h"

namespace mxir::casedb {
namespace {

std::string NewCasePath(const char* name) {
  std::string path = testing::MakeTempDir(name) + "/e.case";
  NewCase n;
  n.title = "decoder";
  EXPECT_TRUE(CaseDb::Create(path, n).ok());
  return path;
}

// Values that are hard for a JSON-based store: quotes, backslashes, control characters,
// separators, non-ASCII, long text, text that looks like JSON, and the empty string.
class Gen {
 public:
  explicit Gen(uint32_t seed) : rng_(seed) {}

  int64_t Int(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng_);
  }
  bool Coin(int percent = 50) { return Int(0, 99) < percent; }

  std::string Str() {
    static const char* const kPieces[] = {"a",
                                          "bob",
                                          "x@example.org",
                                          " ",
                                          ",",
                                          ":",
                                          "\"",
                                          "\\",
                                          "\\\\",
                                          "\\\"",
                                          "{",
                                          "}",
                                          "[",
                                          "]",
                                          "\n",
                                          "\t",
                                          "\r",
                                          "\x01",
                                          "\x1f",
                                          "\x7f",
                                          "é",
                                          "€",
                                          "😀",
                                          "\u2028",
                                          "null",
                                          "true",
                                          "0",
                                          "-1",
                                          "{\"k\":[1,2]}",
                                          "\\u0041",
                                          "535 5.7.8 Error",
                                          "<id@host>"};
    if (Coin(10)) return "";
    if (Coin(40)) return Pool();  // repeats: interned
    std::string s;
    int n = static_cast<int>(Int(1, Coin(5) ? 400 : 8));
    for (int i = 0; i < n; ++i) s += kPieces[Int(0, std::size(kPieces) - 1)];
    return s;
  }
  std::string Pool() {
    static const char* const kPool[] = {"success",  "failure",     "PLAIN",     "LOGIN", "mx1",
                                        "quote\"d", "back\\slash", "tab\there", "ünï",   ""};
    return kPool[Int(0, std::size(kPool) - 1)];
  }
  std::vector<std::string> List() {
    std::vector<std::string> v;
    int n = static_cast<int>(Int(0, 3));
    for (int i = 0; i < n; ++i) v.push_back(Coin(20) ? std::string() : Str());
    return v;
  }
  std::optional<IpAddress> Ip() {
    if (Coin(20)) return std::nullopt;
    if (Coin(70)) return IpAddress::V4(static_cast<uint32_t>(Int(0, 0xffffffffLL)));
    uint8_t b[16];
    for (auto& x : b) x = static_cast<uint8_t>(Int(0, 255));
    return IpAddress::FromBytes(b, true);
  }
  template <typename T>
  std::optional<T> Opt(int64_t lo, int64_t hi) {
    if (Coin(40)) return std::nullopt;
    return static_cast<T>(Int(lo, hi));
  }

  Event Make(int64_t i) {
    Event e;
    e.ts = Timestamp::FromMicros(1600000000000000 + i * 1000 + Int(0, 999));
    e.kind = static_cast<EventKind>(Int(0, EventKindCount() - 1));
    e.source = Coin(80) ? Pool() : Str();
    if (Coin(80)) e.origin.file = SharedString(Str());
    e.origin.line = Coin(70) ? Int(1, 1LL << 40) : -1;
    e.origin.packet = Coin(20) ? Int(1, 1000000) : -1;
    e.origin.index = static_cast<int>(Int(0, 5));
    e.origin.record = static_cast<uint64_t>(i) * 0x9e3779b97f4a7c15ull + 1;
    e.protocol = Str();
    if (Coin(70)) e.session = SharedString(Str());
    e.client_ip = Ip();
    e.client_port = static_cast<int>(Int(-1, 65535));
    e.server_ip = Ip();
    e.server_port = static_cast<int>(Int(-1, 65535));
    if (Coin(40)) e.duration_s = static_cast<double>(Int(0, 1000000)) / 7.0;
    e.bytes_c2s = Opt<int64_t>(INT64_MIN, INT64_MAX);
    e.bytes_s2c = Opt<int64_t>(0, 1LL << 40);
    e.gaps = Opt<int64_t>(-5, 5);
    e.state = Str();
    e.direction = Str();
    e.bytes = Opt<int64_t>(0, 100);
    e.helo = Str();
    if (Coin(50)) e.esmtp = Coin();
    e.how = Str();
    e.sni = Str();
    e.mechanism = Str();
    e.user = Str();
    e.outcome = Str();
    e.secret_fp = Str();
    e.code = Opt<int>(INT32_MIN, INT32_MAX);
    e.mail_from = Str();
    e.rcpt_to = Str();
    if (Coin(50)) e.accepted = Coin();
    e.recipients = List();
    e.size = Opt<int64_t>(0, INT64_MAX);
    e.header_from = Str();
    e.to = List();
    e.cc = List();
    e.subject = Str();
    e.msg_id = Str();
    e.user_agent = Str();
    e.date = Str();
    e.received = List();
    if (Coin(30)) e.truncated = Coin();
    e.enhanced = Str();
    e.text = Str();
    e.command = Str();
    e.relay = Str();
    e.status = Str();
    e.actor = Str();
    e.operation = Str();
    int np = static_cast<int>(Int(0, 2));
    for (int k = 0; k < np; ++k) e.parameters.emplace_back(Str(), Str());
    e.client_app = Str();
    e.error_code = Str();
    e.country = Str();
    e.asn = Opt<int64_t>(0, 4294967295LL);
    e.reason = Str();
    e.queue_id = Str();
    e.reply_to = Str();
    e.in_reply_to = Str();
    e.x_originating_ip = Str();
    e.server_name = Str();
    return e;
  }

 private:
  std::mt19937 rng_;
};

// The fields the JSON leaves out when origin has no file: compared on their own.
void ExpectSameColumns(const Event& a, const Event& b) {
  EXPECT_EQ(a.origin.file, b.origin.file);
  EXPECT_EQ(a.origin.line, b.origin.line);
  EXPECT_EQ(a.origin.packet, b.origin.packet);
  EXPECT_EQ(a.origin.index, b.origin.index);
  EXPECT_EQ(a.ts, b.ts);
  EXPECT_EQ(a.kind, b.kind);
}

TEST(RowDecoder, RandomEventsComeBackEqualInEveryField) {
  for (uint32_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::string path = NewCasePath("mxir-decoder-prop");
    auto c = CaseDb::Open(path);
    ASSERT_TRUE(c.ok());
    Gen gen(seed);
    std::vector<Event> in;
    for (int64_t i = 0; i < 1500; ++i) in.push_back(gen.Make(i));
    {
      EventWriter w(*c, 500);
      for (const Event& e : in) ASSERT_TRUE(w.Add(e).ok());
      ASSERT_TRUE(w.Finish().ok());
      ASSERT_EQ(w.inserted(), static_cast<int64_t>(in.size()));
    }
    // Whole read (strings loaded at once) and a ranged read (strings looked up one by one).
    for (bool ranged : {false, true}) {
      EventFilter f;
      if (ranged) f.since = Timestamp::FromMicros(0);
      std::vector<Event> out;
      int64_t skipped = 0;
      ASSERT_TRUE(ForEachEvent(
                      *c, f,
                      [&](const Event& e) {
                        out.push_back(e);
                        return true;
                      },
                      &skipped)
                      .ok());
      EXPECT_EQ(skipped, 0);
      ASSERT_EQ(out.size(), in.size());
      for (size_t i = 0; i < in.size(); ++i) {
        ASSERT_EQ(EventToJson(out[i]), EventToJson(in[i])) << "event " << i;
        ExpectSameColumns(out[i], in[i]);
      }
    }
  }
}

// BackgroundEventWriter prepares events on the caller's thread into PreparedEvents that it
// reuses chunk after chunk (the rest split into members, the strings' hashes computed there):
// an event with few fields prepared where one with many was before keeps nothing of it, and every
// event comes back as the plain EventWriter stores it.
TEST(RowDecoder, BackgroundWriterReusingPreparedEventsStoresTheSameEvents) {
  std::string path = NewCasePath("mxir-decoder-background");
  auto c = CaseDb::Open(path);
  ASSERT_TRUE(c.ok());
  Gen gen(11);
  std::vector<Event> in;
  // More events than the writer's queue holds: every PreparedEvent is reused several times.
  const size_t n = BackgroundEventWriter::kChunk * (BackgroundEventWriter::kMaxChunks + 4);
  for (size_t i = 0; i < n; ++i) {
    Event e = gen.Make(static_cast<int64_t>(i));
    if (i % 3 == 1) {  // a sparse event between rich ones
      Event sparse;
      sparse.ts = e.ts;
      sparse.kind = e.kind;
      sparse.origin = e.origin;
      e = sparse;
    }
    in.push_back(e);
  }
  {
    BackgroundEventWriter w(*c, 3000);
    for (const Event& e : in) w.Add(Event(e));
    ASSERT_TRUE(w.Finish().ok());
    ASSERT_EQ(w.inserted(), static_cast<int64_t>(in.size()));
  }
  std::vector<Event> out;
  int64_t skipped = 0;
  ASSERT_TRUE(ForEachEvent(
                  *c, {},
                  [&](const Event& e) {
                    out.push_back(e);
                    return true;
                  },
                  &skipped)
                  .ok());
  EXPECT_EQ(skipped, 0);
  ASSERT_EQ(out.size(), in.size());
  // Time order: compare as sorted sets of JSON documents.
  std::multiset<std::string> want, got;
  for (const Event& e : in) want.insert(EventToJson(e));
  for (const Event& e : out) got.insert(EventToJson(e));
  EXPECT_TRUE(want == got);
}

// The decoder resets one reused Event per row (ResetEvent): a reset event, whatever it held,
// equals a new one in every field, those the JSON leaves out included.
TEST(RowDecoder, ResetEventGivesANewEvent) {
  Gen gen(7);
  const std::string fresh = EventToJson(Event());
  for (int64_t i = 0; i < 200; ++i) {
    Event e = gen.Make(i);
    e.continued = true;
    e.origin.sha256 = SharedString("ab");
    e.origin.repeat = 3;
    ResetEvent(e);
    ASSERT_EQ(EventToJson(e), fresh) << "event " << i;
    ExpectSameColumns(e, Event());
    EXPECT_TRUE(e.origin.sha256.empty());
    EXPECT_EQ(e.origin.record, 0u);
    EXPECT_EQ(e.origin.repeat, 0);
  }
}

// Reads every row both ways: member by member (RowDecoder) and by rebuilding the JSON
// (DecodeRest, then EventReader) — the way the case was read before.
struct BothWays {
  explicit BothWays(Database& db) : decoder(db), cache(db) {}
  // Fails the test when the two ways disagree — for a damaged rest, when the member path takes
  // what the JSON path refuses (it may be stricter: JSON text around an interned value, say);
  // returns whether the rest decoded.
  bool Check(std::string_view blob, EventKind kind, bool damaged = false) {
    Event a;
    Status sa = decoder.DecodeRestInto(blob, kind, &a);
    Event b;
    Status sb = DecodeRest(blob, kind, cache, json);
    if (sb.ok()) sb = reader.Parse(json, &b);
    EXPECT_TRUE(sa.ok() == sb.ok() || (damaged && !sa.ok()))
        << "blob " << ::testing::PrintToString(std::string(blob))
        << (sb.ok() ? "" : " json path: " + sb.error().message)
        << (sa.ok() ? "" : " member path: " + sa.error().message);
    if (sa.ok() && sb.ok()) {
      a.ts = b.ts;
      a.kind = b.kind;
      EXPECT_EQ(EventToJson(a), EventToJson(b));
    }
    return sa.ok();
  }
  RowDecoder decoder;
  StringCache cache;
  EventReader reader;
  std::string json;
};

TEST(RowDecoder, MemberByMemberEqualsTheJsonPathAlsoOnDamagedRests) {
  std::string path = NewCasePath("mxir-decoder-diff");
  auto c = CaseDb::Open(path);
  ASSERT_TRUE(c.ok());
  Gen gen(7);
  {
    EventWriter w(*c, 500);
    for (int64_t i = 0; i < 600; ++i) ASSERT_TRUE(w.Add(gen.Make(i)).ok());
    ASSERT_TRUE(w.Finish().ok());
  }
  std::vector<std::pair<std::string, EventKind>> rests;
  {
    auto st = Statement::Prepare(c->db(), "SELECT rest, kind FROM events ORDER BY id");
    ASSERT_TRUE(st.ok());
    for (;;) {
      auto row = st->Step();
      ASSERT_TRUE(row.ok());
      if (!*row) break;
      rests.emplace_back(std::string(st->ColumnBlob(0)), static_cast<EventKind>(st->ColumnInt(1)));
    }
  }
  ASSERT_EQ(rests.size(), 600u);
  BothWays both(c->db());
  for (const auto& [blob, kind] : rests) EXPECT_TRUE(both.Check(blob, kind));
  // A rest kept whole (the layout for JSON the encoder does not know).
  EXPECT_TRUE(both.Check("{\"ts\":\"2026-01-01T00:00:00Z\",\"kind\":\"auth\",\"outcome\":\"x\"}",
                         EventKind::kAuth));
  // Damaged rests: flipped, dropped and inserted bytes, token bytes, truncation.
  std::mt19937 rng(11);
  int failed = 0;
  for (int round = 0; round < 4000; ++round) {
    std::string b = rests[rng() % rests.size()].first;
    int edits = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < edits; ++k) {
      size_t at = b.empty() ? 0 : rng() % b.size();
      static const char kBytes[] = {'\x01', '\x80', '\x81', '\xff', '"', '\\', ',',    '[',
                                    ']',    '0',    '-',    't',    '{', '}',  '\x7f', '\xc3'};
      switch (rng() % 4) {
        case 0:
          if (!b.empty()) b[at] = kBytes[rng() % sizeof kBytes];
          break;
        case 1:
          if (!b.empty()) b.erase(at, 1);
          break;
        case 2:
          b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), kBytes[rng() % sizeof kBytes]);
          break;
        default:
          b.resize(at);
          break;
      }
    }
    if (!both.Check(b, static_cast<EventKind>(rng() % EventKindCount()), true)) ++failed;
  }
  EXPECT_GT(failed, 100);  // the damage was real
}

// A row whose rest does not decode is skipped and counted; the others still come back.
TEST(RowDecoder, RowsThatDoNotDecodeAreSkippedAndCounted) {
  std::string path = NewCasePath("mxir-decoder-skip");
  auto c = CaseDb::Open(path);
  ASSERT_TRUE(c.ok());
  Gen gen(3);
  {
    EventWriter w(*c);
    for (int64_t i = 0; i < 50; ++i) ASSERT_TRUE(w.Add(gen.Make(i)).ok());
    ASSERT_TRUE(w.Finish().ok());
  }
  ASSERT_TRUE(c->db().Exec("UPDATE events SET rest = x'0131' WHERE id % 10 = 3").ok());
  ASSERT_TRUE(
      c->db().Exec("UPDATE events SET rest = x'8101ffffffffffffffffff7f' WHERE id = 5").ok());
  ASSERT_TRUE(c->db().Exec("UPDATE events SET kind = 99 WHERE id = 6").ok());
  int64_t skipped = 0, n = 0;
  ASSERT_TRUE(ForEachEvent(
                  *c, {},
                  [&](const Event&) {
                    ++n;
                    return true;
                  },
                  &skipped)
                  .ok());
  EXPECT_EQ(skipped, 7);
  EXPECT_EQ(n, 43);
}

// Read ahead on a second thread: the same events in the same order, the same skipped count and
// cursor as the plain read; stopping early stops the reader.
TEST(RowDecoder, ReadAheadGivesWhatThePlainReadGives) {
  std::string path = NewCasePath("mxir-decoder-ahead");
  auto c = CaseDb::Open(path);
  ASSERT_TRUE(c.ok());
  Gen gen(5);
  {
    EventWriter w(*c, 1000);
    for (int64_t i = 0; i < 3000; ++i) {
      Event e = gen.Make(i);
      e.ts = Timestamp::FromMicros(1600000000000000 +
                                   ((i * 7919) % 3000) * 1000);  // rows out of time order
      ASSERT_TRUE(w.Add(e).ok());
    }
    ASSERT_TRUE(w.Finish().ok());
  }
  ASSERT_TRUE(c->db().Exec("UPDATE events SET rest = x'0131' WHERE id % 97 = 5").ok());
  for (int64_t after : {int64_t{0}, int64_t{1234}}) {
    for (bool ranged : {false, true}) {
      EventFilter f;
      f.after_id = after;
      if (ranged) f.until = Timestamp::FromMicros(1600000000000000 + 2500 * 1000);
      std::vector<std::string> plain, ahead;
      int64_t skipped_plain = 0, skipped_ahead = 0, last_plain = 0, last_ahead = 0;
      ASSERT_TRUE(ForEachEvent(
                      *c, f,
                      [&](const Event& e) {
                        plain.push_back(EventToJson(e));
                        return true;
                      },
                      &skipped_plain, &last_plain)
                      .ok());
      ASSERT_TRUE(ForEachEventReadAhead(
                      *c, f,
                      [&](const Event& e) {
                        ahead.push_back(EventToJson(e));
                        return true;
                      },
                      &skipped_ahead, &last_ahead)
                      .ok());
      EXPECT_GT(plain.size(), 300u);
      EXPECT_GT(skipped_plain, 0);
      EXPECT_EQ(ahead, plain);
      EXPECT_EQ(skipped_ahead, skipped_plain);
      EXPECT_EQ(last_ahead, last_plain);
    }
  }
  for (size_t stop_after : {size_t{1}, size_t{700}, size_t{2900}}) {
    size_t n = 0;
    ASSERT_TRUE(ForEachEventReadAhead(*c, {}, [&](const Event&) { return ++n < stop_after; }).ok());
    EXPECT_EQ(n, stop_after);
  }
}

// The reader's string cache keeps the values' bytes in an arena and makes a SharedString of a
// value only when one is asked for, once per id: the same text whether loaded whole or looked up
// one by one, the empty string as an empty SharedString, a missing id an error.
TEST(StringCacheTest, OneSharedStringPerIdAndTheSameTextBothWays) {
  std::string path = NewCasePath("mxir-string-cache");
  auto c = CaseDb::Open(path);
  ASSERT_TRUE(c.ok());
  const std::string long_value(3 << 20, 'x');  // larger than an arena chunk
  std::vector<std::string> values = {"a",       "",         "postfix:mx1:97311:1767225600.1",
                                     "\"q\"\\", long_value, "\xc3\xa9t\xc3\xa9"};
  for (int i = 0; i < 3000; ++i) values.push_back("v" + std::to_string(i));
  std::vector<int64_t> ids;
  {
    StringInterner in(c->db());
    for (const std::string& v : values) {
      auto id = in.Id(v);
      ASSERT_TRUE(id.ok());
      ids.push_back(*id);
    }
    ASSERT_TRUE(in.Flush().ok());
  }
  for (bool whole : {true, false}) {
    SCOPED_TRACE(whole ? "loaded whole" : "looked up one by one");
    StringCache cache(c->db());
    if (whole) {
      ASSERT_TRUE(cache.LoadAll().ok());
    }
    for (size_t i = 0; i < values.size(); ++i) {
      auto text = cache.Text(ids[i]);
      ASSERT_TRUE(text.ok());
      EXPECT_EQ(*text, values[i]);
      auto entry = cache.GetEntry(ids[i]);
      ASSERT_TRUE(entry.ok());
      EXPECT_EQ((*entry)->plain_json, values[i].find_first_of("\"\\") == std::string::npos);
    }
    for (size_t i = 0; i < values.size(); ++i) {
      auto a = cache.Get(ids[i]);
      ASSERT_TRUE(a.ok());
      SharedString copy = **a;  // held by an event, while the cache hands out more
      EXPECT_EQ(copy.str(), values[i]);
      EXPECT_EQ(copy.empty(), values[i].empty());
      auto b = cache.Get(ids[i]);
      ASSERT_TRUE(b.ok());
      EXPECT_TRUE((*b)->SameAs(copy)) << "id " << ids[i];
      // Text() still gives the bytes after the SharedString was made.
      EXPECT_EQ(*cache.Text(ids[i]), values[i]);
    }
    EXPECT_FALSE(cache.Text(ids.back() + 1).ok());
    EXPECT_FALSE(cache.Get(0).ok());
    EXPECT_FALSE(cache.Get(int64_t{1} << 40).ok());
  }
}

// One Event reused for every row: a row with the same session or file as the row before gets
// the very same SharedString back (moved, not copied); a different one, or none, is never
// left over from the row before.
TEST(RowDecoder, ReusedEventKeepsOrDropsTheSessionAndFileOfTheRowBefore) {
  std::string path = NewCasePath("mxir-decoder-shared");
  auto c = CaseDb::Open(path);
  ASSERT_TRUE(c.ok());
  std::mt19937 rng(11);
  const char* const kSessions[] = {"", "s1", "s2", "s3"};
  const char* const kFiles[] = {"", "a.log", "b.log"};
  std::vector<std::pair<std::string, std::string>> in;
  {
    EventWriter w(*c, 300);
    for (int i = 0; i < 900; ++i) {
      Event e;
      e.ts = Timestamp::FromMicros(1600000000000000 + i);
      e.kind = EventKind::kAuth;
      e.source = "dovecot";
      e.outcome = "failure";
      // Runs of the same values, with changes and gaps between them.
      const int r = static_cast<int>(rng() % 10);
      const std::string session = r < 7 && i > 0 ? in.back().first : kSessions[rng() % 4];
      const std::string file = r < 8 && i > 0 ? in.back().second : kFiles[rng() % 3];
      e.session = SharedString(session);
      e.origin.file = SharedString(file);
      e.origin.line = i + 1;
      in.emplace_back(session, file);
      ASSERT_TRUE(w.Add(e).ok());
    }
    ASSERT_TRUE(w.Finish().ok());
  }
  for (bool ahead : {false, true}) {
    SCOPED_TRACE(ahead ? "read ahead" : "plain read");
    std::vector<SharedString> sessions, files;
    auto fn = [&](const Event& e) {
      sessions.push_back(e.session);
      files.push_back(e.origin.file);
      return true;
    };
    ASSERT_TRUE((ahead ? ForEachEventReadAhead(*c, {}, fn) : ForEachEvent(*c, {}, fn)).ok());
    ASSERT_EQ(sessions.size(), in.size());
    std::map<std::string, SharedString> first;
    for (size_t i = 0; i < in.size(); ++i) {
      EXPECT_EQ(sessions[i].str(), in[i].first) << "row " << i;
      EXPECT_EQ(files[i].str(), in[i].second) << "row " << i;
      EXPECT_EQ(sessions[i].empty(), in[i].first.empty());
      // Every row with the same file shares one string (one per id of the strings table); a
      // session (stored inline, schema 9) is shared with the row before when it is the same.
      if (!files[i].empty()) {
        auto [it, added] = first.emplace(files[i].str(), files[i]);
        EXPECT_TRUE(added || it->second.SameAs(files[i])) << "row " << i << " " << files[i];
      }
      if (i > 0 && !in[i].first.empty() && in[i].first == in[i - 1].first) {
        EXPECT_TRUE(sessions[i].SameAs(sessions[i - 1])) << "row " << i;
      }
    }
  }
}

}  // namespace
}  // namespace mxir::casedb
