#include "io/dicom_codecs.hpp"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcrledrg.h>
#include <dcmtk/dcmjpeg/djdecode.h>
#include <dcmtk/dcmjpls/djdecode.h>
#include <dcmtk/oflog/oflog.h>

namespace voxflow::io::dicom {

namespace {
struct CodecRegistration {
  CodecRegistration() {
    OFLog::configure(OFLogger::FATAL_LOG_LEVEL);
    DJDecoderRegistration::registerCodecs();
    DJLSDecoderRegistration::registerCodecs();
    DcmRLEDecoderRegistration::registerCodecs();
  }
  // No cleanup() in a destructor: other static objects of DCMTK may already be gone at exit.
};
}  // namespace

void ensure_dicom_codecs() {
  static const CodecRegistration registration;  // C++11: initialised once, thread-safe
  (void)registration;
}

}  // namespace voxflow::io::dicom
