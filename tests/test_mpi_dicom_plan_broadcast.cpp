// A DICOM folder is scanned once per job (io/dicom_plan_broadcast.hpp, the collective
// read_dicom_info / read_dicom_4d of io/dicom_reader.hpp), under 1, 2 and 3 ranks:
// - info + 4D read of a folder written by pydicom (from pydicom's MR_small.dcm) cost one scan on
//   rank 0 and none elsewhere; every other rank loads exactly the files of its slab planes + halo;
// - the broadcast plan equals the plan each rank computes itself, field by field, for that folder
//   and for real pydicom files (CT, MR, RT dose multi-frame, RLE);
// - the collective 4D read gives the values of the per-rank read;
// - a folder of two series: InputError (one line, naming it) on rank 0, the same exit code (2) on
//   every other rank, no rank left waiting;
// - encode/decode keep every field and refuse truncated bytes.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcfilefo.h>

#include "io/dicom_header.hpp"
#include "io/dicom_layout.hpp"
#include "io/dicom_plan_broadcast.hpp"
#include "io/dicom_reader.hpp"
#include "src/core/error.hpp"
#include "src/core/mpi_context.hpp"
#include "src/core/slab.hpp"
#include "tests/gtest_support.hpp"
#include "tests/mpi_test_support.hpp"

using namespace voxflow;
using namespace voxflow::io;

