#include "serving/content_index.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/file_util.h"
#include "data/testing/temp_dir.h"
#include "models/model_files.h"
#include "store/testing/temp_sqlite_store.h"

namespace reco {
namespace {

Item MakeItem(std::string id, std::string title, std::string labels_extra = "") {
  Item item;
  item.item_id = std::move(id);
  item.labels_json = R"({"title": ")" + title + "\"" + labels_extra + "}";
  item.timestamp = 1;
  return item;
}

std::vector<std::string> Ids(const RecommendResult& r) {
  std::vector<std::string> out;
  for (const ScoredId& s : r.items) out.push_back(s.id);
  return out;
}

class ContentIndexesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(testing::OpenTempSqliteStore(dir_.path(), &store_));
    std::vector<Item> items;
    for (int k = 1; k <= 4; ++k) {
      items.push_back(MakeItem("war" + std::to_string(k), "Star Wars Episode " + std::to_string(k)));
      items.push_back(MakeItem("toy" + std::to_string(k), "Toy Story Part " + std::to_string(k)));
      items.push_back(MakeItem("hlm" + std::to_string(k), "红楼梦 第" + std::to_string(k) + "回"));
    }
    Write(items);
    ASSERT_TRUE(state_.LoadFromStore(*store_).ok());
    content_ = std::make_unique<ContentIndexes>(*store_, state_, clock_, ContentOptions{});
  }
  void TearDown() override {
    content_.reset();
    store_.reset();
  }
  void Write(const std::vector<Item>& items) {
    ASSERT_TRUE(store_->InsertItems(items).ok());
    for (const Item& item : items) state_.UpsertItem(item);
  }
  content::TextEmbedder Fit() {
    std::vector<content::TextDocument> docs;
    EXPECT_TRUE(store_
                    ->ScanItems([&](const Item& item) {
                      docs.push_back({item.item_id, content::ItemText(item)});
                    })
                    .ok());
    content::TextEmbedderOptions o;
    o.num_threads = 1;
    Result<content::TextEmbedder> model = content::TextEmbedder::Fit(docs, o);
    EXPECT_TRUE(model.ok()) << model.status().ToString();
    return std::move(model).value();
  }
  void InstallFitted() {
    ASSERT_TRUE(content_->Install(std::make_shared<const content::TextEmbedder>(Fit())).ok());
  }
  RecommendResult Similar(std::string_view id, std::string_view kind = "", int n = 3) {
    Result<RecommendResult> r = content_->Similar(id, "", n, 0, kind);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : RecommendResult{};
  }

  testing::TempDir dir_{"content_index"};
  SystemClock clock_;
  std::unique_ptr<Store> store_;
  OnlineState state_{OnlineStateOptions{}};
  std::unique_ptr<ContentIndexes> content_;
};

TEST_F(ContentIndexesTest, TextNeighboursComeFromTheSameFamily) {
  InstallFitted();
  EXPECT_EQ(content_->Stats().text_vectors, 12u);
  std::string used;
  Result<RecommendResult> r = content_->Similar("war1", "", 3, 0, "", &used);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(used, "text");
  ASSERT_EQ(r->items.size(), 3u);
  for (const ScoredId& s : r->items) EXPECT_EQ(s.id.rfind("war", 0), 0u) << s.id;
  // Chinese titles, no segmenter.
  for (const std::string& id : Ids(Similar("hlm2"))) EXPECT_EQ(id.rfind("hlm", 0), 0u) << id;
  // Unknown item: NotFound.
  EXPECT_EQ(content_->Similar("nope", "", 3, 0, "").status().code(), StatusCode::kNotFound);
}

