#include "io/dicom_display.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmimage/diregist.h>  // registers colour image support with DicomImage
#include <dcmtk/dcmimgle/dcmimage.h>

#include <cmath>
#include <cstring>
#include <memory>

#include "io/dicom_codecs.hpp"
#include "io/dicom_frame_reader.hpp"
#include "io/dicom_header.hpp"
#include "src/core/error.hpp"

namespace voxflow::io {

DicomDisplay read_dicom_display(const std::string& path, std::int64_t frame,
                                const std::optional<DisplayWindow>& window) {
  dicom::ensure_dicom_codecs();
  std::unique_ptr<DcmFileFormat> file = dicom::load_dicom_file(path);
  const dicom::DicomHeader h = dicom::parse_dicom_header(*file, path);
  dicom::check_image_header(h);
  dicom::check_decodable(h);
  if (h.has_float_pixel_data) throw InputError(path + ": float pixel data cannot be displayed");
  if (frame < 0 || frame >= h.number_of_frames)
    throw InputError(path + ": --frame " + std::to_string(frame) + " is outside the file's " +
                     std::to_string(h.number_of_frames) + " frame(s) (0.." + std::to_string(h.number_of_frames - 1) + ")");
  if (window && !(window->width >= 1.0 && std::isfinite(window->center)))
    throw InputError("--window: width must be >= 1 and the centre finite (got " + std::to_string(window->center) +
                     "," + std::to_string(window->width) + ")");

  const E_TransferSyntax xfer = file->getDataset()->getOriginalXfer();
  DicomImage img(file.get(), xfer, CIF_UsePartialAccessToPixelData, static_cast<unsigned long>(frame), 1);
  if (img.getStatus() != EIS_Normal)
    throw InputError(path + ": DCMTK cannot render the image: " + DicomImage::getString(img.getStatus()));

  DicomDisplay out;
  out.frames = h.number_of_frames;
  out.photometric = h.photometric;
  out.monochrome = img.isMonochrome() != 0;
  out.window.center = out.window.width = NAN;
  if (out.monochrome) {
    int ok = 0;
    if (window) {
      ok = img.setWindow(window->center, window->width);
      out.window_source = "--window";
    } else if (img.getWindowCount() > 0) {
      ok = img.setWindow(0);
      out.window_source = "file window";
    } else if (img.getVoiLutCount() > 0) {
      ok = img.setVoiLut(0);
      out.window_source = "file VOI LUT";
    } else {
      ok = img.setMinMaxWindow(0);
      out.window_source = "min-max";
    }
    if (!ok) throw InputError(path + ": DCMTK could not apply the " + out.window_source + " VOI transformation");
    double c = NAN, w = NAN;
    if (img.getWindow(c, w)) out.window = DisplayWindow{c, w};
  }

  const int width = static_cast<int>(img.getWidth()), height = static_cast<int>(img.getHeight());
  const void* data = img.getOutputData(8, 0, 0);
  if (!data || width <= 0 || height <= 0)
    throw InputError(path + ": DCMTK could not render frame " + std::to_string(frame) + ": " +
                     DicomImage::getString(img.getStatus()));
  const auto* bytes = static_cast<const std::uint8_t*>(data);
  out.image = ImageRGBA(width, height, RGBA{0, 0, 0, 255});
  const std::size_t n = static_cast<std::size_t>(width) * static_cast<std::size_t>(height);
  for (std::size_t i = 0; i < n; ++i) {
    std::uint8_t* p = &out.image.pixels[4 * i];
    if (out.monochrome) {
      p[0] = p[1] = p[2] = bytes[i];
    } else {
      p[0] = bytes[3 * i];
      p[1] = bytes[3 * i + 1];
      p[2] = bytes[3 * i + 2];
    }
  }
  return out;
}

}  // namespace voxflow::io
