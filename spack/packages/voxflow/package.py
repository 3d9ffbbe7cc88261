# Spack package for voxflow. voxflow is not published at a download address yet, so build it from
# a checkout:  spack repo add <checkout>/spack && spack dev-build -d <checkout> voxflow@main
from spack.package import *


class Voxflow(CMakePackage):
    """Quantitative medical-imaging maps (voxel-wise PROXYL kinetics, ...) with MPI + Kokkos:
    z-slab decomposition, parallel HDF5, NIfTI/DICOM I/O, checkpoint and resume."""


    version("main")

    variant("tests", default=False, description="Build the GoogleTest suite")

    depends_on("cmake@3.20:", type="build")
    depends_on("mpi")
    # tested with Kokkos 3.4 (Debian) and 4.x; Kokkos 5 needs C++20 and is not tested yet
    depends_on("kokkos@3.4:4")
    depends_on("hdf5@1.10:+mpi")
    depends_on("eigen@3.3:")
    depends_on("boost+program_options")
    depends_on("nifti-clib")
    depends_on("dcmtk")
    depends_on("yaml-cpp")
    depends_on("nlohmann-json")
    depends_on("libpng")
    depends_on("cairo+png")
    depends_on("pkgconfig", type="build")
    depends_on("googletest", when="+tests")

    def cmake_args(self):
        return [
            self.define_from_variant("VOXFLOW_BUILD_TESTS", "tests"),
            self.define("VOXFLOW_BUILD_BENCH", False),
            # portable: Spack adds its own target flags (target=...)
            self.define("VOXFLOW_NATIVE", False),
        ]
