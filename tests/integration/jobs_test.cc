// Scheduled jobs over REST on a real `reco serve`: list, trigger, run history, errors; and a
// separate `reco worker` process leading the scheduler and running runs queued through serve.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/integration/test_server.h"

namespace reco::itest {
namespace {

using SteadyClock = std::chrono::steady_clock;

std::vector<simdjson::dom::element> Elements(JsonValue value) {
  std::vector<simdjson::dom::element> out;
  simdjson::dom::array array;
  if (value.get_array().get(array) != simdjson::SUCCESS) return out;
  for (simdjson::dom::element e : array) out.push_back(e);
  return out;
}

bool IsNull(JsonValue value) {
  simdjson::dom::element e;
  return value.get(e) == simdjson::SUCCESS && e.is_null();
}

// Polls GET /api/v1/jobs/runs/{id} until the run is no longer queued/running (bounded).
std::string WaitForRunEnd(HttpClient& client, int64_t id, std::string* body = nullptr) {
  const auto deadline = SteadyClock::now() + std::chrono::seconds(60);
  std::string status;
  while (SteadyClock::now() < deadline) {
    HttpResult r = client.Get("/api/v1/jobs/runs/" + std::to_string(id));
    status = r.status == 200 ? StringField(Json(r.body).root(), "status")
                             : "http " + std::to_string(r.status);
    if (body != nullptr) *body = r.body;
    if (status != "queued" && status != "running") return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return "still " + status;
}

int64_t TriggerRun(HttpClient& client, const std::string& job) {
  HttpResult r = client.Post("/api/v1/jobs/" + job + "/run", "");
  EXPECT_EQ(r.status, 202) << r.body;
  int64_t id = -1;
  if (Json(r.body)["run_id"].get_int64().get(id) != simdjson::SUCCESS) return -1;
  EXPECT_EQ(StringField(Json(r.body).root(), "status"), "queued");
  return id;
}

std::string Leader(HttpClient& client) {
  return StringField(Json(client.Get("/api/v1/jobs").body).root(), "leader");
}

TEST(Jobs, ServeRunsTriggeredJobsAndKeepsTheirHistory) {
  TempDataDir dir("reco_itest_jobs");
  DemoDataOptions demo;
  demo.train = false;
  ASSERT_EQ(PrepareDemoData(dir.path(), demo), "");
  TestServer server;
  ASSERT_EQ(server.Start(dir.path(), {.env = {{"RECO_WORKER_MAX_RETRIES", "0"}}}), "");
  HttpClient client(server.port());

  HttpResult jobs = client.Get("/api/v1/jobs");
  ASSERT_EQ(jobs.status, 200) << jobs.body;
  Json doc(jobs.body);
  std::vector<std::string> names;
  std::vector<simdjson::dom::element> listed = Elements(doc["jobs"]);
  for (simdjson::dom::element job : listed) {
    names.push_back(StringField(job, "name"));
    EXPECT_TRUE(IsNull(job["last_run"]));
    // item_images has no schedule by default: it runs on request only.
    if (names.back() == "item_images") {
      EXPECT_TRUE(IsNull(job["next_run"])) << jobs.body;
    } else {
      EXPECT_FALSE(StringField(job, "next_run").empty()) << jobs.body;
    }
  }
  EXPECT_EQ(names, (std::vector<std::string>{"train", "item_vectors", "user_profiles", "precompute",
                                             "cache_cleanup", "item_images"}));
  ASSERT_EQ(listed.size(), 6u);
  EXPECT_EQ(StringField(listed[0], "cron"), "0 3 * * *");

  // train writes the models and the server reloads them.
  EXPECT_EQ(StringField(Json(client.Get("/health").body).root(), "status"), "degraded");
  int64_t train = TriggerRun(client, "train");
  std::string body;
  ASSERT_EQ(WaitForRunEnd(client, train, &body), "succeeded") << body << server.log();
  Json run(body);
  EXPECT_EQ(StringField(run.root(), "trigger"), "manual");
  EXPECT_EQ(StringField(run.root(), "error"), "");
  EXPECT_FALSE(StringField(run.root(), "end").empty());
  EXPECT_EQ(StringField(Json(client.Get("/health").body).root(), "status"), "healthy");

  // Feedback another process writes to the store (here `reco import`) reaches the server's user
  // histories through user_profiles: the item becomes seen and is no longer recommended.
  std::vector<std::string> recs = StringArray(client.Get("/api/recommend/u1?n=5").body);
  ASSERT_FALSE(recs.empty());
  std::filesystem::create_directories(dir.path() / "extra");
  {
    std::ofstream extra(dir.path() / "extra" / "feedback.jsonl");
    extra << R"({"FeedbackType":"like","UserId":"u1","ItemId":")" << recs[0]
          << R"(","Timestamp":"2026-01-01T00:00:00Z"})"
          << "\n";
  }
  ASSERT_TRUE(RunReco({"import", "--data-dir", dir.path().string(), "--strict",
                       (dir.path() / "extra").string()},
                      dir.path() / "extra.log")
                  .Ok())
      << ReadFile(dir.path() / "extra.log");
  EXPECT_EQ(StringArray(client.Get("/api/recommend/u1?n=5").body)[0], recs[0]);  // not yet
  int64_t profiles = TriggerRun(client, "user_profiles");
  ASSERT_EQ(WaitForRunEnd(client, profiles, &body), "succeeded") << body << server.log();
  std::vector<std::string> after_refresh = StringArray(client.Get("/api/recommend/u1?n=5").body);
  EXPECT_EQ(std::find(after_refresh.begin(), after_refresh.end(), recs[0]), after_refresh.end());

