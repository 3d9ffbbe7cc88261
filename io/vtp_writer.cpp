#include "io/vtp_writer.hpp"

#include <cmath>
#include <sstream>

#include "io/atomic_file.hpp"
#include "src/core/error.hpp"

namespace voxflow::io {

void write_polyline_vtp(const std::string& path, const std::vector<std::array<double, 3>>& points,
                        const std::vector<std::pair<std::string, std::vector<double>>>& arrays) {
  for (const auto& [name, values] : arrays)
    if (values.size() != points.size())
      throw InputError("vtp: array '" + name + "' has " + std::to_string(values.size()) + " values for " +
                       std::to_string(points.size()) + " points");
  std::ostringstream o;
  o.precision(10);
  const size_t n = points.size();
  o << "<?xml version=\"1.0\"?>\n"
    << "<VTKFile type=\"PolyData\" version=\"0.1\" byte_order=\"LittleEndian\">\n"
    << "  <PolyData>\n"
    << "    <Piece NumberOfPoints=\"" << n << "\" NumberOfVerts=\"0\" NumberOfLines=\"" << (n > 1 ? 1 : 0)
    << "\" NumberOfStrips=\"0\" NumberOfPolys=\"0\">\n"
    << "      <PointData>\n";
  for (const auto& [name, values] : arrays) {
    o << "        <DataArray type=\"Float64\" Name=\"" << name << "\" format=\"ascii\">\n         ";
    for (double v : values) o << ' ' << (std::isfinite(v) ? v : std::nan(""));
    o << "\n        </DataArray>\n";
  }
  o << "      </PointData>\n"
    << "      <Points>\n"
    << "        <DataArray type=\"Float64\" NumberOfComponents=\"3\" format=\"ascii\">\n";
  for (const auto& p : points) o << "          " << p[0] << ' ' << p[1] << ' ' << p[2] << '\n';
  o << "        </DataArray>\n"
    << "      </Points>\n"
    << "      <Lines>\n"
    << "        <DataArray type=\"Int64\" Name=\"connectivity\" format=\"ascii\">\n         ";
  if (n > 1)
    for (size_t i = 0; i < n; ++i) o << ' ' << i;
  o << "\n        </DataArray>\n"
    << "        <DataArray type=\"Int64\" Name=\"offsets\" format=\"ascii\">\n         ";
  if (n > 1) o << ' ' << n;
  o << "\n        </DataArray>\n"
    << "      </Lines>\n"
    << "    </Piece>\n"
    << "  </PolyData>\n"
    << "</VTKFile>\n";
  write_text_atomic(path, o.str());
}

namespace {

/// Shared by the surface and polyline writers: cells are index lists, written as Polys or Lines.
void write_cells_vtp(const std::string& path, const std::vector<std::array<double, 3>>& points,
                     const std::vector<std::vector<std::int64_t>>& cells, bool polys,
                     const std::vector<std::pair<std::string, std::vector<double>>>& point_arrays,
                     const std::vector<std::pair<std::string, std::vector<int>>>& cell_arrays) {
  for (const auto& [name, values] : point_arrays)
    if (values.size() != points.size())
      throw InputError("vtp: point array '" + name + "' has " + std::to_string(values.size()) + " values for " +
                       std::to_string(points.size()) + " points");
  for (const auto& [name, values] : cell_arrays)
    if (values.size() != cells.size())
      throw InputError("vtp: cell array '" + name + "' has " + std::to_string(values.size()) + " values for " +
                       std::to_string(cells.size()) + " cells");
  for (const auto& c : cells)
    for (std::int64_t i : c)
      if (i < 0 || static_cast<size_t>(i) >= points.size()) throw InputError("vtp: a cell refers to a missing point");
  std::ostringstream o;
  o.precision(10);
  const char* kind = polys ? "Polys" : "Lines";
  o << "<?xml version=\"1.0\"?>\n"
    << "<VTKFile type=\"PolyData\" version=\"0.1\" byte_order=\"LittleEndian\">\n"
    << "  <PolyData>\n"
    << "    <Piece NumberOfPoints=\"" << points.size() << "\" NumberOfVerts=\"0\" NumberOfLines=\""
    << (polys ? 0 : cells.size()) << "\" NumberOfStrips=\"0\" NumberOfPolys=\"" << (polys ? cells.size() : 0) << "\">\n"
    << "      <PointData>\n";
  for (const auto& [name, values] : point_arrays) {
    o << "        <DataArray type=\"Float64\" Name=\"" << name << "\" format=\"ascii\">\n         ";
    for (double v : values) o << ' ' << (std::isfinite(v) ? v : std::nan(""));
    o << "\n        </DataArray>\n";
  }
  o << "      </PointData>\n      <CellData>\n";
  for (const auto& [name, values] : cell_arrays) {
    o << "        <DataArray type=\"Int32\" Name=\"" << name << "\" format=\"ascii\">\n         ";
    for (int v : values) o << ' ' << v;
    o << "\n        </DataArray>\n";
  }
  o << "      </CellData>\n"
    << "      <Points>\n"
    << "        <DataArray type=\"Float64\" NumberOfComponents=\"3\" format=\"ascii\">\n";
  for (const auto& p : points) o << "          " << p[0] << ' ' << p[1] << ' ' << p[2] << '\n';
  o << "        </DataArray>\n"
    << "      </Points>\n"
    << "      <" << kind << ">\n"
    << "        <DataArray type=\"Int64\" Name=\"connectivity\" format=\"ascii\">\n";
  for (const auto& c : cells) {
    o << "         ";
    for (std::int64_t i : c) o << ' ' << i;
    o << '\n';
  }
  o << "        </DataArray>\n"
    << "        <DataArray type=\"Int64\" Name=\"offsets\" format=\"ascii\">\n         ";
  std::int64_t off = 0;
  for (const auto& c : cells) o << ' ' << (off += static_cast<std::int64_t>(c.size()));
  o << "\n        </DataArray>\n"
    << "      </" << kind << ">\n"
    << "    </Piece>\n"
    << "  </PolyData>\n"
    << "</VTKFile>\n";
  write_text_atomic(path, o.str());
}

}  // namespace

void write_surface_vtp(const std::string& path, const std::vector<std::array<double, 3>>& vertices,
                       const std::vector<std::array<std::int64_t, 3>>& triangles,
                       const std::vector<std::pair<std::string, std::vector<double>>>& point_arrays,
                       const std::vector<std::pair<std::string, std::vector<int>>>& cell_arrays) {
  std::vector<std::vector<std::int64_t>> cells;
  cells.reserve(triangles.size());
  for (const auto& t : triangles) cells.push_back({t[0], t[1], t[2]});
  write_cells_vtp(path, vertices, cells, true, point_arrays, cell_arrays);
}

void write_polylines_vtp(const std::string& path, const std::vector<std::array<double, 3>>& points,
                         const std::vector<std::vector<std::int64_t>>& lines,
                         const std::vector<std::pair<std::string, std::vector<double>>>& point_arrays,
                         const std::vector<std::pair<std::string, std::vector<int>>>& cell_arrays) {
  write_cells_vtp(path, points, lines, false, point_arrays, cell_arrays);
}

}  // namespace voxflow::io
