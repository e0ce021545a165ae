#include <gtest/gtest.h>
#include <fcntl.h>
#include <unistd.h>

#include <boost/json/parse.hpp>

#include "mmx/log/log.hpp"

using namespace mmx;

namespace {

// Captures log output through a pipe, the way a container runtime reads stdout.
class Capture {
 public:
  Capture(log::Format format, log::Level level) {
    EXPECT_EQ(pipe(fds_), 0);
    log::configure({.level = level, .format = format, .fd = fds_[1]});
  }
  ~Capture() {
    log::configure({});
    close(fds_[0]);
    close(fds_[1]);
  }
  std::string read_all() {
    log::flush();
    std::string out;
    char buf[4096];
    fcntl_nonblock();
    ssize_t n;
    while ((n = ::read(fds_[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
  }

 private:
  void fcntl_nonblock() {
    int flags = fcntl(fds_[0], F_GETFL);
    fcntl(fds_[0], F_SETFL, flags | O_NONBLOCK);
  }
  int fds_[2];
};

}  // namespace

TEST(Log, JsonLinesCarryContextAndTypedFields) {
  Capture cap(log::Format::json, log::Level::info);
  log::Context ctx{"req-1", "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"};
  log::write(log::Level::info, "http", "request \"quoted\"\n", &ctx,
             {{"status", 200}, {"duration_ms", 1.5}, {"ok", true}, {"path", "/a"}});
  log::debug("http", "hidden at info");
  auto out = cap.read_all();
  ASSERT_FALSE(out.empty());
  ASSERT_EQ(out.back(), '\n');
  EXPECT_EQ(out.find('\n'), out.size() - 1);  // exactly one line: debug was filtered
  auto v = boost::json::parse(out);
  EXPECT_EQ(v.at("level"), "info");
  EXPECT_EQ(v.at("service"), "http");
  EXPECT_EQ(v.at("msg"), "request \"quoted\"\n");
  EXPECT_EQ(v.at("request_id"), "req-1");
  EXPECT_EQ(v.at("trace_id"), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(v.at("span_id"), "00f067aa0ba902b7");
  EXPECT_EQ(v.at("status"), 200);
  EXPECT_EQ(v.at("duration_ms"), 1.5);
  EXPECT_EQ(v.at("ok"), true);
  EXPECT_TRUE(v.as_object().contains("ts"));
}

TEST(Log, TextFormatIsReadable) {
  Capture cap(log::Format::text, log::Level::debug);
  log::warn("app", "disk almost full", {{"free_mb", 12}, {"path", "/var/lib x"}});
  auto out = cap.read_all();
  EXPECT_NE(out.find("WARN  [app] disk almost full free_mb=12 path=\"/var/lib x\""), std::string::npos);
}

TEST(Log, LevelParsing) {
  log::Level l;
  EXPECT_TRUE(log::parse_level("warning", l));
  EXPECT_EQ(l, log::Level::warn);
  EXPECT_FALSE(log::parse_level("loud", l));
}