namespace {

const std::string kFiles = "/usr/lib/python3/dist-packages/pydicom/data/test_files/";

/// Rank 0 writes DIR: 3 slices x 2 time points from MR_small.dcm (tests/python/dicom_series_folder.py
/// --mr-small-folder, seed 11, 7 InstanceNumbers drawn): oblique, TemporalPositionIdentifier,
/// random file names, its own rescale on the middle slice, a text file beside them; mode "mixed"
/// adds a seventh image of another series. Every rank learns whether that worked.
void make_folder(const Comm& comm, const std::string& tmp, const std::string& dir, const char* mode) {
  int rc = 0;
  std::string log;
  const std::string args = "--mr-small-folder " + kFiles + "MR_small.dcm " + dir + " --seed 11 --draws 7" +
                           (std::string(mode) == "mixed" ? " --mixed" : "");
  if (comm.is_root())
    rc = voxflow::testing::run_python_file(tmp, VOXFLOW_SOURCE_DIR "/tests/python/dicom_series_folder.py", args, &log,
                                           "folder");
  ASSERT_EQ(comm.broadcast(std::to_string(rc)), "0") << log;
}

bool same_double(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

template <std::size_t N>
bool same_doubles(const std::array<double, N>& a, const std::array<double, N>& b) {
  for (std::size_t i = 0; i < N; ++i)
    if (!same_double(a[i], b[i])) return false;
  return true;
}

bool same_doubles(const std::vector<double>& a, const std::vector<double>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!same_double(a[i], b[i])) return false;
  return true;
}

/// Every field of two plans, one by one (not through encode_layout, which is under test).
void expect_same_layout(const dicom::DicomLayout& a, const dicom::DicomLayout& b, const std::string& what) {
  SCOPED_TRACE(what);
  const ImageInfo &ia = a.info, &ib = b.info;
  EXPECT_EQ(ia.path, ib.path);
  EXPECT_EQ(ia.format, ib.format);
  EXPECT_EQ(ia.grid.dims, ib.grid.dims);
  EXPECT_EQ(ia.grid.nt, ib.grid.nt);
  EXPECT_TRUE(same_doubles(ia.grid.spacing_mm, ib.grid.spacing_mm));
  for (int r = 0; r < 4; ++r) EXPECT_TRUE(same_doubles(ia.grid.affine[r], ib.grid.affine[r])) << "affine row " << r;
  EXPECT_EQ(ia.datatype, ib.datatype);
  EXPECT_TRUE(same_doubles(ia.frame_times_s, ib.frame_times_s));
  EXPECT_TRUE(same_double(ia.rescale_slope, ib.rescale_slope));
  EXPECT_TRUE(same_double(ia.rescale_intercept, ib.rescale_intercept));
  EXPECT_EQ(ia.description, ib.description);
  EXPECT_EQ(a.multiframe, b.multiframe);
  EXPECT_EQ(a.files, b.files);
  const dicom::DicomHeader &ha = a.header, &hb = b.header;
  EXPECT_EQ(ha.path, hb.path);
  EXPECT_EQ(ha.transfer_syntax_uid, hb.transfer_syntax_uid);
  EXPECT_EQ(ha.transfer_syntax_name, hb.transfer_syntax_name);
  EXPECT_EQ(ha.encapsulated, hb.encapsulated);
  EXPECT_EQ(ha.big_endian, hb.big_endian);
  EXPECT_EQ(ha.decodable, hb.decodable);
  EXPECT_EQ(ha.has_pixel_data, hb.has_pixel_data);
  EXPECT_EQ(ha.has_float_pixel_data, hb.has_float_pixel_data);
  EXPECT_EQ(ha.rows, hb.rows);
  EXPECT_EQ(ha.columns, hb.columns);
  EXPECT_EQ(ha.samples_per_pixel, hb.samples_per_pixel);
  EXPECT_EQ(ha.photometric, hb.photometric);
  EXPECT_EQ(ha.bits_allocated, hb.bits_allocated);
  EXPECT_EQ(ha.bits_stored, hb.bits_stored);
  EXPECT_EQ(ha.high_bit, hb.high_bit);
  EXPECT_EQ(ha.pixel_representation, hb.pixel_representation);
  EXPECT_EQ(ha.number_of_frames, hb.number_of_frames);
  EXPECT_TRUE(same_doubles(ha.pixel_spacing, hb.pixel_spacing));
  EXPECT_TRUE(same_double(ha.slice_thickness, hb.slice_thickness));
  EXPECT_TRUE(same_double(ha.spacing_between_slices, hb.spacing_between_slices));
  EXPECT_EQ(ha.has_orientation, hb.has_orientation);
  EXPECT_TRUE(same_doubles(ha.orientation, hb.orientation));
  EXPECT_EQ(ha.has_position, hb.has_position);
  EXPECT_TRUE(same_doubles(ha.position, hb.position));
  EXPECT_TRUE(same_double(ha.rescale_slope, hb.rescale_slope));
  EXPECT_TRUE(same_double(ha.rescale_intercept, hb.rescale_intercept));
  EXPECT_TRUE(same_doubles(ha.frame_rescale_slope, hb.frame_rescale_slope));
  EXPECT_TRUE(same_doubles(ha.frame_rescale_intercept, hb.frame_rescale_intercept));
  EXPECT_EQ(ha.number_of_slices, hb.number_of_slices);
  EXPECT_EQ(ha.number_of_temporal_positions, hb.number_of_temporal_positions);
  ASSERT_EQ(ha.frame_positions.size(), hb.frame_positions.size());
  for (std::size_t f = 0; f < ha.frame_positions.size(); ++f)
    EXPECT_TRUE(same_doubles(ha.frame_positions[f], hb.frame_positions[f])) << "frame " << f;
  EXPECT_TRUE(same_double(ha.frame_time_ms, hb.frame_time_ms));
  EXPECT_TRUE(same_doubles(ha.frame_time_vector, hb.frame_time_vector));
  EXPECT_TRUE(same_doubles(ha.frame_datetime_s, hb.frame_datetime_s));
  EXPECT_EQ(ha.has_temporal_position_identifier, hb.has_temporal_position_identifier);
  EXPECT_EQ(ha.temporal_position_identifier, hb.temporal_position_identifier);
  EXPECT_TRUE(same_double(ha.trigger_time_ms, hb.trigger_time_ms));
  EXPECT_TRUE(same_double(ha.acquisition_time_s, hb.acquisition_time_s));
  EXPECT_TRUE(same_double(ha.acquisition_datetime_s, hb.acquisition_datetime_s));
  EXPECT_EQ(ha.instance_number, hb.instance_number);
  EXPECT_EQ(ha.sop_class_uid, hb.sop_class_uid);
  EXPECT_EQ(ha.series_instance_uid, hb.series_instance_uid);
  EXPECT_EQ(ha.series_description, hb.series_description);
}

dicom::DicomLayout local_multiframe_plan(const std::string& path, const DicomReadOptions& opt) {
  std::unique_ptr<DcmFileFormat> f = dicom::load_dicom_file(path);
  return dicom::plan_multiframe(dicom::parse_dicom_header(*f, path), opt);
}

std::size_t regular_files(const std::string& dir) {
  std::size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) n += e.is_regular_file();
  return n;
}

}  // namespace

