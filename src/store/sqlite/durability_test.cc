// A write that returned ok survives kill -9: a child process inserts batches and reports each
// acknowledged one through a pipe; the parent kills it mid-stream and checks every reported
// row after reopening, plus the file's integrity.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <string>

#include "store/sqlite/sqlite_db.h"
#include "store/sqlite/sqlite_store.h"

namespace reco::sqlite {
namespace {

constexpr int kRowsPerBatch = 50;
constexpr int kMinAcknowledged = 20;
constexpr int kMaxBatches = 100'000;  // the child stops on its own if never killed

std::vector<Feedback> Batch(int b) {
  std::vector<Feedback> rows;
  for (int i = 0; i < kRowsPerBatch; ++i) {
    rows.push_back(Feedback{"like", "u" + std::to_string(b), "i" + std::to_string(i), 1.0, b, ""});
  }
  return rows;
}

// Child: never returns.
[[noreturn]] void WriteUntilKilled(const std::filesystem::path& path, int fd) {
  SqliteStoreOptions options;
  options.path = path;
  options.reader_connections = 1;
  auto store = OpenSqliteStore(options);
  if (!store.ok()) _exit(2);
  for (int32_t b = 0; b < kMaxBatches; ++b) {
    if (!(*store)->InsertFeedback(Batch(b), {}).ok()) _exit(3);
    int32_t acknowledged = b + 1;
    if (write(fd, &acknowledged, sizeof(acknowledged)) != sizeof(acknowledged)) _exit(4);
  }
  _exit(0);
}

TEST(SqliteDurability, AcknowledgedBatchesSurviveKill9) {
  auto dir =
      std::filesystem::temp_directory_path() / ("reco_durability_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  auto path = dir / "reco.db";
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(fds[0]);
    WriteUntilKilled(path, fds[1]);
  }
  close(fds[1]);
  int32_t acknowledged = 0;
  int32_t value = 0;
  while (acknowledged < kMinAcknowledged && read(fds[0], &value, sizeof(value)) == sizeof(value)) {
    acknowledged = value;
  }
  ASSERT_EQ(kill(child, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited early with " << WEXITSTATUS(status);
  while (read(fds[0], &value, sizeof(value)) == sizeof(value)) acknowledged = value;
  close(fds[0]);
  ASSERT_GE(acknowledged, kMinAcknowledged);

  SqliteStoreOptions options;
  options.path = path;
  auto store = OpenSqliteStore(options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  for (int b = 0; b < acknowledged; ++b) {
    FeedbackFilter filter;
    filter.user_id = "u" + std::to_string(b);
    auto page = (*store)->ListFeedback(filter, "", kRowsPerBatch + 1);
    ASSERT_TRUE(page.ok());
    ASSERT_EQ(page->rows.size(), static_cast<size_t>(kRowsPerBatch)) << "batch " << b;
  }
  auto counts = (*store)->Counts();
  EXPECT_GE(counts->feedback, int64_t{acknowledged} * kRowsPerBatch);
  EXPECT_EQ(counts->feedback % kRowsPerBatch, 0) << "a batch was partly written";
  (*store)->Close();
  auto raw = Connection::Open(path, /*create=*/false, 1000);
  ASSERT_TRUE(raw.ok());
  auto check = (*raw)->Prepare("PRAGMA integrity_check");
  ASSERT_TRUE(check.ok());
  ASSERT_EQ(check->Step(), SQLITE_ROW);
  EXPECT_EQ(check->Text(0), "ok");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace reco::sqlite
