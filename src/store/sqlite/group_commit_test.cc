// Group commit of the sqlite backend: concurrent write calls share one transaction yet each
// gets exactly the result (and leaves exactly the rows) it would have alone, in queue order.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite/id_index.h"
#include "store/sqlite/sqlite_db.h"
#include "store/sqlite/sqlite_store_impl.h"

namespace reco::sqlite {
namespace {

constexpr int kThreads = 8;
constexpr int kRowsPerBatch = 50;

class GroupCommitTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("reco_group_commit_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    options_.path = dir_ / "reco.db";
    options_.reader_connections = 2;
    options_.busy_timeout_ms = 600'000;  // the leader waits for the test's lock, however long
    store_ = std::make_unique<SqliteStore>(options_);
    ASSERT_TRUE(store_->Init().ok());
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Runs calls[t] on thread t while another connection holds the write lock, releases it only
  // once every call is queued: the calls then run as one group (one commit).
  void RunAsOneGroup(const std::vector<std::function<void()>>& calls) {
    auto blocker = Connection::Open(options_.path, /*create=*/false, 1000);
    ASSERT_TRUE(blocker.ok());
    ASSERT_TRUE((*blocker)->Exec("BEGIN IMMEDIATE").ok());
    const int64_t commits_before = store_->GroupCommits();
    std::latch started(static_cast<ptrdiff_t>(calls.size()));
    std::vector<std::thread> threads;
    for (const auto& call : calls) {
      threads.emplace_back([&started, &call] {
        started.count_down();
        call();
      });
    }
    started.wait();
    while (store_->QueuedWrites() < calls.size()) std::this_thread::yield();
    ASSERT_TRUE((*blocker)->Exec("COMMIT").ok());
    for (auto& t : threads) t.join();
    EXPECT_EQ(store_->GroupCommits(), commits_before + 1);
  }

  int64_t FeedbackRows() { return store_->Counts().value().feedback; }

  std::filesystem::path dir_;
  SqliteStoreOptions options_;
  std::unique_ptr<SqliteStore> store_;
};

Feedback Row(std::string user, std::string item) {
  return Feedback{"like", std::move(user), std::move(item), 1.0, 0, ""};
}

// Thread t's batch: kRowsPerBatch keys of its own, then the key every thread shares.
std::vector<Feedback> BatchOf(int t) {
  std::vector<Feedback> batch;
  for (int r = 0; r < kRowsPerBatch; ++r) {
    batch.push_back(Row("u" + std::to_string(t), "i" + std::to_string(r)));
  }
  batch.push_back(Row("shared_user", "shared_item"));
  return batch;
}

TEST_F(GroupCommitTest, ConcurrentInsertsCountTheSharedKeyOnce) {
  std::vector<std::vector<Feedback>> batches;
  for (int t = 0; t < kThreads; ++t) batches.push_back(BatchOf(t));
  std::vector<int64_t> affected(kThreads, -1);
  std::vector<std::function<void()>> calls;
  for (int t = 0; t < kThreads; ++t) {
    calls.push_back([&, t] {
      auto r = store_->InsertFeedback(batches[t], {});
      affected[t] = r.ok() ? *r : -2;
    });
  }
  RunAsOneGroup(calls);
  int with_shared = 0;
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_TRUE(affected[t] == kRowsPerBatch || affected[t] == kRowsPerBatch + 1) << affected[t];
    with_shared += affected[t] == kRowsPerBatch + 1;
  }
  EXPECT_EQ(with_shared, 1);
  const int64_t total = kThreads * kRowsPerBatch + 1;
  EXPECT_EQ(FeedbackRows(), total);
  EXPECT_EQ(store_->MaxFeedbackSeq().value(), total);
  std::vector<int64_t> seqs;
  ASSERT_TRUE(
      store_->ScanFeedback(0, [&](const FeedbackRecord& r) { seqs.push_back(r.seq); }).ok());
  ASSERT_EQ(seqs.size(), static_cast<size_t>(total));
  for (size_t i = 0; i < seqs.size(); ++i) EXPECT_EQ(seqs[i], static_cast<int64_t>(i + 1));
}

TEST_F(GroupCommitTest, ConcurrentOverwritesMatchASerialRun) {
  // Under PUT every batch rewrites the shared key: each counts it, the last one queued wins.
  std::vector<std::vector<Feedback>> batches;
  for (int t = 0; t < kThreads; ++t) {
    batches.push_back(BatchOf(t));
    batches.back().back().value = t;
  }
  std::vector<int64_t> affected(kThreads, -1);
  std::vector<std::function<void()>> calls;
  InsertFeedbackOptions put;
  put.overwrite = true;
  for (int t = 0; t < kThreads; ++t) {
    calls.push_back([&, t] {
      auto r = store_->InsertFeedback(batches[t], put);
      affected[t] = r.ok() ? *r : -2;
    });
  }
  RunAsOneGroup(calls);
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(affected[t], kRowsPerBatch + 1);
  EXPECT_EQ(FeedbackRows(), kThreads * kRowsPerBatch + 1);
  // The shared row holds the value of the batch that ran last: the one with the last seqs.
  std::vector<FeedbackRecord> rows;
  ASSERT_TRUE(store_->ScanFeedback(0, [&](const FeedbackRecord& r) { rows.push_back(r); }).ok());
  const int64_t last_batch_start = (kThreads - 1) * (kRowsPerBatch + 1);
  std::string winner;
  for (const FeedbackRecord& r : rows) {
    if (r.feedback.user_id != "shared_user") continue;
    EXPECT_GT(r.seq, last_batch_start);
    winner = "u" + std::to_string(static_cast<int>(r.feedback.value));
  }
  ASSERT_FALSE(winner.empty());
  for (const FeedbackRecord& r : rows) {
    if (r.feedback.user_id == winner) {
      EXPECT_GT(r.seq, last_batch_start);
    }
  }
}

TEST_F(GroupCommitTest, AFailingBatchFailsAloneAndLeavesNoIds) {
  ASSERT_TRUE(store_->InsertUsers(std::vector<User>{User{"known", "null", ""}}).ok());
  // The failing batch interns a new item before meeting the unknown user.
  const std::vector<Feedback> bad = {Row("known", "ghost_item"), Row("stranger", "i0")};
  InsertFeedbackOptions strict;
  strict.auto_insert_users = false;
  std::vector<std::vector<Feedback>> good;
  for (int t = 0; t < kThreads - 1; ++t) good.push_back(BatchOf(t));
  std::vector<int64_t> affected(kThreads - 1, -1);
  Status bad_status;
  std::vector<std::function<void()>> calls;
  for (int t = 0; t < kThreads - 1; ++t) {
    if (t == kThreads / 2) {
      calls.push_back([&] { bad_status = store_->InsertFeedback(bad, strict).status(); });
    }
    calls.push_back([&, t] {
      auto r = store_->InsertFeedback(good[t], {});
      affected[t] = r.ok() ? *r : -2;
    });
  }
  RunAsOneGroup(calls);
  EXPECT_EQ(bad_status.code(), StatusCode::kInvalidArgument) << bad_status.ToString();
  int64_t sum = 0;
  for (int64_t a : affected) {
    EXPECT_GE(a, kRowsPerBatch);
    sum += a;
  }
  EXPECT_EQ(sum, (kThreads - 1) * kRowsPerBatch + 1);
  EXPECT_EQ(FeedbackRows(), sum);
  EXPECT_EQ(store_->MaxFeedbackSeq().value(), sum);
  EXPECT_EQ(store_->GetItem("ghost_item").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->GetUser("stranger").status().code(), StatusCode::kNotFound);
  // The item index the failed batch had taken is reused consistently by the next write.
  ASSERT_EQ(store_->InsertFeedback(std::vector<Feedback>{Row("known", "fresh_item")}, {}).value(),
            1);
  FeedbackFilter filter;
  filter.item_id = "fresh_item";
  auto page = store_->ListFeedback(filter, "", 10);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->rows.size(), 1u);
  EXPECT_EQ(page->rows[0].user_id, "known");
  filter.item_id = "ghost_item";
  EXPECT_TRUE(store_->ListFeedback(filter, "", 10).value().rows.empty());
}

