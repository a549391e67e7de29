// SPDX-License-Identifier: MIT
// W1 over MQTT 3.1.1 QoS 1, a minimal client written for the benchmark: CONNECT (clean
// session), SUBSCRIBE to its own topic "b/<user>" at QoS 1, PUBLISH QoS 1 to the friend's topic.
// The ack is the broker's PUBACK to the sender; the delivery is the PUBLISH the broker forwards
// to the subscriber (which answers with PUBACK). The payload is 100 bytes, the message id in its
// first 8. Unlike our protocol, the sender does not get a copy of its own message.
#include <asio/read.hpp>
#include <asio/write.hpp>
#include <cstring>
#include <deque>
#include <vector>

#include "chat_adapter.h"
#include "session_pool_adapter.h"

namespace wechat::bench {
namespace {


void put_u16(std::string& out, std::uint16_t v) {
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v & 0xff);
}

void put_str(std::string& out, const std::string& s) {
  put_u16(out, static_cast<std::uint16_t>(s.size()));
  out += s;
}

std::string packet(std::uint8_t header, const std::string& body) {
  std::string out;
  out += static_cast<char>(header);
  std::size_t len = body.size();
  do {
    std::uint8_t byte = len % 128;
    len /= 128;
    if (len > 0) byte |= 0x80;
    out += static_cast<char>(byte);
  } while (len > 0);
  return out + body;
}

class MqttAdapter;

/// One MQTT connection: one outstanding read, one outstanding gathered write.
class MqttSession : public std::enable_shared_from_this<MqttSession> {
 public:
  MqttSession(asio::io_context& io, MqttAdapter& owner, std::size_t index)
      : socket_(io), owner_(owner), index_(index), packet_ids_(65536, 0) {}

  void start(const asio::ip::tcp::endpoint& endpoint);
  void publish(const std::string& topic, std::uint64_t id, const std::string& payload);
  void close() {
    closed_ = true;
    std::error_code ec;
    socket_.close(ec);
  }
  bool closed() const { return closed_; }

 private:
  void read();
  void on_packet(std::uint8_t type, const char* body, std::size_t len);
  void write(std::string bytes);
  void flush();
  void fail(const std::string& why);

  asio::ip::tcp::socket socket_;
  MqttAdapter& owner_;
  std::size_t index_;
  std::vector<char> in_;
  std::size_t in_used_ = 0;
  std::deque<std::string> queue_;
  std::vector<std::string> writing_;
  bool write_pending_ = false;
  bool closed_ = false;
  std::uint16_t next_packet_id_ = 1;
  std::vector<std::uint64_t> packet_ids_;  // packet id -> message id + 1 (0: free)
};

class MqttAdapter final : public SessionPoolAdapter<MqttSession> {
 public:
  MqttAdapter(asio::io_context& io, asio::ip::tcp::endpoint endpoint, std::size_t users)
      : SessionPoolAdapter(io, endpoint, users, "mqtt"), payload_(payload_text()) {}

 private:
  std::shared_ptr<MqttSession> make_session(asio::io_context& io, std::size_t index) override {
    return std::make_shared<MqttSession>(io, *this, index);
  }
  void send_on(MqttSession& session, std::size_t user, std::uint64_t id) override {
    session.publish("b/" + std::to_string(user ^ 1), id, payload_);
  }

