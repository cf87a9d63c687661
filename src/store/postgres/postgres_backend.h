// store/postgres/postgres_backend.h — the PostgreSQL backend (see store.h for the behaviour).
#pragma once

#include <memory>

#include "store/detail/backend.h"

namespace till::store::postgres {

// Connects once to check the URL, the credentials and the server version (15 or newer).
StoreResult<std::unique_ptr<detail::Backend>> open_backend(const StoreOptions& options);

}  // namespace till::store::postgres
