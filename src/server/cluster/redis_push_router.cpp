// SPDX-License-Identifier: MIT
#include "server/cluster/redis_push_router.h"

#include <charconv>

#include "server/cluster/cluster_keys.h"
#include "transport/frame_codec.h"

namespace wechat::server::cluster {

namespace {

// Lua, so that reading routes and acting on them is one atomic round trip, in call order.

/// KEYS: route, node-users. ARGV: device, node, user. Returns the user's device count.
constexpr const char* kAttachScript = R"lua(
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
return redis.call('HLEN', KEYS[1])
)lua";

/// KEYS: route, node-users. ARGV: device, node, user. Returns the devices left, or -1 if the
/// route was not this node's (the device reconnected elsewhere first).
constexpr const char* kDetachScript = R"lua(
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return -1 end
redis.call('HDEL', KEYS[1], ARGV[1])
local here = false
for _, node in ipairs(redis.call('HVALS', KEYS[1])) do
  if node == ARGV[2] then here = true end
end
if not here then redis.call('SREM', KEYS[2], ARGV[3]) end
return redis.call('HLEN', KEYS[1])
)lua";

/// KEYS: route. ARGV: this node, channel prefix, payload. Publishes once per other node.
constexpr const char* kPublishScript = R"lua(
local seen = {}
local sent = 0
for _, node in ipairs(redis.call('HVALS', KEYS[1])) do
  if node ~= ARGV[1] and not seen[node] then
    seen[node] = true
    redis.call('PUBLISH', ARGV[2] .. node, ARGV[3])
    sent = sent + 1
  end
end
return sent
)lua";

/// KEYS: every route key asked about. Returns 1 or 0 for each.
constexpr const char* kOnlineScript = R"lua(
local out = {}
for i, key in ipairs(KEYS) do out[i] = redis.call('EXISTS', key) end
return out
)lua";

/// KEYS: nodes set, node-users of the dead node. ARGV: dead node, route key prefix. Returns the
/// users left with no device anywhere; nothing if another node reaped it first.
constexpr const char* kReapScript = R"lua(
if redis.call('SREM', KEYS[1], ARGV[1]) == 0 then return {} end
local offline = {}
for _, user in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local key = ARGV[2] .. user
  local fields = redis.call('HGETALL', key)
  for i = 1, #fields, 2 do
    if fields[i + 1] == ARGV[1] then redis.call('HDEL', key, fields[i]) end
  end
  if redis.call('EXISTS', key) == 0 then offline[#offline + 1] = user end
end
redis.call('DEL', KEYS[2])
return offline
)lua";

// A message on a node's push channel: one kind byte, the user id (8 bytes, little-endian), then
// for kPush the encoded frame, for kEnd the device id (8), error code (4) and reason text.
constexpr char kPush = 'P';
constexpr char kEnd = 'E';
constexpr std::size_t kUserBytes = 8;

void put_u64(std::string& out, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
std::uint64_t get_u64(std::string_view in, std::size_t at) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= std::uint64_t{static_cast<unsigned char>(in[at + i])} << (8 * i);
  return v;
}

}  // namespace

RedisPushRouter::RedisPushRouter(std::shared_ptr<RedisClient> redis, std::string node_id,
                                 detail::Logger log)
    : redis_(std::move(redis)), node_id_(std::move(node_id)), log_(std::move(log)) {}

void RedisPushRouter::start() {
  redis_->subscribe(
      keys::push_channel(node_id_), [this](std::string_view m) { on_channel_message(m); },
      [this] { on_resubscribed(); });
}

void RedisPushRouter::release_redis() { redis_.reset(); }

void RedisPushRouter::command(std::vector<std::string> args, RedisClient::Done done) {
  if (!redis_) return done(Status(Error::kUnavailable, "the server has stopped"));
  redis_->command(std::move(args), std::move(done));
}

void RedisPushRouter::set_presence_listener(PresenceListener listener) {
  presence_ = std::move(listener);
}

void RedisPushRouter::attach(std::uint64_t user_id, std::uint64_t device_id,
                             std::shared_ptr<PushTarget> target) {
  (void)devices_.attach(user_id, device_id, std::move(target));
  register_route(user_id, device_id, true);
}

void RedisPushRouter::register_route(std::uint64_t user_id, std::uint64_t device_id,
                                     bool announce) {
  command({"EVAL", kAttachScript, "2", keys::route(user_id), keys::node_users(node_id_),
           std::to_string(device_id), node_id_, std::to_string(user_id)},
          [this, user_id, announce](Result<RedisReply> reply) {
            if (!reply.ok()) {
              // The route comes back when the link does (on_resubscribed).
              log_.debug("route of user {} not registered: {}", user_id,
                         reply.status().to_string());
              return;
            }
            if (announce && reply->integer == 1 && presence_) presence_(user_id, true);
          });
}

void RedisPushRouter::detach(std::uint64_t user_id, std::uint64_t device_id,
                             const PushTarget* target) {
  // Only when that device is gone from here: a reconnect of the same device to this node may
  // have registered a new session before the old one leaves, and its route must stay.
  if (!devices_.detach(user_id, device_id, target).device_gone) return;
  command({"EVAL", kDetachScript, "2", keys::route(user_id), keys::node_users(node_id_),
           std::to_string(device_id), node_id_, std::to_string(user_id)},
          [this, user_id](Result<RedisReply> reply) {
            if (!reply.ok()) {
              log_.debug("route of user {} not removed: {}", user_id, reply.status().to_string());
              return;
            }
            if (reply->integer == 0 && presence_) presence_(user_id, false);
          });
}

