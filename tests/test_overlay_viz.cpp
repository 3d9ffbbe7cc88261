// Unit tests of the picture pieces of `voxflow overlay` (issue 5): src/viz/volume_slice
// (orientation), overlay (opacity, threshold), montage, colorbar; and io/dicom_display on
// pydicom's test files (window source, frame range).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "io/dicom_display.hpp"
#include "src/core/error.hpp"
#include "src/viz/colorbar.hpp"
#include "src/viz/compositing.hpp"
#include "src/viz/montage.hpp"
#include "src/viz/overlay.hpp"
#include "src/viz/volume_slice.hpp"

using namespace voxflow;
using namespace voxflow::viz;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const std::string kDicomData = "/usr/lib/python3/dist-packages/pydicom/data/test_files/";

// value(x, y, z) = 100 x + 10 y + z on a 3 x 4 x 5 grid, x fastest
std::vector<float> coded_volume() {
  std::vector<float> v(3 * 4 * 5);
  for (int z = 0; z < 5; ++z)
    for (int y = 0; y < 4; ++y)
      for (int x = 0; x < 3; ++x) v[static_cast<std::size_t>(x + 3 * (y + 4 * z))] = 100.0f * x + 10.0f * y + z;
  return v;
}

Affine diag(double a, double b, double c) {
  Affine m = Grid::identity_affine();
  m[0][0] = a;
  m[1][1] = b;
  m[2][2] = c;
  return m;
}

}  // namespace

TEST(VolumeSlice, AxialOfRasVolumeIsRadiological) {
  // RAS: x towards the patient's right -> flipped (right on the picture's left); y anterior ->
  // flipped (anterior at the top)
  const std::array<std::int64_t, 3> dims{3, 4, 5};
  const SliceGeometry g = slice_geometry(dims, diag(1, 1, 1), SliceAxis::Axial);
  EXPECT_EQ(g.slice_axis, 2);
  EXPECT_EQ(g.width, 3);
  EXPECT_EQ(g.height, 4);
  EXPECT_EQ(g.n_slices, 5);
  EXPECT_TRUE(g.flip_columns);
  EXPECT_TRUE(g.flip_rows);
  const std::vector<float> s = extract_slice(coded_volume(), dims, g, 2);
  ASSERT_EQ(s.size(), 12u);
  EXPECT_FLOAT_EQ(s[0], 200.0f + 30.0f + 2.0f);  // top-left: x = 2, y = 3
  EXPECT_FLOAT_EQ(s[11], 0.0f + 0.0f + 2.0f);    // bottom-right: x = 0, y = 0
}

TEST(VolumeSlice, DicomLpsAxialIsShownAsStored) {
  // a DICOM axial series after LPS -> RAS: columns run to -R, rows to -A: no flips
  const std::array<std::int64_t, 3> dims{3, 4, 5};
  const SliceGeometry g = slice_geometry(dims, diag(-0.7, -0.7, 2.0), SliceAxis::Axial);
  EXPECT_FALSE(g.flip_columns);
  EXPECT_FALSE(g.flip_rows);
  const std::vector<float> s = extract_slice(coded_volume(), dims, g, 4);
  EXPECT_FLOAT_EQ(s[0], 4.0f);               // x 0, y 0
  EXPECT_FLOAT_EQ(s[1], 104.0f);             // x 1, y 0
  EXPECT_FLOAT_EQ(s[3], 14.0f);              // x 0, y 1
}

TEST(VolumeSlice, CoronalAndSagittal) {
  const std::array<std::int64_t, 3> dims{3, 4, 5};
  const SliceGeometry c = slice_geometry(dims, diag(1, 1, 1), SliceAxis::Coronal);
  EXPECT_EQ(c.slice_axis, 1);
  EXPECT_EQ(c.width, 3);
  EXPECT_EQ(c.height, 5);
  const std::vector<float> cs = extract_slice(coded_volume(), dims, c, 1);
  EXPECT_FLOAT_EQ(cs[0], 200.0f + 10.0f + 4.0f);  // right on the left, superior (z = 4) on top
  const SliceGeometry s = slice_geometry(dims, diag(1, 1, 1), SliceAxis::Sagittal);
  EXPECT_EQ(s.slice_axis, 0);
  EXPECT_EQ(s.width, 4);
  EXPECT_EQ(s.height, 5);
  const std::vector<float> ss = extract_slice(coded_volume(), dims, s, 2);
  EXPECT_FLOAT_EQ(ss[0], 200.0f + 30.0f + 4.0f);  // anterior (y = 3) on the left, superior on top
  EXPECT_FLOAT_EQ(ss[19], 200.0f);               // bottom-right: y = 0, z = 0
}

