// `reco doctor --data-dir DIR [--config FILE] [--gateway-config FILE] [--user UID:GID] [--json]`:
// runs the checks of app/doctor.h and prints one line per check with its fix. Exit 0 when all
// are ok, 1 with warnings, 2 with failures.
#include <cstdio>
#include <string>

#include "app/doctor.h"
#include "cli/commands.h"

namespace reco::cli {
namespace {

struct DoctorFlags {
  std::string data_dir;
  std::string config;
  std::string gateway_config;
  std::string user;  // "UID:GID" or "UID"
  bool json = false;
};

// "50000:50000" or "50000" (the gid then equals the uid, as in the images reco ships in).
doctor::RunAs ParseUser(const std::string& text) {
  try {
    size_t used = 0;
    const unsigned long uid = std::stoul(text, &used);
    unsigned long gid = uid;
    if (used < text.size()) {
      if (text[used] != ':') throw std::invalid_argument(text);
      size_t used_gid = 0;
      gid = std::stoul(text.substr(used + 1), &used_gid);
      if (used + 1 + used_gid != text.size()) throw std::invalid_argument(text);
    }
    return {static_cast<uid_t>(uid), static_cast<gid_t>(gid)};
  } catch (const std::exception&) {
    throw CommandFailed{2,
                        "reco doctor: --user must be UID or UID:GID (numbers), got '" + text + "'"};
  }
}

void RunDoctorCommand(const DoctorFlags& flags) {
  doctor::DoctorOptions options{.data_dir = flags.data_dir,
                                .config_file = flags.config,
                                .gateway_file = flags.gateway_config};
  if (!flags.user.empty()) options.run_as = ParseUser(flags.user);
  const doctor::DoctorReport report = doctor::RunDoctor(options);
  const std::string out = flags.json ? report.ToJson() : report.ToText();
  std::fputs(out.c_str(), stdout);
  std::fflush(stdout);
  if (const int code = report.ExitCode(); code != 0) throw CommandFailed{code, ""};
}

}  // namespace

void RegisterDoctorCommand(CLI::App& app) {
  auto flags = std::make_shared<DoctorFlags>();
  CLI::App* cmd = app.add_subcommand(
      "doctor",
      "Check a data directory and its configuration: directory owners, model files against the "
      "registry's sha256, the configuration, the HTTP port, disk space, SQLite quick_check, "
      "CLIP_MODEL_PATH, HF_HUB_OFFLINE, DATA_JSON_DIR, Matomo, the WeCom key. Each problem "
      "comes with the command that fixes it. Exit 0 ok, 1 warnings, 2 failures.");
  cmd->add_option("--data-dir", flags->data_dir, "Data directory")->required();
  cmd->add_option("--config", flags->config,
                  "TOML config file (default: DIR/reco.toml if present)");
  cmd->add_option("--gateway-config", flags->gateway_config,
                  "The alert gateway's TOML file (default: DIR/gateway.toml if present)");
  cmd->add_option("--user", flags->user,
                  "UID[:GID] that runs reco (e.g. 50000:50000 in the containers); default: the "
                  "user running reco doctor");
  cmd->add_flag("--json", flags->json,
                "Print {\"status\", \"checks\": [{\"name\", \"status\", \"message\", \"fix\"}]}");
  cmd->callback([flags] { RunDoctorCommand(*flags); });
}

}  // namespace reco::cli