TEST_F(GroupCommitTest, ABatchFailingAfterItWroteFailsAlone) {
  // A trigger rejects one row only after its batch has written its new user: the group's
  // transaction is abandoned and the other batches run again without it.
  {
    auto raw = Connection::Open(options_.path, /*create=*/false, 1000);
    ASSERT_TRUE(raw.ok());
    ASSERT_TRUE((*raw)
                    ->Exec("CREATE TRIGGER reject_poison BEFORE INSERT ON feedback"
                           " WHEN NEW.comment = 'poison' BEGIN SELECT RAISE(ABORT, 'poison');"
                           " END")
                    .ok());
  }
  std::vector<Feedback> bad = {Row("poisoner", "i0")};
  bad[0].comment = "poison";
  std::vector<std::vector<Feedback>> good;
  for (int t = 0; t < kThreads - 1; ++t) good.push_back(BatchOf(t));
  std::vector<int64_t> affected(kThreads - 1, -1);
  Status bad_status;
  std::vector<std::function<void()>> calls;
  for (int t = 0; t < kThreads - 1; ++t) {
    if (t == kThreads / 2) {
      calls.push_back([&] { bad_status = store_->InsertFeedback(bad, {}).status(); });
    }
    calls.push_back([&, t] {
      auto r = store_->InsertFeedback(good[t], {});
      affected[t] = r.ok() ? *r : -2;
    });
  }
  RunAsOneGroup(calls);
  EXPECT_FALSE(bad_status.ok());
  int64_t sum = 0;
  for (int64_t a : affected) {
    EXPECT_GE(a, kRowsPerBatch);
    sum += a;
  }
  EXPECT_EQ(sum, (kThreads - 1) * kRowsPerBatch + 1);
  EXPECT_EQ(FeedbackRows(), sum);
  EXPECT_EQ(store_->MaxFeedbackSeq().value(), sum);
  EXPECT_EQ(store_->GetUser("poisoner").status().code(), StatusCode::kNotFound);
  std::vector<int64_t> seqs;
  ASSERT_TRUE(
      store_->ScanFeedback(0, [&](const FeedbackRecord& r) { seqs.push_back(r.seq); }).ok());
  ASSERT_EQ(seqs.size(), static_cast<size_t>(sum));
  EXPECT_EQ(seqs.back(), sum);
}

