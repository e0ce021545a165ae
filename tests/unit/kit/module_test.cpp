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
