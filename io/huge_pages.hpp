#pragma once
// Transparent huge pages for voxflow's large buffers.
//
// A CTA volume, its slabs and the filters' work volumes are hundreds of MB that are allocated
// and touched once. With 4 KiB pages the first touch of each page is a page fault; on virtual
// machines that is the largest single cost of reading and filtering a volume (measured on the
// 512 x 512 x 256 vessel phantom, 2 ranks: 40 % of the run in page faults and zeroing, whole
// command 6.6 s -> 4.7 s with 2 MiB pages; docs/design.md "Huge pages").

namespace voxflow {

/// Makes glibc's malloc ask the kernel for transparent huge pages (MADV_HUGEPAGE on its large
/// mappings: the glibc >= 2.35 tunable `glibc.malloc.hugetlb=1`) by re-executing the program
/// once with that tunable added to GLIBC_TUNABLES. Call it first thing in main(), before MPI
/// starts: the process keeps its pid, arguments and environment, so mpirun/srun see nothing.
///
/// Does nothing (and returns) when: VOXFLOW_HUGE_PAGES=0; GLIBC_TUNABLES already names
/// glibc.malloc.hugetlb (the re-executed process, or the user's own choice); the C library is
/// not glibc >= 2.35; the kernel's THP mode is not `madvise` (`always` needs nothing, `never`
/// cannot be changed); or /proc/self/exe cannot be executed (then the run goes on with normal
/// pages). Never throws.
void use_transparent_huge_pages(char** argv);

/// True when this process's malloc was started with glibc.malloc.hugetlb set (by
/// use_transparent_huge_pages or by the user), as recorded in run summaries.
bool transparent_huge_pages_requested();

}  // namespace voxflow
