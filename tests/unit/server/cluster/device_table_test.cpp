// SPDX-License-Identifier: MIT
#include "server/device_table.h"

#include <doctest/doctest.h>

#include <vector>

using namespace wechat;
using namespace wechat::server;

namespace {
struct Recorder final : PushTarget {
  std::vector<std::string> frames;
  std::vector<Status> ended;
  void deliver(std::shared_ptr<const std::string> frame) override { frames.push_back(*frame); }
  void end(Status reason) override { ended.push_back(std::move(reason)); }
};
}  // namespace

TEST_CASE("device table: detach says whether the device and the user are gone from here") {
  DeviceTable table;
  auto phone = std::make_shared<Recorder>();
  auto laptop = std::make_shared<Recorder>();
  auto phone_again =
      std::make_shared<Recorder>();  // the phone reconnected before its old session left
  CHECK(table.attach(1, 10, phone));
  CHECK_FALSE(table.attach(1, 20, laptop));
  CHECK_FALSE(table.attach(1, 10, phone_again));
  CHECK(table.load().devices == 3);
  CHECK(table.load().attached == 3);

  auto gone = table.detach(1, 10, phone.get());
  CHECK_FALSE(gone.device_gone);  // device 10 still has its new session
  CHECK_FALSE(gone.user_gone);
  gone = table.detach(1, 10, phone.get());  // twice: nothing registered any more
  CHECK_FALSE(gone.device_gone);
  gone = table.detach(1, 10, phone_again.get());
  CHECK(gone.device_gone);
  CHECK_FALSE(gone.user_gone);
  gone = table.detach(1, 20, laptop.get());
  CHECK(gone.device_gone);
  CHECK(gone.user_gone);
  CHECK_FALSE(table.online(1));
  // Attachments are counted for good: a gate tells from them how many of its clients arrived.
  CHECK(table.load().devices == 0);
  CHECK(table.load().attached == 3);
  CHECK(table.attach(1, 10, phone));
  CHECK(table.load().attached == 4);
}

TEST_CASE("device table: pushes reach each device of the user; push_to_all reaches everyone") {
  DeviceTable table;
  auto a1 = std::make_shared<Recorder>();
  auto a2 = std::make_shared<Recorder>();
  auto b = std::make_shared<Recorder>();
  (void)table.attach(1, 10, a1);
  (void)table.attach(1, 11, a2);
  (void)table.attach(2, 20, b);
  table.push(1, std::make_shared<const std::string>("to a"));
  table.push_to_all(std::make_shared<const std::string>("to all"));
  table.end_sessions(1, Status(Error::kSessionExpired, "reset"), 11);
  CHECK(a1->frames == std::vector<std::string>{"to a", "to all"});
  CHECK(a2->frames == std::vector<std::string>{"to a", "to all"});
  CHECK(b->frames == std::vector<std::string>{"to all"});
  CHECK(a1->ended.empty());
  REQUIRE(a2->ended.size() == 1);
  CHECK(a2->ended[0].code() == Error::kSessionExpired);
  const auto devices = table.devices();
  CHECK(devices.size() == 3);
}
