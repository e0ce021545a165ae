#pragma once
// One member of a consumer group on the SQLite log.
#include <memory>
#include <string>
#include <vector>

#include "mmx/broker/backend.hpp"
#include "sqlite_log_store.hpp"

namespace mmx::broker::backends::sqlite_log {

// Joins `group` (creating it at the head of each topic if new) on its own connection.
std::unique_ptr<Consumer> make_consumer(const Options& options, std::shared_ptr<Notifier> notifier,
                                        const std::string& group,
                                        const std::vector<std::string>& topics,
                                        const ConsumerOptions& consumer_options);

}  // namespace mmx::broker::backends::sqlite_log
