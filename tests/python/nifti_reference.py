#!/usr/bin/python3
"""nibabel as the independent reference for voxflow's NIfTI reader and writer (used by
tests/test_mpi_nifti.cpp; not a pytest file).

  nifti_reference.py dump IN.nii[.gz] OUTPREFIX
      OUTPREFIX.txt  "key values..." lines: shape (nx ny nz nt), affine (nibabel's best affine,
                     16 numbers row-major), sform/qform (16 each) and their codes, datatype,
                     slope/inter (nan when unscaled), zooms, xyz/t units, descrip, intent_name,
                     version (1 or 2)
      OUTPREFIX.f64  get_fdata() (scaled) as float64, x fastest then y, z, t (Fortran order)
  nifti_reference.py make OUTDIR
      small synthetic files (one per datatype / version / compression / units / transform
      case, 4 x 3 x 2 x 5 and 3D ones) plus error cases (int64 datatype, truncated files).
"""
import gzip
import os
import shutil
import struct
import sys

import nibabel as nib
import numpy as np

NIBABEL_DATA = os.path.join(os.path.dirname(nib.__file__), "tests", "data")


def fmt(values):
    return " ".join(repr(float(v)) for v in np.asarray(values, dtype=np.float64).ravel())


def dump(path, prefix):
    img = nib.load(path)
    hdr = img.header
    shape = list(img.shape) + [1] * (4 - len(img.shape))
    # nibabel moves the scaling from img.header into the array proxy on load
    slope, inter = getattr(img.dataobj, "slope", None), getattr(img.dataobj, "inter", None)
    xyz_unit, t_unit = hdr.get_xyzt_units()
    sform, scode = hdr.get_sform(coded=True)
    qform, qcode = hdr.get_qform(coded=True)
    if sform is None:
        sform = np.eye(4)
    if qform is None:
        qform = np.eye(4)
    descrip = hdr["descrip"].tobytes().split(b"\0")[0].decode("latin-1")
    intent = hdr["intent_name"].tobytes().split(b"\0")[0].decode("latin-1")
    lines = [
        "version %d" % (2 if isinstance(img, nib.Nifti2Image) else 1),
        "shape " + " ".join(str(int(s)) for s in shape[:4]),
        "affine " + fmt(img.affine),
        "sform " + fmt(sform),
        "qform " + fmt(qform),
        "sform_code %d" % int(scode),
        "qform_code %d" % int(qcode),
        "datatype " + hdr.get_data_dtype().name,
        "slope " + fmt([np.nan if slope is None else slope]),
        "inter " + fmt([np.nan if inter is None else inter]),
        "zooms " + fmt(hdr.get_zooms()),
        "xyz_unit " + str(xyz_unit),
        "t_unit " + str(t_unit),
        "descrip " + descrip,
        "intent_name " + intent,
    ]
    with open(prefix + ".txt", "w") as f:
        f.write("\n".join(lines) + "\n")
    data = np.asarray(img.get_fdata(), dtype=np.float64)
    data.reshape(-1, order="F").astype("<f8").tofile(prefix + ".f64")


def rotated_affine(spacing, offset):
    c, s = np.cos(0.3), np.sin(0.3)
    rot = np.array([[c, -s, 0], [s, c, 0], [0, 0, 1.0]])
    a = np.eye(4)
    a[:3, :3] = rot @ np.diag(spacing)
    a[:3, 3] = offset
    return a


def values(shape):
    """1000 t + 100 z + 10 j + i: every voxel distinct."""
    idx = np.indices(shape, dtype=np.float64)
    v = idx[0] + 10 * idx[1] + 100 * idx[2]
    if len(shape) == 4:
        v = v + 1000 * idx[3]
    return v


def patch_scaling(path, slope, inter):
    """Write scl_slope/scl_inter into an uncompressed NIfTI-1 file (nibabel resets them on save)."""
    with open(path, "r+b") as f:
        raw = f.read(348)
        endian = "<" if struct.unpack("<i", raw[:4])[0] == 348 else ">"
        f.seek(112)
        f.write(struct.pack(endian + "ff", slope, inter))


