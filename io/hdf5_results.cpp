// Parallel HDF5 result files (see io/hdf5_results.hpp for the contract).
// Written against HDF5 1.10.8 with the MPI-IO driver (Debian libhdf5-openmpi-dev); also builds
// against 1.12/1.14 (only version-stable API calls, H5_VERSION_GE guards where they differ).
#include "io/hdf5_results.hpp"

#include "io/atomic_file.hpp"

#include <hdf5.h>
#include <zlib.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <system_error>
#include <utility>

#include "src/core/error.hpp"
#include "src/core/run_capturing.hpp"
#include "voxflow/version.hpp"

#ifndef H5_HAVE_PARALLEL
#error "voxflow needs a parallel (MPI) HDF5 (Debian: libhdf5-openmpi-dev)"
#endif

namespace voxflow::io {
namespace {

namespace fs = std::filesystem;

// ---- HDF5 error handling ---------------------------------------------------------------------

/// HDF5 prints its error stack to stderr by default; voxflow turns errors into exceptions.
void silence_hdf5() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

/// The innermost entry of HDF5's default error stack ("H5Dwrite: ...: <minor>"), then cleared.
std::string h5_error_text() {
  std::string text;
  auto walk = [](unsigned n, const H5E_error2_t* err, void* data) -> herr_t {
    if (n != 0 || err == nullptr) return 0;  // upward walk: entry 0 is the innermost
    auto* out = static_cast<std::string*>(data);
    char minor[256] = {0};
    H5Eget_msg(err->min_num, nullptr, minor, sizeof(minor));
    *out = std::string(err->func_name ? err->func_name : "?") + ": " + (err->desc ? err->desc : "");
    if (minor[0] != '\0') *out += " (" + std::string(minor) + ")";
    return 0;
  };
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, walk, &text);
  H5Eclear2(H5E_DEFAULT);
  return text.empty() ? std::string("unknown HDF5 error") : text;
}

[[noreturn]] void fail_internal(const std::string& what) {
  throw InternalError("HDF5: " + what + ": " + h5_error_text());
}
/// Checks the result of an HDF5 call returning herr_t/htri_t/hid_t (negative = failure).
template <class T>
T check(T status, const std::string& what) {
  if (status < 0) fail_internal(what);
  return status;
}

/// Owner of one HDF5 identifier (file, group, dataset, dataspace, type, property list, attribute).
class H5Id {
 public:
  using Closer = herr_t (*)(hid_t);
  H5Id() = default;
  H5Id(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  H5Id(const H5Id&) = delete;
  H5Id& operator=(const H5Id&) = delete;
  H5Id(H5Id&& o) noexcept : id_(std::exchange(o.id_, H5I_INVALID_HID)), closer_(o.closer_) {}
  H5Id& operator=(H5Id&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = std::exchange(o.id_, H5I_INVALID_HID);
      closer_ = o.closer_;
    }
    return *this;
  }
  ~H5Id() { reset(); }
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  /// Closes now; returns the closer's status (0 when there was nothing to close).
  herr_t reset() {
    herr_t st = 0;
    if (id_ >= 0 && closer_ != nullptr) st = closer_(id_);
    id_ = H5I_INVALID_HID;
    return st;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer closer_ = nullptr;
};

H5Id make_plist(hid_t cls, const std::string& what) { return H5Id(check(H5Pcreate(cls), what), H5Pclose); }
H5Id make_space(const std::vector<hsize_t>& dims, const std::string& what) {
  return H5Id(check(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), what), H5Sclose);
}

/// File access list: MPI-IO driver over comm (or the default serial driver when comm is null),
/// file locking off (parallel file systems often lack flock), HDF5 1.8 file format or newer
/// (needed for attributes over 64 KiB; read by every HDF5 >= 1.8).
H5Id make_fapl(const MPI_Comm* comm) {
  H5Id fapl = make_plist(H5P_FILE_ACCESS, "H5Pcreate(file access)");
  if (comm != nullptr) check(H5Pset_fapl_mpio(fapl.get(), *comm, MPI_INFO_NULL), "H5Pset_fapl_mpio");
#if H5_VERSION_GE(1, 12, 1) || (H5_VERSION_GE(1, 10, 7) && !H5_VERSION_GE(1, 11, 0))
  check(H5Pset_file_locking(fapl.get(), 0, 1), "H5Pset_file_locking");
#endif
#if H5_VERSION_GE(1, 10, 2)
  check(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V18, H5F_LIBVER_LATEST), "H5Pset_libver_bounds");
#else
  check(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_LATEST, H5F_LIBVER_LATEST), "H5Pset_libver_bounds");
#endif
  return fapl;
}

/// Data transfer list with collective MPI-IO (required for filtered datasets in 1.10).
H5Id make_collective_dxpl() {
  H5Id dxpl = make_plist(H5P_DATASET_XFER, "H5Pcreate(transfer)");
  check(H5Pset_dxpl_mpio(dxpl.get(), H5FD_MPIO_COLLECTIVE), "H5Pset_dxpl_mpio");
  return dxpl;
}

/// Link creation list that creates missing intermediate groups ("maps/kb").
H5Id make_lcpl() {
  H5Id lcpl = make_plist(H5P_LINK_CREATE, "H5Pcreate(link create)");
  check(H5Pset_create_intermediate_group(lcpl.get(), 1), "H5Pset_create_intermediate_group");
  return lcpl;
}

/// Normalised dataset name: no leading '/', no empty component. Throws InternalError.
std::string clean_name(const std::string& name) {
  std::string n = name;
  while (!n.empty() && n.front() == '/') n.erase(n.begin());
  if (n.empty() || n.back() == '/' || n.find("//") != std::string::npos || n == "." || n.find("/./") != std::string::npos)
    throw InternalError("HDF5: invalid dataset name '" + name + "'");
  return n;
}

/// Whether the link `name` ("a/b/c") exists below loc: checks each prefix, because H5Lexists
/// fails (rather than answering false) when an intermediate group is missing in 1.10.
bool link_exists(hid_t loc, const std::string& name) {
  std::size_t pos = 0;
  while (true) {
    pos = name.find('/', pos);
    const std::string prefix = name.substr(0, pos);
    const htri_t e = H5Lexists(loc, prefix.c_str(), H5P_DEFAULT);
    if (e < 0) {
      H5Eclear2(H5E_DEFAULT);
      return false;
    }
    if (e == 0) return false;
    if (pos == std::string::npos) return true;
    ++pos;
  }
}

// ---- attributes ------------------------------------------------------------------------------

void delete_attribute_if_present(hid_t obj, const std::string& name) {
  if (check(H5Aexists(obj, name.c_str()), "H5Aexists(" + name + ")") > 0)
    check(H5Adelete(obj, name.c_str()), "H5Adelete(" + name + ")");
}

