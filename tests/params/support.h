// Helpers shared by the params tests: decode-or-fail, and the error of a decode that must fail.
#pragma once

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <string>
#include <string_view>

#include "params/params.h"

namespace till::params::testing {

// The decoded object, or an empty one after recording a test failure.
inline boost::json::object form(std::string_view text) {
  auto decoded = decode_form(text);
  EXPECT_TRUE(decoded) << text << ": " << decoded.error().message;
  return decoded ? *decoded : boost::json::object();
}

inline boost::json::object json(std::string_view text) {
  auto decoded = decode_json(text);
  EXPECT_TRUE(decoded) << text << ": " << decoded.error().message;
  return decoded ? *decoded : boost::json::object();
}

// The error of a decode that must fail; a default error (code empty) after recording a
// failure if it succeeded.
template <class Result>
api::ApiError error_of(const Result& result) {
  EXPECT_FALSE(result) << "expected an error";
  return result ? api::ApiError{} : result.error();
}

// `text` parsed as JSON, for expectations written as JSON.
inline boost::json::object object_of(std::string_view text) {
  return boost::json::parse(text).as_object();
}

}  // namespace till::params::testing
