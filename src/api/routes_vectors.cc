// Item vector routes (docs/content.md): PUT /api/item/{item_id}/vector and PUT /api/items/vectors
// set items' supplied vectors (the label content.supplied_label, Gorse's `embedding`). Each
// handler parses the body, calls the catalogue service and writes the answer.
#include <cmath>

#include "api/api_service.h"
#include "api/json_body.h"
#include "api/params.h"
#include "api/responses.h"

namespace reco::api {
namespace {

// A JSON array of numbers; InvalidArgument naming `field` (and the position) otherwise.
Result<std::vector<float>> ParseVector(simdjson::dom::element value, const std::string& field) {
  simdjson::dom::array array;
  if (value.get_array().get(array) != simdjson::SUCCESS) {
    return InvalidArgument(field + " must be an array of numbers", field);
  }
  std::vector<float> out;
  out.reserve(array.size());
  for (simdjson::dom::element e : array) {
    double v = 0;
    if (!e.is_number() || e.get_double().get(v) != simdjson::SUCCESS) {
      int64_t i = 0;
      if (e.get_int64().get(i) != simdjson::SUCCESS) {
        return InvalidArgument(field + "[" + std::to_string(out.size()) + "] is not a number",
                               field);
      }
      v = static_cast<double>(i);
    }
    // A double beyond float's range is no finite float: the service's check names it.
    out.push_back(static_cast<float>(v));
  }
  return out;
}

// {"Vector": [...]} (the item id from the path) or {"ItemId": "...", "Vector": [...]}.
Result<service::ItemVector> ParseItemVector(simdjson::dom::object object, const std::string& at,
                                            bool with_id) {
  service::ItemVector out;
  bool has_vector = false;
  for (auto field : object) {
    if (field.key == "Vector") {
      RECO_ASSIGN_OR_RETURN(out.vector, ParseVector(field.value, at + "Vector"));
      has_vector = true;
    } else if (with_id && field.key == "ItemId") {
      std::string_view id;
      if (field.value.get_string().get(id) != simdjson::SUCCESS) {
        return InvalidArgument(at + "ItemId must be a string", at + "ItemId");
      }
      out.item_id = std::string(id);
    } else {
      return InvalidArgument("unknown field " + at + std::string(field.key) + " (expected " +
                                 (with_id ? "ItemId, Vector" : "Vector") + ")",
                             at + std::string(field.key));
    }
  }
  if (!has_vector) return InvalidArgument(at + "Vector is required", at + "Vector");
  if (with_id) {
    if (out.item_id.empty()) return InvalidArgument(at + "ItemId is required", at + "ItemId");
    RECO_RETURN_IF_ERROR(CheckId(out.item_id, at + "ItemId"));
  }
  return out;
}

Result<std::vector<service::ItemVector>> ParseVectorBatch(std::string_view body) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element root;
  simdjson::dom::array array;
  if (parser.parse(body.data(), body.size()).get(root) != simdjson::SUCCESS ||
      root.get_array().get(array) != simdjson::SUCCESS) {
    return InvalidArgument(
        R"(body must be a JSON array like [{"ItemId": "1", "Vector": [0.1, 0.2]}])", "body");
  }
  std::vector<service::ItemVector> out;
  for (simdjson::dom::element e : array) {
    const std::string at = "[" + std::to_string(out.size()) + "].";
    simdjson::dom::object object;
    if (e.get_object().get(object) != simdjson::SUCCESS) {
      return InvalidArgument(at.substr(0, at.size() - 1) + " must be an object",
                             at.substr(0, at.size() - 1));
    }
    RECO_ASSIGN_OR_RETURN(service::ItemVector v, ParseItemVector(object, at, true));
    out.push_back(std::move(v));
  }
  if (out.empty()) return InvalidArgument("body: the array is empty", "body");
  return out;
}

// {"RowAffected": n}, or the error.
void WriteVectorRows(HttpResponse& res, const Result<service::RowsAffected>& n) {
  if (!n.ok()) return SetStatusError(res, n.status());
  WriteRowAffected(res, n->rows);
}

}  // namespace

void ApiService::AddItemVectorRoutes(Router& r) {
  Add(r,
      {.method = "PUT",
       .pattern = "/api/item/{item_id}/vector",
       .summary = "Set an item's supplied vector ({\"Vector\": [...]}: the dimension of the "
                  "supplied vectors, finite values), kept in its labels as content.supplied_label "
                  "(Gorse's embedding) and indexed at once.",
       .tag = "item",
       .request_schema = "object",
       .response_schema = "RowAffected"},
      [this](HttpRequest& req, HttpResponse& res) {
        if (Status st = CheckId(req.Param("item_id"), "item_id"); !st.ok()) {
          return SetStatusError(res, st);
        }
        thread_local simdjson::dom::parser parser;
        simdjson::dom::element root;
        simdjson::dom::object object;
        const std::string_view body = req.body();
        if (parser.parse(body.data(), body.size()).get(root) != simdjson::SUCCESS ||
            root.get_object().get(object) != simdjson::SUCCESS) {
          return SetStatusError(
              res,
              InvalidArgument(R"(body must be a JSON object like {"Vector": [0.1, 0.2]})", "body"));
        }
        Result<service::ItemVector> vector = ParseItemVector(object, "", false);
        if (!vector.ok()) return SetStatusError(res, vector.status());
        vector->item_id = std::string(req.Param("item_id"));
        WriteVectorRows(
            res, d_.catalogue->PutItemVectors(std::span<const service::ItemVector>(&*vector, 1)));
      });
  Add(r,
      {.method = "PUT",
       .pattern = "/api/items/vectors",
       .summary = "Set the supplied vectors of several items, all or none "
                  "([{\"ItemId\": \"1\", \"Vector\": [...]}]).",
       .tag = "item",
       .request_schema = "object[]",
       .response_schema = "RowAffected"},
      [this](HttpRequest& req, HttpResponse& res) {
        Result<std::vector<service::ItemVector>> batch = ParseVectorBatch(req.body());
        if (!batch.ok()) return SetStatusError(res, batch.status());
        WriteVectorRows(res, d_.catalogue->PutItemVectors(*batch));
      });
}

}  // namespace reco::api