/// Scalar fixed-length string attribute (NUL-terminated, UTF-8). Replaces an existing one.
void write_string_attribute(hid_t obj, const std::string& name, const std::string& value) {
  delete_attribute_if_present(obj, name);
  H5Id type(check(H5Tcopy(H5T_C_S1), "H5Tcopy"), H5Tclose);
  check(H5Tset_size(type.get(), value.size() + 1), "H5Tset_size");
  check(H5Tset_strpad(type.get(), H5T_STR_NULLTERM), "H5Tset_strpad");
  check(H5Tset_cset(type.get(), H5T_CSET_UTF8), "H5Tset_cset");
  H5Id space(check(H5Screate(H5S_SCALAR), "H5Screate"), H5Sclose);
  H5Id attr(check(H5Acreate2(obj, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
                  "H5Acreate2(" + name + ")"),
            H5Aclose);
  check(H5Awrite(attr.get(), type.get(), value.c_str()), "H5Awrite(" + name + ")");
  check(attr.reset(), "H5Aclose(" + name + ")");
}

/// Numeric attribute of shape dims: file type ftype, memory type mtype. Replaces an existing one.
void write_numeric_attribute(hid_t obj, const std::string& name, const std::vector<hsize_t>& dims, hid_t ftype,
                             hid_t mtype, const void* data) {
  delete_attribute_if_present(obj, name);
  H5Id space = dims.empty() ? H5Id(check(H5Screate(H5S_SCALAR), "H5Screate"), H5Sclose)
                            : make_space(dims, "H5Screate_simple(" + name + ")");
  H5Id attr(check(H5Acreate2(obj, name.c_str(), ftype, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                  "H5Acreate2(" + name + ")"),
            H5Aclose);
  check(H5Awrite(attr.get(), mtype, data), "H5Awrite(" + name + ")");
  check(attr.reset(), "H5Aclose(" + name + ")");
}

/// Reads a scalar string attribute (fixed or variable length). Returns false when absent or not
/// a scalar string. Throws InternalError on a failing read.
bool read_string_attribute(hid_t obj, const std::string& name, std::string& out) {
  if (check(H5Aexists(obj, name.c_str()), "H5Aexists(" + name + ")") <= 0) return false;
  H5Id attr(check(H5Aopen(obj, name.c_str(), H5P_DEFAULT), "H5Aopen(" + name + ")"), H5Aclose);
  H5Id ftype(check(H5Aget_type(attr.get()), "H5Aget_type"), H5Tclose);
  if (H5Tget_class(ftype.get()) != H5T_STRING) return false;
  H5Id space(check(H5Aget_space(attr.get()), "H5Aget_space"), H5Sclose);
  if (H5Sget_simple_extent_npoints(space.get()) != 1) return false;
  if (check(H5Tis_variable_str(ftype.get()), "H5Tis_variable_str") > 0) {
    H5Id mtype(check(H5Tcopy(H5T_C_S1), "H5Tcopy"), H5Tclose);
    check(H5Tset_size(mtype.get(), H5T_VARIABLE), "H5Tset_size");
    check(H5Tset_cset(mtype.get(), H5Tget_cset(ftype.get())), "H5Tset_cset");
    char* s = nullptr;
    check(H5Aread(attr.get(), mtype.get(), &s), "H5Aread(" + name + ")");
    out = s ? std::string(s) : std::string();
    if (s) H5free_memory(s);
    return true;
  }
  const std::size_t size = H5Tget_size(ftype.get());
  if (size == 0) fail_internal("H5Tget_size(" + name + ")");
  H5Id mtype(check(H5Tcopy(ftype.get()), "H5Tcopy"), H5Tclose);
  std::string buf(size, '\0');
  check(H5Aread(attr.get(), mtype.get(), buf.data()), "H5Aread(" + name + ")");
  out = buf.substr(0, std::min(buf.find('\0'), buf.size()));
  // NULLPAD/SPACEPAD strings: strip the padding
  if (H5Tget_strpad(ftype.get()) == H5T_STR_SPACEPAD)
    while (!out.empty() && out.back() == ' ') out.pop_back();
  return true;
}

/// Reads a numeric attribute as n values of memory type mtype into data. Returns false when
/// absent; throws InputError (naming path) when present with another number of elements.
bool read_numeric_attribute(hid_t obj, const std::string& path, const std::string& name, hid_t mtype,
                            std::size_t n, void* data) {
  if (check(H5Aexists(obj, name.c_str()), "H5Aexists(" + name + ")") <= 0) return false;
  H5Id attr(check(H5Aopen(obj, name.c_str(), H5P_DEFAULT), "H5Aopen(" + name + ")"), H5Aclose);
  H5Id ftype(check(H5Aget_type(attr.get()), "H5Aget_type"), H5Tclose);
  const H5T_class_t cls = H5Tget_class(ftype.get());
  H5Id space(check(H5Aget_space(attr.get()), "H5Aget_space"), H5Sclose);
  const hssize_t npoints = H5Sget_simple_extent_npoints(space.get());
  if ((cls != H5T_INTEGER && cls != H5T_FLOAT) || npoints != static_cast<hssize_t>(n))
    throw InputError(path + ": attribute '" + name + "' should hold " + std::to_string(n) + " numbers");
  check(H5Aread(attr.get(), mtype, data), "H5Aread(" + name + ")");
  return true;
}

// ---- files -----------------------------------------------------------------------------------

/// Opens path read-only with the serial driver. Throws InputError naming the path for a
/// missing file or one HDF5 cannot open.
H5Id open_serial(const std::string& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) throw InputError(path + ": no such file");
  if (fs::is_directory(path, ec)) throw InputError(path + ": is a folder, not an HDF5 file");
  H5Id fapl = make_fapl(nullptr);
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get());
  if (f < 0) throw InputError(path + ": not a readable HDF5 file (" + h5_error_text() + ")");
  return H5Id(f, H5Fclose);
}

/// Opens dataset `name` of an open file. Throws InputError naming the file and the dataset
/// when there is no such link or it is not a dataset.
H5Id open_dataset(hid_t file, const std::string& path, const std::string& name) {
  const std::string n = clean_name(name);
  if (!link_exists(file, n)) throw InputError(path + ": no dataset '" + n + "'");
  H5Id obj(check(H5Oopen(file, n.c_str(), H5P_DEFAULT), "H5Oopen(" + n + ")"), H5Oclose);
  if (H5Iget_type(obj.get()) != H5I_DATASET) throw InputError(path + ": '" + n + "' is not a dataset");
  return H5Id(check(H5Dopen2(file, n.c_str(), H5P_DEFAULT), "H5Dopen2(" + n + ")"), H5Dclose);
}

