#include "cli/build_info.h"

// Only this file sees the definitions, so a new commit recompiles one small file.
namespace till::cli {
std::string_view build_version() { return TILL_VERSION; }
std::string_view build_commit() { return TILL_GIT_COMMIT; }
}  // namespace till::cli
