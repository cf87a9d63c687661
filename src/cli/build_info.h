// cli/build_info.h — version and commit baked in at build time.
#pragma once

#include <string_view>

namespace till::cli {
std::string_view build_version();
std::string_view build_commit();
}  // namespace till::cli
