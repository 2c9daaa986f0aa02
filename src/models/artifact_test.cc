#include "models/artifact.h"

#include <gtest/gtest.h>

#include "core/file_util.h"
#include "data/testing/temp_dir.h"

namespace reco {
namespace {

ArtifactHeader TestHeader() {
  ArtifactHeader h;
  h.kind = "itemcf";
  h.created = 1'700'000'000'123'456;
  h.snapshot_id = "seq9-u2-i3-p4";
  return h;
}

TEST(Artifact, WriteThenReadRoundTrips) {
  testing::TempDir dir("artifact");
  auto path = dir.path() / "m.rmdl";
  std::string payload = "payload bytes \x01\x02";
  ASSERT_TRUE(WriteArtifact(path, TestHeader(), payload).ok());
  Result<Artifact> a = ReadArtifact(path);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->payload, payload);
  EXPECT_EQ(a->header.kind, "itemcf");
  EXPECT_EQ(a->header.created, 1'700'000'000'123'456);
  EXPECT_EQ(a->header.snapshot_id, "seq9-u2-i3-p4");
  EXPECT_EQ(a->header.code_version, CodeVersion());
  EXPECT_EQ(a->header.format_version, kArtifactFormatVersion);
  EXPECT_EQ(a->header.payload_size, payload.size());
  EXPECT_EQ(a->header.payload_sha256.size(), 64u);
}

TEST(Artifact, MissingFileIsNotFound) {
  testing::TempDir dir("artifact");
  EXPECT_EQ(ReadArtifact(dir.path() / "none.rmdl").status().code(), StatusCode::kNotFound);
}

struct CorruptionCase {
  const char* name;
  std::string (*mutate)(std::string);
  const char* expected;
};

TEST(Artifact, CorruptFilesAreRejectedWithAReason) {
  const std::string payload(1000, 'p');
  const std::string good = EncodeArtifact(TestHeader(), payload);
  const CorruptionCase cases[] = {
      {"flipped payload byte",
       [](std::string s) {
         s[s.size() - 10] ^= 0x20;
         return s;
       },
       "checksum mismatch"},
      {"truncated payload", [](std::string s) { return s.substr(0, s.size() - 1); }, "truncated"},
      {"truncated header", [](std::string s) { return s.substr(0, 20); }, "truncated"},
      {"empty file", [](std::string) { return std::string(); }, "wrong magic"},
      {"wrong magic",
       [](std::string s) {
         s[0] = 'X';
         return s;
       },
       "wrong magic"},
      {"future version",
       [](std::string s) {
         s[8] = 2;
         return s;
       },
       "unsupported format version 2"},
      {"trailing garbage", [](std::string s) { return s + "junk"; }, "trailing garbage"},
  };
  testing::TempDir dir("artifact");
  for (const CorruptionCase& c : cases) {
    SCOPED_TRACE(c.name);
    auto path = dir.path() / "bad.rmdl";
    ASSERT_TRUE(WriteFileAtomic(path, c.mutate(good)).ok());
    Result<Artifact> a = ReadArtifact(path);
    ASSERT_FALSE(a.ok());
    EXPECT_EQ(a.status().code(), StatusCode::kDataLoss);
    EXPECT_NE(a.status().message().find(c.expected), std::string::npos) << a.status().ToString();
    EXPECT_NE(a.status().message().find(path.string()), std::string::npos);
  }
}

TEST(Artifact, EveryTruncationIsRejected) {
  const std::string good = EncodeArtifact(TestHeader(), "0123456789");
  for (size_t len = 0; len < good.size(); ++len) {
    EXPECT_FALSE(DecodeArtifact(std::string_view(good).substr(0, len), "x").ok()) << len;
  }
  EXPECT_TRUE(DecodeArtifact(good, "x").ok());
}

}  // namespace
}  // namespace reco
