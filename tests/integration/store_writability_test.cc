// The store's writability on a real `reco serve`: a database that cannot be written stops the
// start-up (naming the file and the cause) unless --read-only asks for a read-only server, which
// answers reads and refuses writes with 503; a full disk answers writes 507, shows in /health
// and /metrics, and recovers by itself when space returns.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <string>

#include "store/testing/immutable_file.h"
#include "tests/integration/test_server.h"

namespace reco::itest {
namespace {

namespace fs = std::filesystem;

using reco::testing::SetImmutable;

// The value of the first sample line of /metrics starting with `series` (-1 when absent).
double MetricValue(const std::string& text, const std::string& series) {
  size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

bool BoolField(const JsonValue& v) {
  bool b = false;
  return v.get_bool().get(b) == simdjson::SUCCESS && b;
}

TEST(StoreWritability, ReadOnlyServerAnswersReadsAndRefusesWrites) {
  TempDataDir dir("read_only");
  const fs::path data = dir.path() / "data";
  ASSERT_EQ(PrepareDemoData(data, {.users = 40, .items = 60, .seed = 21}), "");
  TestServer server;
  ASSERT_EQ(server.Start(data, {.args = {"--read-only"}}), "");
  HttpClient c(server.port());

  Json health(c.Get("/health").body);
  EXPECT_EQ(StringField(health.root(), "status"), "healthy") << "read-only on purpose";
  EXPECT_TRUE(BoolField(health["read_only"]));
  EXPECT_FALSE(BoolField(health["store_writable"]));
  EXPECT_EQ(StringField(health["store"], "reason"), "read_only");
  EXPECT_EQ(c.Get("/api/health/ready").status, 200) << "reads are answered";
  EXPECT_EQ(c.Get("/api/recommend/u1?n=5").status, 200);
  EXPECT_EQ(c.Get("/api/user/u1").status, 200);

  HttpResult write = c.Post("/api/user", "{\"UserId\":\"new-user\"}");
  EXPECT_EQ(write.status, 503) << write.body;
  EXPECT_NE(ErrorMessage(write.body).find("read-only"), std::string::npos) << write.body;
  EXPECT_NE(ErrorMessage(write.body).find((data / "reco.db").string()), std::string::npos)
      << write.body;
  EXPECT_EQ(c.Post("/api/feedback", "[" + FeedbackJson("like", "u1", "i1") + "]").status, 503);
  EXPECT_EQ(c.Get("/api/user/new-user").status, 404);
  const std::string metrics = c.Get("/metrics").body;
  EXPECT_EQ(MetricValue(metrics, "store_writable"), 0) << metrics;
  EXPECT_EQ(MetricValue(metrics, "store_write_failures_total{reason=\"read_only\"}"), 2);
  EXPECT_TRUE(server.Stop(SIGTERM).Ok());
}

TEST(StoreWritability, AnUnwritableDatabaseStopsTheStartUpUnlessReadOnlyIsAsked) {
  TempDataDir dir("unwritable");
  const fs::path data = dir.path() / "data";
  ASSERT_EQ(PrepareDemoData(data, {.users = 30, .items = 40, .seed = 22}), "");
  const fs::path db = data / "reco.db";
  if (!SetImmutable(db, true)) {
    GTEST_SKIP() << "cannot set the immutable attribute on " << db
                 << " (needs root / CAP_LINUX_IMMUTABLE and ext4, xfs or btrfs)";
  }
  struct Restore {
    fs::path path;
    ~Restore() { SetImmutable(path, false); }
  } restore{db};

  TestServer refused;
  const std::string failure = refused.Start(data);
  EXPECT_NE(failure.find("exited before listening"), std::string::npos) << failure;
  EXPECT_NE(failure.find("database " + db.string() + " is not writable"), std::string::npos)
      << failure;
  EXPECT_NE(failure.find("Operation not permitted"), std::string::npos) << failure;
  EXPECT_NE(failure.find("--read-only"), std::string::npos) << failure;

  // The configuration key does the same as the flag.
  TestServer server;
  ASSERT_EQ(server.Start(data, {.env = {{"RECO_DATABASE_READ_ONLY", "true"}}}), "");
  HttpClient c(server.port());
  EXPECT_TRUE(BoolField(Json(c.Get("/health").body)["read_only"]));
  EXPECT_EQ(c.Get("/api/recommend/u1?n=5").status, 200);
  EXPECT_EQ(c.Post("/api/user", "{\"UserId\":\"x\"}").status, 503);
  EXPECT_TRUE(server.Stop(SIGTERM).Ok());
}

// A small tmpfs holds the data dir; a filler file takes the rest of its space.
class TmpfsDataDir {
 public:
  TmpfsDataDir(const fs::path& mount_point, const std::string& size) : path_(mount_point) {
    fs::create_directories(path_);
    mounted_ = ::mount("tmpfs", path_.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
  }
  ~TmpfsDataDir() {
    if (mounted_) ::umount2(path_.c_str(), MNT_DETACH);
  }
  bool mounted() const { return mounted_; }

  // Writes `file` until the filesystem is full; true when it filled up.
  static bool Fill(const fs::path& file) {
    const int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return false;
    const std::string chunk(1 << 16, 'f');
    bool full = false;
    for (int i = 0; i < 1 << 16 && !full; ++i) {
      full = ::write(fd, chunk.data(), chunk.size()) < static_cast<ssize_t>(chunk.size());
    }
    for (int i = 0; i < 64 && full; ++i) {  // the last partial pages
      if (::write(fd, chunk.data(), 1) < 1) break;
    }
    ::close(fd);
    return full;
  }

 private:
  fs::path path_;
  bool mounted_ = false;
};

TEST(StoreWritability, AFullDiskAnswers507ShowsInHealthAndRecovers) {
  TempDataDir dir("disk_full");
  TmpfsDataDir tmpfs(dir.path() / "mnt", "24m");
  if (!tmpfs.mounted()) {
    GTEST_SKIP() << "cannot mount a tmpfs (needs root / CAP_SYS_ADMIN); the SQLITE_FULL path is "
                    "also covered by SqliteWritabilityTest.AFullDatabaseAnswers...";
  }
  const fs::path data = dir.path() / "mnt" / "data";
  ASSERT_EQ(PrepareDemoData(data, {.users = 40, .items = 60, .seed = 23}), "");
  TestServer server;
  // No scheduler: only this test's writes reach the store.
  ASSERT_EQ(server.Start(data, {.env = {{"RECO_WORKER_IN_SERVE", "false"}}}), "");
  HttpClient c(server.port());
  ASSERT_EQ(StringField(Json(c.Get("/health").body).root(), "status"), "healthy");

  const fs::path filler = dir.path() / "mnt" / "filler";
  ASSERT_TRUE(TmpfsDataDir::Fill(filler));
  HttpResult write;
  for (int i = 0; i < 50 && write.status != 507; ++i) {
    std::string rows = "[";
    for (int k = 0; k < 50; ++k) {
      rows += (k ? "," : "") + FeedbackJson("like", "full-u" + std::to_string(i),
                                            "full-i" + std::to_string(i * 50 + k));
    }
    write = c.Post("/api/feedback", rows + "]");
    ASSERT_TRUE(write.status == 200 || write.status == 507) << write.status << " " << write.body;
  }
  ASSERT_EQ(write.status, 507) << "the full disk never refused a write";
  EXPECT_NE(write.body.find("\"status\":\"INSUFFICIENT_STORAGE\""), std::string::npos)
      << write.body;
  EXPECT_NE(ErrorMessage(write.body).find("disk holding the database is full"), std::string::npos)
      << write.body;

  Json health(c.Get("/health").body);
  EXPECT_EQ(StringField(health.root(), "status"), "degraded");
  EXPECT_FALSE(BoolField(health["store_writable"]));
  EXPECT_EQ(StringField(health["store"], "reason"), "disk_full");
  EXPECT_NE(StringField(health["store"], "message").find("full"), std::string::npos);
  EXPECT_EQ(c.Get("/api/health/ready").status, 200) << "reads are still answered";
  EXPECT_EQ(c.Get("/api/recommend/u1?n=5").status, 200);
  std::string metrics = c.Get("/metrics").body;
  EXPECT_EQ(MetricValue(metrics, "store_writable"), 0) << metrics;
  EXPECT_GE(MetricValue(metrics, "store_write_failures_total{reason=\"disk_full\"}"), 1);

  // Space returns: the next write goes through and the store is healthy again by itself.
  fs::remove(filler);
  HttpResult again = c.Post("/api/feedback", "[" + FeedbackJson("like", "u1", "i2") + "]");
  EXPECT_EQ(again.status, 200) << again.body;
  Json healed(c.Get("/health").body);
  EXPECT_EQ(StringField(healed.root(), "status"), "healthy") << c.Get("/health").body;
  EXPECT_TRUE(BoolField(healed["store_writable"]));
  EXPECT_EQ(MetricValue(c.Get("/metrics").body, "store_writable"), 1);
  EXPECT_TRUE(server.Stop(SIGTERM).Ok());
}

}  // namespace
}  // namespace reco::itest
