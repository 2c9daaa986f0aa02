// reco.v1 ItemService, UserService and BehaviorService over CatalogueService and
// FeedbackService (the services of REST's /api/item(s), /api/user(s) and /api/feedback).
#include <span>

#include "grpc/convert.h"
#include "grpc/services.h"
#include "ingest/time_limits.h"
#include "reco/v1/behavior.grpc.pb.h"
#include "reco/v1/dataset.grpc.pb.h"
#include "reco/v1/item.grpc.pb.h"
#include "service/catalogue_service.h"
#include "service/dataset_service.h"
#include "service/feedback_service.h"
#include "store/id_check.h"

namespace reco::grpcapi {
namespace {

TimeBounds Bounds(const api::ApiDeps& d) {
  const TimestampUs now = d.clock->NowMicros();
  return {
      .now = now,
      .latest = ingest::LatestAcceptedTimestamp(now, d.config->database.max_future_skew_seconds)};
}

// Every message of a client stream, converted; the first bad one stops the read (nothing is
// written then). The stream may carry at most server.max_body_bytes, as a REST body.
template <typename Row, typename Message, typename Convert>
Result<std::vector<Row>> ReadBatch(grpc::ServerReader<Message>* reader, std::string_view batch,
                                   const api::ApiDeps& d, Convert&& convert) {
  std::vector<Row> rows;
  Message message;
  size_t bytes = 0;
  const auto max_bytes = static_cast<size_t>(d.config->server.max_body_bytes);
  while (reader->Read(&message)) {
    bytes += message.ByteSizeLong();
    if (bytes > max_bytes) {
      return ResourceExhausted(std::string(batch) + " stream carries more than " +
                               std::to_string(max_bytes) +
                               " bytes (server.max_body_bytes); nothing was written: send it in "
                               "several calls");
    }
    const std::string where = std::string(batch) + "[" + std::to_string(rows.size()) + "]";
    RECO_ASSIGN_OR_RETURN(Row row, convert(message, where));
    rows.push_back(std::move(row));
  }
  return rows;
}

Status CheckDeadline(grpc::ServerContext* ctx) {
  if (CallGuard::StillWanted(ctx)) return Status::Ok();
  return Unavailable("the call's deadline passed while its stream was read; nothing was written");
}

void SetRows(const service::RowsAffected& r, v1::RowsAffected* out) {
  out->set_rows_affected(r.rows);
}

class ItemServiceImpl final : public v1::ItemService::Service {
 public:
  explicit ItemServiceImpl(RpcContext c) : c_(c) {}

  grpc::Status GetItem(grpc::ServerContext* ctx, const v1::ItemId* req, v1::Item* res) override {
    return c_.guard->Run(ctx, "ItemService/GetItem", Access::kApiKey,
                         [&](const api::ApiDeps& d) -> Status {
                           RECO_RETURN_IF_ERROR(CheckId(req->item_id(), "item_id"));
                           RECO_ASSIGN_OR_RETURN(Item item, d.catalogue->GetItem(req->item_id()));
                           ToProto(item, res);
                           return Status::Ok();
                         });
  }

  grpc::Status ListItems(grpc::ServerContext* ctx, const v1::PageRequest* req,
                         v1::ItemPage* res) override {
    return c_.guard->Run(
        ctx, "ItemService/ListItems", Access::kApiKey, [&](const api::ApiDeps& d) -> Status {
          RECO_ASSIGN_OR_RETURN(int n, PageSize(req->n(), d.config->server));
          RECO_ASSIGN_OR_RETURN(Page<Item> page,
                                d.catalogue->ListItems({.cursor = req->cursor(), .n = n}));
          res->set_cursor(page.next_cursor);
          for (const Item& item : page.rows) ToProto(item, res->add_items());
          return Status::Ok();
        });
  }

  grpc::Status InsertItems(grpc::ServerContext* ctx, grpc::ServerReader<v1::Item>* reader,
                           v1::RowsAffected* res) override {
    return c_.guard->Run(
        ctx, "ItemService/InsertItems", Access::kApiKey, [&](const api::ApiDeps& d) -> Status {
          const TimeBounds bounds = Bounds(d);
          RECO_ASSIGN_OR_RETURN(
              std::vector<Item> items,
              ReadBatch<Item>(reader, "items", d, [&](const v1::Item& m, const std::string& w) {
                return FromProto(m, w, bounds);
              }));
          RECO_RETURN_IF_ERROR(CheckDeadline(ctx));
          RECO_ASSIGN_OR_RETURN(service::RowsAffected rows, d.catalogue->PutItems(items));
          SetRows(rows, res);
          return Status::Ok();
        });
  }

