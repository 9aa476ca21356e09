// SHA-256 (FIPS 180-4), used to store API keys only as hashes, and a
// constant-time comparison for secrets. Stateless; safe from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace meridian::server {

std::array<uint8_t, 32> sha256(std::string_view data);
// Lower-case hex of sha256(data): 64 characters.
std::string sha256_hex(std::string_view data);
// Compares in time that depends only on the lengths, never on where the
// strings differ.
bool constant_time_equal(std::string_view a, std::string_view b);
// `n` random bytes from the OS (getrandom), as lower-case hex.
std::string random_hex(size_t n);

}  // namespace meridian::server
