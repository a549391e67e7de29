// SPDX-License-Identifier: MIT
// W1 over XMPP (RFC 6120/6121), a minimal client written for the benchmark: plain TCP (no
// STARTTLS), SASL PLAIN, resource binding, the legacy session, XEP-0198 stream management and
// initial presence; then `<message type='chat'>` with a 100-byte body to the friend's bare JID.
//
// The ack is the server's XEP-0198 `<a h='N'/>` answering the `<r/>` sent right behind each
// message: ejabberd handles a client's stanzas one after the other in its c2s process, and
// mod_mam archives an outgoing message in that process (user_send_packet hook, a synchronous
// SQL insert) before routing it, so `h` covering the message means "accepted and written to
// the sender's archive" -- the D1 meaning of our SendMessageOk. A XEP-0184 receipt would come
// from the recipient instead (an end-to-end delivery, not the server's "stored").
// The delivery is the `<message>` the recipient gets, identified by its id attribute (ejabberd
// keeps the sender's id). The sender does not get a copy of its own message (no carbons).
//
// Accounts u0 .. u<N-1> on the domain, one password for all (bench/peers/ejabberd/ejabberd-peer
// creates them); users 2k and 2k+1 are friends. Incoming XML is parsed with expat (no namespace
// processing: ejabberd's prefixes are fixed, `stream:` for the stream elements).
#include <expat.h>

#include <asio/write.hpp>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <vector>

#include "chat_adapter.h"
#include "session_pool_adapter.h"

