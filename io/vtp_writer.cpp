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

}  // namespace voxflow::io
