// store/sqlite/sqlite_backend.h — the embedded SQLite backend (see store.h for the behaviour).
#pragma once

#include <memory>

#include "store/detail/backend.h"

namespace till::store::sqlite {

// Creates <data_dir> if needed, opens <data_dir>/till.db, and checks it is a usable database.
StoreResult<std::unique_ptr<detail::Backend>> open_backend(const StoreOptions& options);

}  // namespace till::store::sqlite
