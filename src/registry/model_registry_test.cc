#include "registry/model_registry.h"

#include <gtest/gtest.h>

#include <thread>

#include "core/file_util.h"
#include "data/testing/temp_dir.h"

namespace reco::registry {
namespace {

constexpr TimestampUs kT0 = 1'795'489'200LL * kMicrosPerSecond;  // 2026-11-24T03:00:00Z
constexpr TimestampUs kHour = 3600 * kMicrosPerSecond;

class RegistryTest : public ::testing::Test {
 protected:
  RegistryTest() : clock_(kT0), registry_(dir_.path(), clock_, {.keep_versions = 2}) {}

  // A succeeded run finished at kT0 + index hours with one model file of its own.
  RunRecord MakeRun(int index, std::string content = {}) {
    RunRecord run;
    run.run_id = MakeRunId(kT0 + index * kHour, static_cast<uint32_t>(index));
    run.status = RunStatus::kSucceeded;
    run.started = kT0 + index * kHour;
    run.finished = run.started + 60 * kMicrosPerSecond;
    run.metrics = {{"ndcg@10", 0.1 * index}};
    run.data.snapshot_id = "snap-" + std::to_string(index);
    std::string rel = "models/itemcf-" + std::to_string(index) + ".rmdl";
    if (content.empty()) content = "model bytes " + std::to_string(index);
    EXPECT_TRUE(WriteFileAtomic(dir_.path() / rel, content).ok());
    Result<RunArtifact> a = DescribeArtifact(dir_.path(), rel, "itemcf");
    EXPECT_TRUE(a.ok());
    run.artifacts.push_back(*a);
    return run;
  }

  std::string Register(int index) {
    RunRecord run = MakeRun(index);
    Result<ModelVersion> v = registry_.Register(run);
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    return run.run_id;
  }

  std::string AliasOwner(std::string_view alias) {
    Result<ModelVersion> v = registry_.Resolve(alias);
    return v.ok() ? v->run_id : "";
  }

  testing::TempDir dir_;
  FakeClock clock_;
  ModelRegistry registry_;
};

TEST_F(RegistryTest, RegisterWritesTheContractShapeOldestFirst) {
  std::string newer = registry_.Register(MakeRun(2)).value().run_id;
  std::string older = registry_.Register(MakeRun(1)).value().run_id;
  Result<RegistryContents> c = registry_.Load();
  ASSERT_TRUE(c.ok());
  ASSERT_EQ(c->versions.size(), 2u);
  EXPECT_EQ(c->versions[0].run_id, older);
  EXPECT_EQ(c->versions[1].run_id, newer);
  EXPECT_EQ(c->versions[1].created, kT0 + 2 * kHour + 60 * kMicrosPerSecond);
  EXPECT_DOUBLE_EQ(c->versions[1].metrics.at("ndcg@10"), 0.2);
  EXPECT_EQ(c->versions[1].snapshot_id, "snap-2");

  std::string text = ReadFile(registry_.registry_path()).value();
  EXPECT_TRUE(text.starts_with("{\"versions\": [")) << text;
  for (const char* key : {"\"run_id\":", "\"created\":\"2026-11-24T04:01:00Z\"", "\"aliases\":[]",
                          "\"metrics\":{\"ndcg@10\":0.1}",
                          "\"artifacts\":[{\"path\":"
                          "\"models/itemcf-1.rmdl\""}) {
    EXPECT_NE(text.find(key), std::string::npos) << key << " in " << text;
  }
}

TEST_F(RegistryTest, RegisterIsIdempotentAndRefusesUnfinishedRuns) {
  RunRecord run = MakeRun(1);
  ASSERT_TRUE(registry_.Register(run).ok());
  clock_.Advance(kHour);
  Result<ModelVersion> again = registry_.Register(run);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->registered, kT0);  // the stored version, unchanged
  EXPECT_EQ(registry_.Load()->versions.size(), 1u);

