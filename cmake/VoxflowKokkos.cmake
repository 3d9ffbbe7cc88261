# Find Kokkos and repair Debian's libtrilinos-kokkos-dev (Kokkos 3.4, Trilinos 13.2):
# its exported Kokkos::kokkos target names <prefix>/include, but the headers live in
# <prefix>/include/trilinos. We point the target at the folder that really holds
# Kokkos_Core.hpp. A correct install (Spack, Kokkos 4.x) is left untouched.
find_package(Kokkos REQUIRED)
if(TARGET Kokkos::kokkos)
  get_target_property(_vf_kokkos_inc Kokkos::kokkos INTERFACE_INCLUDE_DIRECTORIES)
  set(_vf_kokkos_ok FALSE)
  foreach(_d IN LISTS _vf_kokkos_inc)
    if(EXISTS "${_d}/Kokkos_Core.hpp")
      set(_vf_kokkos_ok TRUE)
    endif()
  endforeach()
  if(NOT _vf_kokkos_ok)
    find_path(VOXFLOW_KOKKOS_INCLUDE_DIR Kokkos_Core.hpp
              HINTS ${_vf_kokkos_inc} PATH_SUFFIXES trilinos
              PATHS /usr/include /usr/local/include)
    if(NOT VOXFLOW_KOKKOS_INCLUDE_DIR)
      message(FATAL_ERROR "Kokkos found, but no folder holds Kokkos_Core.hpp (looked near: ${_vf_kokkos_inc})")
    endif()
    get_target_property(_vf_imported Kokkos::kokkos IMPORTED)
    set_target_properties(Kokkos::kokkos PROPERTIES INTERFACE_INCLUDE_DIRECTORIES "${VOXFLOW_KOKKOS_INCLUDE_DIR}")
    # the Debian target also carries a stray "-DKOKKOS_DEPENDENCE" link item; drop it
    get_target_property(_vf_kokkos_libs Kokkos::kokkos INTERFACE_LINK_LIBRARIES)
    list(REMOVE_ITEM _vf_kokkos_libs "-DKOKKOS_DEPENDENCE")
    set_target_properties(Kokkos::kokkos PROPERTIES INTERFACE_LINK_LIBRARIES "${_vf_kokkos_libs}")
    message(STATUS "voxflow: repaired Kokkos::kokkos include folder -> ${VOXFLOW_KOKKOS_INCLUDE_DIR}")
  endif()
endif()
message(STATUS "voxflow: Kokkos ${Kokkos_VERSION}")
