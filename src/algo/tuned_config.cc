#include "algo/tuned_config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <cstdio>

#include "core/file_util.h"
#include "core/toml_util.h"

namespace reco::algo {
namespace {

std::string Where(const std::filesystem::path& path, const toml::node& node) {
  return path.string() + ":" + std::to_string(node.source().begin.line) + ": ";
}

Status Bad(const std::filesystem::path& path, const toml::node& node, const std::string& what) {
  return InvalidArgument(Where(path, node) + what, "--config");
}

Status ReadAlgorithm(const std::filesystem::path& path, const toml::table& t, TunedConfig& out) {
  for (const auto& [key, node] : t) {
    if (key.str() != "name") {
      return Bad(path, node, "unknown key \"" + std::string(key.str()) + "\" in [algorithm]");
    }
    std::optional<std::string> name = node.value<std::string>();
    if (!name) return Bad(path, node, "[algorithm] name must be a string");
    out.algo = *name;
  }
  return Status::Ok();
}

Status ReadSettings(const std::filesystem::path& path, const toml::table& t, TunedConfig& out) {
  for (const auto& [key, node] : t) {
    const std::string k(key.str());
    if (!node.is_string()) {
      return Bad(path, node, "setting \"" + k + "\" must be a string (e.g. \"" + k + "\" = \"1\")");
    }
    out.settings.emplace_back(k, *node.value<std::string>());
  }
  return Status::Ok();
}

Status ReadTune(const std::filesystem::path& path, const toml::table& t, TunedConfig& out) {
  for (const auto& [key, node] : t) {
    const std::string k(key.str());
    bool ok = true;
    if (k == "train") {
      ok = node.is_string();
      if (ok) out.train_file = *node.value<std::string>();
    } else if (k == "metric") {
      ok = node.is_string();
      if (ok) out.metric = *node.value<std::string>();
    } else if (k == "validation" || k == "seconds") {
      ok = node.is_number();
      if (ok) (k == "validation" ? out.validation_value : out.seconds) = *node.value<double>();
    } else if (k == "trials" || k == "seed") {
      ok = node.is_integer() && *node.value<int64_t>() >= 0;
      if (ok && k == "trials") out.trials = static_cast<int>(*node.value<int64_t>());
      if (ok && k == "seed") out.seed = static_cast<uint64_t>(*node.value<int64_t>());
    } else {
      return Bad(path, node, "unknown key \"" + k + "\" in [tune]");
    }
    if (!ok) return Bad(path, node, "[tune] " + k + " has the wrong type");
  }
  return Status::Ok();
}

}  // namespace

Result<TunedConfig> LoadTunedConfig(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) {
    return NotFound("config file " + path.string() + " does not exist");
  }
  RECO_ASSIGN_OR_RETURN(toml::table root, ParseTomlFile(path, "--config"));
  TunedConfig config;
  for (const auto& [key, node] : root) {
    const std::string section(key.str());
    const toml::table* t = node.as_table();
    if (t == nullptr || (section != "algorithm" && section != "settings" && section != "tune")) {
      return Bad(path, node,
                 "unknown key \"" + section + "\" (accepted sections: algorithm, settings, tune)");
    }
    if (section == "algorithm") RECO_RETURN_IF_ERROR(ReadAlgorithm(path, *t, config));
    if (section == "settings") RECO_RETURN_IF_ERROR(ReadSettings(path, *t, config));
    if (section == "tune") RECO_RETURN_IF_ERROR(ReadTune(path, *t, config));
  }
  if (config.algo.empty()) {
    return InvalidArgument(path.string() + ": [algorithm] name is missing", "--config");
  }
  if (Status st = CheckScorerSettings(config.algo, config.settings); !st.ok()) {
    return st.WithPrefix(path.string());
  }
  return config;
}

namespace {

// A TOML basic string: "..." with \\, \" and control characters escaped.
std::string Quoted(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

std::string FormatTunedConfig(const TunedConfig& config) {
  std::string out =
      "# Written by `reco tune`; read by `reco train --config` and `reco eval --config`.\n";
  out += "[algorithm]\nname = " + Quoted(config.algo) + "\n\n[settings]\n";
  for (const Setting& s : config.settings) out += Quoted(s.first) + " = " + Quoted(s.second) + "\n";
  out += "\n[tune]  # provenance, informational\n";
  out += "train = " + Quoted(config.train_file) + "\n";
  out += "metric = " + Quoted(config.metric) + "\n";
  char value[64];
  std::snprintf(value, sizeof(value), "%.17g", config.validation_value);
  std::string validation = value;
  if (validation.find_first_not_of("-0123456789") == std::string::npos) validation += ".0";
  char numbers[96];
  std::snprintf(numbers, sizeof(numbers), "trials = %d\nseconds = %.1f\n", config.trials,
                config.seconds);
  out += "validation = " + validation + "\n" + numbers;
  out += "seed = " + std::to_string(config.seed) + "\n";
  return out;
}

Status SaveTunedConfig(const std::filesystem::path& path, const TunedConfig& config) {
  return WriteFileAtomic(path, FormatTunedConfig(config));
}

}  // namespace reco::algo