TEST(VolumeSlice, PermutedAffineFindsTheAxialAxis) {
  // voxel x runs along S, y along R, z along A (a sagittal acquisition stored differently)
  Affine m{};
  m[2][0] = 1;
  m[0][1] = 1;
  m[1][2] = 1;
  m[3][3] = 1;
  const SliceGeometry g = slice_geometry({3, 4, 5}, m, SliceAxis::Axial);
  EXPECT_EQ(g.slice_axis, 0);
  EXPECT_EQ(g.column_axis, 1);
  EXPECT_EQ(g.row_axis, 2);
  EXPECT_EQ(g.n_slices, 3);
}

TEST(VolumeSlice, RangesAndNames) {
  const std::array<std::int64_t, 3> dims{3, 4, 5};
  const SliceGeometry g = slice_geometry(dims, diag(1, 1, 1), SliceAxis::Axial);
  EXPECT_THROW(extract_slice(coded_volume(), dims, g, 5), InputError);
  EXPECT_THROW(extract_slice(coded_volume(), dims, g, -1), InputError);
  EXPECT_THROW(extract_slice(std::vector<float>(3), dims, g, 0), InputError);
  EXPECT_EQ(parse_slice_axis("Coronal"), SliceAxis::Coronal);
  EXPECT_THROW(parse_slice_axis("oblique"), InputError);
  EXPECT_EQ(evenly_spaced_slices(9, 90), (std::vector<std::int64_t>{5, 15, 25, 35, 45, 55, 65, 75, 85}));
  EXPECT_EQ(evenly_spaced_slices(1, 25), (std::vector<std::int64_t>{12}));
  EXPECT_THROW(evenly_spaced_slices(26, 25), InputError);
}

TEST(Overlay, OpacityThresholdAndNaN) {
  ImageRGBA img = greyscale_to_rgba({100, 100, 100, 100}, 4, 1, 0.0, 200.0);  // grey 128
  OverlayStyle st;
  st.cmap = Colormap::Red;
  st.range = {0.0, 10.0};
  st.opacity = 0.5;
  st.threshold = 4.0;
  overlay_heatmap(img, {10.0f, 3.9f, kNaN, 4.0f}, st);
  // value 10 -> red (255, 0, 0): 0.5 * 255 + 0.5 * 128 = 191.5 -> 192 (round half away)
  EXPECT_EQ(img.at(0, 0), (RGBA{192, 64, 64, 255}));
  EXPECT_EQ(img.at(1, 0), (RGBA{128, 128, 128, 255}));  // below the threshold: unchanged
  EXPECT_EQ(img.at(2, 0), (RGBA{128, 128, 128, 255}));  // NaN: unchanged
  // value 4 (= threshold, shown): t = 0.4, entry floor(102.4) = 102 -> (102, 0, 0)
  EXPECT_EQ(img.at(3, 0), (RGBA{115, 64, 64, 255}));
  st.opacity = 1.5;
  EXPECT_THROW(overlay_heatmap(img, {1, 1, 1, 1}, st), InputError);
}