/// Creates the float64 dataset `name` [n_rows x width] (little-endian, contiguous) in an open
/// file. Throws InternalError when `name` exists already (a run writes each dataset once).
H5Id create_rows_dataset(hid_t file, const std::string& path, const std::string& name, long long n_rows,
                         std::int64_t width) {
  if (link_exists(file, name)) throw InternalError(path + ": dataset '" + name + "' already written");
  H5Id fspace = make_space({static_cast<hsize_t>(n_rows), static_cast<hsize_t>(width)}, "H5Screate_simple(" + name + ")");
  H5Id lcpl = make_lcpl();
  return H5Id(check(H5Dcreate2(file, name.c_str(), H5T_IEEE_F64LE, fspace.get(), lcpl.get(), H5P_DEFAULT, H5P_DEFAULT),
                    "H5Dcreate2(" + name + ")"),
              H5Dclose);
}

/// Dataset dims (rank = size of the result) and whether its type is numeric.
std::vector<hsize_t> dataset_dims(hid_t dset, bool& numeric) {
  H5Id space(check(H5Dget_space(dset), "H5Dget_space"), H5Sclose);
  const int rank = check(H5Sget_simple_extent_ndims(space.get()), "H5Sget_simple_extent_ndims");
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0) check(H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr), "H5Sget_simple_extent_dims");
  H5Id type(check(H5Dget_type(dset), "H5Dget_type"), H5Tclose);
  const H5T_class_t cls = H5Tget_class(type.get());
  numeric = (cls == H5T_INTEGER || cls == H5T_FLOAT);
  return dims;
}

/// Grid of an open voxflow result file (dims, spacing_mm, affine attributes of the root).
Grid read_grid(hid_t file, const std::string& path) {
  Grid g;
  std::array<std::int64_t, 3> dims{};
  if (!read_numeric_attribute(file, path, "dims", H5T_NATIVE_INT64, 3, dims.data()))
    throw InputError(path + ": not a voxflow HDF5 result file (no 'dims' attribute)");
  for (int a = 0; a < 3; ++a)
    if (dims[a] < 1) throw InputError(path + ": attribute 'dims' holds a non-positive size");
  g.dims = dims;
  g.nt = 1;
  std::array<double, 16> aff{};
  const bool have_affine = read_numeric_attribute(file, path, "affine", H5T_NATIVE_DOUBLE, 16, aff.data());
  const bool have_spacing = read_numeric_attribute(file, path, "spacing_mm", H5T_NATIVE_DOUBLE, 3, g.spacing_mm.data());
  if (have_affine) {
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 4; ++c) g.affine[r][c] = aff[static_cast<std::size_t>(4 * r + c)];
    if (!have_spacing) g.spacing_mm = spacing_from_affine(g.affine);
  } else {
    g.affine = Grid::scaling_affine(g.spacing_mm);
  }
  return g;
}

// ---- MPI helpers -----------------------------------------------------------------------------


/// Runs f on rank 0 only; when it throws, rank 0 rethrows its own error and every other rank
/// throws PeerFailure(0, same exit code), so the user reads one line (as collective_check).
/// Collective.
template <class F>
void on_root_checked(const Comm& comm, F&& f) {
  std::exception_ptr err;
  int code = 0;
  if (comm.is_root()) run_capturing(f, err, code);
  MPI_Bcast(&code, 1, MPI_INT, 0, comm.comm);
  if (err) std::rethrow_exception(err);
  if (code != 0) throw PeerFailure(0, code);
}

/// Grid of rank 0 on every rank (dims, nt, spacing, affine).
Grid broadcast_grid(const Grid& g, const Comm& comm) {
  std::array<double, 23> buf{};
  for (int a = 0; a < 3; ++a) buf[a] = static_cast<double>(g.dims[a]);
  buf[3] = static_cast<double>(g.nt);
  for (int a = 0; a < 3; ++a) buf[4 + a] = g.spacing_mm[a];
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) buf[static_cast<std::size_t>(7 + 4 * r + c)] = g.affine[r][c];
  if (MPI_Bcast(buf.data(), static_cast<int>(buf.size()), MPI_DOUBLE, 0, comm.comm) != MPI_SUCCESS)
    throw InternalError("MPI_Bcast of the grid failed");
  Grid out;
  for (int a = 0; a < 3; ++a) out.dims[a] = static_cast<std::int64_t>(buf[a]);
  out.nt = static_cast<std::int64_t>(buf[3]);
  for (int a = 0; a < 3; ++a) out.spacing_mm[a] = buf[4 + a];
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) out.affine[r][c] = buf[static_cast<std::size_t>(7 + 4 * r + c)];
  return out;
}

std::string plural_planes(std::int64_t n) { return std::to_string(n) + (n == 1 ? " plane" : " planes"); }

}  // namespace

// Local checks run inside collective_check (an agreement, no collective call inside); the bodies
// that call collective HDF5 functions (create, write, attributes, close) run inside
// collective_or_abort: a rank failing there cannot wait in an agreement while the others wait in
// the collective, so it ends the job (docs/design.md "Failure semantics").

// ==== H5ResultWriter ==========================================================================

struct H5ResultWriter::Impl {
  std::string path;
  std::string tmp_path;
  Grid grid;
  Comm comm;
  H5Id file;
  bool committed = false;
  H5WriteMode mode = H5WriteMode::Parallel;

  bool root_only() const { return mode == H5WriteMode::ChunksToRoot; }

  /// A body of HDF5 calls: every rank runs it collectively (Parallel) or rank 0 alone holds the
  /// file and runs it, its verdict broadcast (ChunksToRoot).
  template <class F>
  void run(F&& f) {
    if (root_only())
      on_root_checked(comm, f);
    else
      collective_or_abort(comm, f);
  }

  /// Collective, never throws: closes the file and (rank 0) removes the temporary.
  ~Impl() {
    if (committed) return;
    try {
      file.reset();
      H5Eclear2(H5E_DEFAULT);
    } catch (...) {
    }
    MPI_Barrier(comm.comm);
    if (comm.is_root() && !tmp_path.empty()) std::remove(tmp_path.c_str());
    MPI_Barrier(comm.comm);
  }

  void require_open(const char* what) const {
    // ChunksToRoot: only rank 0 holds the file
    if (committed || (!file.valid() && !(root_only() && !comm.is_root()))) throw InternalError(std::string("H5ResultWriter::") + what + " after commit() of " + path);
  }

