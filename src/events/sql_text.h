// events/sql_text.h — small helpers the events module's SQL shares (internal to events).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "store/store.h"

namespace till::events::detail {

// "$first, $first+1, ..., $first+count-1": the placeholders of a multi-row VALUES or IN list.
std::string placeholders(std::size_t first, std::size_t count);

// NULL for "" / nullopt, the value otherwise.
store::Value text_or_null(const std::string& text);
store::Value int_or_null(const std::optional<std::int64_t>& value);

}  // namespace till::events::detail