  grpc::Status PatchItem(grpc::ServerContext* ctx, const v1::PatchItemRequest* req,
                         v1::RowsAffected* res) override {
    return c_.guard->Run(
        ctx, "ItemService/PatchItem", Access::kApiKey, [&](const api::ApiDeps& d) -> Status {
          RECO_RETURN_IF_ERROR(CheckId(req->item_id(), "item_id"));
          ItemPatch patch;
          if (req->has_is_hidden()) patch.is_hidden = req->is_hidden();
          if (req->set_categories()) {
            patch.categories.emplace(req->categories().begin(), req->categories().end());
          }
          if (req->has_labels_json()) {
            RECO_ASSIGN_OR_RETURN(patch.labels_json, LabelsJson(req->labels_json(), "labels_json"));
          }
          if (req->has_comment()) patch.comment = req->comment();
          RECO_ASSIGN_OR_RETURN(service::RowsAffected rows,
                                d.catalogue->PatchItem(req->item_id(), patch));
          SetRows(rows, res);
          return Status::Ok();
        });
  }

  grpc::Status PutItemVector(grpc::ServerContext* ctx, const v1::ItemVector* req,
                             v1::RowsAffected* res) override {
    return c_.guard->Run(
        ctx, "ItemService/PutItemVector", Access::kApiKey, [&](const api::ApiDeps& d) -> Status {
          RECO_RETURN_IF_ERROR(CheckId(req->item_id(), "item_id"));
          const service::ItemVector vector{req->item_id(),
                                           {req->vector().begin(), req->vector().end()}};
          RECO_ASSIGN_OR_RETURN(
              service::RowsAffected rows,
              d.catalogue->PutItemVectors(std::span<const service::ItemVector>(&vector, 1)));
          SetRows(rows, res);
          return Status::Ok();
        });
  }

  grpc::Status PutItemVectors(grpc::ServerContext* ctx,
                              grpc::ServerReader<v1::ItemVector>* reader,
                              v1::RowsAffected* res) override {
    return c_.guard->Run(
        ctx, "ItemService/PutItemVectors", Access::kApiKey, [&](const api::ApiDeps& d) -> Status {
          // Fields are named as REST names them ("[i].Vector"): the service checks them.
          RECO_ASSIGN_OR_RETURN(
              std::vector<service::ItemVector> vectors,
              ReadBatch<service::ItemVector>(
                  reader, "vectors",
                  d, [](const v1::ItemVector& m, const std::string& w) -> Result<service::ItemVector> {
                    RECO_RETURN_IF_ERROR(CheckId(m.item_id(), w + ".item_id"));
                    return service::ItemVector{m.item_id(), {m.vector().begin(), m.vector().end()}};
                  }));
          RECO_RETURN_IF_ERROR(CheckDeadline(ctx));
          RECO_ASSIGN_OR_RETURN(service::RowsAffected rows, d.catalogue->PutItemVectors(vectors));
          SetRows(rows, res);
          return Status::Ok();
        });
  }

  grpc::Status DeleteItem(grpc::ServerContext* ctx, const v1::ItemId* req,
                          v1::RowsAffected* res) override {
    return c_.guard->Run(ctx, "ItemService/DeleteItem", Access::kApiKey,
                         [&](const api::ApiDeps& d) -> Status {
                           RECO_RETURN_IF_ERROR(CheckId(req->item_id(), "item_id"));
                           RECO_ASSIGN_OR_RETURN(service::RowsAffected rows,
                                                 d.catalogue->DeleteItem(req->item_id()));
                           SetRows(rows, res);
                           return Status::Ok();
                         });
  }

  grpc::Status AddItemCategory(grpc::ServerContext* ctx, const v1::ItemCategoryRequest* req,
                               v1::RowsAffected* res) override {
    return c_.guard->Run(
        ctx, "ItemService/AddItemCategory", Access::kApiKey, [&](const api::ApiDeps& d) -> Status {
          return Category(d, req, res, &service::CatalogueService::AddItemCategory);
        });
  }

  grpc::Status RemoveItemCategory(grpc::ServerContext* ctx, const v1::ItemCategoryRequest* req,
                                  v1::RowsAffected* res) override {
    return c_.guard->Run(ctx, "ItemService/RemoveItemCategory", Access::kApiKey,
                         [&](const api::ApiDeps& d) -> Status {
                           return Category(d, req, res,
                                           &service::CatalogueService::RemoveItemCategory);
                         });
  }

