#include "events/sql_text.h"

namespace till::events::detail {

std::string placeholders(std::size_t first, std::size_t count) {
  std::string list;
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) list += ", ";
    list += "$" + std::to_string(first + i);
  }
  return list;
}

store::Value text_or_null(const std::string& text) {
  if (text.empty()) return nullptr;
  return text;
}

store::Value int_or_null(const std::optional<std::int64_t>& value) {
  if (!value) return nullptr;
  return *value;
}

}  // namespace till::events::detail
