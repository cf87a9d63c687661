// store/detail/embedded_migrations.h — the migration files, as compiled into the binary.
// Defined in a source file that CMake generates from src/store/migrations/*.sql
// (src/store/embed_migrations.cmake), which also checks the file names.
#pragma once

#include <span>
#include <string_view>

namespace till::store::detail {

struct EmbeddedMigration {
  int version;
  std::string_view name;
  std::string_view sql;
};

std::span<const EmbeddedMigration> embedded_migrations();

}  // namespace till::store::detail
