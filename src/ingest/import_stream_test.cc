// The streamed import on real stores (SQLite, and a PostgreSQL 15 server): chunks written in one
// transaction.
#include "store/import_stream.h"

#include <gtest/gtest.h>

#include <map>

#include "ingest/importer.h"
#include "ingest/testing/temp_dir.h"
#include "store/testing/store_fixture.h"

namespace reco::ingest {
namespace {

using testing::TempDir;

std::string FeedbackLine(const std::string& user, const std::string& item, double value) {
  return R"({"FeedbackType":"like","UserId":")" + user + R"(","ItemId":")" + item +
         R"(","Value":)" + std::to_string(value) + R"(,"Timestamp":1700000000})" + "\n";
}

// (user, item) -> value of every feedback row in the store.
std::map<std::pair<std::string, std::string>, double> AllFeedback(Store& store) {
  std::map<std::pair<std::string, std::string>, double> out;
  std::string cursor;
  do {
    Result<Page<Feedback>> page = store.ListFeedback({}, cursor, 1000);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (!page.ok()) break;
    for (const auto& f : page->rows) out[{f.user_id, f.item_id}] = f.value;
    cursor = page->next_cursor;
  } while (!cursor.empty());
  return out;
}

class ImportStreamTest : public reco::testing::StoreFixture {
 protected:
  void SetUp() override {
    StoreFixture::SetUp();
    // Both backends stream: the importer never falls back to collecting every row.
    ASSERT_NE(dynamic_cast<StreamingImport*>(store_.get()), nullptr);
  }
  ImportOptions Options(std::vector<std::filesystem::path> paths) {
    ImportOptions options;
    options.paths = std::move(paths);
    options.chunk_rows = 3;         // many chunks
    options.read_block_bytes = 50;  // blocks end mid-line
    return options;
  }

  TempDir in_{"import_stream_in"};
};

TEST_P(ImportStreamTest, ChunksOfOneTransactionKeepTheFirstRowOfARepeatedKey) {
  std::string text;
  for (int u = 0; u < 10; ++u) {
    for (int i = 0; i < 4; ++i)
      text += FeedbackLine("u" + std::to_string(u), "i" + std::to_string(i), 1);
  }
  text += FeedbackLine("u0", "i0", 7);  // the key of the first row, many chunks later
  text += "{not json\n";                // line 42
  text += FeedbackLine("u10", "i9", 2);
  in_.Write("feedback.jsonl", text);
  in_.Write("items.jsonl", R"({"ItemId":"i0","Categories":["x"]})"
                           "\n");
  ImportResult result;
  Status st = ImportPaths(*store_, Options({in_.path()}), result);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(result.stats.feedback, 42);
  EXPECT_EQ(result.stats.items, 1);
  ASSERT_EQ(result.issues.size(), 1u);
  EXPECT_EQ(result.issues[0].line, 42);
  auto rows = AllFeedback(*store_);
  EXPECT_EQ(rows.size(), 41u);
  EXPECT_EQ((rows[{"u0", "i0"}]), 1.0);  // the later duplicate is ignored
  EXPECT_EQ((rows[{"u10", "i9"}]), 2.0);
  Result<StoreCounts> counts = store_->Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->feedback, 41);
  EXPECT_EQ(counts->users, 11);
  EXPECT_EQ(counts->items, 5);
  Result<Item> i0 = store_->GetItem("i0");
  ASSERT_TRUE(i0.ok());
  EXPECT_EQ(i0->categories, std::vector<std::string>{"x"});
  // The item index is back: one item's feedback.
  FeedbackFilter by_item;
  by_item.item_id = "i1";
  Result<Page<Feedback>> page = store_->ListFeedback(by_item, "", 100);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->rows.size(), 10u);

  // A second import into the now non-empty store adds the new keys only.
  TempDir more("import_stream_more");
  more.Write("feedback.jsonl", FeedbackLine("u0", "i0", 9) + FeedbackLine("u0", "i5", 3));
  st = ImportPaths(*store_, Options({more.path()}), result);
  ASSERT_TRUE(st.ok()) << st.ToString();
  rows = AllFeedback(*store_);
  EXPECT_EQ(rows.size(), 42u);
  EXPECT_EQ((rows[{"u0", "i0"}]), 1.0);
  EXPECT_EQ((rows[{"u0", "i5"}]), 3.0);
}

TEST_P(ImportStreamTest, StrictBadLineInALaterChunkLeavesNothingWritten) {
  std::string text;
  for (int i = 0; i < 20; ++i) text += FeedbackLine("u" + std::to_string(i), "i1", 1);
  text += R"({"FeedbackType":"like","UserId":"","ItemId":"i1"})"
          "\n";  // line 21
  text += FeedbackLine("u99", "i2", 1);
  in_.Write("feedback.jsonl", text);
  ImportOptions options = Options({in_.path() / "feedback.jsonl"});
  options.strict = true;
  ImportResult result;
  Status st = ImportPaths(*store_, options, result);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("nothing imported"), std::string::npos) << st.ToString();
  ASSERT_EQ(result.issues.size(), 1u);
  EXPECT_EQ(result.issues[0].line, 21);
  Result<StoreCounts> counts = store_->Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->feedback, 0);
  EXPECT_EQ(counts->users, 0);
  EXPECT_EQ(counts->items, 0);
  // The store still takes a good import afterwards (indexes and ids intact).
  in_.Write("ok/feedback.jsonl", FeedbackLine("u1", "i1", 1));
  st = ImportPaths(*store_, Options({in_.path() / "ok"}), result);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_EQ(AllFeedback(*store_).size(), 1u);
}

TEST_P(ImportStreamTest, AMissingSecondPathUndoesTheFirst) {
  in_.Write("feedback.jsonl", FeedbackLine("u1", "i1", 1) + FeedbackLine("u2", "i1", 1) +
                                  FeedbackLine("u3", "i1", 1) + FeedbackLine("u4", "i1", 1));
  ImportResult result;
  Status st = ImportPaths(*store_, Options({in_.path(), in_.path() / "missing.jsonl"}), result);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kNotFound);
  EXPECT_NE(st.message().find("missing.jsonl"), std::string::npos);
  Result<StoreCounts> counts = store_->Counts();
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->feedback, 0);
  EXPECT_EQ(counts->users, 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, ImportStreamTest,
                         ::testing::Values(reco::testing::SqliteBackend(),
                                           reco::testing::PostgresBackend()),
                         reco::testing::BackendName);

}  // namespace
}  // namespace reco::ingest
