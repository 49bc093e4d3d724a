#ifndef JPEG_SHIM_H
#define JPEG_SHIM_H

#include <stddef.h>

/// A libjpeg(-turbo) decompressor behind an API that cannot escape into Swift.
///
/// libjpeg reports fatal errors by calling `error_exit`, whose default prints and calls
/// `exit()`. Here every entry point does its own `setjmp` before touching libjpeg and the error
/// manager `longjmp`s back to it, so a corrupt file ends as a -1 return and a message, inside
/// C, and no jump ever crosses a Swift frame. Warnings (corrupt data that libjpeg would patch
/// over, a truncated file) are treated as errors: a damaged photo is refused, not guessed at.

typedef struct jpeg_shim_decoder jpeg_shim_decoder;

/// The colour model of the file, as it decides the output samples.
enum jpeg_shim_color {
    /// One component: output is 1 byte per pixel.
    JPEG_SHIM_GRAY = 0,
    /// YCbCr or RGB: output is 3 bytes per pixel, RGB.
    JPEG_SHIM_RGB = 1,
    /// CMYK or YCCK (Adobe): output is 4 bytes per pixel, CMYK as stored.
    JPEG_SHIM_CMYK = 2,
};

typedef struct {
    /// The full size declared by the frame header (SOF).
    int width;
    int height;
    int components;
    /// A `jpeg_shim_color`.
    int color;
    /// 1 for a progressive (multi-scan) file, whose decoding buffers every coefficient.
    int progressive;
    /// 1 when an Adobe APP14 marker was seen (Adobe writes CMYK inverted).
    int adobe;
} jpeg_shim_header;

/// A decompressor that lets libjpeg allocate at most `max_memory` bytes for its buffers and
/// stops a progressive file after `max_scans` scans. NULL when out of memory.
jpeg_shim_decoder *jpeg_shim_create(size_t max_memory, int max_scans);

/// Reads the markers up to the first scan. 0 on success, -1 on error, -2 for a colour space
/// this shim does not convert (see `jpeg_shim_message`).
/// `data` must stay valid until `jpeg_shim_destroy`.
int jpeg_shim_read_header(jpeg_shim_decoder *decoder, const unsigned char *data, size_t size,
                          jpeg_shim_header *header);

/// The output size at a DCT scale of 1/`scale_denominator` (1, 2, 4 or 8). 0 or -1.
int jpeg_shim_output_size(jpeg_shim_decoder *decoder, int scale_denominator, int *width, int *height,
                          int *channels);

/// An upper bound of the bytes libjpeg allocates to decode at 1/`scale_denominator` (after
/// `jpeg_shim_read_header`), in two parts: `coefficients`, the whole-image coefficient buffer
/// of a multi-scan file (progressive, or sequential with non-interleaved scans; 0 otherwise),
/// and `buffers`, the sample rows of its main, upsampling and colour-conversion buffers at the
/// scaled width plus a fixed allowance for tables and pool overhead. 0 or -1.
int jpeg_shim_working_bytes(jpeg_shim_decoder *decoder, int scale_denominator, size_t *coefficients,
                            size_t *buffers);

/// Decodes the whole image at 1/`scale_denominator` into `output` (`size` bytes, rows of
/// width * channels bytes, as `jpeg_shim_output_size` said). 0 or -1.
int jpeg_shim_decode(jpeg_shim_decoder *decoder, int scale_denominator, unsigned char *output, size_t size);

/// The last error, in libjpeg's words ("Premature end of JPEG file"). Never NULL.
const char *jpeg_shim_message(const jpeg_shim_decoder *decoder);

/// 1 when the last error was about size rather than damage: a dimension beyond libjpeg's
/// 65500, or buffers beyond the memory the decoder was created with.
int jpeg_shim_error_is_size(const jpeg_shim_decoder *decoder);

void jpeg_shim_destroy(jpeg_shim_decoder *decoder);

#endif
