#pragma once
// The buffered writer behind mmx::log. Internal to the log library, visible for tests.
#include <string_view>

namespace mmx::log::detail {

void sink_configure(int fd);
// Appends one complete line; `urgent` lines (warn/error) are written before returning.
void sink_append(std::string_view line, bool urgent);
void sink_flush();

}  // namespace mmx::log::detail