  /// Collective. Creates dataset `name` (type f64, dims) and writes rank 0's data into it
  /// (other ranks take part with empty selections).
  void write_root_array(const std::string& raw_name, const std::vector<double>& values, std::vector<hsize_t> dims) {
    std::string name;
    collective_check(comm, [&] { name = clean_name(raw_name); });
    run([&] {
      if (link_exists(file.get(), name)) throw InternalError(path + ": dataset '" + name + "' already written");
      H5Id lcpl = make_lcpl();
      H5Id fspace = make_space(dims, "H5Screate_simple(" + name + ")");
      H5Id dset(check(H5Dcreate2(file.get(), name.c_str(), H5T_IEEE_F64LE, fspace.get(), lcpl.get(), H5P_DEFAULT,
                                 H5P_DEFAULT),
                      "H5Dcreate2(" + name + ")"),
                H5Dclose);
      hsize_t n = 1;
      for (hsize_t d : dims) n *= d;
      if (n > 0) {
        H5Id mspace = make_space({comm.is_root() ? n : 1}, "H5Screate_simple(memory)");
        if (comm.is_root()) {
          check(H5Sselect_all(fspace.get()), "H5Sselect_all");
        } else {
          check(H5Sselect_none(fspace.get()), "H5Sselect_none");
          check(H5Sselect_none(mspace.get()), "H5Sselect_none");
        }
        const double dummy = 0.0;
        const double* buf = comm.is_root() ? values.data() : &dummy;
        H5Id dxpl = root_only() ? H5Id() : make_collective_dxpl();
        check(H5Dwrite(dset.get(), H5T_NATIVE_DOUBLE, mspace.get(), fspace.get(), root_only() ? H5P_DEFAULT : dxpl.get(),
                       buf),
              "H5Dwrite(" + name + ")");
      }
      check(dset.reset(), "H5Dclose(" + name + ")");
    });
  }
};

H5ResultWriter::H5ResultWriter(const std::string& path, const Grid& grid, const Comm& comm,
                               const std::string& command_line, const std::string& configuration, H5WriteMode mode) {
  silence_hdf5();
  // 1. rank 0 checks the folder and picks the temporary name; its verdict is everyone's.
  std::string tmp;
  on_root_checked(comm, [&] {
    if (path.empty()) throw InputError("empty HDF5 output path");
    fs::path parent = fs::path(path).parent_path();
    if (parent.empty()) parent = ".";
    std::error_code ec;
    if (!fs::is_directory(parent, ec))
      throw InputError(path + ": cannot write, folder " + parent.string() + " does not exist");
    if (::access(parent.c_str(), W_OK | X_OK) != 0)
      throw InputError(path + ": cannot write, folder " + parent.string() + " is not writable");
    if (fs::is_directory(path, ec)) throw InputError(path + ": cannot write, it is a folder");
    tmp = temp_name_for(path);
  });
  tmp = comm.broadcast(tmp);

  // 2. every rank checks its grid against rank 0's (a mismatch would corrupt the metadata).
  const Grid root_grid = broadcast_grid(grid, comm);
  collective_check(comm, [&] {
    for (int a = 0; a < 3; ++a)
      if (root_grid.dims[a] < 1) throw InternalError(path + ": cannot write an empty grid " + root_grid.describe());
    if (grid.dims != root_grid.dims)
      throw InternalError(path + ": rank " + std::to_string(comm.rank()) + " has grid " + grid.describe() +
                          ", rank 0 " + root_grid.describe());
    if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) <= 0) throw InternalError("HDF5 library lacks the deflate (gzip) filter");
  });
  const std::string cmd = comm.broadcast(command_line);
  const std::string config = comm.broadcast(configuration);

  impl_ = std::make_unique<Impl>();
  impl_->path = path;
  impl_->tmp_path = tmp;
  impl_->grid = root_grid;
  impl_->comm = comm;
  impl_->mode = mode;

  // 3. collective create (the destructor of impl_ removes the temporary if anything below throws);
  // ChunksToRoot: rank 0 creates it with the serial driver
  impl_->run([&] {
    H5Id fapl = make_fapl(impl_->root_only() ? nullptr : &impl_->comm.comm);
    const hid_t f = H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get());
    if (f < 0) throw InputError(path + ": cannot create " + tmp + " (" + h5_error_text() + ")");
    impl_->file = H5Id(f, H5Fclose);
  });

  // 4. root attributes
  impl_->run([&] {
    const hid_t f = impl_->file.get();
    write_string_attribute(f, "voxflow_version", kVersion);
    write_string_attribute(f, "command_line", cmd);
    write_string_attribute(f, "configuration", config);
    std::array<double, 16> aff{};
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 4; ++c) aff[static_cast<std::size_t>(4 * r + c)] = root_grid.affine[r][c];
    write_numeric_attribute(f, "affine", {4, 4}, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, aff.data());
    write_numeric_attribute(f, "spacing_mm", {3}, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, root_grid.spacing_mm.data());
    const std::array<std::int64_t, 3> dims = root_grid.dims;
    write_numeric_attribute(f, "dims", {3}, H5T_STD_I64LE, H5T_NATIVE_INT64, dims.data());
    write_string_attribute(f, "axis_order", "zyx");
  });
}

H5ResultWriter::~H5ResultWriter() = default;  // Impl::~Impl does the collective clean-up

namespace {

/// Chunk shape of a map dataset [nz, ny, nx]: one xy-plane, planes over 1 GiB split along y
/// (HDF5 chunks must stay below 4 GiB).
std::array<hsize_t, 3> map_chunk(std::int64_t ny, std::int64_t nx) {
  hsize_t chunk_rows = static_cast<hsize_t>(ny);
  const hsize_t max_chunk_values = (hsize_t{1} << 30) / sizeof(float);
  if (static_cast<hsize_t>(nx) * chunk_rows > max_chunk_values)
    chunk_rows = std::max<hsize_t>(1, max_chunk_values / static_cast<hsize_t>(nx));
  return {1, chunk_rows, static_cast<hsize_t>(nx)};
}

/// Level of the deflate filter of map datasets.
constexpr int kMapDeflateLevel = 1;

/// Sends n bytes to rank 0 (or receives them there from `from`) in pieces of at most 1 GiB (MPI
/// counts are int).
void send_bytes(const unsigned char* p, std::size_t n, const Comm& comm) {
  constexpr std::size_t kPiece = std::size_t{1} << 30;
  for (std::size_t at = 0; at < n; at += kPiece)
    MPI_Send(p + at, static_cast<int>(std::min(kPiece, n - at)), MPI_BYTE, 0, 7301, comm.comm);
}
void recv_bytes(unsigned char* p, std::size_t n, int from, const Comm& comm) {
  constexpr std::size_t kPiece = std::size_t{1} << 30;
  for (std::size_t at = 0; at < n; at += kPiece)
    MPI_Recv(p + at, static_cast<int>(std::min(kPiece, n - at)), MPI_BYTE, from, 7301, comm.comm, MPI_STATUS_IGNORE);
}

}  // namespace