 private:
  using CategoryCall = Result<service::RowsAffected> (service::CatalogueService::*)(
      const service::ItemCategoryRequest&);

  static Status Category(const api::ApiDeps& d, const v1::ItemCategoryRequest* req,
                         v1::RowsAffected* res, CategoryCall call) {
    RECO_RETURN_IF_ERROR(CheckId(req->item_id(), "item_id"));
    if (req->category().empty()) return InvalidArgument("category: empty", "category");
    RECO_ASSIGN_OR_RETURN(
        service::RowsAffected rows,
        (d.catalogue->*call)({.item_id = req->item_id(), .category = req->category()}));
    SetRows(rows, res);
    return Status::Ok();
  }

  RpcContext c_;
};

class UserServiceImpl final : public v1::UserService::Service {
 public:
  explicit UserServiceImpl(RpcContext c) : c_(c) {}

  grpc::Status GetUser(grpc::ServerContext* ctx, const v1::UserId* req, v1::User* res) override {
    return c_.guard->Run(ctx, "UserService/GetUser", Access::kApiKey,
                         [&](const api::ApiDeps& d) -> Status {
                           RECO_RETURN_IF_ERROR(CheckId(req->user_id(), "user_id"));
                           RECO_ASSIGN_OR_RETURN(User user, d.catalogue->GetUser(req->user_id()));
                           ToProto(user, res);
                           return Status::Ok();
                         });
  }

  grpc::Status ListUsers(grpc::ServerContext* ctx, const v1::PageRequest* req,
                         v1::UserPage* res) override {
    return c_.guard->Run(
        ctx, "UserService/ListUsers", Access::kApiKey, [&](const api::ApiDeps& d) -> Status {
          RECO_ASSIGN_OR_RETURN(int n, PageSize(req->n(), d.config->server));
          RECO_ASSIGN_OR_RETURN(Page<User> page,
                                d.catalogue->ListUsers({.cursor = req->cursor(), .n = n}));
          res->set_cursor(page.next_cursor);
          for (const User& user : page.rows) ToProto(user, res->add_users());
          return Status::Ok();
        });
  }

  grpc::Status InsertUsers(grpc::ServerContext* ctx, grpc::ServerReader<v1::User>* reader,
                           v1::RowsAffected* res) override {
    return c_.guard->Run(
        ctx, "UserService/InsertUsers", Access::kApiKey, [&](const api::ApiDeps& d) -> Status {
          RECO_ASSIGN_OR_RETURN(
              std::vector<User> users,
              ReadBatch<User>(reader, "users", d, [](const v1::User& m, const std::string& w) {
                return FromProto(m, w);
              }));
          RECO_RETURN_IF_ERROR(CheckDeadline(ctx));
          RECO_ASSIGN_OR_RETURN(service::RowsAffected rows, d.catalogue->PutUsers(users));
          SetRows(rows, res);
          return Status::Ok();
        });
  }

  grpc::Status PatchUser(grpc::ServerContext* ctx, const v1::PatchUserRequest* req,
                         v1::RowsAffected* res) override {
    return c_.guard->Run(
        ctx, "UserService/PatchUser", Access::kApiKey, [&](const api::ApiDeps& d) -> Status {
          RECO_RETURN_IF_ERROR(CheckId(req->user_id(), "user_id"));
          UserPatch patch;
          if (req->has_labels_json()) {
            RECO_ASSIGN_OR_RETURN(patch.labels_json, LabelsJson(req->labels_json(), "labels_json"));
          }
          if (req->has_comment()) patch.comment = req->comment();
          RECO_ASSIGN_OR_RETURN(service::RowsAffected rows,
                                d.catalogue->PatchUser(req->user_id(), patch));
          SetRows(rows, res);
          return Status::Ok();
        });
  }

  grpc::Status DeleteUser(grpc::ServerContext* ctx, const v1::UserId* req,
                          v1::RowsAffected* res) override {
    return c_.guard->Run(ctx, "UserService/DeleteUser", Access::kApiKey,
                         [&](const api::ApiDeps& d) -> Status {
                           RECO_RETURN_IF_ERROR(CheckId(req->user_id(), "user_id"));
                           RECO_ASSIGN_OR_RETURN(service::RowsAffected rows,
                                                 d.catalogue->DeleteUser(req->user_id()));
                           SetRows(rows, res);
                           return Status::Ok();
                         });
  }

 private:
  RpcContext c_;
};

class BehaviorServiceImpl final : public v1::BehaviorService::Service {
 public:
  explicit BehaviorServiceImpl(RpcContext c) : c_(c) {}

