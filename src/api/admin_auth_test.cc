#include "api/admin_auth.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace reco::api {
namespace {

constexpr std::string_view kLocal = "127.0.0.1:40000";
constexpr std::string_view kRemote = "10.1.2.3:40000";

// Every (scope, configuration, presented credential) and whether it is let through.
TEST(AuthorizeAdmin, NeverOpenWhileACredentialIsConfigured) {
  const AdminCredentials none{};
  const AdminCredentials key_only{.api_key = "KEY"};
  const AdminCredentials token_only{.reload_token = "TOK"};
  const AdminCredentials both{.api_key = "KEY", .reload_token = "TOK"};
  struct Case {
    AdminScope scope;
    const AdminCredentials* configured;
    PresentedCredentials presented;
    StatusCode expected;
  };
  using enum AdminScope;
  const StatusCode ok = StatusCode::kOk, no = StatusCode::kUnauthenticated,
                   denied = StatusCode::kPermissionDenied;
  const std::vector<Case> cases = {
      // No credential configured: loopback only, whatever is sent.
      {kReload, &none, {.remote_address = kLocal}, ok},
      {kReload, &none, {.remote_address = "[::1]:5"}, ok},
      {kReload, &none, {.remote_address = "::ffff:127.0.0.1:5"}, ok},
      {kReload, &none, {.remote_address = kRemote}, denied},
      {kReload, &none, {.x_api_key = "x", .remote_address = kRemote}, denied},
      {kOperate, &none, {.remote_address = kLocal}, ok},
      {kOperate, &none, {.remote_address = kRemote}, denied},
      // API key only: it guards reload too (the finding), from loopback as well.
      {kReload, &key_only, {.remote_address = kLocal}, no},
      {kReload, &key_only, {.x_api_key = "KEY", .remote_address = kRemote}, ok},
      {kReload, &key_only, {.authorization = "Bearer KEY", .remote_address = kRemote}, ok},
      {kReload, &key_only, {.x_api_key = "KEY2", .remote_address = kLocal}, no},
      {kReload, &key_only, {.authorization = "KEY", .remote_address = kLocal}, no},
      {kOperate, &key_only, {.remote_address = kLocal}, no},
      {kOperate, &key_only, {.x_api_key = "KEY", .remote_address = kRemote}, ok},
      // Reload token only: it guards the job and pipeline routes too.
      {kReload, &token_only, {.authorization = "Bearer TOK", .remote_address = kRemote}, ok},
      {kReload, &token_only, {.authorization = "Bearer TOKX", .remote_address = kRemote}, no},
      {kOperate, &token_only, {.remote_address = kLocal}, no},
      {kOperate, &token_only, {.authorization = "Bearer TOK", .remote_address = kRemote}, ok},
      // Both: reload takes the token only, the other routes the API key only.
      {kReload, &both, {.authorization = "Bearer TOK", .remote_address = kRemote}, ok},
      {kReload, &both, {.x_api_key = "KEY", .remote_address = kRemote}, no},
      {kOperate, &both, {.x_api_key = "KEY", .remote_address = kRemote}, ok},
      {kOperate, &both, {.authorization = "Bearer TOK", .remote_address = kRemote}, no},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    Status st = AuthorizeAdmin(c.scope, "POST /x", *c.configured, c.presented);
    EXPECT_EQ(st.code(), c.expected) << "case " << i << ": " << st.ToString();
  }
}

TEST(AuthorizeAdmin, ErrorsNameTheHeaderAndTheCredential) {
  Status st = AuthorizeAdmin(AdminScope::kReload, "POST /models/reload", {.api_key = "KEY"},
                             {.remote_address = kLocal});
  EXPECT_EQ(st.field(), "X-API-Key");
  EXPECT_NE(st.message().find("POST /models/reload needs the header Authorization: Bearer "
                              "<server.api_key>"),
            std::string::npos)
      << st.message();
  st = AuthorizeAdmin(AdminScope::kReload, "POST /models/reload", {.reload_token = "TOK"},
                      {.authorization = "Bearer nope", .remote_address = kLocal});
  EXPECT_EQ(st.field(), "Authorization");
  EXPECT_NE(st.message().find("invalid credential"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("MODEL_RELOAD_TOKEN"), std::string::npos) << st.message();
  st = AuthorizeAdmin(AdminScope::kOperate, "POST /api/v1/pipeline/runs", {},
                      {.remote_address = kRemote});
  EXPECT_NE(st.message().find("loopback"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("RECO_SERVER_API_KEY"), std::string::npos) << st.message();
}

TEST(IsLoopbackAddress, ParsesIpAndPort) {
  for (std::string_view local : {"127.0.0.1:1", "127.9.9.9:65535", "::1:8000", "[::1]:8000",
                                 "::ffff:127.0.0.1:80"}) {
    EXPECT_TRUE(IsLoopbackAddress(local)) << local;
  }
  for (std::string_view remote : {"10.0.0.1:1", "192.168.1.1:8000", "::2:80", "[fe80::1]:80",
                                  "::ffff:10.0.0.1:80", "", "127.0.0.1", "garbage:1"}) {
    EXPECT_FALSE(IsLoopbackAddress(remote)) << remote;
  }
}

TEST(AdminAuthWarning, OnlyWhenNothingIsConfigured) {
  EXPECT_NE(AdminAuthWarning({}).find("loopback"), std::string::npos);
  EXPECT_EQ(AdminAuthWarning({.api_key = "k"}), "");
  EXPECT_EQ(AdminAuthWarning({.reload_token = "t"}), "");
}

}  // namespace
}  // namespace reco::api
