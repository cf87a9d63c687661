// money/detail/integer.cpp — powers of ten; 256-bit schoolbook multiply on 64-bit halves and
// shift-subtract division.
#include "money/detail/integer.h"

#include <cassert>
#include <cstdint>

namespace till::money::detail {
namespace {

constexpr int half_bits = 64;
constexpr u128 half_mask = (u128{1} << half_bits) - 1;

constexpr int power_of_ten_max = 38;

}  // namespace

u128 power_of_ten(int exponent) {
  assert(exponent >= 0 && exponent <= power_of_ten_max);
  u128 result = 1;
  for (int i = 0; i < exponent; i++) result *= 10;
  return result;
}

U256 multiply_wide(u128 a, u128 b) {
  const u128 a_low = a & half_mask;
  const u128 a_high = a >> half_bits;
  const u128 b_low = b & half_mask;
  const u128 b_high = b >> half_bits;
  // Each partial product of two 64-bit halves fits 128 bits exactly.
  const u128 low_low = a_low * b_low;
  const u128 low_high = a_low * b_high;
  const u128 high_low = a_high * b_low;
  const u128 high_high = a_high * b_high;
  // Three values below 2^64 each: the sum fits 128 bits, its top half is the carry.
  const u128 middle = (low_low >> half_bits) + (low_high & half_mask) + (high_low & half_mask);
  U256 product;
  product.low = (low_low & half_mask) | (middle << half_bits);
  product.high =
      high_high + (low_high >> half_bits) + (high_low >> half_bits) + (middle >> half_bits);
  return product;
}

bool multiply_checked(const U256& a, u128 b, U256& product) {
  const U256 low_part = multiply_wide(a.low, b);
  const U256 high_part = multiply_wide(a.high, b);  // weight 2^128
  if (high_part.high != 0) return false;
  U256 result;
  result.low = low_part.low;
  if (__builtin_add_overflow(low_part.high, high_part.low, &result.high)) return false;
  product = result;
  return true;
}

WideDivision divide_wide(const U256& numerator, u128 divisor) {
  assert(divisor > 0);
  WideDivision division;
  if (numerator.high == 0) {  // the common case: native 128-bit division
    division.quotient.low = numerator.low / divisor;
    division.remainder = numerator.low % divisor;
    return division;
  }
  division.quotient.high = numerator.high / divisor;
  u128 remainder = numerator.high % divisor;
  // Long division one bit at a time through the low half. The remainder stays below the
  // divisor; when shifting it left carries out of bit 127 the true value is >= 2^128 >
  // divisor, and subtracting in wrapping u128 arithmetic gives the right remainder.
  for (int bit = 127; bit >= 0; bit--) {
    const bool carry = (remainder >> 127) != 0;
    remainder = (remainder << 1) | ((numerator.low >> bit) & 1);
    if (carry || remainder >= divisor) {
      remainder -= divisor;
      division.quotient.low |= u128{1} << bit;
    }
  }
  assert(remainder < divisor);
  division.remainder = remainder;
  return division;
}

}  // namespace till::money::detail