  // precompute needs a tuned config: a final error, not retried.
  int64_t precompute = TriggerRun(client, "precompute");
  ASSERT_EQ(WaitForRunEnd(client, precompute, &body), "failed");
  EXPECT_EQ(StringField(Json(body).root(), "error"),
            "FAILED_PRECONDITION: precompute needs recommend.model_config (a CONFIG.toml from "
            "reco tune)");

  HttpResult unknown = client.Post("/api/v1/jobs/nope/run", "");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(ErrorMessage(unknown.body), "no job named \"nope\"");
  HttpResult bad_id = client.Get("/api/v1/jobs/runs/abc");
  EXPECT_EQ(bad_id.status, 400);
  EXPECT_EQ(ErrorField(bad_id.body), "id");
  EXPECT_EQ(client.Get("/api/v1/jobs/runs/999999").status, 404);

  Json after(client.Get("/api/v1/jobs").body);
  std::vector<simdjson::dom::element> jobs_after = Elements(after["jobs"]);
  ASSERT_EQ(jobs_after.size(), 6u);
  simdjson::dom::element train_job = jobs_after[0];
  int64_t last_id = -1;
  ASSERT_EQ(train_job["last_run"]["id"].get_int64().get(last_id), simdjson::SUCCESS);
  EXPECT_EQ(last_id, train);
  EXPECT_EQ(StringField(train_job["last_run"], "status"), "succeeded");
  EXPECT_EQ(ArraySize(client.Get("/api/v1/jobs/runs?job=train").body), 1);
  EXPECT_EQ(ArraySize(client.Get("/api/v1/jobs/runs?status=failed").body), 1);
  EXPECT_EQ(ArraySize(client.Get("/api/v1/jobs/runs").body), 3);
  EXPECT_EQ(client.Get("/api/v1/jobs/runs?n=0").status, 400);
  EXPECT_NE(client.Get("/api/v1/openapi.json").body.find("\"/api/v1/jobs/{name}/run\""),
            std::string::npos);
  EXPECT_TRUE(server.Stop(SIGTERM).Ok()) << server.log();
}

TEST(Jobs, SeparateWorkerLeadsAndRunsWhatServeQueued) {
  TempDataDir dir("reco_itest_jobs_worker");
  DemoDataOptions demo;
  demo.train = false;
  ASSERT_EQ(PrepareDemoData(dir.path(), demo), "");
  TestServer server;
  ASSERT_EQ(server.Start(dir.path(), {.env = {{"RECO_WORKER_IN_SERVE", "false"}}}), "");
  HttpClient client(server.port());
  EXPECT_EQ(Leader(client), "");
  int64_t id = TriggerRun(client, "cache_cleanup");
  EXPECT_EQ(StringField(Json(client.Get("/api/v1/jobs/runs/" + std::to_string(id)).body).root(),
                        "status"),
            "queued");  // serve does not run jobs itself

  std::filesystem::path log = dir.path() / "worker.log";
  const std::string reload_url =
      "http://127.0.0.1:" + std::to_string(server.port()) + "/models/reload";
  pid_t worker = SpawnReco({"worker", "--data-dir", dir.str(), "--holder", "itest-worker"}, log,
                           {{"MODEL_RELOAD_URL", reload_url}});
  ASSERT_GT(worker, 0);
  std::string body;
  EXPECT_EQ(WaitForRunEnd(client, id, &body), "succeeded") << body << ReadFile(log);
  EXPECT_EQ(StringField(Json(body).root(), "holder"), "itest-worker");
  EXPECT_EQ(Leader(client), "itest-worker");

  // user_profiles in the worker asks the server to refresh its user histories (a reload).
  ASSERT_TRUE(RunReco({"train", "--data-dir", dir.str()}, dir.path() / "train.log").Ok())
      << ReadFile(dir.path() / "train.log");
  auto refreshes = [&server] {
    const std::string text = server.log();
    size_t n = 0;
    for (size_t at = text.find("event=user_profiles_refreshed"); at != std::string::npos;
         at = text.find("event=user_profiles_refreshed", at + 1)) {
      ++n;
    }
    return n;
  };
  const size_t refreshes_before = refreshes();
  int64_t profiles = TriggerRun(client, "user_profiles");
  EXPECT_EQ(WaitForRunEnd(client, profiles, &body), "succeeded") << body << ReadFile(log);
  EXPECT_GT(refreshes(), refreshes_before) << server.log();

  ::kill(worker, SIGTERM);
  int wstatus = 0;
  ASSERT_EQ(::waitpid(worker, &wstatus, 0), worker);
  EXPECT_TRUE(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) << ReadFile(log);
  EXPECT_EQ(Leader(client), "");  // released on a clean stop
  EXPECT_TRUE(server.Stop(SIGTERM).Ok()) << server.log();
}

}  // namespace
}  // namespace reco::itest
