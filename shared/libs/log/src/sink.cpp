#include "mmx/log/sink.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace mmx::log::detail {
namespace {

constexpr std::size_t kFlushBytes = 64 * 1024;
constexpr auto kFlushInterval = std::chrono::milliseconds(50);

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // stdout closed: nothing sensible left to do with a log line
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

class Sink {
 public:
  // The destructor (static destruction at exit) flushes what is left.
  Sink() : thread_([this] { run(); }) {}
  ~Sink() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
    flush();
  }

  void set_fd(int fd) {
    flush();
    fd_.store(fd);
  }

  void append(std::string_view line, bool urgent) {
    bool wake = false;
    {
      std::lock_guard lock(mu_);
      buf_.append(line);
      wake = buf_.size() >= kFlushBytes;
    }
    if (urgent) {
      flush();
    } else if (wake) {
      cv_.notify_one();
    }
  }

  // Writers swap the buffer out under the lock and write outside it, so the io threads
  // never wait on a slow stdout; write_mu_ keeps lines in order between flushers.
  void flush() {
    std::lock_guard wlock(write_mu_);
    std::string out;
    {
      std::lock_guard lock(mu_);
      out.swap(buf_);
    }
    if (!out.empty()) write_all(fd_.load(), out);
  }

 private:
  void run() {
    std::unique_lock lock(mu_);
    while (!stop_) {
      cv_.wait_for(lock, kFlushInterval);
      lock.unlock();
      flush();
      lock.lock();
    }
  }

  std::mutex mu_;
  std::mutex write_mu_;
  std::condition_variable cv_;
  std::string buf_;
  std::atomic<int> fd_{1};
  bool stop_ = false;
  std::thread thread_;
};

Sink& sink() {
  static Sink s;
  return s;
}

}  // namespace

void sink_configure(int fd) { sink().set_fd(fd); }
void sink_append(std::string_view line, bool urgent) { sink().append(line, urgent); }
void sink_flush() { sink().flush(); }

}  // namespace mmx::log::detail
