// money/detail/integer.h — magnitudes, powers of ten and just enough unsigned 256-bit
// arithmetic for exact money products.
//
// An i128 amount times an i128 rate (or a u64 ratio) needs up to 254 bits before it is
// divided back down; doing that product in 256 bits means FX conversion and allocation never
// fail on an intermediate value when the final result fits. Written by hand because the
// toolchain has no 256-bit integer and Boost.Multiprecision would pull a large dependency
// into the lowest module for three operations.
#pragma once

#include <optional>

#include "base/int128.h"

namespace till::money::detail {

inline constexpr u128 i128_max_magnitude = (u128{1} << 127) - 1;
inline constexpr u128 i128_min_magnitude = u128{1} << 127;

// |value| for every i128, including i128 min (negating in u128 is defined).
inline u128 magnitude(i128 value) {
  return value < 0 ? u128{0} - static_cast<u128>(value) : static_cast<u128>(value);
}

// The i128 with this sign and magnitude, or nothing when it does not fit.
inline std::optional<i128> from_magnitude(bool negative, u128 value) {
  if (negative) {
    if (value > i128_min_magnitude) return std::nullopt;
    return static_cast<i128>(u128{0} - value);  // C++20: conversion is modulo 2^128
  }
  if (value > i128_max_magnitude) return std::nullopt;
  return static_cast<i128>(value);
}

// 10^exponent; exponent 0..38 (10^38 < 2^128 < 10^39).
u128 power_of_ten(int exponent);

struct U256 {
  u128 high = 0;
  u128 low = 0;
};

inline bool operator==(const U256& a, const U256& b) { return a.high == b.high && a.low == b.low; }

// The exact product of two 128-bit values (never overflows).
U256 multiply_wide(u128 a, u128 b);

// a * b, or false when the product needs more than 256 bits.
bool multiply_checked(const U256& a, u128 b, U256& product);

struct WideDivision {
  U256 quotient;
  u128 remainder = 0;
};

// numerator / divisor and numerator % divisor. Requires divisor > 0.
WideDivision divide_wide(const U256& numerator, u128 divisor);

}  // namespace till::money::detail
