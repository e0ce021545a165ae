#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>

#include "mmx/config/config.hpp"
#include "mmx/config/dotenv.hpp"
#include "mmx/config/parse.hpp"

using namespace mmx::config;

namespace {

SettingRegistry registry() {
  SettingRegistry r;
  r.add({.name = "MMX_LISTEN", .kind = Kind::host_port, .default_value = "127.0.0.1:8000", .help = "addr"});
  r.add({.name = "MMX_THREADS", .kind = Kind::integer, .default_value = "0", .help = "n", .min = 0, .max = 64});
  r.add({.name = "MMX_TIMEOUT", .kind = Kind::duration, .default_value = "10s", .help = "t"});
  r.add({.name = "MMX_LIMIT", .kind = Kind::size, .default_value = "1MiB", .help = "s"});
  r.add({.name = "MMX_FLAG", .kind = Kind::boolean, .default_value = "true", .help = "b"});
  r.add({.name = "MMX_FORMAT", .kind = Kind::choice, .default_value = "json", .help = "f", .choices = {"json", "text"}});
  r.add({.name = "MMX_SECRET", .kind = Kind::string, .default_value = "dev-secret", .help = "s", .secret = true, .local_only_default = true});
  return r;
}

Sources env(std::map<std::string, std::string> vars) {
  auto shared = std::make_shared<std::map<std::string, std::string>>(std::move(vars));
  Sources s;
  s.getenv = [shared](const char* n) -> const char* {
    auto it = shared->find(n);
    return it == shared->end() ? nullptr : it->second.c_str();
  };
  return s;
}

std::string temp_file(const std::string& content) {
  char path[] = "/tmp/mmx-config-XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  ::close(fd);
  std::ofstream(path) << content;
  return path;
}

}  // namespace

TEST(Config, DefaultsTypedAndLocalOnlySecretAcceptedInLocal) {
  auto c = Config::load(registry(), env({{"MMX_ENV", "local"}}));
  EXPECT_EQ(c.host_port("MMX_LISTEN").port, 8000);
  EXPECT_EQ(c.host_port("MMX_LISTEN").host, "127.0.0.1");
  EXPECT_EQ(c.duration("MMX_TIMEOUT").count(), 10000);
  EXPECT_EQ(c.size("MMX_LIMIT"), 1048576u);
  EXPECT_TRUE(c.boolean("MMX_FLAG"));
  EXPECT_EQ(c.origin("MMX_THREADS"), "default");
  EXPECT_TRUE(c.is_local());
}

TEST(Config, RefusesDevelopmentDefaultSecretOutsideLocal) {
  try {
    Config::load(registry(), env({{"MMX_ENV", "production"}}));
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    ASSERT_EQ(e.problems().size(), 1u);
    EXPECT_NE(e.problems()[0].find("MMX_SECRET"), std::string::npos);
    EXPECT_EQ(std::string(e.what()).find("dev-secret"), std::string::npos);  // never printed
  }
}

TEST(Config, EveryBadSettingIsNamedAtOnce) {
  try {
    Config::load(registry(), env({{"MMX_ENV", "local"},
                                  {"MMX_LISTEN", "nonsense"},
                                  {"MMX_THREADS", "500"},
                                  {"MMX_TIMEOUT", "10"},
                                  {"MMX_FORMAT", "xml"},
                                  {"MMX_FLAG", "maybe"},
                                  {"MMX_LIMIT", "lots"}}));
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    ASSERT_EQ(e.problems().size(), 6u);
    std::string all = e.what();
    for (auto name : {"MMX_LISTEN", "MMX_THREADS", "MMX_TIMEOUT", "MMX_FORMAT", "MMX_FLAG", "MMX_LIMIT"}) {
      EXPECT_NE(all.find(name), std::string::npos) << name;
    }
    EXPECT_NE(all.find("between 0 and 64"), std::string::npos);
    EXPECT_NE(all.find("one of json, text"), std::string::npos);
  }
}