TEST(DicomPlanBroadcast, FolderIsScannedOnceByRankZero) {
  const Comm comm;
  voxflow::testing::SharedTempDir tmp("voxflow-plan-bcast");
  const std::string dir = tmp.path + "/series";
  ASSERT_NO_FATAL_FAILURE(make_folder(comm, tmp.path, dir, "plain"));
  const std::int64_t in_folder = static_cast<std::int64_t>(regular_files(dir));  // 6 images + README.txt

  const DicomReadCounts c0 = dicom_read_counts();
  const ImageInfo info = read_dicom_info(dir, {}, comm);
  const DicomReadCounts c1 = dicom_read_counts();
  EXPECT_EQ(info.format, "DICOM series");
  EXPECT_EQ(info.grid.dims, (std::array<std::int64_t, 3>{64, 64, 3}));
  EXPECT_EQ(info.grid.nt, 2);
  // the header: one scan on rank 0 (every file handed to DCMTK once), nothing anywhere else
  EXPECT_EQ(c1.folder_scans - c0.folder_scans, comm.is_root() ? 1 : 0);
  EXPECT_EQ(c1.files_loaded - c0.files_loaded, comm.is_root() ? in_folder : 0);

  const int halo = 1;
  const Slab slab = make_slab(3, comm.rank(), comm.size());
  const Volume4D vol = read_dicom_4d(dir, slab, halo, {}, comm);
  const DicomReadCounts c2 = dicom_read_counts();
  // the voxels: no second scan (rank 0 serves the plan from its cache); each rank loads the
  // files of its planes + halo, nothing more
  EXPECT_EQ(c2.folder_scans - c1.folder_scans, 0);
  const std::int64_t planes =
      slab.empty() ? 0 : std::min<std::int64_t>(3, slab.z_end() + halo) - std::max<std::int64_t>(0, slab.z0 - halo);
  EXPECT_EQ(c2.files_loaded - c1.files_loaded, planes * 2);

  // the same values as the per-rank reader
  const Volume4D ref = read_dicom_4d(dir, slab, halo);
  auto a = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), vol.data);
  auto b = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), ref.data);
  ASSERT_EQ(a.extent(0), b.extent(0));
  ASSERT_EQ(a.extent(1), b.extent(1));
  std::size_t mismatches = 0;
  for (std::size_t i = 0; i < a.extent(0); ++i)
    for (std::size_t t = 0; t < a.extent(1); ++t) mismatches += std::memcmp(&a(i, t), &b(i, t), sizeof(float)) != 0;
  EXPECT_EQ(mismatches, 0u);
  EXPECT_EQ(vol.frame_times_s, ref.frame_times_s);

  // a second info + 4D read of the unchanged folder: still no scan anywhere
  const DicomReadCounts c3 = dicom_read_counts();
  (void)read_dicom_info(dir, {}, comm);
  (void)read_dicom_4d(dir, slab, 0, {}, comm);
  EXPECT_EQ(dicom_read_counts().folder_scans - c3.folder_scans, 0);
}

TEST(DicomPlanBroadcast, BroadcastPlanEqualsTheLocalPlanFieldByField) {
  const Comm comm;
  voxflow::testing::SharedTempDir tmp("voxflow-plan-bcast");
  const std::string dir = tmp.path + "/series";
  ASSERT_NO_FATAL_FAILURE(make_folder(comm, tmp.path, dir, "plain"));
  {
    const dicom::DicomLayout got = dicom::broadcast_layout(comm, [&] { return dicom::plan_series(dir); });
    expect_same_layout(got, dicom::plan_series(dir), "folder on rank " + std::to_string(comm.rank()));
    EXPECT_EQ(got.files.size(), 6u);
  }
  // real single- and multi-frame files (rtdose.dcm: 15 frames, read as 5 slices x 3 time points)
  for (const auto& [name, slices] : std::vector<std::pair<std::string, int>>{
           {"CT_small.dcm", 0}, {"MR_small.dcm", 0}, {"MR_small_RLE.dcm", 0}, {"rtdose.dcm", 5}, {"liver_1frame.dcm", 0}}) {
    DicomReadOptions opt;
    opt.slices = slices;
    const std::string path = kFiles + name;
    const dicom::DicomLayout got = dicom::broadcast_layout(comm, [&] { return local_multiframe_plan(path, opt); });
    expect_same_layout(got, local_multiframe_plan(path, opt), name + " on rank " + std::to_string(comm.rank()));
    // the collective info is that plan's
    const DicomReadCounts c0 = dicom_read_counts();
    const ImageInfo info = read_dicom_info(path, opt, comm);
    EXPECT_EQ(dicom_read_counts().files_loaded - c0.files_loaded, comm.is_root() ? 1 : 0) << name;
    EXPECT_EQ(info.grid.dims, got.info.grid.dims) << name;
    EXPECT_EQ(info.grid.nt, got.info.grid.nt) << name;
  }
}

