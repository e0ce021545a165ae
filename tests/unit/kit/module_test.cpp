#include <gtest/gtest.h>

#include "mmx/module/module.hpp"

using namespace mmx::module;

namespace {
ModuleSet sample() {
  ModuleSet s;
  s.add({.name = "server", .is_target = false});
  s.add({.name = "auth", .dependencies = {"server"}});
  s.add({.name = "backend", .dependencies = {"server", "auth"}});
  s.add({.name = "pipelines", .dependencies = {"backend"}});
  return s;
}
std::vector<std::string> names(const std::vector<const Module*>& v) {
  std::vector<std::string> out;
  for (auto* m : v) out.push_back(m->name);
  return out;
}
}  // namespace

TEST(Modules, TargetPullsDependenciesFirst) {
  auto s = sample();
  EXPECT_EQ(names(s.resolve("backend")), (std::vector<std::string>{"server", "auth", "backend"}));
  EXPECT_EQ(names(s.resolve("pipelines, auth")),
            (std::vector<std::string>{"server", "auth", "backend", "pipelines"}));
  EXPECT_EQ(names(s.resolve("all")).size(), 4u);
}

TEST(Modules, UnknownTargetNamesTheKnownOnes) {
  auto s = sample();
  try {
    s.resolve("backend,frontend");
    FAIL();
  } catch (const std::invalid_argument& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("unknown target 'frontend'"), std::string::npos);
    EXPECT_NE(msg.find("auth, backend, pipelines"), std::string::npos);
  }
  EXPECT_THROW(s.resolve(" , "), std::invalid_argument);
}

TEST(Modules, CyclesAndDuplicatesRejected) {
  ModuleSet s;
  s.add({.name = "a", .dependencies = {"b"}});
  s.add({.name = "b", .dependencies = {"a"}});
  EXPECT_THROW(s.resolve("a"), std::invalid_argument);
  EXPECT_THROW(s.add({.name = "a"}), std::logic_error);
}

namespace {
CommandFn returns(int code) {
  return [code](Context&, std::vector<std::string>) -> boost::asio::awaitable<int> {
    co_return code;
  };
}
}  // namespace

TEST(Modules, CommandsMatchTheLongestNameAndPassTheRestAsArgs) {
  ModuleSet s;
  s.add({.name = "auth", .commands = {{"auth rotate-keys", "new signing key", returns(0)},
                                      {"auth", "the auth group itself", returns(1)}}});
  s.add({.name = "backend", .commands = {{"seed", "demo data", returns(2)}}});
  auto m = s.find_command({"auth", "rotate-keys", "--now"});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->module->name, "auth");
  EXPECT_EQ(m->command->name, "auth rotate-keys");
  EXPECT_EQ(m->args, (std::vector<std::string>{"--now"}));
  m = s.find_command({"auth", "other"});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->command->name, "auth");
  EXPECT_EQ(m->args, (std::vector<std::string>{"other"}));
  m = s.find_command({"seed"});
  ASSERT_TRUE(m);
  EXPECT_EQ(m->module->name, "backend");
  EXPECT_TRUE(m->args.empty());
  EXPECT_FALSE(s.find_command({"rotate-keys"}));
  EXPECT_FALSE(s.find_command({}));
}

TEST(Modules, CommandNamesAreUniqueAcrossModules) {
  ModuleSet s;
  s.add({.name = "a", .commands = {{"seed", "", returns(0)}}});
  EXPECT_THROW(s.add({.name = "b", .commands = {{"seed", "", returns(0)}}}), std::logic_error);
  EXPECT_THROW(s.add({.name = "c", .commands = {{"", "", returns(0)}}}), std::logic_error);
}
