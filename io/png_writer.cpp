#include "io/png_writer.hpp"

#include <png.h>

#include <cstring>
#include <filesystem>
#include <system_error>

#include "io/atomic_file.hpp"
#include "src/core/error.hpp"

namespace voxflow::io {

std::vector<std::uint8_t> encode_png(const viz::ImageRGBA& img) {
  if (img.width <= 0 || img.height <= 0)
    throw InputError("cannot write an empty image (" + std::to_string(img.width) + " x " +
                     std::to_string(img.height) + ") as PNG");
  const std::size_t expected = 4 * static_cast<std::size_t>(img.width) * static_cast<std::size_t>(img.height);
  if (img.pixels.size() != expected)
    throw InputError("image of " + std::to_string(img.width) + " x " + std::to_string(img.height) + " has " +
                     std::to_string(img.pixels.size()) + " bytes, expected " + std::to_string(expected));
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(img.width);
  image.height = static_cast<png_uint_32>(img.height);
  image.format = PNG_FORMAT_RGBA;
  const png_int_32 stride = static_cast<png_int_32>(4 * img.width);
  png_alloc_size_t size = 0;
  // First call with no memory: libpng reports the size needed.
  if (!png_image_write_to_memory(&image, nullptr, &size, 0, img.pixels.data(), stride, nullptr))
    throw InternalError(std::string("libpng: ") + image.message);
  std::vector<std::uint8_t> out(size);
  if (!png_image_write_to_memory(&image, out.data(), &size, 0, img.pixels.data(), stride, nullptr))
    throw InternalError(std::string("libpng: ") + image.message);
  out.resize(size);
  return out;
}

void write_png(const std::string& path, const viz::ImageRGBA& img) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw InputError("cannot write " + path + ": folder " + dir.string() + " does not exist");
  const std::vector<std::uint8_t> bytes = encode_png(img);
  AtomicFile file(path);
  file.write(bytes.data(), bytes.size(), 0);
  file.commit();
}

}  // namespace voxflow::io
