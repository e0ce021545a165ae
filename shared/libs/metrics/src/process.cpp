// process_* metrics as the Prometheus client libraries name them, read from /proc at scrape
// time so they cost nothing between scrapes.
#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "mmx/metrics/metrics.hpp"

namespace mmx::metrics {
namespace {

double boot_time_seconds() {
  std::ifstream in("/proc/stat");
  std::string key;
  double v = 0;
  while (in >> key) {
    if (key == "btime") {
      in >> v;
      return v;
    }
    in.ignore(1 << 16, '\n');
  }
  return 0;
}

int open_fds() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') ++n;
    }
    closedir(d);
    --n;  // the directory stream's own fd
  }
  return n;
}

}  // namespace

void register_process_metrics(Registry& registry) {
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  const double btime = boot_time_seconds();
  registry.add_collector([=](std::string& out) {
    std::ifstream in("/proc/self/stat");
    std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // Fields after the parenthesised command name, which may itself contain spaces.
    auto close = stat.rfind(')');
    if (close == std::string::npos) return;
    std::istringstream fields(stat.substr(close + 2));
    std::string f[24];
    for (auto& x : f) fields >> x;
    // Field numbering per proc(5): utime=14, stime=15, starttime=22, vsize=23, rss=24;
    // here index 0 is field 3.
    double utime = std::stod(f[11]), stime = std::stod(f[12]);
    double start = std::stod(f[19]) / ticks + btime;
    double vsize = std::stod(f[20]), rss = std::stod(f[21]) * page;
    append_header(out, "process_cpu_seconds_total", "Total user and system CPU time in seconds.",
                  Type::counter);
    append_sample(out, "process_cpu_seconds_total", "", (utime + stime) / ticks);
    append_header(out, "process_resident_memory_bytes", "Resident memory size in bytes.",
                  Type::gauge);
    append_sample(out, "process_resident_memory_bytes", "", rss);
    append_header(out, "process_virtual_memory_bytes", "Virtual memory size in bytes.",
                  Type::gauge);
    append_sample(out, "process_virtual_memory_bytes", "", vsize);
    append_header(out, "process_open_fds", "Number of open file descriptors.", Type::gauge);
    append_sample(out, "process_open_fds", "", open_fds());
    append_header(out, "process_max_fds", "Maximum number of open file descriptors.",
                  Type::gauge);
    append_sample(out, "process_max_fds", "", static_cast<double>(sysconf(_SC_OPEN_MAX)));
    append_header(out, "process_start_time_seconds",
                  "Start time of the process since unix epoch in seconds.", Type::gauge);
    append_sample(out, "process_start_time_seconds", "", start);
  });
}

}  // namespace mmx::metrics