TEST(DicomPlanBroadcast, TwoSeriesInOneFolderFailOnEveryRank) {
  const Comm comm;
  voxflow::testing::SharedTempDir tmp("voxflow-plan-bcast");
  const std::string dir = tmp.path + "/mixed";
  ASSERT_NO_FATAL_FAILURE(make_folder(comm, tmp.path, dir, "mixed"));
  for (int pass = 0; pass < 2; ++pass) {
    const DicomReadCounts c0 = dicom_read_counts();
    std::string what;
    int code = -1;
    bool peer = false;
    try {
      if (pass == 0)
        (void)read_dicom_info(dir, {}, comm);
      else
        (void)read_dicom_4d(dir, make_slab(3, comm.rank(), comm.size()), 0, {}, comm);
    } catch (const PeerFailure& e) {
      peer = true;
      code = e.exit_code();
    } catch (const InputError& e) {
      what = e.what();
      code = e.exit_code();
    }
    EXPECT_EQ(code, 2) << "pass " << pass;
    if (comm.is_root()) {
      EXPECT_FALSE(peer);
      EXPECT_NE(what.find(dir), std::string::npos) << what;
      EXPECT_NE(what.find("series"), std::string::npos) << what;
      EXPECT_EQ(what.find('\n'), std::string::npos) << what;
    } else {
      EXPECT_TRUE(peer);  // quiet: rank 0 prints the one line
      EXPECT_EQ(dicom_read_counts().files_loaded - c0.files_loaded, 0);
    }
  }
  comm.barrier();  // every rank got here: nobody is left in a collective
}

TEST(DicomPlanBroadcast, EncodeKeepsEveryFieldAndRefusesBadBytes) {
  dicom::DicomLayout lay;
  lay.info.path = "/data/series";
  lay.info.format = "DICOM series";
  lay.info.grid.dims = {7, 5, 3};
  lay.info.grid.nt = 4;
  lay.info.grid.spacing_mm = {0.5, 0.75, 2.5};
  lay.info.grid.affine[0][3] = -12.5;
  lay.info.grid.affine[2][1] = 0.25;
  lay.info.datatype = "int16";
  lay.info.frame_times_s = {0.0, 30.0, 60.5, 91.0};
  lay.info.rescale_slope = 2.0;
  lay.info.rescale_intercept = -7.0;
  lay.info.description = "a description";
  lay.multiframe = false;
  for (int k = 0; k < 12; ++k) lay.files.push_back("/data/series/f" + std::to_string(k) + ".dcm");
  dicom::DicomHeader& h = lay.header;
  h.path = "/data/series/f0.dcm";
  h.transfer_syntax_uid = "1.2.840.10008.1.2.5";
  h.transfer_syntax_name = "RLE Lossless";
  h.encapsulated = true;
  h.big_endian = true;
  h.decodable = false;
  h.has_pixel_data = true;
  h.has_float_pixel_data = true;
  h.rows = 5;
  h.columns = 7;
  h.samples_per_pixel = 3;
  h.photometric = "MONOCHROME1";
  h.bits_allocated = 16;
  h.bits_stored = 12;
  h.high_bit = 11;
  h.pixel_representation = 1;
  h.number_of_frames = 2;
  h.pixel_spacing = {0.75, 0.5};
  h.slice_thickness = 3.0;
  h.spacing_between_slices = 2.5;
  h.has_orientation = true;
  h.orientation = {0, 1, 0, 0, 0, -1};
  h.has_position = true;
  h.position = {1.5, -2.5, 3.5};
  h.rescale_slope = 2.0;
  h.rescale_intercept = -7.0;
  h.frame_rescale_slope = {1.0, 2.0};
  h.frame_rescale_intercept = {0.0, -1.0};
  h.number_of_slices = 3;
  h.number_of_temporal_positions = 4;
  h.frame_positions = {{0, 0, 0}, {0, 0, 2.5}};
  h.frame_time_ms = 250.0;
  h.frame_time_vector = {0.0, 250.0};
  h.frame_datetime_s = {NAN, 12.0};
  h.has_temporal_position_identifier = true;
  h.temporal_position_identifier = 3;
  h.trigger_time_ms = 120.0;
  h.acquisition_time_s = 43200.5;
  h.acquisition_datetime_s = 1.7e9;
  h.instance_number = 42;
  h.sop_class_uid = "1.2.840.10008.5.1.4.1.1.4";
  h.series_instance_uid = "1.2.3.4";
  h.series_description = "series";
  const std::string bytes = dicom::encode_layout(lay);
  expect_same_layout(dicom::decode_layout(bytes), lay, "round trip");

  EXPECT_THROW(dicom::decode_layout(bytes.substr(0, bytes.size() - 1)), InternalError);
  EXPECT_THROW(dicom::decode_layout(bytes + "x"), InternalError);
  EXPECT_THROW(dicom::decode_layout(std::string()), InternalError);
  std::string other = bytes;
  other[0] = 'X';
  EXPECT_THROW(dicom::decode_layout(other), InternalError);
}
