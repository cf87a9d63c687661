// base/int128.h — 128-bit integer types.
//
// GCC and Clang provide __int128 as an extension; `__extension__` keeps -Wpedantic quiet for
// exactly these two declarations, so the rest of the code stays pedantic-clean. Money uses
// i128 (18-decimal tokens overflow 64 bits); IDs use u128.
#pragma once

namespace till {
__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;
}  // namespace till