  RunRecord failed = MakeRun(2);
  failed.status = RunStatus::kFailed;
  EXPECT_EQ(registry_.Register(failed).status().code(), StatusCode::kFailedPrecondition);
  RunRecord empty = MakeRun(3);
  empty.artifacts.clear();
  EXPECT_EQ(registry_.Register(empty).status().code(), StatusCode::kFailedPrecondition);
  RunRecord escaping = MakeRun(4);
  escaping.artifacts[0].path = "../outside.rmdl";
  EXPECT_EQ(registry_.Register(escaping).status().code(), StatusCode::kInvalidArgument);
}

TEST_F(RegistryTest, PromoteToProductionMovesTheOldProductionToPrevious) {
  std::string a = Register(1), b = Register(2), c = Register(3);
  ASSERT_TRUE(registry_.Promote(a, "production").ok());
  EXPECT_EQ(AliasOwner("production"), a);
  EXPECT_EQ(AliasOwner("previous"), "");
  ASSERT_TRUE(registry_.Promote(b, "production").ok());
  EXPECT_EQ(AliasOwner("production"), b);
  EXPECT_EQ(AliasOwner("previous"), a);
  ASSERT_TRUE(registry_.Promote(c, "production").ok());
  EXPECT_EQ(AliasOwner("production"), c);
  EXPECT_EQ(AliasOwner("previous"), b);
  Result<ModelVersion> va = registry_.Get(a);
  ASSERT_TRUE(va.ok());
  EXPECT_TRUE(va->aliases.empty());
}

TEST_F(RegistryTest, AnAliasIsOnAtMostOneVersion) {
  std::string a = Register(1), b = Register(2), c = Register(3);
  ASSERT_TRUE(registry_.Promote(a, "production").ok());
  ASSERT_TRUE(registry_.Promote(b, "canary").ok());
  ASSERT_TRUE(registry_.Promote(c, "canary").ok());
  EXPECT_EQ(AliasOwner("canary"), c);
  EXPECT_TRUE(registry_.Get(b)->aliases.empty());
  // Promoting the canary to production ends its canary role.
  ASSERT_TRUE(registry_.Promote(c, "production").ok());
  EXPECT_EQ(registry_.Get(c)->aliases, std::vector<std::string>{"production"});
  EXPECT_EQ(registry_.Resolve("canary").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(AliasOwner("previous"), a);
  // The production version cannot also be the shadow.
  EXPECT_EQ(registry_.Promote(c, "shadow").status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(RegistryTest, NewestNotProductionIsTheCandidateOfAReloadWithoutRunId) {
  Result<ModelVersion> none = registry_.NewestNotProduction();
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
  const std::string first = Register(1);
  ASSERT_TRUE(registry_.Promote(first, "production").ok());
  none = registry_.NewestNotProduction();
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
  EXPECT_NE(none.status().message().find("other than production (" + first + ")"),
            std::string::npos)
      << none.status().message();
  const std::string third = Register(3);
  const std::string second = Register(2);  // registered last, created before `third`
  EXPECT_EQ(registry_.NewestNotProduction().value().run_id, third);
  ASSERT_TRUE(registry_.Promote(third, "production").ok());
  EXPECT_EQ(registry_.NewestNotProduction().value().run_id, second);
}

TEST_F(RegistryTest, PromoteRejectsUnknownAliasesAndRuns) {
  std::string a = Register(1);
  Status bad_alias = registry_.Promote(a, "staging").status();
  EXPECT_EQ(bad_alias.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_alias.field(), "alias");
  Status unknown = registry_.Promote("20261124T000000Z-000000", "production").status();
  EXPECT_EQ(unknown.code(), StatusCode::kNotFound);
  EXPECT_NE(unknown.message().find("is not a registered model version"), std::string::npos);
}

TEST_F(RegistryTest, RollbackGoesToPreviousOrToANamedRun) {
  std::string a = Register(1), b = Register(2), c = Register(3);
  Status none = registry_.Rollback().status();
  EXPECT_EQ(none.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(none.message().find("alias 'previous'"), std::string::npos);

  ASSERT_TRUE(registry_.Promote(a, "production").ok());
  ASSERT_TRUE(registry_.Promote(b, "production").ok());
  ASSERT_TRUE(registry_.Promote(c, "production").ok());
  Result<ModelVersion> back = registry_.Rollback();
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->run_id, b);
  EXPECT_EQ(AliasOwner("production"), b);
  EXPECT_EQ(AliasOwner("previous"), c);
  ASSERT_TRUE(registry_.Rollback(a).ok());
  EXPECT_EQ(AliasOwner("production"), a);
  EXPECT_EQ(AliasOwner("previous"), b);
}

TEST_F(RegistryTest, VerifyArtifactsNamesAMissingOrCorruptedFile) {
  std::string a = Register(1);
  Result<ModelVersion> v = registry_.Get(a);
  ASSERT_TRUE(v.ok());
  EXPECT_TRUE(registry_.VerifyArtifacts(*v).ok());

  // Same size, different bytes.
  ASSERT_TRUE(WriteFileAtomic(dir_.path() / "models/itemcf-1.rmdl", "model bytes X").ok());
  Status corrupt = registry_.VerifyArtifacts(*v);
  EXPECT_EQ(corrupt.code(), StatusCode::kDataLoss);
  EXPECT_NE(
      corrupt.message().find("artifact models/itemcf-1.rmdl of run " + a + ": sha256 mismatch"),
      std::string::npos)
      << corrupt.message();
  // A corrupted version cannot be promoted; nothing changes.
  EXPECT_EQ(registry_.Promote(a, "production").status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(AliasOwner("production"), "");

  std::filesystem::remove(dir_.path() / "models/itemcf-1.rmdl");
  Status missing = registry_.VerifyArtifacts(*v);
  EXPECT_EQ(missing.code(), StatusCode::kNotFound);
  EXPECT_NE(missing.message().find("artifact models/itemcf-1.rmdl of run " + a + " is missing"),
            std::string::npos)
      << missing.message();
}

TEST_F(RegistryTest, RetentionKeepsTheNewestAndAliasedVersions) {
  std::string r1 = Register(1), r2 = Register(2), r3 = Register(3), r4 = Register(4),
              r5 = Register(5);
  ASSERT_TRUE(registry_.Promote(r1, "production").ok());
  ASSERT_TRUE(registry_.Promote(r2, "canary").ok());
  Result<RetentionReport> report = registry_.ApplyRetention();  // keep_versions = 2
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->removed_versions, std::vector<std::string>{r3});
  ASSERT_EQ(report->removed_files.size(), 1u);
  EXPECT_EQ(report->removed_files[0].filename(), "itemcf-3.rmdl");
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "models/itemcf-3.rmdl"));
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "models/itemcf-1.rmdl"));
  std::vector<std::string> kept;
  Result<RegistryContents> after = registry_.Load();
  ASSERT_TRUE(after.ok());
  for (const ModelVersion& v : after->versions) kept.push_back(v.run_id);
  EXPECT_EQ(kept, (std::vector<std::string>{r1, r2, r4, r5}));
  EXPECT_EQ(registry_.Get(r3).status().code(), StatusCode::kNotFound);
}