TEST(Montage, GridGeometry) {
  EXPECT_EQ(montage_columns(9), 3);
  EXPECT_EQ(montage_columns(5), 3);
  EXPECT_EQ(montage_columns(4), 2);
  EXPECT_EQ(montage_columns(1), 1);
  std::vector<ImageRGBA> tiles;
  for (int i = 0; i < 5; ++i) tiles.emplace_back(3, 2, RGBA{static_cast<std::uint8_t>(10 * (i + 1)), 0, 0, 255});
  const ImageRGBA m = montage(tiles, 3, 1, RGBA{0, 0, 255, 255});
  EXPECT_EQ(m.width, 3 * 3 + 2);
  EXPECT_EQ(m.height, 2 * 2 + 1);
  EXPECT_EQ(m.at(0, 0).r, 10);
  EXPECT_EQ(m.at(4, 1).r, 20);   // tile 1 starts at x = 4
  EXPECT_EQ(m.at(3, 0), (RGBA{0, 0, 255, 255}));  // gap
  EXPECT_EQ(m.at(4, 3).r, 50);   // tile 4: second row, second column (x 4, y 3)
  EXPECT_EQ(m.at(8, 4), (RGBA{0, 0, 255, 255}));  // empty last cell
  EXPECT_THROW(montage({}, 1, 0, RGBA{}), InputError);
  EXPECT_THROW(montage(tiles, 0, 0, RGBA{}), InputError);
}

TEST(Colorbar, LayoutAndPixels) {
  const ColorbarLayout L = colorbar_layout(200, 100);
  EXPECT_EQ(L.width, 200 + L.strip_width);
  EXPECT_EQ(L.height, 100);
  EXPECT_EQ(L.bar_y, 6);
  EXPECT_EQ(L.bar_height, 88);
  const ImageRGBA img(200, 100, RGBA{10, 20, 30, 255});
  const ImageRGBA out = add_colorbar(img, Colormap::Jet, {0.0, 5.0}, "mm");
  ASSERT_EQ(out.width, L.width);
  EXPECT_EQ(out.at(0, 0), (RGBA{10, 20, 30, 255}));
  EXPECT_EQ(out.at(199, 99), (RGBA{10, 20, 30, 255}));
  const int cx = L.bar_x + colorbar_bar_width() / 2;
  EXPECT_EQ(out.at(cx, L.bar_y), colormap_lookup(Colormap::Jet, 1.0 - 0.5 / L.bar_height));
  EXPECT_EQ(out.at(cx, L.bar_y + L.bar_height - 1), colormap_lookup(Colormap::Jet, 0.5 / L.bar_height));
  // a picture lower than the bar's minimum is padded below
  EXPECT_EQ(colorbar_layout(10, 5).height, 28);
  EXPECT_THROW(colorbar_layout(0, 5), InputError);
}

TEST(DicomDisplay, WindowSourcesAndFrames) {
  const io::DicomDisplay mr = io::read_dicom_display(kDicomData + "MR_small.dcm");
  EXPECT_EQ(mr.image.width, 64);
  EXPECT_EQ(mr.window_source, "file window");
  EXPECT_DOUBLE_EQ(mr.window.center, 600.0);
  EXPECT_DOUBLE_EQ(mr.window.width, 1600.0);
  const io::DicomDisplay ct = io::read_dicom_display(kDicomData + "CT_small.dcm");
  EXPECT_EQ(ct.window_source, "min-max");
  const io::DicomDisplay over = io::read_dicom_display(kDicomData + "CT_small.dcm", 0, io::DisplayWindow{40, 400});
  EXPECT_EQ(over.window_source, "--window");
  EXPECT_DOUBLE_EQ(over.window.center, 40.0);
  const io::DicomDisplay rgb = io::read_dicom_display(kDicomData + "SC_rgb_rle_2frame.dcm", 1);
  EXPECT_FALSE(rgb.monochrome);
  EXPECT_EQ(rgb.frames, 2);
  EXPECT_THROW(io::read_dicom_display(kDicomData + "SC_rgb_rle_2frame.dcm", 2), InputError);
  EXPECT_THROW(io::read_dicom_display(kDicomData + "MR_truncated.dcm"), InputError);
  EXPECT_THROW(io::read_dicom_display("/nonexistent/x.dcm"), InputError);
  EXPECT_THROW(io::read_dicom_display(kDicomData + "MR_small.dcm", 0, io::DisplayWindow{0, 0.5}), InputError);
}
