#include "service/tenant_gate.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace reco::service {
namespace {

namespace fs = std::filesystem;

class TenantGateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tenant_gate_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    tenants_ = std::make_unique<TenantService>(dir_, clock_);
    a_ = *tenants_->Create("a", {});
    b_ = *tenants_->Create("b", {.requests_per_second = 2});
    gate_ = std::make_unique<TenantGate>(
        TenantGateOptions{.tenants = tenants_.get(), .admin_key = "admin-key", .clock = &clock_});
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  FakeClock clock_{1'800'000'000LL * kMicrosPerSecond};
  std::unique_ptr<TenantService> tenants_;
  std::unique_ptr<TenantGate> gate_;
  IssuedKey a_, b_;
};

TEST_F(TenantGateTest, TargetOfReadsAbsentAsDefaultAndRejectsBadNames) {
  EXPECT_EQ(*TenantGate::TargetOf("", "x-tenant-id"), "default");
  EXPECT_EQ(*TenantGate::TargetOf("default", "x-tenant-id"), "default");
  EXPECT_EQ(*TenantGate::TargetOf("a", "x-tenant-id"), "a");
  Result<std::string> bad = TenantGate::TargetOf("A/b", "x-tenant-id");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad.status().field(), "x-tenant-id");
}

TEST_F(TenantGateTest, KeysActOnTheirOwnTenantOnly) {
  const CredentialName grpc{.field = "x-api-key", .carrier = "metadata"};
  EXPECT_TRUE(gate_->Admit("a", a_.key, grpc).ok());
  EXPECT_TRUE(gate_->Admit("a", "admin-key", grpc).ok());
  Result<TenantAdmission> other = gate_->Admit("a", b_.key, grpc);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(other.status().field(), "x-api-key");
  for (std::string_view key : {"", "nobody's key"}) {
    Result<TenantAdmission> st = gate_->Admit("a", key, grpc);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.status().code(), StatusCode::kUnauthenticated) << key;
    EXPECT_NE(st.status().message().find("x-api-key"), std::string::npos) << st.status().message();
  }
  Result<TenantAdmission> unknown = gate_->Admit("nosuch", "admin-key", grpc);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  // The default tenant: a tenant's key is refused, anything else is left to its own rules.
  EXPECT_EQ(gate_->CheckDefault(a_.key, grpc).code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(gate_->CheckDefault("", grpc).ok());
  EXPECT_TRUE(gate_->CheckDefault("admin-key", grpc).ok());
  EXPECT_TRUE(gate_->CheckDefault("anything else", grpc).ok());
}

TEST_F(TenantGateTest, RequestsPerSecondQuotaIsOneBucketPerTenant) {
  const CredentialName rest;
  double retry_after = 0;
  EXPECT_TRUE(gate_->Admit("b", b_.key, rest, &retry_after).ok());
  EXPECT_TRUE(gate_->Admit("b", b_.key, rest, &retry_after).ok());
  Result<TenantAdmission> over = gate_->Admit("b", b_.key, rest, &retry_after);
  ASSERT_FALSE(over.ok());
  EXPECT_EQ(over.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NEAR(retry_after, 0.5, 1e-9);
  EXPECT_TRUE(gate_->Admit("a", a_.key, rest).ok());  // a has no quota
  clock_.Advance(500'000);
  EXPECT_TRUE(gate_->Admit("b", b_.key, rest).ok());
}

}  // namespace
}  // namespace reco::service