TEST_F(ContentIndexesTest, ANewItemIsEmbeddedAtOnceAndHiddenOrDeletedItemsAreNotReturned) {
  InstallFitted();
  const std::vector<Item> fresh = {MakeItem("toy9", "Toy Story Part 9")};
  Write(fresh);
  content_->ItemsWritten(fresh);
  EXPECT_TRUE(content_->HasVector("text", *state_.FindItem("toy9")));
  std::vector<std::string> ids = Ids(Similar("toy9", "text", 4));
  ASSERT_EQ(ids.size(), 4u);
  for (const std::string& id : ids) EXPECT_EQ(id.rfind("toy", 0), 0u) << id;

  ASSERT_TRUE(store_->ModifyItem("toy1", ItemPatch{.is_hidden = true}).ok());
  state_.PatchItem("toy1", ItemPatch{.is_hidden = true});
  content_->ItemChanged("toy1");
  ASSERT_TRUE(store_->DeleteItem("toy2").ok());
  state_.DeleteItem("toy2");
  content_->ItemDeleted("toy2");
  ids = Ids(Similar("toy9", "text", 10));
  ASSERT_FALSE(ids.empty());
  for (const std::string& id : ids) {
    EXPECT_NE(id, "toy1");
    EXPECT_NE(id, "toy2");
  }
  EXPECT_EQ(content_->Stats().text_vectors, 12u);  // 12 + toy9 − toy2 (hidden stays indexed)
}

TEST_F(ContentIndexesTest, SuppliedVectorsAreReadFromLabelsAndPreferredByContent) {
  Write({MakeItem("war1", "Star Wars Episode 1", R"(, "embedding": [1, 0, 0])"),
         MakeItem("toy1", "Toy Story Part 1", R"(, "embedding": [0.9, 0.1, 0])"),
         MakeItem("hlm1", "x", R"(, "embedding": [0, 0, 1])")});
  InstallFitted();
  EXPECT_EQ(content_->Stats().supplied_vectors, 3u);
  EXPECT_EQ(content_->Stats().supplied_dimension, 3u);
  std::string used;
  Result<RecommendResult> r = content_->Similar("war1", "", 2, 0, "", &used);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(used, "supplied");
  EXPECT_EQ(Ids(*r), (std::vector<std::string>{"toy1", "hlm1"}));
  // An item without a supplied vector asked for one: empty, with the reason.
  r = content_->Similar("war2", "", 2, 0, "supplied");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->items.empty());
  EXPECT_EQ(r->degraded, std::vector<std::string>{"content_vector_missing"});
  // The set's dimension is now 3: a write of another is refused, naming the field.
  const std::vector<Item> bad = {MakeItem("a", "a", R"(, "embedding": [1, 0, 0])"),
                                 MakeItem("b", "b", R"(, "embedding": [1, 0])")};
  Status st = content_->CheckItems(bad);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.field(), "[1].Labels.embedding");
  EXPECT_FALSE(content_->CheckSuppliedVector(std::vector<float>{1, 2}, "Vector").ok());
  EXPECT_TRUE(content_->CheckSuppliedVector(std::vector<float>{1, 2, 3}, "Vector").ok());
}

TEST_F(ContentIndexesTest, ReloadVerifiesTheTextModelFile) {
  const std::filesystem::path models = dir_.path() / "models";
  ASSERT_TRUE(EnsureDirectory(models).ok());
  const std::filesystem::path path = models / ModelFileName("textvec", 1000000);
  ASSERT_TRUE(Fit().Save(path, 1000000).ok());
  ASSERT_TRUE(content_->Reload(dir_.path(), "").ok());
  EXPECT_EQ(content_->Stats().text_model, path.string());
  EXPECT_EQ(content_->Stats().text_vectors, 12u);

  Result<std::string> bytes = ReadFile(path);
  ASSERT_TRUE(bytes.ok());
  std::string changed = *bytes;
  changed[changed.size() - 3] ^= 0x10;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << changed;
  Status st = content_->Reload(dir_.path(), "");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kDataLoss);
  EXPECT_NE(st.message().find("checksum"), std::string::npos) << st.message();
  // Serving goes on without text vectors rather than with a corrupt model.
  EXPECT_EQ(content_->Stats().text_vectors, 0u);
  EXPECT_EQ(content_->Stats().text_model, "");
}

