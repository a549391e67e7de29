// SPDX-License-Identifier: MIT
// Our server's TLS against a client that is not OpenSSL: GnuTLS's gnutls-cli (a separate
// program, run as a process; nothing of it is linked). The server takes TLS 1.3 records over
// from OpenSSL after the handshake (Tls13Records), so this checks our record layer against an
// independent implementation, suite by suite; TLS 1.2 stays with OpenSSL and is checked too.
// Label "slow": each case waits a second for the client's answer.
#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "test_support.h"
#include "transport/frame_codec.h"

using namespace wechat::transport;
using namespace wechat::transport::testing;

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("tls interop: gnutls-cli exchanges frames with our server on every suite") {
  REQUIRE_MESSAGE(std::system("command -v gnutls-cli >/dev/null") == 0,
                  "gnutls-cli is missing (scripts/install-deps.sh installs gnutls-bin)");
  TestCertificate cert;
  IoRunner io;
  {
    ConnectionOptions options;
    options.idle_timeout = 10000ms;
    TestServer server(io, server_options(options, cert.server_context()), /*echo=*/true);
    // A small frame and one of 100 KiB: one record, then many, each way.
    std::string big(100 << 10, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
    const std::string frames =
        encode_frame(make_frame(1, "hello from gnutls")) + encode_frame(make_frame(2, big));
    const std::string in = cert.dir.file("in.bin");
    std::ofstream(in, std::ios::binary) << frames;

    for (const char* priority : {"NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM",
                                 "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-256-GCM",
                                 "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+CHACHA20-POLY1305",
                                 "NORMAL:-VERS-ALL:+VERS-TLS1.2"}) {
      CAPTURE(priority);
      const std::string out = cert.dir.file("out.bin");
      const std::string log = cert.dir.file("gnutls.log");
      // stdin stays open a second after the frames so the echo can come back before the
      // client closes.
      const std::string command = "(cat '" + in + "'; sleep 1) | timeout 20 gnutls-cli " +
                                  "--insecure --priority '" + priority + "' --port " +
                                  std::to_string(server.port()) + " 127.0.0.1 --logfile='" + log +
                                  "' > '" + out + "' 2>> '" + log + "'";
      CHECK(std::system(command.c_str()) == 0);
      CHECK(read_file(out) == frames);  // echoed byte for byte
      CHECK(read_file(log).find(std::string(priority).find("TLS1.3") != std::string::npos
                                    ? "(TLS1.3"
                                    : "(TLS1.2") != std::string::npos);
    }
  }
  io.finish();
}
