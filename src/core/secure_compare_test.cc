#include "core/secure_compare.h"

#include <gtest/gtest.h>

#include <string>

namespace reco {
namespace {

TEST(ConstantTimeEquals, MatchesOnlyTheExactSecret) {
  const std::string secret = "s3cr3t-key";
  EXPECT_TRUE(ConstantTimeEquals("s3cr3t-key", secret));
  struct Case {
    const char* given;
    const char* why;
  } cases[] = {
      {"", "empty"},
      {"s3cr3t-ke", "a prefix"},
      {"s3cr3t-keyX", "the secret plus one byte"},
      {"s3cr3t-keys3cr3t-key", "the secret twice (cyclic reading must not match)"},
      {"S3cr3t-key", "first byte differs"},
      {"s3cr3t-kez", "last byte differs"},
      {"xxxxxxxxxx", "same length, all different"},
  };
  for (const Case& c : cases) EXPECT_FALSE(ConstantTimeEquals(c.given, secret)) << c.why;
}

TEST(ConstantTimeEquals, EmptySecretMatchesOnlyEmpty) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_FALSE(ConstantTimeEquals("a", ""));
}

TEST(ConstantTimeEquals, ComparesBytesNotCStrings) {
  const std::string with_nul("ab\0cd", 5);
  EXPECT_TRUE(ConstantTimeEquals(with_nul, with_nul));
  EXPECT_FALSE(ConstantTimeEquals(std::string("ab\0ce", 5), with_nul));
  EXPECT_FALSE(ConstantTimeEquals("ab", with_nul));
  EXPECT_TRUE(ConstantTimeEquals("\xff\x80", "\xff\x80"));
  EXPECT_FALSE(ConstantTimeEquals("\xff\x81", "\xff\x80"));
}

}  // namespace
}  // namespace reco