void RedisPushRouter::push(std::uint64_t user_id, const std::shared_ptr<const std::string>& frame) {
  devices_.push(user_id, frame);
  std::string payload;
  payload.reserve(1 + kUserBytes + frame->size());
  payload.push_back(kPush);
  put_u64(payload, user_id);
  payload += *frame;
  publish(user_id, std::move(payload));
}

void RedisPushRouter::end_sessions(std::uint64_t user_id, const Status& reason,
                                   std::uint64_t device_id) {
  devices_.end_sessions(user_id, reason, device_id);
  std::string payload;
  payload.push_back(kEnd);
  put_u64(payload, user_id);
  put_u64(payload, device_id);
  const auto code = static_cast<std::uint32_t>(reason.code());
  for (int i = 0; i < 4; ++i) payload.push_back(static_cast<char>((code >> (8 * i)) & 0xff));
  payload += reason.message();
  publish(user_id, std::move(payload));
}

void RedisPushRouter::publish(std::uint64_t user_id, std::string payload) {
  command({"EVAL", kPublishScript, "1", keys::route(user_id), node_id_,
           std::string(keys::kPushChannelPrefix), std::move(payload)},
          [this, user_id](Result<RedisReply> reply) {
            if (!reply.ok()) {
              log_.debug("push to user {} on other nodes lost: {}", user_id,
                         reply.status().to_string());
            }
          });
}

void RedisPushRouter::on_channel_message(std::string_view payload) {
  if (payload.size() < 1 + kUserBytes) {
    log_.warn("ignored a malformed cluster push ({} bytes)", payload.size());
    return;
  }
  const std::uint64_t user_id = get_u64(payload, 1);
  if (payload[0] == kPush) {
    devices_.push(user_id, std::make_shared<const std::string>(payload.substr(1 + kUserBytes)));
  } else if (payload[0] == kEnd && payload.size() >= 1 + kUserBytes + 8 + 4) {
    const std::uint64_t device_id = get_u64(payload, 1 + kUserBytes);
    std::uint32_t code = 0;
    for (int i = 0; i < 4; ++i) {
      code |= std::uint32_t{static_cast<unsigned char>(payload[1 + kUserBytes + 8 + i])} << (8 * i);
    }
    devices_.end_sessions(
        user_id,
        Status(static_cast<Error>(code), std::string(payload.substr(1 + kUserBytes + 8 + 4))),
        device_id);
  } else {
    log_.warn("ignored a cluster push of unknown kind {}", static_cast<int>(payload[0]));
  }
}

void RedisPushRouter::on_resubscribed() {
  if (!subscribed_before_.exchange(true)) return;  // the first subscription: nothing was missed
  register_again();
}

void RedisPushRouter::register_again() {
  // Without announcing presence twice: these devices never went away.
  const auto here = devices_.devices();
  for (const auto& [user, device] : here) register_route(user, device, false);
  v1::Frame frame;
  frame.mutable_event()->mutable_sync_needed();
  devices_.push_to_all(std::make_shared<const std::string>(transport::encode_frame(frame)));
  log_.info("{} routes registered again, devices here told to sync", here.size());
}

void RedisPushRouter::query_online(std::vector<std::uint64_t> users,
                                   std::function<void(std::vector<bool>)> done) {
  if (users.empty()) return done({});
  std::vector<std::string> args{"EVAL", kOnlineScript, std::to_string(users.size())};
  for (auto user : users) args.push_back(keys::route(user));
  command(std::move(args), [this, users, done = std::move(done)](Result<RedisReply> reply) {
    std::vector<bool> online(users.size());
    const bool answered = reply.ok() && reply->elements.size() == users.size();
    for (std::size_t i = 0; i < users.size(); ++i) {
      // Without Redis, this node's own devices are all it knows about.
      online[i] = answered ? reply->elements[i].integer == 1 : devices_.online(users[i]);
    }
    done(std::move(online));
  });
}

DeviceLoad RedisPushRouter::device_load() const { return devices_.load(); }

void RedisPushRouter::reap_node(const std::string& dead_node_id, std::function<void()> done) {
  command({"EVAL", kReapScript, "2", std::string(keys::kNodes), keys::node_users(dead_node_id),
           dead_node_id, std::string(keys::kRoutePrefix)},
          [this, dead_node_id, done = std::move(done)](Result<RedisReply> reply) {
            // On failure the next registry refresh tries again.
            if (reply.ok()) announce_reaped(dead_node_id, reply->elements);
            if (done) done();
          });
}

void RedisPushRouter::announce_reaped(const std::string& dead_node_id,
                                      const std::vector<RedisReply>& offline_users) {
  if (!offline_users.empty()) {
    log_.info("node {} is gone: {} users went offline with it", dead_node_id, offline_users.size());
  }
  for (const auto& user : offline_users) {
    std::uint64_t id = 0;
    const auto* end = user.str.data() + user.str.size();
    if (std::from_chars(user.str.data(), end, id).ptr == end && presence_) presence_(id, false);
  }
}

}  // namespace wechat::server::cluster
