#include "service/tenant_service.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/file_util.h"

namespace reco::service {
namespace {

namespace fs = std::filesystem;

class TenantServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("tenant_service_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  FakeClock clock_{1'800'000'000LL * kMicrosPerSecond};
};

TEST(TenantNameTest, AcceptsAndRejects) {
  EXPECT_TRUE(ValidateTenantName("shop-1").ok());
  EXPECT_TRUE(ValidateTenantName("a").ok());
  EXPECT_TRUE(ValidateTenantName(std::string(63, 'a')).ok());
  for (const std::string& bad : std::vector<std::string>{
           "", "Shop", "-x", "_x", "a/b", "a.b", "default", "tenants", "t", std::string(64, 'a')}) {
    Status st = ValidateTenantName(bad, "tenant");
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(st.field(), "tenant") << bad;
  }
}

TEST_F(TenantServiceTest, CreateIssuesAKeyStoredOnlyAsItsHash) {
  TenantService tenants(dir_, clock_);
  Result<IssuedKey> issued = tenants.Create("shop", {.max_users = 5});
  ASSERT_TRUE(issued.ok()) << issued.status().ToString();
  EXPECT_TRUE(fs::is_directory(dir_ / "tenants" / "shop"));
  EXPECT_EQ(tenants.DirOf("shop"), dir_ / "tenants" / "shop");
  EXPECT_EQ(tenants.DirOf("default"), dir_);
  Result<std::string> file = ReadFile(dir_ / "tenants" / "tenants.json");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(file->find(issued->key), std::string::npos) << "the key itself is never stored";
  EXPECT_EQ(tenants.Identify(issued->key), "shop");
  EXPECT_EQ(tenants.Identify("rt_wrong"), std::nullopt);
  EXPECT_EQ(tenants.Identify(""), std::nullopt);
  Result<TenantInfo> info = tenants.Get("shop");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->quotas.max_users, 5);
  ASSERT_EQ(info->keys.size(), 1u);
  EXPECT_EQ(info->keys[0].id, issued->id);
}

TEST_F(TenantServiceTest, DuplicatesAndBadInputAreRefusedWithNothingWritten) {
  TenantService tenants(dir_, clock_);
  ASSERT_TRUE(tenants.Create("shop", {}).ok());
  EXPECT_EQ(tenants.Create("shop", {}).status().code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(tenants.Create("Bad", {}).status().field(), "name");
  EXPECT_EQ(tenants.Create("ok", {.max_items = -1}).status().field(), "max_items");
  EXPECT_FALSE(fs::exists(dir_ / "tenants" / "ok"));
  Result<std::vector<TenantInfo>> list = tenants.List();
  ASSERT_TRUE(list.ok());
  EXPECT_EQ(list->size(), 1u);
}

TEST_F(TenantServiceTest, AnotherProcessSeesChangesAndDeleteRemovesOnlyItsDirectory) {
  TenantService cli(dir_, clock_);
  TenantService server(dir_, clock_);
  ASSERT_TRUE(server.List().ok());  // loaded before the change
  Result<IssuedKey> a = cli.Create("a", {});
  Result<IssuedKey> b = cli.Create("b", {});
  ASSERT_TRUE(a.ok() && b.ok());
  std::ofstream(dir_ / "reco.db") << "default data";
  std::ofstream(dir_ / "tenants" / "b" / "reco.db") << "b data";
  EXPECT_EQ(server.Identify(b->key), "b");
  Result<IssuedKey> second = server.IssueKey("b");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(cli.Identify(second->key), "b");
  std::string closed;
  server.SetBeforeDelete([&](const std::string& name) { closed = name; });
  ASSERT_TRUE(server.Delete("a").ok());
  EXPECT_EQ(closed, "a");
  EXPECT_FALSE(fs::exists(dir_ / "tenants" / "a"));
  EXPECT_TRUE(fs::exists(dir_ / "reco.db"));
  EXPECT_TRUE(fs::exists(dir_ / "tenants" / "b" / "reco.db"));
  EXPECT_EQ(cli.Identify(a->key), std::nullopt);
  EXPECT_EQ(cli.Get("a").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(cli.Delete("default").code(), StatusCode::kInvalidArgument);
}

TEST_F(TenantServiceTest, KeysAreRevokedOneByOneOrRotatedAtOnce) {
  TenantService tenants(dir_, clock_);
  Result<IssuedKey> first = tenants.Create("shop", {});
  Result<IssuedKey> second = tenants.IssueKey("shop");
  ASSERT_TRUE(first.ok() && second.ok());
  ASSERT_TRUE(tenants.RevokeKey("shop", first->id).ok());
  EXPECT_EQ(tenants.Identify(first->key), std::nullopt);
  EXPECT_EQ(tenants.Identify(second->key), "shop");
  EXPECT_EQ(tenants.RevokeKey("shop", first->id).field(), "key_id");
  EXPECT_EQ(tenants.RevokeKey("nosuch", first->id).field(), "tenant");
  Result<IssuedKey> third = tenants.IssueKey("shop", /*revoke_others=*/true);
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(tenants.Identify(second->key), std::nullopt);
  EXPECT_EQ(tenants.Identify(third->key), "shop");
  Result<TenantInfo> info = tenants.Get("shop");
  ASSERT_TRUE(info.ok());
  ASSERT_EQ(info->keys.size(), 1u);
  EXPECT_EQ(info->keys[0].id, third->id);
}

}  // namespace
}  // namespace reco::service
