// https robot URLs: the client verifies the server's certificate and host name. A local TLS
// server (a certificate made for 127.0.0.1 by the openssl tool) answers as WeCom does.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "gateway/wecom_client.h"

namespace reco::gateway {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;

class WeComTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("wecom_tls_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir_);
    cert_ = (dir_ / "cert.pem").string();
    key_ = (dir_ / "key.pem").string();
    std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
                      "-addext subjectAltName=IP:127.0.0.1 -keyout " + key_ + " -out " + cert_ +
                      " >/dev/null 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "openssl (Debian package openssl) is needed";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // Serves `connections` TLS connections on a free port, answering errcode 0 to each request;
  // records the last request body.
  int Serve(int connections) {
    server_ctx_.use_certificate_chain_file(cert_);
    server_ctx_.use_private_key_file(key_, ssl::context::pem);
    acceptor_.open(asio::ip::tcp::v4());
    acceptor_.bind({asio::ip::make_address("127.0.0.1"), 0});
    acceptor_.listen();
    thread_ = std::thread([this, connections] {
      for (int i = 0; i < connections; ++i) {
        try {
          asio::ip::tcp::socket socket(io_);
          acceptor_.accept(socket);
          beast::ssl_stream<asio::ip::tcp::socket> stream(std::move(socket), server_ctx_);
          stream.handshake(ssl::stream_base::server);
          beast::flat_buffer buffer;
          beast::http::request<beast::http::string_body> req;
          beast::http::read(stream, buffer, req);
          body_ = req.body();
          beast::http::response<beast::http::string_body> res(beast::http::status::ok, 11);
          res.set(beast::http::field::content_type, "application/json");
          res.body() = R"({"errcode":0,"errmsg":"ok"})";
          res.prepare_payload();
          beast::http::write(stream, res);
        } catch (const std::exception&) {
          // the client refused the certificate: the next connection is served
        }
      }
    });
    return acceptor_.local_endpoint().port();
  }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }

  std::filesystem::path dir_;
  std::string cert_, key_, body_;
  asio::io_context io_;
  ssl::context server_ctx_{ssl::context::tls_server};
  asio::ip::tcp::acceptor acceptor_{io_};
  std::thread thread_;
};

TEST_F(WeComTlsTest, HttpsDeliversWhenTheCertificateIsTrustedAndFailsWhenNot) {
  int port = Serve(2);
  std::string url = "https://127.0.0.1:" + std::to_string(port) +
                    "/cgi-bin/webhook/send?key=tls-robot-key-0001";
  WeComMessage m;
  m.content = "## over TLS";
  // The system's CAs do not know the test certificate: no delivery, the key stays masked.
  SendResult untrusted = SendToRobot(url, m, 10);
  EXPECT_EQ(untrusted.outcome, SendOutcome::kRetry);
  EXPECT_NE(untrusted.detail.find("TLS handshake"), std::string::npos) << untrusted.detail;
  EXPECT_EQ(untrusted.detail.find("tls-robot-key-0001"), std::string::npos);
  SendResult trusted = SendToRobot(url, m, 10, cert_);
  Join();
  EXPECT_EQ(trusted.outcome, SendOutcome::kDelivered) << trusted.detail;
  EXPECT_NE(body_.find("## over TLS"), std::string::npos) << body_;
}

}  // namespace
}  // namespace reco::gateway
