// Metadata columns: string maps round-trip through their JSON text, and text that is not a
// JSON object of strings reads as what could be read.
#include "store/string_map_json.h"

#include <gtest/gtest.h>

namespace till::store {
namespace {

TEST(StringMapJson, RoundTripsIncludingQuotesAndUnicode) {
  const StringMap map = {{"order", "42"}, {"note", "say \"hi\"\n"}, {"ключ", "💳"}, {"", ""}};
  EXPECT_EQ(string_map_from_json(string_map_to_json(map)), map);
  EXPECT_EQ(string_map_to_json({}), "{}");
}

TEST(StringMapJson, ReadsLeniently) {
  EXPECT_TRUE(string_map_from_json("").empty());
  EXPECT_TRUE(string_map_from_json("[1,2]").empty());
  EXPECT_TRUE(string_map_from_json("{not json").empty());
  EXPECT_EQ(string_map_from_json(R"({"a":"1","b":2,"c":null})"), (StringMap{{"a", "1"}}));
}

}  // namespace
}  // namespace till::store
