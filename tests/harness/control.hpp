// Test-side helpers for tests run through tests/harness/with_servers.py.
//
//   auto url = mmx::test::test_url("MMX_TEST_POSTGRES_URL");
//   if (!url) GTEST_SKIP() << "run through tests/harness/with_servers.py --postgres";
//   mmx::test::server_control("postgres", "restart");  // returns once it is back up
//
// server_control() speaks the control-directory protocol of with_servers.py: create
// `<name>.<action>` in $MMX_TEST_CONTROL_DIR, wait for `<name>.<action>.done`, which
// holds "ok" or an error.  Names: postgres, redis, rabbitmq; actions: stop, start,
// restart, kill (stop and kill keep data and port; start brings the server back).
#pragma once

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>

namespace mmx::test {

/// The value of env_name (e.g. MMX_TEST_POSTGRES_URL), or nullopt when unset or empty,
/// i.e. the test was not started with that server.
inline std::optional<std::string> test_url(const char* env_name) {
    const char* value = std::getenv(env_name);
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
}

/// Asks with_servers.py to stop/start/restart/kill a server and waits until it has;
/// throws std::runtime_error with the harness's message on failure or timeout.
inline void server_control(const std::string& name, const std::string& action,
                           std::chrono::seconds timeout = std::chrono::seconds(60)) {
    namespace fs = std::filesystem;
    const char* dir = std::getenv("MMX_TEST_CONTROL_DIR");
    if (dir == nullptr || *dir == '\0')
        throw std::runtime_error("MMX_TEST_CONTROL_DIR is not set: run the test through "
                                 "tests/harness/with_servers.py");
    const std::string what = name + "." + action;
    const fs::path request = fs::path(dir) / what;
    const fs::path done = fs::path(dir) / (what + ".done");

    std::error_code ignored;
    fs::remove(done, ignored);  // a stale answer from an earlier identical request
    if (!std::ofstream(request))
        throw std::runtime_error("server_control: cannot create " + request.string());

    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!fs::exists(done)) {  // the harness renames the answer into place: never partial
        if (std::chrono::steady_clock::now() > deadline) {
            fs::remove(request, ignored);
            throw std::runtime_error("server_control: no answer to " + what + " within " +
                                     std::to_string(timeout.count()) + "s");
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    std::ifstream in(done);
    const std::string answer{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    in.close();
    fs::remove(done, ignored);
    if (answer != "ok") throw std::runtime_error("server_control " + what + ": " + answer);
}

}  // namespace mmx::test