  grpc::Status InsertFeedback(grpc::ServerContext* ctx, grpc::ServerReader<v1::Feedback>* reader,
                              v1::RowsAffected* res) override {
    return c_.guard->Run(
        ctx, "BehaviorService/InsertFeedback", Access::kApiKey,
        [&](const api::ApiDeps& d) { return Write(d, ctx, reader, /*overwrite=*/false, res); });
  }

  grpc::Status PutFeedback(grpc::ServerContext* ctx, grpc::ServerReader<v1::Feedback>* reader,
                           v1::RowsAffected* res) override {
    return c_.guard->Run(
        ctx, "BehaviorService/PutFeedback", Access::kApiKey,
        [&](const api::ApiDeps& d) { return Write(d, ctx, reader, /*overwrite=*/true, res); });
  }

  grpc::Status ListFeedback(grpc::ServerContext* ctx, const v1::ListFeedbackRequest* req,
                            v1::FeedbackPage* res) override {
    return c_.guard->Run(ctx, "BehaviorService/ListFeedback", Access::kApiKey,
                         [&](const api::ApiDeps& d) -> Status {
                           RECO_ASSIGN_OR_RETURN(int n, PageSize(req->n(), d.config->server));
                           service::ListFeedbackRequest list{.cursor = req->cursor(), .n = n};
                           if (!req->feedback_type().empty())
                             list.feedback_type = req->feedback_type();
                           RECO_ASSIGN_OR_RETURN(Page<Feedback> page, d.feedback->List(list));
                           res->set_cursor(page.next_cursor);
                           for (const Feedback& row : page.rows) ToProto(row, res->add_feedback());
                           return Status::Ok();
                         });
  }

  grpc::Status GetFeedback(grpc::ServerContext* ctx, const v1::FeedbackKey* req,
                           v1::Feedback* res) override {
    return c_.guard->Run(
        ctx, "BehaviorService/GetFeedback", Access::kApiKey, [&](const api::ApiDeps& d) -> Status {
          if (req->feedback_type().empty()) {
            return InvalidArgument("feedback_type: empty (GetFeedback reads one row of one type)",
                                   "feedback_type");
          }
          RECO_ASSIGN_OR_RETURN(service::FeedbackKey key, Key(*req));
          RECO_ASSIGN_OR_RETURN(Feedback row, d.feedback->Get(key));
          ToProto(row, res);
          return Status::Ok();
        });
  }

  grpc::Status DeleteFeedback(grpc::ServerContext* ctx, const v1::FeedbackKey* req,
                              v1::RowsAffected* res) override {
    return c_.guard->Run(ctx, "BehaviorService/DeleteFeedback", Access::kApiKey,
                         [&](const api::ApiDeps& d) -> Status {
                           RECO_ASSIGN_OR_RETURN(service::FeedbackKey key, Key(*req));
                           RECO_ASSIGN_OR_RETURN(service::RowsAffected rows,
                                                 d.feedback->Delete(key));
                           SetRows(rows, res);
                           return Status::Ok();
                         });
  }

 private:
  static Result<service::FeedbackKey> Key(const v1::FeedbackKey& req) {
    RECO_RETURN_IF_ERROR(CheckId(req.user_id(), "user_id"));
    RECO_RETURN_IF_ERROR(CheckId(req.item_id(), "item_id"));
    service::FeedbackKey key{.user_id = req.user_id(), .item_id = req.item_id()};
    if (!req.feedback_type().empty()) key.feedback_type = req.feedback_type();
    return key;
  }

  Status Write(const api::ApiDeps& d, grpc::ServerContext* ctx,
               grpc::ServerReader<v1::Feedback>* reader, bool overwrite, v1::RowsAffected* res) {
    const TimeBounds bounds = Bounds(d);
    RECO_ASSIGN_OR_RETURN(std::vector<Feedback> rows,
                          ReadBatch<Feedback>(reader, "feedback", d,
                                              [&](const v1::Feedback& m, const std::string& w) {
                                                return FromProto(m, w, bounds);
                                              }));
    RECO_RETURN_IF_ERROR(CheckDeadline(ctx));
    RECO_ASSIGN_OR_RETURN(service::RowsAffected written,
                          d.feedback->Write({.rows = rows, .overwrite = overwrite}));
    SetRows(written, res);
    return Status::Ok();
  }

  RpcContext c_;
};

class DatasetServiceImpl final : public v1::DatasetService::Service {
 public:
  explicit DatasetServiceImpl(RpcContext c) : c_(c) {}

