// SPDX-License-Identifier: MIT
#include "server/cluster/node_registry.h"

#include <algorithm>
#include <charconv>
#include <future>

#include "server/cluster/cluster_keys.h"

namespace wechat::server::cluster {

namespace {

std::string_view role_name(ServerRole role) {
  switch (role) {
    case ServerRole::kGate:
      return "gate";
    case ServerRole::kChat:
      return "chat";
    case ServerRole::kAll:
      break;
  }
  return "all";
}

template <typename T>
bool parse_number(std::string_view text, T& out) {
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, out);
  return !text.empty() && ec == std::errc() && ptr == end;
}

}  // namespace

void SentClients::observe(const NodeInfo& node) {
  const bool restarted = attached_ && node.attached < *attached_;
  auto arrived = attached_ && !restarted ? node.attached - *attached_ : 0;
  while (!on_the_way_.empty() && on_the_way_.front() <= node.counted_at_ms &&
         (restarted || arrived > 0)) {
    on_the_way_.pop_front();
    if (arrived > 0) --arrived;
  }
  attached_ = node.attached;
}

void SentClients::sent(UnixMillis at) { on_the_way_.push_back(at); }

std::uint64_t SentClients::load(const NodeInfo& node, std::chrono::milliseconds patience) {
  observe(node);
  const auto given_up = node.counted_at_ms - patience.count();
  while (!on_the_way_.empty() && on_the_way_.front() < given_up) on_the_way_.pop_front();
  return node.devices + on_the_way_.size();
}

std::string node_value(const NodeInfo& node) {
  return std::string(role_name(node.role)) + " " + node.host + " " + std::to_string(node.port) +
         " " + std::to_string(node.devices) + " " + std::to_string(node.attached) + " " +
         std::to_string(node.counted_at_ms);
}

std::optional<NodeInfo> parse_node_value(std::string id, std::string_view value) {
  std::vector<std::string_view> parts;
  while (!value.empty()) {
    const auto space = value.find(' ');
    parts.push_back(value.substr(0, space));
    if (space == std::string_view::npos) break;
    value.remove_prefix(space + 1);
  }
  if (parts.size() != 6 || parts[1].empty()) return std::nullopt;
  NodeInfo node;
  node.id = std::move(id);
  if (parts[0] == "gate") {
    node.role = ServerRole::kGate;
  } else if (parts[0] == "chat") {
    node.role = ServerRole::kChat;
  } else if (parts[0] == "all") {
    node.role = ServerRole::kAll;
  } else {
    return std::nullopt;
  }
  node.host = std::string(parts[1]);
  if (!parse_number(parts[2], node.port) || node.port == 0) return std::nullopt;
  if (!parse_number(parts[3], node.devices)) return std::nullopt;
  if (!parse_number(parts[4], node.attached) || node.attached < node.devices) return std::nullopt;
  if (!parse_number(parts[5], node.counted_at_ms) || node.counted_at_ms < 0) return std::nullopt;
  return node;
}

NodeRegistry::NodeRegistry(asio::any_io_executor executor, std::shared_ptr<RedisClient> redis,
                           Options options, std::function<DeviceLoad()> load,
                           std::function<void(const std::string&)> on_dead_node,
                           std::function<void()> on_rejoined, detail::Logger log)
    : executor_(executor),
      redis_(std::move(redis)),
      options_(std::move(options)),
      load_(std::move(load)),
      on_dead_node_(std::move(on_dead_node)),
      on_rejoined_(std::move(on_rejoined)),
      log_(std::move(log)),
      timer_(executor) {}

void NodeRegistry::start() {
  asio::post(executor_, [self = shared_from_this()] { self->beat(); });
}

void NodeRegistry::stop(std::chrono::milliseconds patience) {
  asio::post(executor_, [self = shared_from_this()] {
    self->stopped_ = true;
    self->timer_.cancel();
  });
  // Pipelined after any beat already sent. Waited for, so that gates stop choosing this node
  // now rather than after node_ttl.
  auto left = std::make_shared<std::promise<void>>();
  auto done = left->get_future();
  redis_->command({"DEL", keys::node(options_.self.id)},
                  [left](Result<RedisReply>) { left->set_value(); });
  (void)done.wait_for(patience);
}