/// ChunksToRoot: every rank deflates its own planes as the dataset's chunks (zlib format at level
/// kMapDeflateLevel: the bytes HDF5's deflate filter stores) and sends them to rank 0, rank by
/// rank (rank 0 holds one rank's compressed slab at a time); rank 0 creates the dataset and
/// stores the chunks with H5Dwrite_chunk. A failure on rank 0 is kept until every rank's chunks
/// were received, then agreed on (no rank waits in a send).
void H5ResultWriter::write_map_chunks_to_root(Impl& im, const std::string& name, const std::string& units,
                                              const float* owned, const Slab& s) {
  const Comm& comm = im.comm;
  const Grid& g = im.grid;
  const std::int64_t nx = g.dims[0], ny = g.dims[1], nz = g.dims[2];
  const std::array<hsize_t, 3> chunk = map_chunk(ny, nx);
  const std::int64_t rows = static_cast<std::int64_t>(chunk[1]);
  const std::int64_t chunks_per_plane = (ny + rows - 1) / rows;
  static_assert(sizeof(float) == 4, "float32 maps");
  // this rank's chunks in (z, y) order: table of compressed sizes, then the bytes
  std::vector<unsigned long long> sizes;
  std::vector<unsigned char> data;
  collective_check(comm, [&] {
    const std::uint32_t probe = 1;
    unsigned char first = 0;
    std::memcpy(&first, &probe, 1);
    if (first != 1) throw InternalError(im.path + ": ChunksToRoot writes little-endian hosts only");
    sizes.reserve(static_cast<std::size_t>(s.nz * chunks_per_plane));
    std::vector<unsigned char> buf;
    for (std::int64_t z = 0; z < s.nz; ++z)
      for (std::int64_t y0 = 0; y0 < ny; y0 += rows) {
        const std::int64_t nrows = std::min<std::int64_t>(rows, ny - y0);
        // a partial edge chunk is stored whole (HDF5 pads it): the values past the edge are 0
        std::vector<float> pad;
        const float* src = owned + (z * ny + y0) * nx;
        if (nrows < rows) {
          pad.assign(static_cast<std::size_t>(rows * nx), 0.0f);
          std::memcpy(pad.data(), src, static_cast<std::size_t>(nrows * nx) * sizeof(float));
          src = pad.data();
        }
        const uLong raw = static_cast<uLong>(rows * nx * static_cast<std::int64_t>(sizeof(float)));
        uLongf clen = compressBound(raw);
        buf.resize(static_cast<std::size_t>(clen));
        if (compress2(buf.data(), &clen, reinterpret_cast<const Bytef*>(src), raw, kMapDeflateLevel) != Z_OK)
          throw InternalError(im.path + ": deflate of map '" + name + "' failed");
        sizes.push_back(static_cast<unsigned long long>(clen));
        data.insert(data.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(clen));
      }
  });

  std::exception_ptr err;  // rank 0: the first HDF5 failure, reported after the receives
  int err_code = 0;
  auto keep = [&](auto&& f) {
    if (!err) run_capturing(f, err, err_code);
  };
  const int rank = comm.rank(), size = comm.size();
  long long head[2] = {static_cast<long long>(s.z0), static_cast<long long>(sizes.size())};
  if (rank != 0) {
    MPI_Send(head, 2, MPI_LONG_LONG, 0, 7300, comm.comm);
    if (!sizes.empty()) {
      MPI_Send(sizes.data(), static_cast<int>(sizes.size()), MPI_UNSIGNED_LONG_LONG, 0, 7300, comm.comm);
      send_bytes(data.data(), data.size(), comm);
    }
  } else {
    H5Id dset;
    keep([&] {
      if (link_exists(im.file.get(), name)) throw InternalError(im.path + ": dataset '" + name + "' already written");
      const std::vector<hsize_t> dims{static_cast<hsize_t>(nz), static_cast<hsize_t>(ny), static_cast<hsize_t>(nx)};
      H5Id fspace = make_space(dims, "H5Screate_simple(" + name + ")");
      H5Id dcpl = make_plist(H5P_DATASET_CREATE, "H5Pcreate(dataset create)");
      check(H5Pset_chunk(dcpl.get(), 3, chunk.data()), "H5Pset_chunk");
      check(H5Pset_deflate(dcpl.get(), kMapDeflateLevel), "H5Pset_deflate");
      check(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER), "H5Pset_fill_time");
      check(H5Pset_alloc_time(dcpl.get(), H5D_ALLOC_TIME_INCR), "H5Pset_alloc_time");
      H5Id lcpl = make_lcpl();
      dset = H5Id(check(H5Dcreate2(im.file.get(), name.c_str(), H5T_IEEE_F32LE, fspace.get(), lcpl.get(), dcpl.get(),
                                   H5P_DEFAULT),
                        "H5Dcreate2(" + name + ")"),
                  H5Dclose);
      write_string_attribute(dset.get(), "units", units);
    });
    auto store = [&](std::int64_t z0, const std::vector<unsigned long long>& sz, const unsigned char* bytes) {
      keep([&] {
        std::size_t at = 0, k = 0;
        for (std::int64_t z = 0; k < sz.size(); ++z)
          for (std::int64_t y0 = 0; y0 < ny && k < sz.size(); y0 += rows, ++k) {
            const std::array<hsize_t, 3> off{static_cast<hsize_t>(z0 + z), static_cast<hsize_t>(y0), 0};
            check(H5Dwrite_chunk(dset.get(), H5P_DEFAULT, 0, off.data(), static_cast<size_t>(sz[k]), bytes + at),
                  "H5Dwrite_chunk(" + name + ")");
            at += static_cast<std::size_t>(sz[k]);
          }
      });
    };
    store(s.z0, sizes, data.data());
    std::vector<unsigned char>().swap(data);
    for (int r = 1; r < size; ++r) {  // every rank's chunks are received, also after a failure
      long long rh[2] = {0, 0};
      MPI_Recv(rh, 2, MPI_LONG_LONG, r, 7300, comm.comm, MPI_STATUS_IGNORE);
      if (rh[1] == 0) continue;
      std::vector<unsigned long long> rs(static_cast<std::size_t>(rh[1]));
      MPI_Recv(rs.data(), static_cast<int>(rs.size()), MPI_UNSIGNED_LONG_LONG, r, 7300, comm.comm, MPI_STATUS_IGNORE);
      std::size_t total = 0;
      for (auto v : rs) total += static_cast<std::size_t>(v);
      std::vector<unsigned char> rb(total);
      recv_bytes(rb.data(), total, r, comm);
      store(rh[0], rs, rb.data());
    }
    keep([&] { check(dset.reset(), "H5Dclose(" + name + ")"); });
  }
  on_root_checked(comm, [&] {
    if (err) std::rethrow_exception(err);
  });
  (void)err_code;
}