  std::string payload_;
};

void MqttSession::start(const asio::ip::tcp::endpoint& endpoint) {
  socket_.async_connect(endpoint, [self = shared_from_this()](const std::error_code& ec) {
    if (ec) return self->fail("connect: " + ec.message());
    self->socket_.set_option(asio::ip::tcp::no_delay(true));
    // CONNECT: protocol "MQTT" level 4, clean session, keep-alive 0 (off: the run is bounded).
    std::string body;
    put_str(body, "MQTT");
    body += static_cast<char>(4);
    body += static_cast<char>(0x02);
    put_u16(body, 0);
    put_str(body, "bench-" + std::to_string(self->index_));
    self->write(packet(0x10, body));
    self->read();
  });
}

void MqttSession::publish(const std::string& topic, std::uint64_t id, const std::string& payload) {
  std::uint16_t pid = next_packet_id_;
  // Find a free packet id (QoS 1 ids stay taken until PUBACK).
  for (int tries = 0; packet_ids_[pid] != 0 && tries < 65535; ++tries) {
    pid = static_cast<std::uint16_t>(pid == 65535 ? 1 : pid + 1);
  }
  if (packet_ids_[pid] != 0) {
    if (owner_.sink().error) owner_.sink().error(id, static_cast<int>(Error::kResourceExhausted));
    return;
  }
  next_packet_id_ = static_cast<std::uint16_t>(pid == 65535 ? 1 : pid + 1);
  packet_ids_[pid] = id + 1;
  std::string body;
  put_str(body, topic);
  put_u16(body, pid);
  std::string data = payload;
  std::memcpy(data.data(), &id, 8);
  body += data;
  write(packet(0x32, body));  // PUBLISH, QoS 1
}

void MqttSession::read() {
  if (in_.size() - in_used_ < 16384) in_.resize(std::max<std::size_t>(in_.size() * 2, 65536));
  socket_.async_read_some(
      asio::buffer(in_.data() + in_used_, in_.size() - in_used_),
      [self = shared_from_this()](const std::error_code& ec, std::size_t n) {
        if (ec) return self->fail("read: " + ec.message());
        self->in_used_ += n;
        std::size_t pos = 0;
        for (;;) {
          if (self->in_used_ - pos < 2) break;
          std::size_t len = 0, mult = 1, i = pos + 1;
          bool complete = false;
          for (; i < self->in_used_ && i < pos + 5; ++i) {
            const auto byte = static_cast<std::uint8_t>(self->in_[i]);
            len += (byte & 127) * mult;
            mult *= 128;
            if ((byte & 128) == 0) {
              complete = true;
              ++i;
              break;
            }
          }
          if (!complete || self->in_used_ - i < len) break;
          self->on_packet(static_cast<std::uint8_t>(self->in_[pos]), self->in_.data() + i, len);
          if (self->closed_) return;
          pos = i + len;
        }
        std::memmove(self->in_.data(), self->in_.data() + pos, self->in_used_ - pos);
        self->in_used_ -= pos;
        self->read();
      });
}

void MqttSession::on_packet(std::uint8_t header, const char* body, std::size_t len) {
  auto u16 = [](const char* p) {
    return static_cast<std::uint16_t>((static_cast<std::uint8_t>(p[0]) << 8) |
                                      static_cast<std::uint8_t>(p[1]));
  };
  switch (header >> 4) {
    case 2: {  // CONNACK
      if (len < 2 || body[1] != 0) return fail("connection refused");
      std::string sub;
      put_u16(sub, 1);
      put_str(sub, "b/" + std::to_string(index_));
      sub += static_cast<char>(1);  // QoS 1
      write(packet(0x82, sub));
      return;
    }
    case 9:  // SUBACK
      if (len < 3 || static_cast<std::uint8_t>(body[2]) == 0x80) return fail("subscribe refused");
      owner_.ready(index_);
      return;
    case 4: {  // PUBACK for our publish
      if (len < 2) return fail("short PUBACK");
      const std::uint16_t pid = u16(body);
      const std::uint64_t id = packet_ids_[pid];
      packet_ids_[pid] = 0;
      if (id != 0 && owner_.sink().ack) owner_.sink().ack(id - 1);
      return;
    }
    case 3: {  // PUBLISH to us
      const int qos = (header >> 1) & 3;
      if (len < 2) return fail("short PUBLISH");
      const std::size_t topic_len = u16(body);
      std::size_t at = 2 + topic_len;
      std::uint16_t pid = 0;
      if (qos > 0) {
        pid = u16(body + at);
        at += 2;
      }
      if (len >= at + 8) {
        std::uint64_t id = 0;
        std::memcpy(&id, body + at, 8);
        if (owner_.sink().deliver) owner_.sink().deliver(id);
      }
      if (qos == 1) {
        std::string ack;
        put_u16(ack, pid);
        write(packet(0x40, ack));
      }
      return;
    }
    default:
      return;
  }
}

void MqttSession::write(std::string bytes) {
  queue_.push_back(std::move(bytes));
  if (!write_pending_) flush();
}

void MqttSession::flush() {
  if (queue_.empty() || closed_) return;
  writing_.clear();
  std::vector<asio::const_buffer> buffers;
  while (!queue_.empty() && writing_.size() < 256) {
    writing_.push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  for (auto& w : writing_) buffers.push_back(asio::buffer(w));
  write_pending_ = true;
  asio::async_write(socket_, buffers,
                    [self = shared_from_this()](const std::error_code& ec, std::size_t) {
                      self->write_pending_ = false;
                      if (ec) return self->fail("write: " + ec.message());
                      self->flush();
                    });
}

void MqttSession::fail(const std::string& why) {
  if (closed_) return;
  closed_ = true;
  std::error_code ec;
  socket_.close(ec);
  owner_.failed(index_, why);
}

}  // namespace

std::unique_ptr<ChatAdapter> make_mqtt_adapter(asio::io_context& io, const std::string& host,
                                               std::uint16_t port, std::size_t users) {
  asio::ip::tcp::endpoint endpoint(asio::ip::make_address(host), port);
  return std::make_unique<MqttAdapter>(io, endpoint, users & ~std::size_t{1});
}

}  // namespace wechat::bench
