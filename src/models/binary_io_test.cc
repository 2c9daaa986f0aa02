#include "models/binary_io.h"

#include <gtest/gtest.h>

namespace reco {
namespace {

TEST(BinaryIo, RoundTripsScalarsStringsAndArrays) {
  BinaryWriter w;
  w.U8(7);
  w.U32(0xdeadbeef);
  w.U64(1ull << 40);
  w.I64(-5);
  w.F32(1.5f);
  w.F64(-2.25);
  w.String("héllo");
  std::vector<std::string> strings = {"a", "", "ccc"};
  w.StringArray(strings);
  std::vector<uint32_t> u32 = {1, 2, 3};
  w.U32Array(u32);
  std::vector<uint64_t> u64 = {10, 20};
  w.U64Array(u64);
  std::vector<float> f32 = {0.5f, -1.0f};
  w.F32Array(f32);
  std::string bytes = w.Take();
  EXPECT_EQ(bytes.substr(1, 4), std::string("\xef\xbe\xad\xde", 4));  // little-endian

  BinaryReader r(bytes);
  uint8_t a;
  uint32_t b;
  uint64_t c;
  int64_t d;
  float e;
  double f;
  std::string g;
  std::vector<std::string> h;
  std::vector<uint32_t> i;
  std::vector<uint64_t> j;
  std::vector<float> k;
  ASSERT_TRUE(r.U8(a).ok());
  ASSERT_TRUE(r.U32(b).ok());
  ASSERT_TRUE(r.U64(c).ok());
  ASSERT_TRUE(r.I64(d).ok());
  ASSERT_TRUE(r.F32(e).ok());
  ASSERT_TRUE(r.F64(f).ok());
  ASSERT_TRUE(r.String(g).ok());
  ASSERT_TRUE(r.StringArray(h).ok());
  ASSERT_TRUE(r.U32Array(i).ok());
  ASSERT_TRUE(r.U64Array(j).ok());
  ASSERT_TRUE(r.F32Array(k).ok());
  EXPECT_TRUE(r.ExpectEnd().ok());
  EXPECT_EQ(a, 7);
  EXPECT_EQ(b, 0xdeadbeefu);
  EXPECT_EQ(c, 1ull << 40);
  EXPECT_EQ(d, -5);
  EXPECT_EQ(e, 1.5f);
  EXPECT_EQ(f, -2.25);
  EXPECT_EQ(g, "héllo");
  EXPECT_EQ(h, strings);
  EXPECT_EQ(i, u32);
  EXPECT_EQ(j, u64);
  EXPECT_EQ(k, f32);
}

TEST(BinaryIo, ReadPastEndIsDataLoss) {
  BinaryWriter w;
  w.U32(1);
  std::string bytes = w.Take();
  BinaryReader r(std::string_view(bytes).substr(0, 3), "test payload");
  uint32_t v;
  Status st = r.U32(v);
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_NE(st.message().find("test payload"), std::string::npos);
}

TEST(BinaryIo, HugeArrayCountIsRejectedBeforeAllocating) {
  BinaryWriter w;
  w.U64(uint64_t{1} << 60);  // claims 2^60 elements with nothing behind
  w.U32(0);
  std::string bytes = w.Take();
  std::vector<uint32_t> u32;
  EXPECT_EQ(BinaryReader(bytes).U32Array(u32).code(), StatusCode::kDataLoss);
  std::vector<std::string> strings;
  EXPECT_EQ(BinaryReader(bytes).StringArray(strings).code(), StatusCode::kDataLoss);
  std::vector<uint64_t> u64;
  EXPECT_EQ(BinaryReader(bytes).U64Array(u64).code(), StatusCode::kDataLoss);
  EXPECT_TRUE(u32.empty());
}

TEST(BinaryIo, OverlongStringIsRejected) {
  BinaryWriter w;
  w.String(std::string(100, 'x'));
  std::string bytes = w.Take();
  std::string s;
  EXPECT_EQ(BinaryReader(bytes).String(s, 10).code(), StatusCode::kDataLoss);
}

TEST(BinaryIo, TrailingBytesFailExpectEnd) {
  std::string bytes = "abc";
  BinaryReader r(bytes);
  uint8_t v;
  ASSERT_TRUE(r.U8(v).ok());
  EXPECT_EQ(r.ExpectEnd().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace reco
