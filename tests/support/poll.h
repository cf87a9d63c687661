// tests/support/poll.h — waiting for something another thread or process makes true.
#pragma once

#include <chrono>
#include <thread>

namespace till::testing {

// Asks `done` every 10 ms until it answers true or `timeout` has passed; returns its last
// answer (asked once more at the deadline, so a slow last step still counts).
template <class Done>
bool poll_until(Done&& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

}  // namespace till::testing
