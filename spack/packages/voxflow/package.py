# Spack package for voxflow (Spack 0.23, repository layout repo.yaml + packages/).
#   spack repo add <checkout>/spack
#   spack install voxflow@develop +openmp        (from a tarball of a checkout, see url_for_version)
#   spack dev-build -d <checkout> voxflow@develop (builds the checkout in place)
import os

import spack.directives
from spack.package import *


class Voxflow(CMakePackage, CudaPackage):
    """Quantitative medical-imaging maps (voxel-wise PROXYL kinetics, TIA, vessel centerlines,
    overlays) with MPI + Kokkos: z-slab decomposition, parallel HDF5, NIfTI/DICOM I/O,
    checkpoint and resume, SLURM jobscripts and idempotent cohort processing."""

    homepage = "https://github.com/voxflow/voxflow"
    # a URL fetch (url_for_version below gives the real address of each version)
    url = "https://github.com/voxflow/voxflow/archive/refs/tags/v0.1.0.tar.gz"

    license("MIT")

    # voxflow@develop: the source tarball named by VOXFLOW_SOURCE_TARBALL (made from a checkout,
    # e.g. by tests/spack/run_spack_test.sh; install with --no-checksum), else the main branch's archive
    version("develop")

    variant("openmp", default=True, description="Kokkos OpenMP backend: threads within each MPI rank")
    variant("tests", default=False, description="Build the GoogleTest suite")

    # the language virtuals: Spack 0.23 releases know c, cxx and fortran; the 0.23.0.dev0 snapshot
    # of the offline set-up knows cxx and fortran only (there "c" would be a package that no one provides)
    for _lang in ("c", "cxx"):
        if _lang in getattr(spack.directives, "SUPPORTED_LANGUAGES", ("c", "cxx", "fortran")):
            depends_on(_lang, type="build")
    depends_on("cmake@3.20:", type="build")
    depends_on("pkgconfig", type="build")
    depends_on("mpi")
    # Kokkos 3.4 (Debian 12) and 4.x are tested; Kokkos 5 needs C++20 and is not tested yet
    depends_on("kokkos@3.4:4")
    # the Kokkos backends are Kokkos variants: voxflow's variants forward to them
    depends_on("kokkos+openmp", when="+openmp")
    depends_on("kokkos+cuda+cuda_lambda+wrapper", when="+cuda")
    for _arch in CudaPackage.cuda_arch_values:
        depends_on(f"kokkos+cuda cuda_arch={_arch}", when=f"+cuda cuda_arch={_arch}")
    conflicts("+cuda", when="cuda_arch=none", msg="give the GPU: voxflow+cuda cuda_arch=90")
    depends_on("hdf5@1.10:+mpi")
    depends_on("eigen@3.3:")
    depends_on("boost+program_options")
    depends_on("nifti-clib")
    depends_on("dcmtk")
    depends_on("yaml-cpp")
    depends_on("nlohmann-json")
    depends_on("libpng")
    depends_on("openssl")  # libcrypto: SHA-256 of manifests and provenance
    depends_on("cairo+png")
    depends_on("googletest", when="+tests")

    def url_for_version(self, version):
        tarball = os.environ.get("VOXFLOW_SOURCE_TARBALL", "")
        if tarball:
            return "file://" + os.path.abspath(tarball)
        if str(version) == "develop":
            return "https://github.com/voxflow/voxflow/archive/refs/heads/main.tar.gz"
        return f"https://github.com/voxflow/voxflow/archive/refs/tags/v{version}.tar.gz"

    def cmake_args(self):
        args = [
            self.define_from_variant("VOXFLOW_BUILD_TESTS", "tests"),
            self.define("VOXFLOW_BUILD_BENCH", False),
            # portable: Spack adds its own target flags (target=...)
            self.define("VOXFLOW_NATIVE", False),
            self.define("Kokkos_ROOT", self.spec["kokkos"].prefix),
            # a tarball has no .git: provenance.json records the version only
            self.define("VOXFLOW_GIT_COMMIT", os.environ.get("VOXFLOW_GIT_COMMIT", "spack-" + str(self.version))),
        ]
        if self.spec.satisfies("+cuda"):
            # Kokkos' nvcc_wrapper compiles the device code, as for ArborX
            args.append(self.define("CMAKE_CXX_COMPILER", self.spec["kokkos"].kokkos_cxx))
        return args

    def _phantom_run(self, exe_dir, work):
        """voxflow phantom (a tiny kinetics phantom) and voxflow kinetics on it, in `work`."""
        voxflow = Executable(join_path(exe_dir, "voxflow"))
        out = voxflow("version", output=str)
        assert "voxflow" in out, out
        mkdirp(work)
        with working_dir(work):
            voxflow("phantom", "--nx", "8", "--ny", "8", "--nz", "2", "--nt", "20", "-o", "phantom")
            voxflow("kinetics", "--dicom", join_path("phantom", "phantom.dcm"), "-o", "maps",
                    "--no-progress", "--no-dicom-export")
            with open(join_path("maps", "summary.yaml")) as f:
                assert "state: complete" in f.read(), "the kinetics run did not complete"
            assert os.path.exists(join_path("maps", "provenance.json"))

    @run_after("install")
    @on_package_attributes(run_tests=True)
    def check_install_phantom(self):
        """spack install --test=root: the installed voxflow on a tiny phantom."""
        self._phantom_run(self.prefix.bin, join_path(self.stage.path, "voxflow-smoke"))

    def test_phantom(self):
        """spack test run voxflow: the installed voxflow on a tiny phantom"""
        self._phantom_run(self.prefix.bin, "voxflow-smoke")