void NodeRegistry::beat() {
  if (stopped_) return;
  NodeInfo self = options_.self;
  const auto load = load_();
  self.devices = load.devices;
  self.attached = load.attached;
  self.counted_at_ms = options_.clock->now_ms();
  auto me = shared_from_this();
  // SET ... GET: a nil old value after the first beat means the key expired, so this node was
  // silent for node_ttl and may have been reaped.
  redis_->command({"SET", keys::node(self.id), node_value(self), "PX",
                   std::to_string(options_.node_ttl.count()), "GET"},
                  [me](Result<RedisReply> reply) {
                    if (!reply.ok()) {
                      // Before the first registration the link is still coming up: not news.
                      if (me->reachable_ && me->registered_) {
                        me->log_.warn("cannot reach the cluster registry: {}",
                                      reply.status().to_string());
                      }
                      me->reachable_ = !me->registered_;
                      return;
                    }
                    if (!me->reachable_) me->log_.info("cluster registry reachable again");
                    me->reachable_ = true;
                    const bool expired = reply->type == RedisReply::Type::kNil;
                    if (expired && me->registered_) {
                      me->log_.warn("this node's registration had expired; registering again");
                      if (me->on_rejoined_) me->on_rejoined_();
                    }
                    me->registered_ = true;
                  });
  redis_->command({"SADD", std::string(keys::kNodes), self.id}, [](Result<RedisReply>) {});
  refresh();
  timer_.expires_after(options_.heartbeat_interval);
  timer_.async_wait([me](const std::error_code& ec) {
    if (!ec) me->beat();
  });
}

void NodeRegistry::refresh(std::function<void()> then) {
  redis_->command({"SMEMBERS", std::string(keys::kNodes)},
                  [me = shared_from_this(), then = std::move(then)](Result<RedisReply> reply) {
                    if (!reply.ok()) {  // keep the last list: better than none
                      if (then) then();
                      return;
                    }
                    std::vector<std::string> ids;
                    for (auto& e : reply->elements) ids.push_back(std::move(e.str));
                    me->on_members(std::move(ids), std::move(then));
                  });
}

void NodeRegistry::on_members(std::vector<std::string> ids, std::function<void()> then) {
  // No member at all is what a Redis that restarted empty says until the nodes beat again:
  // the last list is the better guess for that second.
  if (ids.empty()) {
    if (then) then();
    return;
  }
  std::vector<std::string> args{"MGET"};
  for (const auto& id : ids) args.push_back(keys::node(id));
  redis_->command(std::move(args), [me = shared_from_this(), ids = std::move(ids),
                                    then = std::move(then)](Result<RedisReply> reply) {
    if (reply.ok() && reply->elements.size() == ids.size()) me->update(ids, reply->elements);
    if (then) then();
  });
}

void NodeRegistry::update(const std::vector<std::string>& ids,
                          const std::vector<RedisReply>& values) {
  std::vector<NodeInfo> live;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (values[i].type == RedisReply::Type::kNil) {
      if (ids[i] != options_.self.id && on_dead_node_) on_dead_node_(ids[i]);
      continue;
    }
    auto node = parse_node_value(ids[i], values[i].str);
    if (!node) {
      log_.warn("ignoring node {}: malformed registry entry", ids[i]);
      continue;
    }
    live.push_back(std::move(*node));
  }
  std::lock_guard lock(mutex_);
  live_ = std::move(live);
}

std::optional<NodeInfo> NodeRegistry::pick_chat_node() {
  std::lock_guard lock(mutex_);
  const NodeInfo* best = nullptr;
  std::uint64_t best_load = 0;
  for (const auto& node : live_) {
    if (node.role == ServerRole::kGate) continue;
    const auto load = sent_[node.id].load(node, options_.node_ttl);
    if (!best || load < best_load) {
      best = &node;
      best_load = load;
    }
  }
  if (!best) return std::nullopt;
  sent_[best->id].sent(options_.clock->now_ms());
  // Forget nodes that left the registry.
  if (sent_.size() > 2 * live_.size() + 8) {
    std::erase_if(sent_, [&](const auto& entry) {
      return std::none_of(live_.begin(), live_.end(),
                          [&](const NodeInfo& n) { return n.id == entry.first; });
    });
  }
  return *best;
}

void NodeRegistry::pick_chat_node(std::function<void(std::optional<NodeInfo>)> done) {
  if (auto node = pick_chat_node()) return done(std::move(node));
  refresh([me = shared_from_this(), done = std::move(done)] { done(me->pick_chat_node()); });
}

std::vector<NodeInfo> NodeRegistry::live_nodes() const {
  std::lock_guard lock(mutex_);
  return live_;
}

}  // namespace wechat::server::cluster