void H5ResultWriter::write_map(const std::string& raw_name, const Volume3D& map, const std::string& units) {
  silence_hdf5();
  Impl& im = *impl_;
  const Comm& comm = im.comm;
  im.require_open("write_map");
  const Grid& g = im.grid;
  const std::int64_t nx = g.dims[0], ny = g.dims[1], nz = g.dims[2];

  // Local checks and the host copy (may fail on one rank only).
  std::string name;
  std::string unit_text;
  Kokkos::View<float*, Kokkos::HostSpace> host;
  const Slab& s = map.layout.slab;
  collective_check(comm, [&] {
    name = clean_name(raw_name);
    if (map.layout.grid.dims != g.dims)
      throw InternalError(im.path + ": map '" + name + "' on rank " + std::to_string(comm.rank()) + " has grid " +
                          map.layout.grid.describe() + ", the file " + g.describe());
    if (s.nz_global != nz || s.z0 < 0 || s.nz < 0 || s.z_end() > nz || map.layout.halo < 0)
      throw InternalError(im.path + ": map '" + name + "' on rank " + std::to_string(comm.rank()) +
                          " has an invalid slab [" + std::to_string(s.z0) + ", " + std::to_string(s.z_end()) +
                          ") of " + std::to_string(s.nz_global));
    if (static_cast<std::int64_t>(map.data.extent(0)) != map.layout.stored_voxels())
      throw InternalError(im.path + ": map '" + name + "' holds " + std::to_string(map.data.extent(0)) +
                          " values, its layout " + std::to_string(map.layout.stored_voxels()));
    host = Kokkos::create_mirror_view_and_copy(Kokkos::HostSpace(), map.data);
  });
  unit_text = comm.broadcast(units);
  // A slab union that does not tile the volume would leave holes in the file.
  const long long owned = comm.sum(static_cast<long long>(s.nz));
  if (owned != nz)
    throw InternalError(im.path + ": map '" + name + "': the ranks own " + plural_planes(owned) + " of " +
                        plural_planes(nz));

  if (im.root_only()) {
    write_map_chunks_to_root(im, name, unit_text, host.data() + map.layout.owned_to_storage(0), s);
    return;
  }
  collective_or_abort(comm, [&] {
    if (link_exists(im.file.get(), name)) throw InternalError(im.path + ": dataset '" + name + "' already written");
    const std::vector<hsize_t> dims{static_cast<hsize_t>(nz), static_cast<hsize_t>(ny), static_cast<hsize_t>(nx)};
    H5Id fspace = make_space(dims, "H5Screate_simple(" + name + ")");
    // One chunk per xy-plane (aligned with the slabs); planes over 1 GiB are split along y
    // (HDF5 chunks must stay below 4 GiB).
    const std::array<hsize_t, 3> chunk = map_chunk(ny, nx);
    H5Id dcpl = make_plist(H5P_DATASET_CREATE, "H5Pcreate(dataset create)");
    check(H5Pset_chunk(dcpl.get(), 3, chunk.data()), "H5Pset_chunk");
    check(H5Pset_deflate(dcpl.get(), kMapDeflateLevel), "H5Pset_deflate");
    // every chunk is written: no fill values (writing them to filtered chunks in parallel is
    // slow and, in older 1.10 releases, unsupported)
    check(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_NEVER), "H5Pset_fill_time");
    H5Id lcpl = make_lcpl();
    H5Id dset(check(H5Dcreate2(im.file.get(), name.c_str(), H5T_IEEE_F32LE, fspace.get(), lcpl.get(), dcpl.get(),
                               H5P_DEFAULT),
                    "H5Dcreate2(" + name + ")"),
              H5Dclose);

    // Owned planes only: storage planes [halo, halo + nz) of the rank's slab.
    const hsize_t planes = static_cast<hsize_t>(s.nz);
    H5Id mspace = make_space({planes > 0 ? planes : 1, static_cast<hsize_t>(ny), static_cast<hsize_t>(nx)},
                             "H5Screate_simple(memory)");
    const float dummy = 0.0f;
    const float* buf = &dummy;
    if (planes > 0) {
      const std::array<hsize_t, 3> start{static_cast<hsize_t>(s.z0), 0, 0};
      const std::array<hsize_t, 3> count{planes, static_cast<hsize_t>(ny), static_cast<hsize_t>(nx)};
      check(H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
            "H5Sselect_hyperslab");
      buf = host.data() + map.layout.owned_to_storage(0);
    } else {
      check(H5Sselect_none(fspace.get()), "H5Sselect_none");
      check(H5Sselect_none(mspace.get()), "H5Sselect_none");
    }
    H5Id dxpl = make_collective_dxpl();
    check(H5Dwrite(dset.get(), H5T_NATIVE_FLOAT, mspace.get(), fspace.get(), dxpl.get(), buf),
          "H5Dwrite(" + name + ")");
    write_string_attribute(dset.get(), "units", unit_text);
    check(dset.reset(), "H5Dclose(" + name + ")");
  });
}

void H5ResultWriter::write_attribute(const std::string& name, const std::string& value) {
  silence_hdf5();
  impl_->require_open("write_attribute");
  const std::string v = impl_->comm.broadcast(value);
  impl_->run([&] { write_string_attribute(impl_->file.get(), name, v); });
}

void H5ResultWriter::write_attribute(const std::string& name, const std::vector<double>& value) {
  silence_hdf5();
  impl_->require_open("write_attribute");
  const Comm& comm = impl_->comm;
  long long n = static_cast<long long>(value.size());
  MPI_Bcast(&n, 1, MPI_LONG_LONG, 0, comm.comm);
  std::vector<double> v = comm.is_root() ? value : std::vector<double>(static_cast<std::size_t>(n));
  if (n > 0) MPI_Bcast(v.data(), static_cast<int>(n), MPI_DOUBLE, 0, comm.comm);
  impl_->run([&] {
    write_numeric_attribute(impl_->file.get(), name, {static_cast<hsize_t>(n)}, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE,
                            v.data());
  });
}

void H5ResultWriter::write_vector(const std::string& name, const std::vector<double>& values) {
  silence_hdf5();
  impl_->require_open("write_vector");
  long long n = static_cast<long long>(values.size());
  MPI_Bcast(&n, 1, MPI_LONG_LONG, 0, impl_->comm.comm);
  impl_->write_root_array(name, values, {static_cast<hsize_t>(n)});
}

