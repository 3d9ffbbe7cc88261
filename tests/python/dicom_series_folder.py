"""A DICOM series folder (one single-frame file per slice and time point, as scanners export
them) made with pydicom from a multi-frame file of `voxflow phantom`: the same pixels, geometry and
frame times, so a run on the folder can be compared with a run on the file. Used by
tests/python/test_faults.py and bench/dicom_folder_benchmark.py.

    python3 tests/python/dicom_series_folder.py PHANTOM.dcm OUT_FOLDER
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


if __name__ == "__main__":
    print(split_multiframe(sys.argv[1], sys.argv[2]))
