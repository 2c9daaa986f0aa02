#include "core/durations.h"

#include <gtest/gtest.h>

namespace reco {
namespace {

TEST(ParseDurationSeconds, ReadsUnitsAndSums) {
  EXPECT_EQ(*ParseDurationSeconds("90s", "f"), 90);
  EXPECT_EQ(*ParseDurationSeconds("10m", "f"), 600);
  EXPECT_EQ(*ParseDurationSeconds("1h30m", "f"), 5400);
  EXPECT_EQ(*ParseDurationSeconds("7d", "f"), 7 * 86400);
  EXPECT_EQ(*ParseDurationSeconds("45", "f"), 45);
}

TEST(ParseDurationSeconds, RejectsBadTextNamingTheField) {
  for (const char* bad : {"", "0", "0s", "h", "1x", "1h-", "-1h", "99999999999s", "4000d"}) {
    Result<int64_t> parsed = ParseDurationSeconds(bad, "realtime.windows");
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().field(), "realtime.windows") << bad;
  }
}

TEST(ParseWindowSpec, NamesTheWindowByItsLength) {
  Result<WindowSpec> w = ParseWindowSpec("24h/10m", "f");
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ(w->name, "24h");
  EXPECT_EQ(w->length_s, 86400);
  EXPECT_EQ(w->bucket_s, 600);
  EXPECT_EQ(w->buckets(), 144);
  Result<WindowSpec> plain = ParseWindowSpec("1h", "f");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->bucket_s, 60);  // LENGTH / 60 by default
}

TEST(ParseWindowSpec, RejectsBucketsThatDoNotFit) {
  EXPECT_FALSE(ParseWindowSpec("1h/7m", "f").ok());     // 7 min does not divide an hour
  EXPECT_FALSE(ParseWindowSpec("90s", "f").ok());       // 90 / 60 is not whole: name a bucket
  EXPECT_TRUE(ParseWindowSpec("90s/1s", "f").ok());
  EXPECT_FALSE(ParseWindowSpec("7d/1m", "f").ok());     // 10080 buckets > 10000
  EXPECT_FALSE(ParseWindowSpec("decay", "f").ok());     // reserved
  EXPECT_EQ(ParseWindowSpec("1h/x", "w").status().field(), "w");
}

}  // namespace
}  // namespace reco
