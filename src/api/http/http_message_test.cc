#include "api/http/http_message.h"

#include <gtest/gtest.h>

namespace reco {
namespace {

TEST(PercentDecode, DecodesEscapesAndRejectsMalformedOnes) {
  std::string out;
  EXPECT_TRUE(PercentDecode("a%2Fb%20c+d", out, false));
  EXPECT_EQ(out, "a/b c+d");
  EXPECT_TRUE(PercentDecode("a+b%2b", out, true));
  EXPECT_EQ(out, "a b+");
  EXPECT_FALSE(PercentDecode("abc%4", out, false));
  EXPECT_FALSE(PercentDecode("%zz", out, false));
  EXPECT_FALSE(PercentDecode("%", out, false));
}

TEST(HttpRequest, ParsesAndDecodesQueryParameters) {
  HttpRequest req;
  req.SetTarget("/api/items?n=10&cursor=a%20b&flag&empty=&q=x+y&n=11");
  EXPECT_EQ(req.path(), "/api/items");
  EXPECT_EQ(req.query_string(), "n=10&cursor=a%20b&flag&empty=&q=x+y&n=11");
  EXPECT_EQ(req.Query("n"), "10");
  EXPECT_EQ(req.Query("cursor"), "a b");
  EXPECT_EQ(req.Query("q"), "x y");
  EXPECT_EQ(req.Query("flag"), "");
  EXPECT_EQ(req.Query("empty"), "");
  EXPECT_FALSE(req.Query("missing").has_value());
  req.Reset();
  req.SetTarget("/plain");
  EXPECT_EQ(req.path(), "/plain");
  EXPECT_FALSE(req.Query("n").has_value());
}

TEST(HttpRequest, HeaderLookupIsCaseInsensitiveAndFirstWins) {
  HttpRequest req;
  req.AddHeader("Content-Type", "application/json");
  req.AddHeader("X-Api-Key", "k1");
  req.AddHeader("x-api-key", "k2");
  EXPECT_EQ(req.Header("content-type"), "application/json");
  EXPECT_EQ(req.Header("X-API-KEY"), "k1");
  EXPECT_EQ(req.Header("Accept"), "");
}

TEST(HttpRequest, BodyIsPaddedForInPlaceJsonParsing) {
  HttpRequest req;
  req.mutable_body() = std::string(100, 'x');
  req.PadBody();
  EXPECT_GE(req.body().capacity(), req.body().size() + kBodyPadding);
}

TEST(HttpStatusFor, MapsEveryStatusCode) {
  EXPECT_EQ(HttpStatusFor(StatusCode::kInvalidArgument), 400);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnauthenticated), 401);
  EXPECT_EQ(HttpStatusFor(StatusCode::kPermissionDenied), 403);
  EXPECT_EQ(HttpStatusFor(StatusCode::kNotFound), 404);
  EXPECT_EQ(HttpStatusFor(StatusCode::kAlreadyExists), 409);
  EXPECT_EQ(HttpStatusFor(StatusCode::kFailedPrecondition), 409);
  EXPECT_EQ(HttpStatusFor(StatusCode::kResourceExhausted), 429);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnimplemented), 501);
  EXPECT_EQ(HttpStatusFor(StatusCode::kUnavailable), 503);
  EXPECT_EQ(HttpStatusFor(StatusCode::kInsufficientStorage), 507);
  EXPECT_EQ(HttpStatusName(507), "INSUFFICIENT_STORAGE");
  EXPECT_EQ(HttpStatusFor(StatusCode::kDataLoss), 500);
  EXPECT_EQ(HttpStatusFor(StatusCode::kInternal), 500);
}

TEST(SetJsonError, WritesDocumentedShape) {
  HttpResponse resp;
  SetJsonError(resp, 404, "user \"u1\" not found", "user_id");
  EXPECT_EQ(resp.status, 404);
  EXPECT_EQ(resp.content_type, "application/json");
  EXPECT_EQ(resp.body,
            R"({"error":{"code":404,"status":"NOT_FOUND","message":"user \"u1\" not found",)"
            R"("field":"user_id"}})");
  SetJsonError(resp, 413, "too big");
  EXPECT_EQ(resp.body,
            R"({"error":{"code":413,"status":"PAYLOAD_TOO_LARGE","message":"too big"}})");
}

TEST(SetStatusError, UsesStatusCodeNameAndField) {
  HttpResponse resp;
  SetStatusError(resp, InvalidArgument("n must be positive", "n"));
  EXPECT_EQ(resp.status, 400);
  EXPECT_EQ(resp.body,
            R"({"error":{"code":400,"status":"INVALID_ARGUMENT","message":"n must be positive",)"
            R"("field":"n"}})");
  SetStatusError(resp, FailedPrecondition("model not loaded"));
  EXPECT_EQ(resp.status, 409);
  EXPECT_NE(resp.body.find("\"FAILED_PRECONDITION\""), std::string::npos);
}

TEST(HttpRequest, LargeBodyBufferIsFreedAboveTheThresholdOnly) {
  constexpr size_t kThreshold = 1 << 20;
  HttpRequest req;
  req.mutable_body().assign(64 * 1024, 'x');
  req.PadBody();
  EXPECT_FALSE(req.ReleaseBufferAbove(kThreshold));  // small buffers are kept for reuse
  EXPECT_GE(req.body().capacity(), 64u * 1024);
  req.mutable_body().assign(16 << 20, 'x');  // e.g. a 16 MB feedback batch
  req.PadBody();
  EXPECT_TRUE(req.ReleaseBufferAbove(kThreshold));
  EXPECT_LT(req.body().capacity(), kThreshold);
  HttpResponse resp;
  resp.body.assign(4 << 20, 'y');
  EXPECT_TRUE(resp.ReleaseBufferAbove(kThreshold));
  EXPECT_LT(resp.body.capacity(), kThreshold);
}

TEST(MethodLabel, OnlyStandardMethodsBecomeLabels) {
  for (std::string_view m : {"GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
    EXPECT_EQ(MethodLabel(m), m);
    EXPECT_TRUE(IsStandardMethod(m));
  }
  EXPECT_EQ(MethodLabel("get"), "other");
  EXPECT_EQ(MethodLabel("BREW"), "other");
  EXPECT_EQ(MethodLabel(std::string(12000, 'X')), "other");
  EXPECT_EQ(MethodLabel(""), "other");
  EXPECT_FALSE(IsStandardMethod("other"));
}

}  // namespace
}  // namespace reco
