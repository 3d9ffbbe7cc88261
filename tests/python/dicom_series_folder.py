"""DICOM series folders (one single-frame file per slice and time point, as scanners export
them) made with pydicom, holding the same pixels and geometry as a file voxflow also reads, so a run
on the folder can be compared with a run on the file:
- split_multiframe: from a multi-frame file of `voxflow phantom` (frame times too);
- nifti_to_series: from a 3D int16 NIfTI (e.g. the CTA of `voxflow vessel-phantom`).
Used by tests/python/test_faults.py, tests/python/test_vessel_cli.py and
bench/dicom_folder_benchmark.py.

    python3 tests/python/dicom_series_folder.py PHANTOM.dcm|VOLUME.nii.gz OUT_FOLDER
"""
import copy
import os
import random
import sys

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


if __name__ == "__main__":
    if sys.argv[1].endswith((".nii", ".nii.gz")):
        tpl = os.path.join(os.path.dirname(pydicom.__file__), "data", "test_files", "MR_small.dcm")
        print(nifti_to_series(sys.argv[1], sys.argv[2], tpl))
    else:
        print(split_multiframe(sys.argv[1], sys.argv[2]))
