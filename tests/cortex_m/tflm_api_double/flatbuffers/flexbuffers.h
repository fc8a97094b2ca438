// TEST DOUBLE of flatbuffers/flexbuffers.h: the read-only subset TFLM kernels use to parse custom
// options (GetRoot(...).AsMap(), map["key"], IsNull(), AsInt32()/AsInt64()), following the
// FlexBuffers binary format (root width and packed type in the last two bytes; maps are a keys
// vector plus a values vector with one packed type byte per value).
#ifndef TFS_DOUBLE_FLATBUFFERS_FLEXBUFFERS_H_
#define TFS_DOUBLE_FLATBUFFERS_FLEXBUFFERS_H_

#include <stddef.h>
#include <stdint.h>
#include <string.h>

namespace flexbuffers {

enum Type {
  FBT_NULL = 0,
  FBT_INT = 1,
  FBT_UINT = 2,
  FBT_FLOAT = 3,
  FBT_KEY = 4,
  FBT_STRING = 5,
  FBT_INDIRECT_INT = 6,
  FBT_INDIRECT_UINT = 7,
  FBT_INDIRECT_FLOAT = 8,
  FBT_MAP = 9,
  FBT_BOOL = 26,
};

inline uint64_t ReadUInt64(const uint8_t* p, uint8_t width) {
  uint64_t v = 0;
  for (uint8_t i = 0; i < width; ++i) v |= static_cast<uint64_t>(p[i]) << (8 * i);
  return v;
}

inline int64_t ReadInt64(const uint8_t* p, uint8_t width) {
  const uint64_t u = ReadUInt64(p, width);
  const unsigned bits = 8u * width;
  if (bits < 64 && (u >> (bits - 1)) & 1u) return static_cast<int64_t>(u | (~0ull << bits));
  return static_cast<int64_t>(u);
}

inline double ReadDouble(const uint8_t* p, uint8_t width) {
  if (width == 4) {
    float f;
    memcpy(&f, p, 4);
    return f;
  }
  double d;
  memcpy(&d, p, 8);
  return d;
}

inline const uint8_t* Indirect(const uint8_t* p, uint8_t width) { return p - ReadUInt64(p, width); }

class Map;

class Reference {
 public:
  Reference() : data_(nullptr), parent_width_(1), byte_width_(1), type_(FBT_NULL) {}
  Reference(const uint8_t* data, uint8_t parent_width, uint8_t packed_type)
      : data_(data),
        parent_width_(parent_width),
        byte_width_(static_cast<uint8_t>(1u << (packed_type & 3u))),
        type_(static_cast<Type>(packed_type >> 2)) {}

  bool IsNull() const { return type_ == FBT_NULL; }
  Type GetType() const { return type_; }

  int64_t AsInt64() const {
    switch (type_) {
      case FBT_INT:
        return ReadInt64(data_, parent_width_);
      case FBT_UINT:
      case FBT_BOOL:
        return static_cast<int64_t>(ReadUInt64(data_, parent_width_));
      case FBT_INDIRECT_INT:
        return ReadInt64(Indirect(data_, parent_width_), byte_width_);
      case FBT_INDIRECT_UINT:
        return static_cast<int64_t>(ReadUInt64(Indirect(data_, parent_width_), byte_width_));
      case FBT_FLOAT:
        return static_cast<int64_t>(ReadDouble(data_, parent_width_));
      case FBT_INDIRECT_FLOAT:
        return static_cast<int64_t>(ReadDouble(Indirect(data_, parent_width_), byte_width_));
      default:
        return 0;
    }
  }
  int32_t AsInt32() const { return static_cast<int32_t>(AsInt64()); }
  Map AsMap() const;

 private:
  friend class Map;
  const uint8_t* data_;
  uint8_t parent_width_;
  uint8_t byte_width_;
  Type type_;
};

class Map {
 public:
  Map() : data_(nullptr), width_(1), size_(0) {}
  Map(const uint8_t* data, uint8_t width)
      : data_(data), width_(width), size_(static_cast<size_t>(ReadUInt64(data - width, width))) {}

  size_t size() const { return size_; }

  Reference operator[](const char* key) const {
    if (data_ == nullptr) return Reference();
    const uint8_t* keys_field = data_ - 3 * width_;
    const uint8_t* keys = Indirect(keys_field, width_);
    const uint8_t keys_width = static_cast<uint8_t>(ReadUInt64(data_ - 2 * width_, width_));
    for (size_t i = 0; i < size_; ++i) {
      const uint8_t* k = Indirect(keys + i * keys_width, keys_width);
      if (strcmp(reinterpret_cast<const char*>(k), key) == 0) {
        const uint8_t* types = data_ + size_ * width_;
        return Reference(data_ + i * width_, width_, types[i]);
      }
    }
    return Reference();
  }

 private:
  const uint8_t* data_;
  uint8_t width_;
  size_t size_;
};

inline Map Reference::AsMap() const {
  if (type_ != FBT_MAP) return Map();
  return Map(Indirect(data_, parent_width_), byte_width_);
}

inline Reference GetRoot(const uint8_t* buffer, size_t size) {
  const uint8_t root_width = buffer[size - 1];
  const uint8_t packed_type = buffer[size - 2];
  return Reference(buffer + size - 2 - root_width, root_width, packed_type);
}

}  // namespace flexbuffers

#endif  // TFS_DOUBLE_FLATBUFFERS_FLEXBUFFERS_H_