  grpc::Status Export(grpc::ServerContext* ctx, const v1::ExportRequest* req,
                      grpc::ServerWriter<v1::DatasetRow>* writer) override {
    return c_.guard->Run(
        ctx, "DatasetService/Export", Access::kApiKey, [&](const api::ApiDeps& d) -> Status {
          if (d.dataset == nullptr) return Unavailable("no dataset service");
          const int page_size = req->page_size() == 0 ? 1000 : req->page_size();
          bool sent = true;
          RECO_RETURN_IF_ERROR(
              d.dataset->ExportAll(page_size, [&](const service::ExportPage& page) {
                v1::DatasetRow row;
                for (const User& user : page.rows.users) {
                  ToProto(user, row.mutable_user());
                  sent = sent && writer->Write(row);
                }
                for (const Item& item : page.rows.items) {
                  ToProto(item, row.mutable_item());
                  sent = sent && writer->Write(row);
                }
                for (const Feedback& feedback : page.rows.feedback) {
                  ToProto(feedback, row.mutable_feedback());
                  sent = sent && writer->Write(row);
                }
                return sent && CallGuard::StillWanted(ctx);
              }));
          if (!sent) return Unavailable("the client stopped reading the export");
          return Status::Ok();
        });
  }

  grpc::Status Import(grpc::ServerContext* ctx, grpc::ServerReader<v1::DatasetRow>* reader,
                      v1::ImportReport* res) override {
    return c_.guard->Run(
        ctx, "DatasetService/Import", Access::kApiKey, [&](const api::ApiDeps& d) -> Status {
          if (d.dataset == nullptr) return Unavailable("no dataset service");
          const TimeBounds bounds = Bounds(d);
          service::DatasetRows rows;
          RECO_ASSIGN_OR_RETURN(std::vector<bool> ignored,
                                ReadBatch<bool>(reader, "rows", d,
                                                [&](const v1::DatasetRow& m,
                                                    const std::string& where) -> Result<bool> {
                                                  return Add(m, where, bounds, rows);
                                                }));
          RECO_RETURN_IF_ERROR(CheckDeadline(ctx));
          RECO_ASSIGN_OR_RETURN(service::ImportReport report, d.dataset->Import(rows));
          res->set_users(report.users);
          res->set_items(report.items);
          res->set_feedback(report.feedback);
          return Status::Ok();
        });
  }

 private:
  static Result<bool> Add(const v1::DatasetRow& m, const std::string& where,
                          const TimeBounds& bounds, service::DatasetRows& rows) {
    switch (m.row_case()) {
      case v1::DatasetRow::kUser: {
        RECO_ASSIGN_OR_RETURN(User user, FromProto(m.user(), where + ".user"));
        rows.users.push_back(std::move(user));
        return true;
      }
      case v1::DatasetRow::kItem: {
        RECO_ASSIGN_OR_RETURN(Item item, FromProto(m.item(), where + ".item", bounds));
        rows.items.push_back(std::move(item));
        return true;
      }
      case v1::DatasetRow::kFeedback: {
        RECO_ASSIGN_OR_RETURN(Feedback row, FromProto(m.feedback(), where + ".feedback", bounds));
        rows.feedback.push_back(std::move(row));
        return true;
      }
      case v1::DatasetRow::ROW_NOT_SET:
        break;
    }
    return InvalidArgument(where + ": empty row (set user, item or feedback)", where);
  }

  RpcContext c_;
};

}  // namespace

Result<int> PageSize(int32_t n, const ServerConfig& server) {
  if (n == 0) return server.default_n;
  if (n < 1 || n > server.max_n) {
    return InvalidArgument("n must be between 1 and " + std::to_string(server.max_n) +
                               " (0: the default " + std::to_string(server.default_n) + "), got " +
                               std::to_string(n),
                           "n");
  }
  return n;
}

Result<int> Offset(int32_t offset) {
  if (offset < 0 || offset > 1000000) {
    return InvalidArgument("offset must be between 0 and 1000000, got " + std::to_string(offset),
                           "offset");
  }
  return offset;
}

std::vector<std::unique_ptr<grpc::Service>> MakeDataServices(RpcContext context) {
  std::vector<std::unique_ptr<grpc::Service>> services;
  services.push_back(std::make_unique<ItemServiceImpl>(context));
  services.push_back(std::make_unique<UserServiceImpl>(context));
  services.push_back(std::make_unique<BehaviorServiceImpl>(context));
  services.push_back(std::make_unique<DatasetServiceImpl>(context));
  return services;
}

}  // namespace reco::grpcapi
