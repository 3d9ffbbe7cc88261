"""DICOM series folders (one single-frame file per slice and time point, as scanners export
them) made with pydicom, holding the same pixels and geometry as a file voxflow also reads, so a run
on the folder can be compared with a run on the file:
- split_multiframe: from a multi-frame file of `voxflow phantom` (frame times too);
- nifti_to_series: from a 3D int16 NIfTI (e.g. the CTA of `voxflow vessel-phantom`);
- mr_small_folder: 3 slices x 2 time points of known pixels from pydicom's MR_small.dcm (oblique,
  TemporalPositionIdentifier, its own rescale on the middle slice, a README.txt beside them).
Used by tests/python/test_faults.py, tests/python/test_vessel_cli.py,
bench/dicom_folder_benchmark.py (the first two) and the C++ tests tests/test_dicom_files.cpp and
tests/test_mpi_dicom_plan_broadcast.cpp (--mr-small-folder).

    python3 tests/python/dicom_series_folder.py PHANTOM.dcm|VOLUME.nii.gz OUT_FOLDER
    python3 tests/python/dicom_series_folder.py --mr-small-folder MR_small.dcm OUT_FOLDER
            [--mixed] [--seed 7] [--draws 6]
"""
import argparse
import copy
import os
import random
import sys
import uuid

import numpy as np
import pydicom
from pydicom.uid import generate_uid

# the multi-frame module's tags: a single-frame file of the series has none of them
MULTIFRAME_KEYWORDS = ("NumberOfFrames", "FrameIncrementPointer", "FrameTime", "FrameTimeVector",
                       "PerFrameFunctionalGroupsSequence", "NumberOfSlices", "NumberOfTemporalPositions")


def split_multiframe(src, out, seed=0):
    """Writes frame f = t * nz + z of `src` as OUT/<shuffled number>.dcm: ImagePositionPatient of
    the frame, TemporalPositionIdentifier t + 1, TriggerTime the frame's time (ms, from the
    FrameTimeVector), one SeriesInstanceUID. Returns (nz, nt)."""
    ds = pydicom.dcmread(src)
    nz, nt = int(ds.NumberOfSlices), int(ds.NumberOfTemporalPositions)
    frames = ds.pixel_array  # (nz * nt, rows, columns)
    positions = [list(item.PlanePositionSequence[0].ImagePositionPatient) for item in ds.PerFrameFunctionalGroupsSequence]
    frame_ms = np.cumsum([float(v) for v in ds.FrameTimeVector])
    base = copy.deepcopy(ds)
    for kw in MULTIFRAME_KEYWORDS + ("PixelData",):
        if kw in base:
            delattr(base, kw)
    base.SeriesInstanceUID = generate_uid()
    os.makedirs(out, exist_ok=True)
    names = list(range(nz * nt))
    random.Random(seed).shuffle(names)  # the listing order says nothing about (z, t)
    for t in range(nt):
        for z in range(nz):
            f = t * nz + z
            one = copy.deepcopy(base)
            one.SOPInstanceUID = generate_uid()
            one.file_meta.MediaStorageSOPInstanceUID = one.SOPInstanceUID
            one.InstanceNumber = f + 1
            one.ImagePositionPatient = positions[f]
            one.TemporalPositionIdentifier = t + 1
            one.TriggerTime = "%.6f" % frame_ms[t * nz]
            one.add_new(0x7FE00010, "OW", np.ascontiguousarray(frames[f]).tobytes())  # PixelData
            one.save_as(os.path.join(out, "%06d.dcm" % names[f]))
    return nz, nt


def nifti_to_series(src, out, template):
    """Writes slice k of the 3D integer NIfTI `src` as OUT/<shuffled number>.dcm, int16, no rescale,
    from the DICOM file `template` (e.g. pydicom's MR_small.dcm): the NIfTI affine (RAS) as
    ImageOrientationPatient / ImagePositionPatient / PixelSpacing (LPS). Returns nz."""
    import nibabel as nib
    img = nib.load(src)
    vol = np.asarray(img.dataobj)
    assert vol.ndim == 3 and np.issubdtype(vol.dtype, np.integer), (vol.shape, vol.dtype)
    lps = np.diag([-1.0, -1.0, 1.0]) @ img.affine[:3, :]
    sp = np.linalg.norm(lps[:, :3], axis=0)
    row, col = lps[:, 0] / sp[0], lps[:, 1] / sp[1]
    base = pydicom.dcmread(template)
    for kw in MULTIFRAME_KEYWORDS + ("PixelData", "SliceLocation", "WindowCenter", "WindowWidth"):
        if kw in base:
            delattr(base, kw)
    base.SeriesInstanceUID = generate_uid()
    base.Rows, base.Columns = int(vol.shape[1]), int(vol.shape[0])
    base.BitsAllocated, base.BitsStored, base.HighBit, base.PixelRepresentation = 16, 16, 15, 1
    base.SamplesPerPixel, base.PhotometricInterpretation = 1, "MONOCHROME2"
    base.PixelSpacing = ["%.8f" % sp[1], "%.8f" % sp[0]]  # row spacing (y), column spacing (x)
    base.SliceThickness = base.SpacingBetweenSlices = "%.8f" % sp[2]
    base.ImageOrientationPatient = ["%.8f" % v for v in list(row) + list(col)]
    base.RescaleSlope, base.RescaleIntercept = "1", "0"
    os.makedirs(out, exist_ok=True)
    nz = vol.shape[2]
    names = list(range(nz))
    random.Random(1).shuffle(names)
    for k in range(nz):
        one = copy.deepcopy(base)
        one.SOPInstanceUID = generate_uid()
        one.file_meta.MediaStorageSOPInstanceUID = one.SOPInstanceUID
        one.InstanceNumber = k + 1
        one.ImagePositionPatient = ["%.6f" % v for v in lps @ np.array([0.0, 0.0, k, 1.0])]
        one.add_new(0x7FE00010, "OW", np.ascontiguousarray(vol[:, :, k].T.astype("<i2")).tobytes())  # PixelData
        one.save_as(os.path.join(out, "%06d.dcm" % names[k]))
    return nz


