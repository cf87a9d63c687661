// store/string_map_json.h — string maps (metadata) in a TEXT column, as a JSON object.
//
// Ledger accounts and entries, and merchants, keep their metadata this way; one encoding for
// all of them, so `till ledger verify` and ad-hoc SQL read the same shape everywhere.
#pragma once

#include <map>
#include <string>
#include <string_view>

namespace till::store {

using StringMap = std::map<std::string, std::string>;

std::string string_map_to_json(const StringMap& map);
// Lenient on read: a value that is not a JSON object of strings gives what could be read
// (non-string members are skipped); the writers above never produce one.
StringMap string_map_from_json(std::string_view json);

}  // namespace till::store
