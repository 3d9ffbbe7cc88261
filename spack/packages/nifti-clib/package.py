# nifti_clib (the NIfTI-1/NIfTI-2 reference C library), which Spack's builtin repository does not
# have (Spack 0.23). voxflow links nifti2 and znz.
import spack.directives
from spack.package import *


class NiftiClib(CMakePackage):
    """C libraries for reading and writing NIfTI-1 and NIfTI-2 images (niftilib, nifti2, znzlib)."""

    homepage = "https://github.com/NIFTI-Imaging/nifti_clib"
    url = "https://github.com/NIFTI-Imaging/nifti_clib/archive/refs/tags/v3.0.1.tar.gz"
    git = "https://github.com/NIFTI-Imaging/nifti_clib.git"

    license("Public-Domain")

    version("3.0.1", sha256="868b611b5f8a3a73809436c9072db50db4975615905f0bd5fb7b1432e6d24b37")
    version("3.0.0", sha256="fe6cb1076974df01844f3f4dab1aa844953b3bc1d679126c652975158573d03d")

    variant("shared", default=True, description="Build shared libraries")

    # the language virtuals: Spack 0.23 releases know c, cxx and fortran; the 0.23.0.dev0 snapshot
    # of the offline set-up knows cxx and fortran only (there "c" would be a package that no one provides)
    for _lang in ("c",):
        if _lang in getattr(spack.directives, "SUPPORTED_LANGUAGES", ("c", "cxx", "fortran")):
            depends_on(_lang, type="build")
    depends_on("cmake@3.10.2:", type="build")
    depends_on("zlib-api")

    def cmake_args(self):
        return [
            self.define_from_variant("BUILD_SHARED_LIBS", "shared"),
            self.define("NIFTI_BUILD_TESTING", False),
            self.define("BUILD_TESTING", False),
            # the command-line tools need help2man for their man pages; voxflow needs the libraries
            self.define("NIFTI_BUILD_APPLICATIONS", False),
            self.define("USE_CIFTI_CODE", False),
            self.define("USE_FSL_CODE", False),
            self.define("NIFTI_INSTALL_NO_DEVELOPMENT", False),
        ]
