// What a new operator meets first: the command line's answer to a wrong word, a data directory
// that does not exist, the quickstart's "the list changes without retraining" step, and test
// runs that leave nothing behind in the temporary directory.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>

#include "tests/integration/test_server.h"

namespace reco::itest {
namespace {

namespace fs = std::filesystem;

// What `reco args...` prints, after checking that it exits with a non-zero code.
std::string FailingOutput(const std::vector<std::string>& args) {
  TempDataDir dir("newcomer_cli");
  const fs::path log = dir.path() / "cli.log";
  ExitStatus st = RunReco(args, log);
  EXPECT_TRUE(st.exited && st.code != 0) << st.ToString();
  return ReadFile(log);
}

TEST(Newcomer, UnknownCommandIsNamed) {
  std::string out = FailingOutput({"frobnicate"});
  EXPECT_NE(out.find("unknown command 'frobnicate'"), std::string::npos) << out;
  EXPECT_NE(out.find("serve"), std::string::npos) << "the commands are listed: " << out;
}

TEST(Newcomer, UnknownOptionBeforeTheCommandIsNamed) {
  std::string out = FailingOutput({"--bogus"});
  EXPECT_NE(out.find("unknown option --bogus"), std::string::npos) << out;
}

TEST(Newcomer, ServeRefusesADataDirThatDoesNotExist) {
  TempDataDir dir("newcomer_serve");
  const fs::path missing = dir.path() / "typo";
  const fs::path log = dir.path() / "serve.log";
  ExitStatus st = RunReco({"serve", "--data-dir", missing.string(), "--http-port", "0"}, log);
  EXPECT_TRUE(st.exited && st.code == 1) << st.ToString();
  std::string out = ReadFile(log);
  EXPECT_NE(out.find("data directory " + missing.string() + " does not exist (--data-dir)"),
            std::string::npos)
      << out;
  EXPECT_FALSE(fs::exists(missing)) << "reco serve created the mistyped directory";
}

TEST(Newcomer, ServeInitCreatesAnEmptyDataDir) {
  TempDataDir dir("newcomer_init");
  const fs::path fresh = dir.path() / "fresh";
  const fs::path log = dir.path() / "serve.log";
  pid_t pid =
      SpawnReco({"serve", "--data-dir", fresh.string(), "--http-port", "0", "--init"}, log);
  ASSERT_GT(pid, 0);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (ReadFile(log).find("listening on") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::string out = ReadFile(log);
  ::kill(pid, SIGTERM);
  int wstatus = 0;
  ::waitpid(pid, &wstatus, 0);
  EXPECT_NE(out.find("listening on"), std::string::npos) << out;
  EXPECT_TRUE(fs::is_directory(fresh));
}

// The README's quickstart step: the user and item that scripts/quickstart_example.py picks make
// the user's top 5 change after one like, with no retraining.
TEST(Newcomer, QuickstartExampleLikeChangesTheTopFive) {
  if (std::system("command -v python3 >/dev/null 2>&1") != 0) {
    GTEST_SKIP() << "python3 is not installed; scripts/quickstart_example.py needs it";
  }
  TempDataDir dir("newcomer_quickstart");
  const fs::path data = dir.path() / "data";
  const fs::path src = dir.path() / "source";
  const fs::path log = dir.path() / "prepare.log";
  // The quickstart's steps, on a smaller catalogue.
  ASSERT_TRUE(RunReco({"demo-data", "--out", src.string(), "--users", "500", "--items", "1000",
                       "--seed", "42"},
                      log)
                  .Ok())
      << ReadFile(log);
  ASSERT_TRUE(RunReco({"import", "--data-dir", data.string(), src.string()}, log).Ok())
      << ReadFile(log);
  ASSERT_TRUE(RunReco({"train", "--data-dir", data.string()}, log).Ok()) << ReadFile(log);
  const fs::path picked = dir.path() / "picked.txt";
  std::string cmd = "python3 '" + std::string(RECO_SOURCE_DIR) +
                    "/scripts/quickstart_example.py' '" + src.string() + "' > '" +
                    picked.string() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  char user[128] = {0}, item[128] = {0};
  int history = 0;
  ASSERT_EQ(std::sscanf(ReadFile(picked).c_str(), "%127s %127s %d", user, item, &history), 3)
      << ReadFile(picked);
  EXPECT_GE(history, 3);

  TestServer server;
  ASSERT_EQ(server.Start(data), "");
  HttpClient c(server.port());
  const std::string target = "/api/recommend/" + std::string(user) + "?n=5";
  std::vector<std::string> before = StringArray(c.Get(target).body);
  ASSERT_EQ(before.size(), 5u);
  HttpResult like = c.Post("/api/feedback", std::string("[{\"FeedbackType\":\"like\",\"UserId\":\"") +
                                                user + "\",\"ItemId\":\"" + item + "\"}]");
  ASSERT_EQ(like.status, 200) << like.body;
  std::vector<std::string> after = StringArray(c.Get(target).body);
  ASSERT_EQ(after.size(), 5u);
  int changed = 0;
  for (const std::string& id : after) {
    if (std::find(before.begin(), before.end(), id) == before.end()) ++changed;
  }
  EXPECT_GE(changed, 2) << "the like of " << item << " barely changed " << user << "'s top 5";
}

TEST(Newcomer, TempDataDirRemovesTheLogsBesideIt) {
  fs::path sibling;
  {
    TempDataDir dir("newcomer_cleanup");
    sibling = dir.path().string() + "_serve_0.log";
    std::FILE* f = std::fopen(sibling.c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("log\n", f);
    std::fclose(f);
    ASSERT_TRUE(fs::exists(sibling));
  }
  EXPECT_FALSE(fs::exists(sibling));
}

}  // namespace
}  // namespace reco::itest
