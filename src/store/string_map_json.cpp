#include "store/string_map_json.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace till::store {

std::string string_map_to_json(const StringMap& map) {
  boost::json::object object;
  for (const auto& [key, value] : map) object[key] = value;
  return boost::json::serialize(object);
}

StringMap string_map_from_json(std::string_view json) {
  StringMap map;
  boost::system::error_code error;
  const boost::json::value value = boost::json::parse(json, error);
  if (error || !value.is_object()) return map;
  for (const auto& [key, item] : value.as_object()) {
    if (item.is_string()) map.emplace(std::string(key), std::string(item.as_string()));
  }
  return map;
}

}  // namespace till::store
