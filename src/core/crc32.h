// CRC-32 (IEEE 802.3, the zlib / PNG polynomial), used as the token checksum.
#pragma once
#include "core_guard.h"

#include <cstddef>
#include <cstdint>

namespace hive_tokens::core {

std::uint32_t crc32(const void* data, std::size_t len) noexcept;

}  // namespace hive_tokens::core
