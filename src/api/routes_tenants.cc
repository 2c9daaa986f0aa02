// Tenant administration (docs/tenants.md): list, create, show, delete tenants, issue keys, set
// quotas. Admin routes of the default tenant only: the admin key (server.api_key) calls them; a
// tenant's key gets 403 from the tenant front (api/tenant_front.h).
#include "api/api_service.h"
#include "api/json_body.h"
#include "core/json_writer.h"

namespace reco::api {
namespace {

constexpr std::string_view kCreateExample =
    R"({"name": "shop", "max_users": 0, "max_items": 0, "requests_per_second": 0})";

void WriteQuotas(JsonWriter& w, const service::TenantQuotas& q) {
  w.Key("quotas").BeginObject();
  w.Key("max_users").Int(q.max_users).Key("max_items").Int(q.max_items);
  w.Key("requests_per_second").Double(q.requests_per_second).EndObject();
}

void WriteTenant(JsonWriter& w, const service::TenantInfo& t) {
  w.BeginObject().Key("name").String(t.name).Key("created").TimestampOrNull(t.created);
  WriteQuotas(w, t.quotas);
  w.Key("keys").BeginArray();
  for (const service::TenantKeyInfo& k : t.keys) {
    w.BeginObject().Key("id").String(k.id).Key("created").TimestampOrNull(k.created).EndObject();
  }
  w.EndArray().EndObject();
}

void WriteIssued(HttpResponse& res, const service::IssuedKey& issued) {
  res.status = 201;
  JsonWriter w(std::move(res.body));
  w.BeginObject().Key("tenant").String(issued.tenant).Key("key_id").String(issued.id);
  w.Key("key").String(issued.key).EndObject();
  res.body = w.Take();
}

Result<int64_t> NonNegativeInt(simdjson::dom::element value, std::string_view key) {
  RECO_ASSIGN_OR_RETURN(double number, NumberField(value, key));
  if (number < 0 || number > 1e15 || number != static_cast<double>(static_cast<int64_t>(number))) {
    return InvalidArgument(std::string(key) + " must be a non-negative integer", std::string(key));
  }
  return static_cast<int64_t>(number);
}

// The quota fields of a body; `name` (when not null) also reads "name".
Status ReadQuotaField(std::string_view key, simdjson::dom::element value, service::TenantQuotas& q,
                      std::string* name) {
  if (key == "name" && name != nullptr) {
    RECO_ASSIGN_OR_RETURN(*name, StringField(value, key));
  } else if (key == "max_users") {
    RECO_ASSIGN_OR_RETURN(q.max_users, NonNegativeInt(value, key));
  } else if (key == "max_items") {
    RECO_ASSIGN_OR_RETURN(q.max_items, NonNegativeInt(value, key));
  } else if (key == "requests_per_second") {
    RECO_ASSIGN_OR_RETURN(q.requests_per_second, NumberField(value, key));
  } else {
    return UnknownField(key, name != nullptr ? "name, max_users, max_items, requests_per_second"
                                             : "max_users, max_items, requests_per_second");
  }
  return Status::Ok();
}

}  // namespace

void ApiService::AddTenantRoutes(Router& r) {
  Add(r,
      {.method = "GET",
       .pattern = "/api/v1/tenants",
       .summary = "Tenants besides default, with quotas and key ids (never the keys).",
       .tag = "tenants",
       .response_schema = "TenantList",
       .admin = AdminScope::kOperate},
      [this](HttpRequest&, HttpResponse& res) {
        Result<std::vector<service::TenantInfo>> list = d_.tenants->List();
        if (!list.ok()) return SetStatusError(res, list.status());
        JsonWriter w(std::move(res.body));
        w.BeginObject().Key("tenants").BeginArray();
        for (const service::TenantInfo& t : *list) WriteTenant(w, t);
        w.EndArray().EndObject();
        res.body = w.Take();
      });
  Add(r,
      {.method = "POST",
       .pattern = "/api/v1/tenants",
       .summary = "Create a tenant (its own data directory) and issue its first API key, shown "
                  "only in this answer (201).",
       .tag = "tenants",
       .request_schema = "TenantCreate",
       .response_schema = "TenantKey",
       .admin = AdminScope::kOperate},
      [this](HttpRequest& req, HttpResponse& res) {
        std::string name;
        service::TenantQuotas quotas;
        Status read = ForEachBodyField(req.body(), kCreateExample, [&](auto key, auto value) {
          return ReadQuotaField(key, value, quotas, &name);
        });
        if (!read.ok()) return SetStatusError(res, read);
        Result<service::IssuedKey> issued = d_.tenants->Create(name, quotas);
        if (!issued.ok()) return SetStatusError(res, issued.status());
        WriteIssued(res, *issued);
      });
  AddTenantKeyRoutes(r);
}

void ApiService::AddTenantKeyRoutes(Router& r) {
  Add(r,
      {.method = "GET",
       .pattern = "/api/v1/tenants/{name}",
       .summary = "One tenant: quotas and key ids.",
       .tag = "tenants",
       .response_schema = "Tenant",
       .admin = AdminScope::kOperate},
      [this](HttpRequest& req, HttpResponse& res) {
        Result<service::TenantInfo> tenant = d_.tenants->Get(req.Param("name"));
        if (!tenant.ok()) return SetStatusError(res, tenant.status());
        JsonWriter w(std::move(res.body));
        WriteTenant(w, *tenant);
        res.body = w.Take();
      });
  Add(r,
      {.method = "DELETE",
       .pattern = "/api/v1/tenants/{name}",
       .summary = "Delete a tenant: its registry entry and keys, then its data directory; "
                  "nothing of any other tenant.",
       .tag = "tenants",
       .response_schema = "TenantDeleted",
       .admin = AdminScope::kOperate},
      [this](HttpRequest& req, HttpResponse& res) {
        if (Status st = d_.tenants->Delete(req.Param("name")); !st.ok()) {
          return SetStatusError(res, st);
        }
        JsonWriter w(std::move(res.body));
        w.BeginObject().Key("deleted").String(req.Param("name")).EndObject();
        res.body = w.Take();
      });
  Add(r,
      {.method = "POST",
       .pattern = "/api/v1/tenants/{name}/keys",
       .summary = "Issue another API key of the tenant (201; the key is shown only here). "
                  "Earlier keys stay valid unless the body asks {\"revoke_others\": true} "
                  "(rotation).",
       .tag = "tenants",
       .request_schema = "TenantKeyRequest",
       .response_schema = "TenantKey",
       .admin = AdminScope::kOperate},
      [this](HttpRequest& req, HttpResponse& res) {
        bool revoke_others = false;
        Status read = ForEachBodyField(
            req.body(), R"({"revoke_others": true})", [&](auto key, auto value) -> Status {
              if (key != "revoke_others") return UnknownField(key, "revoke_others");
              if (value.get(revoke_others)) {
                return InvalidArgument("revoke_others must be true or false", "revoke_others");
              }
              return Status::Ok();
            });
        if (!read.ok()) return SetStatusError(res, read);
        Result<service::IssuedKey> issued = d_.tenants->IssueKey(req.Param("name"), revoke_others);
        if (!issued.ok()) return SetStatusError(res, issued.status());
        WriteIssued(res, *issued);
      });
  Add(r,
      {.method = "DELETE",
       .pattern = "/api/v1/tenants/{name}/keys/{key_id}",
       .summary = "Revoke one key of the tenant: it is refused from the next request on.",
       .tag = "tenants",
       .response_schema = "TenantKeyRevoked",
       .admin = AdminScope::kOperate},
      [this](HttpRequest& req, HttpResponse& res) {
        if (Status st = d_.tenants->RevokeKey(req.Param("name"), req.Param("key_id")); !st.ok()) {
          return SetStatusError(res, st);
        }
        JsonWriter w(std::move(res.body));
        w.BeginObject().Key("tenant").String(req.Param("name"));
        w.Key("revoked").String(req.Param("key_id")).EndObject();
        res.body = w.Take();
      });
  Add(r,
      {.method = "PUT",
       .pattern = "/api/v1/tenants/{name}/quotas",
       .summary = "Replace the tenant's quotas (0 = no limit); a running server applies them to "
                  "the next request.",
       .tag = "tenants",
       .request_schema = "TenantQuotas",
       .response_schema = "Tenant",
       .admin = AdminScope::kOperate},
      [this](HttpRequest& req, HttpResponse& res) {
        service::TenantQuotas quotas;
        Status read = ForEachBodyField(req.body(), kCreateExample, [&](auto key, auto value) {
          return ReadQuotaField(key, value, quotas, nullptr);
        });
        if (!read.ok()) return SetStatusError(res, read);
        if (Status st = d_.tenants->SetQuotas(req.Param("name"), quotas); !st.ok()) {
          return SetStatusError(res, st);
        }
        Result<service::TenantInfo> tenant = d_.tenants->Get(req.Param("name"));
        if (!tenant.ok()) return SetStatusError(res, tenant.status());
        JsonWriter w(std::move(res.body));
        WriteTenant(w, *tenant);
        res.body = w.Take();
      });
}

}  // namespace reco::api