TEST_F(RegistryTest, RetentionKeepsAFileStillNamedByAKeptVersion) {
  RunRecord old_run = MakeRun(1);
  RunRecord new_run = MakeRun(2);
  RunRecord newest = MakeRun(3);
  new_run.artifacts.push_back(old_run.artifacts[0]);  // shares the older file
  ASSERT_TRUE(registry_.Register(old_run).ok());
  ASSERT_TRUE(registry_.Register(new_run).ok());
  ASSERT_TRUE(registry_.Register(newest).ok());
  Result<RetentionReport> report = registry_.ApplyRetention();
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(report->removed_versions, std::vector<std::string>{old_run.run_id});
  EXPECT_TRUE(report->removed_files.empty());
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "models/itemcf-1.rmdl"));
}

TEST_F(RegistryTest, ACorruptedRegistryFileIsAClearErrorAndIsNotOverwritten) {
  std::string a = Register(1);
  std::string b = Register(2);  // the .bak now holds the registry with only `a`
  ASSERT_TRUE(WriteFileAtomic(registry_.registry_path(), "{\"versions\": [{\"run_id\": ").ok());
  Status load = registry_.Load().status();
  EXPECT_EQ(load.code(), StatusCode::kDataLoss);
  EXPECT_NE(load.message().find(registry_.registry_path().string() + ": not valid JSON"),
            std::string::npos)
      << load.message();
  EXPECT_NE(load.message().find("model_registry.json.bak"), std::string::npos);
  EXPECT_EQ(registry_.Promote(a, "production").status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(ReadFile(registry_.registry_path()).value(), "{\"versions\": [{\"run_id\": ");

  Result<RegistryContents> backup = ModelRegistry::LoadFile(registry_.backup_path());
  ASSERT_TRUE(backup.ok()) << backup.status().ToString();
  ASSERT_EQ(backup->versions.size(), 1u);
  EXPECT_EQ(backup->versions[0].run_id, a);
}

TEST(RegistryJson, RejectsDuplicateAliasesAndEscapingPaths) {
  std::string twice = R"({"versions":[
    {"run_id":"a","created":"2026-01-01T00:00:00Z","aliases":["production"]},
    {"run_id":"b","created":"2026-01-02T00:00:00Z","aliases":["production"]}]})";
  Status st = RegistryFromJson(twice, "reg.json").status();
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_NE(st.message().find("alias 'production' is on more than one version"), std::string::npos);
  std::string escaping = R"({"versions":[{"run_id":"a","created":"2026-01-01T00:00:00Z",
    "artifacts":[{"path":"../../etc/passwd","sha256":"00"}]}]})";
  st = RegistryFromJson(escaping, "reg.json").status();
  EXPECT_NE(st.message().find("reg.json: field 'versions[0].artifacts' has a path outside"),
            std::string::npos)
      << st.message();
  std::string bad_alias =
      R"({"versions":[{"run_id":"a","created":"2026-01-01T00:00:00Z","aliases":["beta"]}]})";
  EXPECT_FALSE(RegistryFromJson(bad_alias, "reg.json").ok());
  EXPECT_FALSE(RegistryFromJson(R"({"models":[]})", "reg.json").ok());
}