void H5ResultWriter::write_matrix(const std::string& name, const std::vector<double>& values, std::int64_t rows,
                                  std::int64_t cols) {
  silence_hdf5();
  impl_->require_open("write_matrix");
  long long rc[2] = {static_cast<long long>(rows), static_cast<long long>(cols)};
  on_root_checked(impl_->comm, [&] {
    if (rows < 0 || cols < 0 || static_cast<std::size_t>(rows * cols) != values.size())
      throw InternalError(impl_->path + ": matrix '" + name + "' of " + std::to_string(rows) + " x " +
                          std::to_string(cols) + " given " + std::to_string(values.size()) + " values");
  });
  MPI_Bcast(rc, 2, MPI_LONG_LONG, 0, impl_->comm.comm);
  impl_->write_root_array(name, values, {static_cast<hsize_t>(rc[0]), static_cast<hsize_t>(rc[1])});
}

void H5ResultWriter::write_rows(const std::string& raw_name, const std::vector<double>& rows, std::int64_t width) {
  silence_hdf5();
  Impl& im = *impl_;
  const Comm& comm = im.comm;
  im.require_open("write_rows");
  std::string name;
  collective_check(comm, [&] {
    name = clean_name(raw_name);
    if (width < 1 || rows.size() % static_cast<std::size_t>(width) != 0)
      throw InternalError(im.path + ": rows '" + name + "' of width " + std::to_string(width) + " given " +
                          std::to_string(rows.size()) + " values on rank " + std::to_string(comm.rank()));
  });
  if (im.root_only()) {
    // rank 0 holds the file: every rank's rows are gathered there, in rank order
    const int size = comm.size();
    long long mine_values = static_cast<long long>(rows.size());
    std::vector<long long> counts(comm.is_root() ? static_cast<std::size_t>(size) : 0);
    MPI_Gather(&mine_values, 1, MPI_LONG_LONG, counts.data(), 1, MPI_LONG_LONG, 0, comm.comm);
    std::vector<double> all;
    if (comm.is_root()) {
      long long total_values = 0;
      for (long long c : counts) total_values += c;
      all.resize(static_cast<std::size_t>(total_values));
      std::copy(rows.begin(), rows.end(), all.begin());
      long long at = static_cast<long long>(rows.size());
      for (int r = 1; r < size; ++r) {
        if (counts[static_cast<std::size_t>(r)] > 0)
          recv_bytes(reinterpret_cast<unsigned char*>(all.data() + at),
                     static_cast<std::size_t>(counts[static_cast<std::size_t>(r)]) * sizeof(double), r, comm);
        at += counts[static_cast<std::size_t>(r)];
      }
    } else if (!rows.empty()) {
      send_bytes(reinterpret_cast<const unsigned char*>(rows.data()), rows.size() * sizeof(double), comm);
    }
    const long long n_rows = static_cast<long long>(all.size()) / width;
    im.run([&] {
      H5Id dset = create_rows_dataset(im.file.get(), im.path, name, n_rows, width);
      if (n_rows > 0)
        check(H5Dwrite(dset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, all.data()), "H5Dwrite(" + name + ")");
      check(dset.reset(), "H5Dclose(" + name + ")");
    });
    return;
  }
  const long long mine = static_cast<long long>(rows.size()) / width;
  long long before = 0;
  MPI_Exscan(&mine, &before, 1, MPI_LONG_LONG, MPI_SUM, comm.comm);
  if (comm.is_root()) before = 0;  // MPI_Exscan leaves rank 0's result undefined
  const long long total = comm.sum(mine);
  collective_or_abort(comm, [&] {
    H5Id dset = create_rows_dataset(im.file.get(), im.path, name, total, width);
    H5Id fspace(check(H5Dget_space(dset.get()), "H5Dget_space(" + name + ")"), H5Sclose);
    const hsize_t w = static_cast<hsize_t>(width);
    H5Id mspace = make_space({mine > 0 ? static_cast<hsize_t>(mine) : 1, w}, "H5Screate_simple(memory)");
    const double dummy[1] = {0.0};
    const double* buf = dummy;
    if (mine > 0) {
      const std::array<hsize_t, 2> start{static_cast<hsize_t>(before), 0};
      const std::array<hsize_t, 2> count{static_cast<hsize_t>(mine), w};
      check(H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
            "H5Sselect_hyperslab");
      buf = rows.data();
    } else {
      check(H5Sselect_none(fspace.get()), "H5Sselect_none");
      check(H5Sselect_none(mspace.get()), "H5Sselect_none");
    }
    H5Id dxpl = make_collective_dxpl();
    if (total > 0)
      check(H5Dwrite(dset.get(), H5T_NATIVE_DOUBLE, mspace.get(), fspace.get(), dxpl.get(), buf), "H5Dwrite(" + name + ")");
    check(dset.reset(), "H5Dclose(" + name + ")");
  });
}

void H5ResultWriter::commit() {
  silence_hdf5();
  Impl& im = *impl_;
  im.require_open("commit");
  if (im.root_only()) {
    on_root_checked(im.comm, [&] {
      check(H5Fflush(im.file.get(), H5F_SCOPE_GLOBAL), "H5Fflush(" + im.tmp_path + ")");
      check(im.file.reset(), "H5Fclose(" + im.tmp_path + ")");
      // the serial driver does not fsync: the file reaches the disk before its rename
      if (!sync_file(im.tmp_path)) throw InternalError("fsync " + im.tmp_path + ": " + std::strerror(errno));
      if (std::rename(im.tmp_path.c_str(), im.path.c_str()) != 0)
        throw InternalError("cannot rename " + im.tmp_path + " to " + im.path + ": " + std::strerror(errno));
    });
    im.committed = true;
    return;
  }
  collective_or_abort(im.comm, [&] {
    // every rank's data reaches the disk (MPI_File_sync under the MPI-IO driver) before the rename
    check(H5Fflush(im.file.get(), H5F_SCOPE_GLOBAL), "H5Fflush(" + im.tmp_path + ")");
    check(im.file.reset(), "H5Fclose(" + im.tmp_path + ")");
  });
  im.comm.barrier();
  on_root_checked(im.comm, [&] {
    if (std::rename(im.tmp_path.c_str(), im.path.c_str()) != 0)
      throw InternalError("cannot rename " + im.tmp_path + " to " + im.path + ": " + std::strerror(errno));
  });
  im.committed = true;
}

// ==== readers =================================================================================

