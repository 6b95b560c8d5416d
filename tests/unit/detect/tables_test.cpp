// The evidence's tables: Interner, KeyIndex, RecentWindow — exact results across growth.
#include <string>
#include <unordered_map>

#include <gtest/gtest.h>

#include "detect/interner.h"
#include "detect/key_index.h"
#include "detect/message_merge.h"
#include "detect/recent_window.h"

namespace mxir::detect {
namespace {

TEST(Interner, DenseIndexesStableViewsAcrossGrowth) {
  Interner in;
  EXPECT_EQ(in.Find("a"), kNone);
  EXPECT_EQ(in.Intern(""), 0u);
  EXPECT_EQ(in.Intern("a"), 1u);
  std::string_view first = in.Get(1);
  const std::string big(300000, 'x');  // larger than an arena block's share: a block of its own
  EXPECT_EQ(in.Intern(big), 2u);
  for (int i = 0; i < 200000; ++i) {
    ASSERT_EQ(in.Intern("user" + std::to_string(i) + "@example.com"), static_cast<uint32_t>(i + 3));
  }
  EXPECT_EQ(in.size(), 200003u);
  EXPECT_EQ(in.Intern("a"), 1u);
  EXPECT_EQ(in.Intern(""), 0u);
  EXPECT_EQ(in.Find(big), 2u);
  EXPECT_EQ(in.Get(2), big);
  EXPECT_EQ(first, "a");  // views never move
  EXPECT_EQ(in.Get(1).data(), first.data());
  EXPECT_EQ(in.Find("user199999@example.com"), 200002u);
  EXPECT_EQ(in.Get(12345 + 3), "user12345@example.com");
  EXPECT_EQ(in.Find("user200000@example.com"), kNone);
  EXPECT_EQ(in.Find("User1@example.com"), kNone);  // exact bytes, no case folding
}

TEST(KeyIndex, SameKeySameIndexAcrossGrowth) {
  KeyIndex k;
  bool added = false;
  EXPECT_EQ(k.Index("s1", &added), 0u);
  EXPECT_TRUE(added);
  EXPECT_EQ(k.Index("s1", &added), 0u);
  EXPECT_FALSE(added);
  std::unordered_map<std::string, uint32_t> expect;
  for (int i = 0; i < 300000; ++i) {
    std::string key(1, static_cast<char>(i % 3));  // binary prefix, as session keys have
    key += "session-" + std::to_string(i);
    uint32_t idx = k.Index(key);
    ASSERT_EQ(idx, static_cast<uint32_t>(i + 1));
    expect[key] = idx;
  }
  for (const auto& [key, idx] : expect) ASSERT_EQ(k.Index(key), idx) << key;
  EXPECT_EQ(k.size(), 300001u);
  EXPECT_EQ(k.Index(""), 300001u);  // the empty key is a key like any other
}

TEST(RecentWindow, ForgetsWhatFallsOutOfTheWindow) {
  RecentWindow w(10);
  auto kept = [&](uint64_t key) {
    std::vector<size_t> out;
    w.AnyOf(key, [&](size_t i) {
      out.push_back(i);
      return false;
    });
    return out;
  };
  w.Advance(0);
  w.Add(7, 0, 0);
  w.Add(8, 1, 5);
  w.Add(7, 2, 6);
  w.Advance(10);  // 10 - 0 is not more than the window: all kept
  EXPECT_EQ(kept(7), (std::vector<size_t>{0, 2}));
  EXPECT_TRUE(w.AnyOf(7, [](size_t i) { return i == 2; }));
  EXPECT_FALSE(w.AnyOf(9, [](size_t) { return true; }));
  w.Advance(11);  // record 0 leaves
  EXPECT_EQ(kept(7), (std::vector<size_t>{2}));
  EXPECT_EQ(kept(8), (std::vector<size_t>{1}));
  w.Add(7, 3, 12);
  EXPECT_EQ(kept(7), (std::vector<size_t>{2, 3}));
  w.Advance(16);  // record 1 leaves, and key 8 with it
  EXPECT_TRUE(kept(8).empty());
  EXPECT_EQ(kept(7), (std::vector<size_t>{2, 3}));
  w.Advance(100);
  EXPECT_TRUE(kept(7).empty());
  w.Add(7, 4, 100);
  EXPECT_EQ(kept(7), (std::vector<size_t>{4}));
}

TEST(MergeMessages, SameMessageIdJoinsTheEarliestKeptWithoutThatSource) {
  // Two captured copies of one Message-ID (a resend), then the log's two lines of them.
  auto msg = [](int64_t ts, uint32_t source_bit, uint32_t id) {
    MessageRec m;
    m.ts = ts;
    m.sources = source_bit;
    m.msg_id = id;
    return m;
  };
  const std::vector<MessageRec> in = {msg(0, 1, 5), msg(3600000000, 1, 5), msg(3600000001, 2, 5),
                                      msg(3600000002, 2, 5), msg(3600000003, 2, 6)};
  std::vector<RecipientRef> rcpts;
  std::vector<MessageRec> v = {msg(1, 1, 1)};  // what an earlier call left: replaced
  EXPECT_EQ(MergeMessages(in, rcpts, 5, &v), 2);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].sources, 3u);  // the first postfix line joined the earliest copy
  EXPECT_EQ(v[1].sources, 3u);  // the second joined the second copy
  EXPECT_EQ(v[2].sources, 2u);
  EXPECT_EQ(v[2].msg_id, 6u);
}

}  // namespace
}  // namespace mxir::detect
