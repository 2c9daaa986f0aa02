// The real Gorse JavaScript SDK (tests/sdk, node:test) against a running `reco serve`.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "tests/integration/test_server.h"

namespace reco::itest {
namespace {

namespace fs = std::filesystem;

// Runs `command` with /bin/sh, output appended to `log`; returns the exit code (-1 when killed).
int Shell(const std::string& command, const fs::path& log) {
  std::string full = "(" + command + ") >>'" + log.string() + "' 2>&1";
  int rc = std::system(full.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// A copy of tests/sdk under the build dir with its npm dependencies installed (once).
std::string PrepareSdkDir(const fs::path& dir, const fs::path& log) {
  const fs::path src = fs::path(RECO_SOURCE_DIR) / "tests" / "sdk";
  fs::create_directories(dir);
  for (const char* name : {"package.json", "package-lock.json", "gorse_sdk.test.mjs"}) {
    fs::copy_file(src / name, dir / name, fs::copy_options::overwrite_existing);
  }
  if (fs::exists(dir / "node_modules" / "gorsejs" / "package.json")) return "";
  std::string cd = "cd '" + dir.string() + "' && ";
  if (Shell(cd + "npm ci --no-audit --no-fund", log) == 0) return "";
  if (Shell(cd + "npm install --no-audit --no-fund", log) == 0) return "";
  return "npm could not install tests/sdk dependencies; log:\n" + ReadFile(log);
}

TEST(GorseSdk, JavaScriptClientPassesAgainstReco) {
  if (Shell("command -v node && command -v npm", "/dev/null") != 0) {
    GTEST_SKIP() << "node/npm are not installed; the Gorse JS SDK test needs Node.js 18 or newer (Debian 12 has 18) with npm";
  }
  TempDataDir dir("sdk");
  const fs::path log = dir.path() / "node.log";
  const fs::path sdk_dir = fs::path(RECO_BINARY_DIR) / "tests" / "sdk_run";
  ASSERT_EQ(PrepareSdkDir(sdk_dir, log), "");

  auto data = dir.path() / "data";
  ASSERT_EQ(PrepareDemoData(data, {.users = 100, .items = 150, .seed = 11}), "");
  TestServer server;
  ASSERT_EQ(server.Start(data), "");
  int rc = Shell("cd '" + sdk_dir.string() + "' && RECO_URL='" + server.url() +
                     "' node --test gorse_sdk.test.mjs",
                 log);
  std::string output = ReadFile(log);
  EXPECT_EQ(rc, 0) << "node --test failed; output:\n" << output;
  EXPECT_NE(output.find("# fail 0"), std::string::npos) << output;
  EXPECT_EQ(output.find("# pass 0"), std::string::npos) << "no SDK test ran:\n" << output;
}

}  // namespace
}  // namespace reco::itest