TEST(Config, PrecedenceFlagThenEnvThenFileThenDefault) {
  std::string file = temp_file("# comment\nMMX_THREADS=3\nexport MMX_FORMAT=\"text\"\nMMX_LIMIT=2MiB # trailing\n");
  Sources s = env({{"MMX_ENV", "local"}, {"MMX_THREADS", "5"}});
  s.file = file;
  s.flags = {{"MMX_THREADS", "7"}};
  auto c = Config::load(registry(), s);
  EXPECT_EQ(c.integer("MMX_THREADS"), 7);
  EXPECT_EQ(c.origin("MMX_THREADS"), "flag");
  EXPECT_EQ(c.string("MMX_FORMAT"), "text");
  EXPECT_EQ(c.origin("MMX_FORMAT"), "file:" + file);
  EXPECT_EQ(c.size("MMX_LIMIT"), 2u * 1024 * 1024);
  s.flags.clear();
  EXPECT_EQ(Config::load(registry(), s).integer("MMX_THREADS"), 5);
  std::remove(file.c_str());
}

TEST(Config, SecretFromFileAndUnreadableFileNamed) {
  std::string secret = temp_file("s3cr3t-value\n");
  auto c = Config::load(registry(), env({{"MMX_SECRET_FILE", secret}}));
  EXPECT_EQ(c.string("MMX_SECRET"), "s3cr3t-value");  // trailing newline trimmed
  EXPECT_EQ(c.origin("MMX_SECRET"), "env:MMX_SECRET_FILE");
  std::remove(secret.c_str());
  try {
    Config::load(registry(), env({{"MMX_ENV", "local"}, {"MMX_SECRET_FILE", "/nonexistent/x"}}));
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("MMX_SECRET_FILE: cannot read file /nonexistent/x"),
              std::string::npos);
  }
}

TEST(Config, UnknownSettingInFileAndMalformedFileLine) {
  std::string file = temp_file("MMX_TYPO=1\n");
  Sources s = env({{"MMX_ENV", "local"}});
  s.file = file;
  EXPECT_THROW(Config::load(registry(), s), ConfigError);
  std::ofstream(file) << "MMX_THREADS 3\n";
  try {
    Config::load(registry(), s);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("line 1: expected NAME=value"), std::string::npos);
  }
  std::remove(file.c_str());
  EXPECT_THROW(read_dotenv("/nonexistent/config.env"), ConfigError);
}

TEST(ConfigParse, Values) {
  EXPECT_EQ(parse_duration_ms("250ms"), 250);
  EXPECT_EQ(parse_duration_ms("1.5s"), 1500);
  EXPECT_EQ(parse_duration_ms("2m"), 120000);
  EXPECT_FALSE(parse_duration_ms("10"));
  EXPECT_FALSE(parse_duration_ms("-1s"));
  EXPECT_EQ(parse_size("64KiB"), 65536u);
  EXPECT_EQ(parse_size("10kB"), 10000u);
  EXPECT_FALSE(parse_size("1TiB"));
  auto hp = parse_host_port("[::1]:9000");
  ASSERT_TRUE(hp);
  EXPECT_EQ(hp->host, "::1");
  EXPECT_EQ(hp->port, 9000);
  EXPECT_FALSE(parse_host_port("::1:9000"));
  EXPECT_FALSE(parse_host_port("host:70000"));
  EXPECT_EQ(parse_host_port(":8080")->host, "0.0.0.0");
  EXPECT_EQ(parse_boolean("Yes"), true);
  EXPECT_FALSE(parse_boolean("2"));
}

TEST(Config, HelpListsEverySettingWithDefaultButHidesSecretDefaults) {
  auto help = render_help(registry());
  EXPECT_NE(help.find("MMX_LISTEN (host:port)"), std::string::npos);
  EXPECT_NE(help.find("default: 127.0.0.1:8000"), std::string::npos);
  EXPECT_NE(help.find("MMX_SECRET_FILE"), std::string::npos);
  EXPECT_EQ(help.find("dev-secret"), std::string::npos);
}