H5FileInfo read_h5_info(const std::string& path) {
  silence_hdf5();
  H5Id file = open_serial(path);
  H5FileInfo info;
  info.grid = read_grid(file.get(), path);

  // datasets (recursive, hard links only)
  struct Visit {
    std::vector<std::string>* out;
    std::string error;
  } visit{&info.datasets, {}};
  auto on_link = [](hid_t group, const char* name, const H5L_info_t* linfo, void* data) -> herr_t {
    auto* v = static_cast<Visit*>(data);
    if (linfo->type != H5L_TYPE_HARD) return 0;
    const hid_t obj = H5Oopen(group, name, H5P_DEFAULT);
    if (obj < 0) {
      v->error = std::string("H5Oopen(") + name + ")";
      return -1;
    }
    const bool is_dataset = H5Iget_type(obj) == H5I_DATASET;
    H5Oclose(obj);
    try {
      if (is_dataset) v->out->push_back(name);
    } catch (...) {
      v->error = "out of memory";
      return -1;
    }
    return 0;
  };
  if (H5Lvisit(file.get(), H5_INDEX_NAME, H5_ITER_INC, on_link, &visit) < 0)
    fail_internal(path + ": listing datasets" + (visit.error.empty() ? "" : " at " + visit.error));

  // scalar string attributes of the root group
  struct Attrs {
    std::vector<std::string> names;
  } attrs;
  auto on_attr = [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
    try {
      static_cast<Attrs*>(data)->names.emplace_back(name);
    } catch (...) {
      return -1;
    }
    return 0;
  };
  hsize_t idx = 0;
  check(H5Aiterate2(file.get(), H5_INDEX_NAME, H5_ITER_INC, &idx, on_attr, &attrs), path + ": listing attributes");
  for (const std::string& a : attrs.names) {
    std::string value;
    if (read_string_attribute(file.get(), a, value)) info.attributes[a] = value;
  }
  return info;
}

Volume3D read_h5_map(const std::string& path, const std::string& name, const Slab& slab, int halo,
                     const Comm& comm) {
  silence_hdf5();
  // 1. rank 0 validates the file, the dataset and its shape; its verdict is everyone's.
  Grid grid;
  std::string dname;
  on_root_checked(comm, [&] {
    dname = clean_name(name);
    H5Id file = open_serial(path);
    grid = read_grid(file.get(), path);
    H5Id dset = open_dataset(file.get(), path, dname);
    bool numeric = false;
    const std::vector<hsize_t> dims = dataset_dims(dset.get(), numeric);
    const std::vector<hsize_t> want{static_cast<hsize_t>(grid.nz()), static_cast<hsize_t>(grid.ny()),
                                    static_cast<hsize_t>(grid.nx())};
    if (!numeric) throw InputError(path + ": dataset '" + dname + "' is not numeric");
    if (dims != want) {
      std::string shape = "[";
      for (std::size_t d = 0; d < dims.size(); ++d) shape += (d ? ", " : "") + std::to_string(dims[d]);
      shape += "]";
      throw InputError(path + ": dataset '" + dname + "' has shape " + shape + ", expected [nz, ny, nx] = [" +
                       std::to_string(want[0]) + ", " + std::to_string(want[1]) + ", " + std::to_string(want[2]) +
                       "]");
    }
  });
  dname = comm.broadcast(dname);
  grid = broadcast_grid(grid, comm);

  // 2. local checks and allocation
  Volume3D vol;
  Kokkos::View<float*, Kokkos::HostSpace> host;
  collective_check(comm, [&] {
    if (halo < 0) throw InternalError("read_h5_map: negative halo");
    if (slab.nz_global != grid.nz())
      throw InputError(path + ": dataset '" + dname + "' has " + plural_planes(grid.nz()) + ", expected " +
                       plural_planes(slab.nz_global));
    if (slab.z0 < 0 || slab.nz < 0 || slab.z_end() > slab.nz_global)
      throw InternalError("read_h5_map: invalid slab for " + path);
    vol = Volume3D(grid, slab, halo, dname);
    host = Kokkos::create_mirror_view(Kokkos::HostSpace(), vol.data);
    Kokkos::deep_copy(host, 0.0f);
  });

  // 3. collective read of [max(0, z0 - halo), min(nz, z_end + halo)) into its storage planes
  const std::int64_t z_lo = std::max<std::int64_t>(0, slab.z0 - halo);
  const std::int64_t z_hi = std::min<std::int64_t>(grid.nz(), slab.z_end() + halo);
  const hsize_t planes = z_hi > z_lo ? static_cast<hsize_t>(z_hi - z_lo) : 0;
  collective_or_abort(comm, [&] {
    H5Id fapl = make_fapl(&comm.comm);
    H5Id file(check(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()), "H5Fopen(" + path + ")"), H5Fclose);
    H5Id dset(check(H5Dopen2(file.get(), dname.c_str(), H5P_DEFAULT), "H5Dopen2(" + dname + ")"), H5Dclose);
    H5Id fspace(check(H5Dget_space(dset.get()), "H5Dget_space"), H5Sclose);
    const hsize_t ny = static_cast<hsize_t>(grid.ny()), nx = static_cast<hsize_t>(grid.nx());
    H5Id mspace = make_space({planes > 0 ? planes : 1, ny, nx}, "H5Screate_simple(memory)");
    float dummy = 0.0f;
    float* buf = &dummy;
    if (planes > 0) {
      const std::array<hsize_t, 3> start{static_cast<hsize_t>(z_lo), 0, 0};
      const std::array<hsize_t, 3> count{planes, ny, nx};
      check(H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr),
            "H5Sselect_hyperslab");
      buf = host.data() + vol.layout.index(0, 0, slab.to_local(z_lo));
    } else {
      check(H5Sselect_none(fspace.get()), "H5Sselect_none");
      check(H5Sselect_none(mspace.get()), "H5Sselect_none");
    }
    H5Id dxpl = make_collective_dxpl();
    check(H5Dread(dset.get(), H5T_NATIVE_FLOAT, mspace.get(), fspace.get(), dxpl.get(), buf),
          "H5Dread(" + path + ":" + dname + ")");
    std::string units;
    if (read_string_attribute(dset.get(), "units", units)) vol.units = units;
    check(dset.reset(), "H5Dclose");
    check(file.reset(), "H5Fclose(" + path + ")");
    Kokkos::deep_copy(vol.data, host);
  });
  return vol;
}

std::vector<double> read_h5_vector(const std::string& path, const std::string& name,
                                   std::vector<std::int64_t>* shape) {
  silence_hdf5();
  H5Id file = open_serial(path);
  H5Id dset = open_dataset(file.get(), path, name);
  bool numeric = false;
  const std::vector<hsize_t> dims = dataset_dims(dset.get(), numeric);
  if (!numeric || dims.empty() || dims.size() > 2)
    throw InputError(path + ": dataset '" + clean_name(name) + "' is not a 1D or 2D numeric array");
  hsize_t n = 1;
  for (hsize_t d : dims) n *= d;
  std::vector<double> values(static_cast<std::size_t>(n));
  if (n > 0)
    check(H5Dread(dset.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()),
          "H5Dread(" + path + ":" + name + ")");
  if (shape) shape->assign(dims.begin(), dims.end());
  return values;
}

}  // namespace voxflow::io