def make(outdir):
    os.makedirs(outdir, exist_ok=True)
    shape4 = (4, 3, 2, 5)
    aff = rotated_affine([1.5, 2.0, 3.0], [-10.0, 20.5, 7.25])

    # float64, gzip, 4D, sform + qform, seconds
    img = nib.Nifti1Image(values(shape4) + 0.5, aff)
    img.header.set_xyzt_units("mm", "sec")
    img.header["pixdim"][4] = 1.5
    nib.save(img, os.path.join(outdir, "s4_f64.nii.gz"))

    # uint16 with scl_slope/scl_inter, micron + msec
    img = nib.Nifti1Image(values(shape4).astype(np.uint16), aff)
    img.header.set_data_dtype(np.uint16)
    img.header.set_xyzt_units("micron", "msec")
    img.header["pixdim"][4] = 250.0
    p = os.path.join(outdir, "s4_u16_scaled.nii")
    nib.save(img, p)
    patch_scaling(p, 0.5, -3.0)

    # uint8, qform only (sform_code 0), usec
    img = nib.Nifti1Image((values(shape4) % 251).astype(np.uint8), None)
    img.header.set_qform(aff, code=1)
    img.header.set_sform(None, code=0)
    img.header.set_xyzt_units("mm", "usec")
    img.header["pixdim"][4] = 5e5
    nib.save(img, os.path.join(outdir, "s4_u8_qform.nii"))

    # int32, NIfTI-2, plain, negative values
    img = nib.Nifti2Image((values(shape4) - 3000).astype(np.int32), aff)
    img.header.set_xyzt_units("mm", "sec")
    nib.save(img, os.path.join(outdir, "s4_i32_nifti2.nii"))

    # float32, big-endian, with a NaN, gzip
    data = values(shape4).astype(np.float32) * np.float32(0.1)
    data[1, 2, 1, 3] = np.nan
    hdr = nib.Nifti1Header(endianness=">")
    img = nib.Nifti1Image(data, aff, header=hdr)
    img.set_data_dtype(np.dtype(">f4"))
    nib.save(img, os.path.join(outdir, "s4_f32_bigendian.nii.gz"))

    # int16 3D with one plane, and a 3D int16 file without any transform (pixdim scaling)
    img = nib.Nifti1Image(values((5, 4, 1)).astype(np.int16), aff)
    nib.save(img, os.path.join(outdir, "s3_i16_oneplane.nii"))
    img = nib.Nifti1Image(values((4, 3, 7)).astype(np.int16), None)
    img.header.set_sform(None, code=0)
    img.header.set_qform(None, code=0)
    img.header.set_zooms((0.5, 0.75, 2.5))
    nib.save(img, os.path.join(outdir, "s3_i16_noxform.nii"))

    # an old-style single file: vox_offset 0 and the voxels right after the 348-byte header
    # (nifti_clib reads them at 348; nibabel would read at 0, so this one is checked without it)
    with open(os.path.join(outdir, "s3_i16_oneplane.nii"), "rb") as f:
        raw = f.read()
    head = bytearray(raw[:348])
    head[108:112] = struct.pack("<f", 0.0)
    with open(os.path.join(outdir, "s3_i16_voxoffset0.nii"), "wb") as f:
        f.write(bytes(head) + raw[352:])

    # error cases
    img = nib.Nifti1Image(values((4, 3, 2)).astype(np.int64), aff, dtype=np.int64)
    nib.save(img, os.path.join(outdir, "bad_int64.nii"))
    with open(os.path.join(NIBABEL_DATA, "anatomical.nii"), "rb") as f:
        raw = f.read()
    with open(os.path.join(outdir, "truncated.nii"), "wb") as f:
        f.write(raw[: len(raw) - 1000])
    # gzip stream cut in half: the header and the first planes are readable
    with open(os.path.join(NIBABEL_DATA, "example4d.nii.gz"), "rb") as f:
        packed = gzip.compress(gzip.decompress(f.read()))
    with open(os.path.join(outdir, "truncated.nii.gz"), "wb") as f:
        f.write(packed[: len(packed) // 2])
    # anatomical.nii (3D) compressed, its last ~10 % cut off: the first planes are intact
    with open(os.path.join(outdir, "truncated_end.nii.gz"), "wb") as f:
        packed = gzip.compress(raw)
        f.write(packed[: len(packed) * 9 // 10])
    # a copy of a file whose name has no NIfTI extension still reads (content decides)
    shutil.copyfile(os.path.join(NIBABEL_DATA, "functional.nii"), os.path.join(outdir, "functional_copy.data"))


def main(argv):
    if len(argv) == 4 and argv[1] == "dump":
        dump(argv[2], argv[3])
    elif len(argv) == 3 and argv[1] == "make":
        make(argv[2])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