TEST_F(ContentIndexesTest, ASavedGraphIsLoadedAndOnlyChangedItemsAreEmbeddedAgain) {
  content::TextEmbedder model = Fit();
  // The graph as the training builds it: every item with a vector, labels in scan order.
  std::vector<uint32_t> labels;
  std::vector<float> data;
  std::vector<std::string> items;
  ASSERT_TRUE(store_
                  ->ScanItems([&](const Item& item) {
                    std::vector<float> v = model.Embed(content::ItemText(item));
                    if (v.empty()) return;
                    labels.push_back(static_cast<uint32_t>(items.size()));
                    items.push_back(item.item_id);
                    data.insert(data.end(), v.begin(), v.end());
                  })
                  .ok());
  ASSERT_EQ(items.size(), 12u);
  content::AnnIndex graph(model.dimension(), content_->options().ann);
  ASSERT_TRUE(graph.AddBatch(labels, data, 1).ok());
  Result<std::string> bytes = graph.SaveGraph();
  ASSERT_TRUE(bytes.ok());
  model.set_graph(*bytes, items, content_->options().ann);
  // Round trip through the model file: the graph is saved with the model.
  const std::filesystem::path path = dir_.path() / "textvec.rmdl";
  ASSERT_TRUE(model.Save(path, 1000000).ok());
  Result<content::TextEmbedder> loaded = content::TextEmbedder::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(loaded->graph(), *bytes);
  EXPECT_EQ(loaded->graph_items(), items);

  // Since the training: war1 is now a Toy Story title, hlm4 was deleted, toy9 is new.
  ASSERT_TRUE(store_->InsertItems(std::vector<Item>{MakeItem("war1", "Toy Story Part 1b")}).ok());
  ASSERT_TRUE(store_->DeleteItem("hlm4").ok());
  state_.DeleteItem("hlm4");
  Write({MakeItem("toy9", "Toy Story Part 9")});

  ASSERT_TRUE(
      content_->Install(std::make_shared<const content::TextEmbedder>(std::move(loaded).value()),
                        path)
          .ok());
  EXPECT_EQ(content_->Stats().text_index, "saved");
  EXPECT_EQ(content_->Stats().text_vectors, 12u);  // 12 - hlm4 + toy9
  const std::vector<std::string> war1 = Ids(Similar("war1", "text", 3));
  ASSERT_EQ(war1.size(), 3u);
  for (const std::string& id : war1) EXPECT_EQ(id.rfind("toy", 0), 0u) << id;
  const std::vector<std::string> hlm = Ids(Similar("hlm1", "text", 10));
  EXPECT_EQ(std::find(hlm.begin(), hlm.end(), "hlm4"), hlm.end());
  EXPECT_FALSE(Ids(Similar("toy9", "text", 3)).empty());

  // A server configured with another graph degree builds its own.
  ContentOptions other;
  other.ann.m = 8;
  ContentIndexes rebuilt(*store_, state_, clock_, other);
  ASSERT_TRUE(rebuilt.Install(std::make_shared<const content::TextEmbedder>(model)).ok());
  EXPECT_EQ(rebuilt.Stats().text_index, "built");
  EXPECT_EQ(rebuilt.Stats().text_vectors, 12u);
}

TEST(NeighborSource, ParsesTheNamesAndNamesTheField) {
  EXPECT_EQ(*ParseNeighborSource(""), NeighborSource::kAuto);
  EXPECT_EQ(*ParseNeighborSource("collaborative"), NeighborSource::kCollaborative);
  EXPECT_EQ(*ParseNeighborSource("content"), NeighborSource::kContent);
  EXPECT_EQ(*ParseNeighborSource("supplied"), NeighborSource::kSupplied);
  Result<NeighborSource> bad = ParseNeighborSource("images");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().field(), "source");
}

}  // namespace
}  // namespace reco