TEST_F(RegistryTest, ConcurrentRegistrationsFromSeparateInstancesAreAllKept) {
  constexpr int kPerThread = 10;
  std::vector<RunRecord> runs;
  for (int i = 0; i < 2 * kPerThread; ++i) runs.push_back(MakeRun(i + 1));
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      // Each thread has its own registry (its own lock file descriptor), as two processes do.
      ModelRegistry mine(dir_.path(), clock_, {.keep_versions = 100});
      for (int i = 0; i < kPerThread; ++i) {
        EXPECT_TRUE(mine.Register(runs[static_cast<size_t>(t * kPerThread + i)]).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  Result<RegistryContents> c = registry_.Load();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->versions.size(), static_cast<size_t>(2 * kPerThread));
}

TEST_F(RegistryTest, ClearAliasEndsACanary) {
  std::string a = Register(1), b = Register(2);
  ASSERT_TRUE(registry_.Promote(a, "production").ok());
  ASSERT_TRUE(registry_.Promote(b, "canary").ok());
  ASSERT_TRUE(registry_.ClearAlias("canary").ok());
  EXPECT_EQ(registry_.Resolve("canary").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(AliasOwner("production"), a);
}

TEST_F(RegistryTest, SetMetricsMergesIntoTheVersion) {
  std::string a = Register(1);
  ASSERT_TRUE(registry_.SetMetrics(a, {{"recall@10", 0.5}}).ok());
  Result<ModelVersion> v = registry_.Get(a);
  ASSERT_TRUE(v.ok());
  EXPECT_DOUBLE_EQ(v->metrics.at("recall@10"), 0.5);
  EXPECT_DOUBLE_EQ(v->metrics.at("ndcg@10"), 0.1);
}

}  // namespace
}  // namespace reco::registry
