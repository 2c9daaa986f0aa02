// `reco gateway --http-port N [--config FILE]`: receives Alertmanager webhooks on
// POST /alertmanager and delivers them to WeCom group robots until SIGTERM/SIGINT; GET /health
// and GET /metrics. `reco gateway test-send [--config FILE]`: one test message to every robot,
// exit 0 only when WeCom accepted all of them. `reco gateway print-template [--language L]
// [--text]`: the built-in message template, a start for a gateway.template_file.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>
#include <string>

#include "api/http/http_server.h"
#include "cli/commands.h"
#include "cli/stop_signals.h"
#include "gateway/gateway.h"
#include "gateway/gateway_config.h"
#include "gateway/gateway_routes.h"
#include "gateway/message_template.h"

namespace reco::cli {
namespace {

struct GatewayFlags {
  std::string config;
  int http_port = -1;  // -1 = gateway.http_port of the config
  std::string host;    // "" = gateway.host of the config
  std::string template_language = "zh-CN";  // print-template
  bool template_text = false;               // print-template: the text form
};

[[noreturn]] void Fail(int code, const std::string& message) { throw CommandFailed{code, message}; }

gateway::GatewayConfig LoadOrFail(const std::string& command, const GatewayFlags& flags) {
  Result<gateway::GatewayConfig> config = gateway::LoadGatewayConfig(flags.config);
  if (!config.ok()) Fail(2, command + ": " + config.status().message());
  if (config->robots.empty()) {
    Fail(2, command +
                ": no WeCom robot configured: set WEIXIN_WEBHOOK_URL (or WEIXIN_WEBHOOK_KEY) "
                "or [[gateway.robots]] in --config");
  }
  if (Status st = gateway::ApplyTimeZone(config->time_zone); !st.ok()) Fail(2, st.message());
  return *std::move(config);
}

void RunGateway(const GatewayFlags& flags) {
  gateway::GatewayConfig config = LoadOrFail("reco gateway", flags);
  if (flags.http_port >= 0) config.http_port = flags.http_port;
  if (!flags.host.empty()) config.host = flags.host;
  const StopSignals stop;  // before any thread starts

  MetricsRegistry metrics;
  gateway::Gateway gw(config, metrics);
  HttpServerOptions options;
  options.host = config.host;
  options.port = config.http_port;
  options.threads = 2;
  options.max_body_bytes = 4 << 20;
  options.metrics = &metrics;
  HttpServer server(options, gateway::MakeGatewayRouter(gw, metrics));
  if (Status st = server.Start(); !st.ok()) Fail(1, "reco gateway: " + st.message());
  gw.Start();
  spdlog::info(
      "reco gateway listening on http://{}:{} robots={} language={} time_zone={} template_file={}",
      config.host, server.port(), config.robots.size(), config.language, config.time_zone,
      config.template_file.empty() ? "built-in" : config.template_file);
  spdlog::info("received {}, stopping", stop.Wait());
  server.Stop();
  gw.Stop();
  spdlog::info("reco gateway stopped");
  spdlog::default_logger()->flush();
}

void RunTestSend(const GatewayFlags& flags) {
  gateway::GatewayConfig config = LoadOrFail("reco gateway test-send", flags);
  MetricsRegistry metrics;
  gateway::Gateway gw(config, metrics);
  int failed = 0;
  for (const auto& [robot, result] : gw.SendTestMessages()) {
    bool ok = result.outcome == gateway::SendOutcome::kDelivered;
    failed += ok ? 0 : 1;
    std::printf("%s robot=%s result=%s errcode=%d detail=\"%s\"\n", ok ? "OK  " : "FAIL",
                robot.c_str(), std::string(gateway::SendOutcomeName(result.outcome)).c_str(),
                result.errcode, result.detail.c_str());
  }
  std::fflush(stdout);
  if (failed > 0) {
    Fail(1, "reco gateway test-send: " + std::to_string(failed) + " of " +
                std::to_string(config.robots.size()) + " robots did not accept the test message");
  }
}

void RunPrintTemplate(const GatewayFlags& flags) {
  if (flags.template_language != "zh-CN" && flags.template_language != "en") {
    Fail(2, "reco gateway print-template: --language must be zh-CN or en, got \"" +
                flags.template_language + "\"");
  }
  std::string source =
      gateway::BuiltinTemplateSource(flags.template_language, !flags.template_text);
  std::fwrite(source.data(), 1, source.size(), stdout);
  std::fflush(stdout);
}

}  // namespace

void RegisterGatewayCommand(CLI::App& app) {
  auto flags = std::make_shared<GatewayFlags>();
  CLI::App* cmd = app.add_subcommand(
      "gateway",
      "Alertmanager to WeCom: receive webhooks on POST /alertmanager and send them to WeCom "
      "group robots (WEIXIN_WEBHOOK_URL / WEIXIN_WEBHOOK_KEY or --config); /health, /metrics.");
  cmd->add_option("--http-port", flags->http_port,
                  "Port to listen on (0 = a free port; default "
                  "gateway.http_port, 9095)");
  cmd->add_option("--host", flags->host, "Address to listen on (default gateway.host, 127.0.0.1)");
  cmd->add_option("--config", flags->config,
                  "TOML file with a [gateway] section (docs/gateway.md)");
  CLI::App* test_send = cmd->add_subcommand(
      "test-send", "Send one test message to every configured robot; exit 0 only if all succeed.");
  test_send->add_option("--config", flags->config,
                        "TOML file with a [gateway] section (docs/gateway.md)");
  CLI::App* print_template = cmd->add_subcommand(
      "print-template",
      "Print the built-in message template: a start for gateway.template_file (docs/gateway.md).");
  print_template->add_option("--language", flags->template_language, "zh-CN (default) or en");
  print_template->add_flag("--text", flags->template_text,
                           "The text form (message_type = \"text\") instead of markdown");
  cmd->callback([flags, test_send, print_template] {
    if (test_send->parsed()) {
      RunTestSend(*flags);
    } else if (print_template->parsed()) {
      RunPrintTemplate(*flags);
    } else {
      RunGateway(*flags);
    }
  });
}

}  // namespace reco::cli