def mr_small_folder(src, out, mixed=False, seed=7, draws=6):
    """Writes 3 slices x 2 time points of 64 x 64 int16 from the DICOM file `src` (pydicom's
    MR_small.dcm: 0.3125 mm pixels) as OUT/<uuid4 hex>.dcm, in the order z = 2, 0, 1 and t = 1, 0
    (OUT is made if missing):
    - stored value (row j, column i) = (64 j + i) % 97 + 100 z + 1000 t; RescaleSlope 2 and
      RescaleIntercept -7 on slice z = 1, MR_small's own (1, 0) elsewhere;
    - oblique: row direction (cos a, sin a, 0), column direction (-sin a cos b, cos a cos b, sin b),
      a = 0.3, b = 0.2 rad; ImagePositionPatient = (10, -5, 7) + 2 z * (row x column) mm (LPS),
      so 2 mm between slices (MR_small's SliceThickness 0.8 is left as it is);
    - TemporalPositionIdentifier t + 1, AcquisitionTime 1200<30 t>.<1 + z> (30 s apart);
    - InstanceNumber popped from the end of random.Random(seed).sample(range(1, 100), draws)
      (draws >= the number of images), one SeriesInstanceUID, new SOPInstanceUIDs;
    - mixed: a seventh image (z = 0, t = 0) of another SeriesInstanceUID;
    - OUT/README.txt: 50 lines "not DICOM".
    Returns the number of DICOM files written (6, or 7 with mixed)."""
    src_ds = pydicom.dcmread(src)
    a, b = 0.3, 0.2
    r = np.array([np.cos(a), np.sin(a), 0.0])
    c = np.array([-np.sin(a) * np.cos(b), np.cos(a) * np.cos(b), np.sin(b)])
    n = np.cross(r, c)
    origin = np.array([10.0, -5.0, 7.0])
    series = generate_uid()
    numbers = random.Random(seed).sample(range(1, 100), draws)
    os.makedirs(out, exist_ok=True)

    def write(z, t, uid):
        ds = copy.deepcopy(src_ds)
        ds.SOPInstanceUID = generate_uid()
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.SeriesInstanceUID = uid
        ds.ImageOrientationPatient = ["%.8f" % v for v in list(r) + list(c)]
        ds.ImagePositionPatient = ["%.6f" % v for v in origin + 2.0 * z * n]
        ds.TemporalPositionIdentifier = t + 1
        ds.AcquisitionTime = "1200%02d.%d" % (30 * t, 1 + z)
        ds.InstanceNumber = numbers.pop()
        if z == 1:
            ds.RescaleSlope = "2"
            ds.RescaleIntercept = "-7"
        arr = (np.arange(64 * 64).reshape(64, 64) % 97 + 100 * z + 1000 * t).astype(np.int16)
        ds.PixelData = arr.tobytes()
        ds.save_as(os.path.join(out, uuid.uuid4().hex + ".dcm"))

    for z in (2, 0, 1):
        for t in (1, 0):
            write(z, t, series)
    if mixed:
        write(0, 0, generate_uid())
    with open(os.path.join(out, "README.txt"), "w") as f:
        f.write("not DICOM\n" * 50)
    return 7 if mixed else 6


if __name__ == "__main__":
    if sys.argv[1] == "--mr-small-folder":
        ap = argparse.ArgumentParser(prog="dicom_series_folder.py --mr-small-folder",
                                     description="mr_small_folder: 3 slices x 2 time points from MR_small.dcm")
        ap.add_argument("src", help="pydicom's MR_small.dcm")
        ap.add_argument("out", help="folder to write (made if missing)")
        ap.add_argument("--mixed", action="store_true", help="add a seventh image of another series")
        ap.add_argument("--seed", type=int, default=7, help="seed of the InstanceNumber draw (default 7)")
        ap.add_argument("--draws", type=int, default=6,
                        help="InstanceNumbers drawn, popped from the end (default 6; >= images written)")
        args = ap.parse_args(sys.argv[2:])
        print(mr_small_folder(args.src, args.out, args.mixed, args.seed, args.draws))
    elif sys.argv[1].endswith((".nii", ".nii.gz")):
        tpl = os.path.join(os.path.dirname(pydicom.__file__), "data", "test_files", "MR_small.dcm")
        print(nifti_to_series(sys.argv[1], sys.argv[2], tpl))
    else:
        print(split_multiframe(sys.argv[1], sys.argv[2]))