TEST_F(GroupCommitTest, AnOverlongIdFailsAloneAmongConcurrentWriters) {
  std::vector<std::vector<Feedback>> good;
  for (int t = 0; t < kThreads; ++t) good.push_back(BatchOf(t));
  const std::vector<Feedback> bad = {Row("known", std::string(300, 'x'))};
  std::vector<int64_t> affected(kThreads, -1);
  Status bad_status;
  std::latch start(kThreads + 1);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      auto r = store_->InsertFeedback(good[t], {});
      affected[t] = r.ok() ? *r : -2;
    });
  }
  threads.emplace_back([&] {
    start.arrive_and_wait();
    bad_status = store_->InsertFeedback(bad, {}).status();
  });
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad_status.code(), StatusCode::kInvalidArgument);
  int64_t sum = 0;
  for (int64_t a : affected) sum += a;
  EXPECT_EQ(sum, kThreads * kRowsPerBatch + 1);
  EXPECT_EQ(FeedbackRows(), sum);
}

TEST_F(GroupCommitTest, MixedWriteCallsSeeEarlierOnesInQueueOrder) {
  // A user delete queued behind an insert of that user's feedback removes it: in one group the
  // later call sees the earlier one's rows.
  std::vector<std::function<void()>> calls;
  Result<int64_t> inserted = Status(StatusCode::kInternal, "not run");
  Result<int64_t> deleted = Status(StatusCode::kInternal, "not run");
  std::latch first_queued(1);
  calls.push_back([&] {
    first_queued.count_down();
    inserted = store_->InsertFeedback(std::vector<Feedback>{Row("a", "i1"), Row("a", "i2")}, {});
  });
  calls.push_back([&] {
    first_queued.wait();
    while (store_->QueuedWrites() < 1) std::this_thread::yield();
    deleted = store_->DeleteUser("a");
  });
  RunAsOneGroup(calls);
  ASSERT_TRUE(inserted.ok() && deleted.ok());
  EXPECT_EQ(*inserted, 2);
  EXPECT_EQ(*deleted, 1);
  EXPECT_EQ(FeedbackRows(), 0);
  EXPECT_EQ(store_->GetUser("a").status().code(), StatusCode::kNotFound);
}

TEST(IdIndex, RollbackToAMarkUndoesOnlyLaterChanges) {
  IdIndex index;
  const int64_t a = index.Add("a");
  index.Commit();
  const int64_t b = index.Add("b");
  const IdIndex::Mark mark = index.MarkNow();
  index.Remove("a");
  index.Remove("b");
  const int64_t b2 = index.Add("b");
  index.Add("c");
  index.RollbackTo(mark);
  EXPECT_EQ(index.Find("a"), a);
  EXPECT_EQ(index.Find("b"), b);
  EXPECT_EQ(index.Find("c"), -1);
  EXPECT_EQ(index.NextIdx(), b2);
  index.Rollback();
  EXPECT_EQ(index.Find("a"), a);
  EXPECT_EQ(index.Find("b"), -1);
  EXPECT_EQ(index.NextIdx(), b);
}

}  // namespace
}  // namespace reco::sqlite
