#pragma once
#include "mmx/module/module.hpp"

namespace mmx::testbed {

// The data layer end to end, for the functional tests: its own database (migrated at
// start), products written with their product.created event through the outbox, and a
// consumer of catalog.products that records each event's effect once.
module::Module make_data_module();

}  // namespace mmx::testbed