namespace wechat::bench {
namespace {

constexpr const char* kSmNs = "urn:xmpp:sm:3";

std::string base64(const std::string& in) {
  static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const unsigned v = (static_cast<unsigned char>(in[i]) << 16) |
                       (static_cast<unsigned char>(in[i + 1]) << 8) |
                       static_cast<unsigned char>(in[i + 2]);
    out += tbl[(v >> 18) & 63];
    out += tbl[(v >> 12) & 63];
    out += tbl[(v >> 6) & 63];
    out += tbl[v & 63];
  }
  if (i < in.size()) {
    unsigned v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    out += tbl[(v >> 18) & 63];
    out += tbl[(v >> 12) & 63];
    out += i + 1 < in.size() ? tbl[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

const char* attr(const XML_Char** attrs, const char* name) {
  for (std::size_t i = 0; attrs[i] != nullptr; i += 2) {
    if (std::strcmp(attrs[i], name) == 0) return attrs[i + 1];
  }
  return nullptr;
}

class XmppAdapter;

/// One XMPP connection: one outstanding read, one outstanding write (everything queued while
/// it is in flight goes out in the next one).
class XmppSession : public std::enable_shared_from_this<XmppSession> {
 public:
  XmppSession(asio::io_context& io, XmppAdapter& owner, std::size_t index);
  ~XmppSession() {
    if (parser_ != nullptr) XML_ParserFree(parser_);
  }

  void start(const asio::ip::tcp::endpoint& endpoint);
  void send_message(std::uint64_t id, const std::string& payload);
  void close() {
    closed_ = true;
    std::error_code ec;
    socket_.close(ec);
  }
  bool closed() const { return closed_; }

 private:
  enum class Phase { kAuth, kBind, kReady };

  void open_stream();
  void read();
  void write(const std::string& bytes);
  void flush();
  void fail(const std::string& why);

  static void XMLCALL on_start(void* self, const XML_Char* name, const XML_Char** attrs) {
    static_cast<XmppSession*>(self)->start_element(name, attrs);
  }
  static void XMLCALL on_end(void* self, const XML_Char* name) {
    static_cast<XmppSession*>(self)->end_element(name);
  }
  void start_element(const char* name, const char** attrs);
  void end_element(const char* name);

  asio::ip::tcp::socket socket_;
  XmppAdapter& owner_;
  std::size_t index_;
  std::string username_;
  XML_Parser parser_ = nullptr;
  int depth_ = 0;
  Phase phase_ = Phase::kAuth;
  bool restart_ = false;  // SASL succeeded: a new stream (and parser) follows
  std::vector<char> in_;
  std::string out_, writing_;
  bool write_pending_ = false;
  bool closed_ = false;
  std::string to_prefix_;  // "<message to='friend@domain' type='chat' id='"
  // XEP-0198: stanzas we sent / handled since <enable/>, and the messages not yet covered by
  // an <a h='N'/> (sequence number, message id).
  std::uint32_t out_count_ = 0, in_count_ = 0;
  std::deque<std::pair<std::uint32_t, std::uint64_t>> unacked_;
};

class XmppAdapter final : public SessionPoolAdapter<XmppSession> {
 public:
  XmppAdapter(asio::io_context& io, asio::ip::tcp::endpoint endpoint, std::size_t users,
              std::string domain, std::string password)
      : SessionPoolAdapter(io, endpoint, users, "xmpp"),
        domain_(std::move(domain)),
        password_(std::move(password)),
        payload_(payload_text()) {}
  const std::string& domain() const { return domain_; }
  const std::string& password() const { return password_; }

 private:
  std::shared_ptr<XmppSession> make_session(asio::io_context& io, std::size_t index) override {
    return std::make_shared<XmppSession>(io, *this, index);
  }
  void send_on(XmppSession& session, std::size_t, std::uint64_t id) override {
    session.send_message(id, payload_);
  }

  std::string domain_, password_, payload_;
};

XmppSession::XmppSession(asio::io_context& io, XmppAdapter& owner, std::size_t index)
    : socket_(io), owner_(owner), index_(index), username_("u" + std::to_string(index)) {
  to_prefix_ = "<message to='u" + std::to_string(index ^ 1) + "@" + owner_.domain() +
               "' type='chat' id='";
}

void XmppSession::start(const asio::ip::tcp::endpoint& endpoint) {
  socket_.async_connect(endpoint, [self = shared_from_this()](const std::error_code& ec) {
    if (ec) return self->fail("connect: " + ec.message());
    self->socket_.set_option(asio::ip::tcp::no_delay(true));
    self->open_stream();
    self->read();
  });
}

void XmppSession::open_stream() {
  if (parser_ != nullptr) XML_ParserFree(parser_);
  parser_ = XML_ParserCreate("UTF-8");
  XML_SetUserData(parser_, this);
  XML_SetElementHandler(parser_, &XmppSession::on_start, &XmppSession::on_end);
  depth_ = 0;
  write("<?xml version='1.0'?><stream:stream to='" + owner_.domain() +
        "' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
        "version='1.0'>");
}

void XmppSession::send_message(std::uint64_t id, const std::string& payload) {
  std::string s;
  s.reserve(to_prefix_.size() + payload.size() + 96);
  s += to_prefix_;
  s += std::to_string(id);
  s += "'><body>";
  s += payload;
  s += "</body></message><r xmlns='urn:xmpp:sm:3'/>";
  unacked_.emplace_back(++out_count_, id);
  write(s);
}

void XmppSession::start_element(const char* name, const char** attrs) {
  ++depth_;
  if (depth_ != 2 || closed_) return;  // only the stream's children matter
  if (std::strcmp(name, "message") == 0) {
    if (phase_ == Phase::kReady) ++in_count_;
    const char* id = attr(attrs, "id");
    const char* type = attr(attrs, "type");
    if (id == nullptr) return;
    const std::uint64_t n = std::strtoull(id, nullptr, 10);
    if (type != nullptr && std::strcmp(type, "error") == 0) {
      if (owner_.sink().error) owner_.sink().error(n, static_cast<int>(Error::kUnavailable));
    } else if (owner_.sink().deliver) {
      owner_.sink().deliver(n);
    }
  } else if (std::strcmp(name, "presence") == 0) {
    if (phase_ == Phase::kReady) ++in_count_;
  } else if (std::strcmp(name, "iq") == 0) {
    if (phase_ == Phase::kReady) ++in_count_;
    const char* type = attr(attrs, "type");
    if (type != nullptr && std::strcmp(type, "error") == 0) fail("iq error (bind or session)");
  } else if (std::strcmp(name, "r") == 0) {
    write("<a xmlns='urn:xmpp:sm:3' h='" + std::to_string(in_count_) + "'/>");
  } else if (std::strcmp(name, "a") == 0) {
    const char* h = attr(attrs, "h");
    if (h == nullptr) return fail("<a/> without h");
    const auto acked = static_cast<std::uint32_t>(std::strtoull(h, nullptr, 10));
    while (!unacked_.empty() &&
           static_cast<std::int32_t>(acked - unacked_.front().first) >= 0) {
      const std::uint64_t id = unacked_.front().second;
      unacked_.pop_front();
      if (owner_.sink().ack) owner_.sink().ack(id);
    }
  } else if (std::strcmp(name, "enabled") == 0) {
    phase_ = Phase::kReady;
    // Initial presence, so that messages to the bare JID come to this resource; it is the
    // first stanza the server counts.
    ++out_count_;
    write("<presence/>");
    owner_.ready(index_);
  } else if (std::strcmp(name, "success") == 0) {
    restart_ = true;
  } else if (std::strcmp(name, "failure") == 0 || std::strcmp(name, "failed") == 0) {
    fail(std::string("server refused: <") + name + ">");
  } else if (std::strcmp(name, "stream:error") == 0) {
    fail("stream error");
  }
}

void XmppSession::end_element(const char* name) {
  --depth_;
  if (closed_) return;
  if (depth_ == 0) return fail("stream closed by the server");
  if (depth_ != 1) return;
  if (std::strcmp(name, "stream:features") == 0) {
    if (phase_ == Phase::kAuth) {
      const std::string creds = std::string(1, '\0') + username_ + '\0' + owner_.password();
      write("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
            base64(creds) + "</auth>");
    } else if (phase_ == Phase::kBind) {
      write(
          "<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
          "<resource>bench</resource></bind></iq>"
          "<iq type='set' id='sess'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>"
          "<enable xmlns='" +
          std::string(kSmNs) + "'/>");
    }
  } else if (restart_) {
    // After <success/> the server waits for the new stream header: nothing else is in flight.
    XML_StopParser(parser_, XML_FALSE);
  }
}

void XmppSession::read() {
  if (in_.empty()) in_.resize(65536);
  socket_.async_read_some(
      asio::buffer(in_.data(), in_.size()),
      [self = shared_from_this()](const std::error_code& ec, std::size_t n) {
        if (self->closed_) return;
        if (ec) return self->fail("read: " + ec.message());
        const XML_Status st =
            XML_Parse(self->parser_, self->in_.data(), static_cast<int>(n), XML_FALSE);
        if (self->closed_) return;
        if (self->restart_) {
          self->restart_ = false;
          self->phase_ = Phase::kBind;
          self->open_stream();
        } else if (st != XML_STATUS_OK) {
          return self->fail(std::string("XML: ") + XML_ErrorString(XML_GetErrorCode(self->parser_)));
        }
        self->read();
      });
}

void XmppSession::write(const std::string& bytes) {
  out_ += bytes;
  if (!write_pending_) flush();
}

void XmppSession::flush() {
  if (out_.empty() || closed_) return;
  writing_.swap(out_);
  out_.clear();
  write_pending_ = true;
  asio::async_write(socket_, asio::buffer(writing_),
                    [self = shared_from_this()](const std::error_code& ec, std::size_t) {
                      self->write_pending_ = false;
                      if (ec) return self->fail("write: " + ec.message());
                      self->flush();
                    });
}

void XmppSession::fail(const std::string& why) {
  if (closed_) return;
  closed_ = true;
  std::error_code ec;
  socket_.close(ec);
  owner_.failed(index_, why);
}

}  // namespace

std::unique_ptr<ChatAdapter> make_xmpp_adapter(asio::io_context& io, const std::string& host,
                                               std::uint16_t port, std::size_t users,
                                               const std::string& domain,
                                               const std::string& password) {
  asio::ip::tcp::endpoint endpoint(asio::ip::make_address(host), port);
  return std::make_unique<XmppAdapter>(io, endpoint, users & ~std::size_t{1}, domain, password);
}

}  // namespace wechat::bench
