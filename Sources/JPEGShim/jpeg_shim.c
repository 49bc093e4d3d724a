#include "jpeg_shim.h"

#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>
#include <jerror.h>

struct jpeg_shim_decoder {
    /// First, so libjpeg's `j_common_ptr` converts back to the decoder.
    struct jpeg_decompress_struct info;
    struct jpeg_error_mgr errors;
    struct jpeg_progress_mgr progress;
    /// Set by each entry point before it calls into libjpeg; only ever jumped to from libjpeg
    /// callbacks running below that entry point.
    jmp_buf jump;
    int max_scans;
    int header_read;
    char message[JMSG_LENGTH_MAX + 64];
};

static void shim_error_exit(j_common_ptr common) {
    jpeg_shim_decoder *decoder = (jpeg_shim_decoder *)common;
    common->err->format_message(common, decoder->message);
    longjmp(decoder->jump, 1);
}

/// Levels below 0 are warnings about corrupt data: fatal here. Trace messages are dropped.
static void shim_emit_message(j_common_ptr common, int level) {
    if (level < 0) shim_error_exit(common);
}

/// Stops a progressive file with absurdly many scans (each scan re-walks every coefficient:
/// a small file of thousands of tiny scans costs minutes of CPU otherwise).
static void shim_progress(j_common_ptr common) {
    jpeg_shim_decoder *decoder = (jpeg_shim_decoder *)common;
    if (decoder->info.progressive_mode && decoder->info.input_scan_number > decoder->max_scans) {
        decoder->errors.msg_code = 0;
        snprintf(decoder->message, sizeof decoder->message, "progressive JPEG has more than %d scans",
                 decoder->max_scans);
        longjmp(decoder->jump, 1);
    }
}

jpeg_shim_decoder *jpeg_shim_create(size_t max_memory, int max_scans) {
    jpeg_shim_decoder *decoder = calloc(1, sizeof *decoder);
    if (decoder == NULL) return NULL;
    decoder->info.err = jpeg_std_error(&decoder->errors);
    decoder->errors.error_exit = shim_error_exit;
    decoder->errors.emit_message = shim_emit_message;
    decoder->max_scans = max_scans;
    strcpy(decoder->message, "no error");
    if (setjmp(decoder->jump)) {
        free(decoder);
        return NULL;
    }
    jpeg_create_decompress(&decoder->info);
    decoder->info.mem->max_memory_to_use = (long)max_memory;
    decoder->progress.progress_monitor = shim_progress;
    decoder->info.progress = &decoder->progress;
    return decoder;
}

int jpeg_shim_read_header(jpeg_shim_decoder *decoder, const unsigned char *data, size_t size,
                          jpeg_shim_header *header) {
    if (setjmp(decoder->jump)) return -1;
    jpeg_mem_src(&decoder->info, data, (unsigned long)size);
    jpeg_read_header(&decoder->info, TRUE);
    decoder->header_read = 1;
    header->width = (int)decoder->info.image_width;
    header->height = (int)decoder->info.image_height;
    header->components = decoder->info.num_components;
    header->progressive = decoder->info.progressive_mode ? 1 : 0;
    header->adobe = decoder->info.saw_Adobe_marker ? 1 : 0;
    switch (decoder->info.jpeg_color_space) {
    case JCS_GRAYSCALE: header->color = JPEG_SHIM_GRAY; break;
    case JCS_CMYK: case JCS_YCCK: header->color = JPEG_SHIM_CMYK; break;
    case JCS_YCbCr: case JCS_RGB: header->color = JPEG_SHIM_RGB; break;
    default:
        snprintf(decoder->message, sizeof decoder->message, "colour space with %d components is not supported",
                 decoder->info.num_components);
        return -2;
    }
    return 0;
}

/// Output colour and scale for the next calculation or decode.
static void shim_configure(jpeg_shim_decoder *decoder, int scale_denominator) {
    switch (decoder->info.jpeg_color_space) {
    case JCS_GRAYSCALE: decoder->info.out_color_space = JCS_GRAYSCALE; break;
    case JCS_CMYK: case JCS_YCCK: decoder->info.out_color_space = JCS_CMYK; break;
    default: decoder->info.out_color_space = JCS_RGB; break;
    }
    decoder->info.scale_num = 1;
    decoder->info.scale_denom = (unsigned int)scale_denominator;
    decoder->info.dct_method = JDCT_ISLOW;
}

int jpeg_shim_output_size(jpeg_shim_decoder *decoder, int scale_denominator, int *width, int *height,
                          int *channels) {
    if (!decoder->header_read) return -1;
    if (setjmp(decoder->jump)) return -1;
    shim_configure(decoder, scale_denominator);
    jpeg_calc_output_dimensions(&decoder->info);
    *width = (int)decoder->info.output_width;
    *height = (int)decoder->info.output_height;
    *channels = decoder->info.output_components;
    return 0;
}

int jpeg_shim_working_bytes(jpeg_shim_decoder *decoder, int scale_denominator, size_t *coefficients,
                            size_t *buffers) {
    if (!decoder->header_read) return -1;
    if (setjmp(decoder->jump)) return -1;
    shim_configure(decoder, scale_denominator);
    jpeg_calc_output_dimensions(&decoder->info);
    struct jpeg_decompress_struct *info = &decoder->info;
    // libjpeg's own test (jdinput.c, initial_setup) for a file it must buffer whole.
    int multi_scan = info->progressive_mode || info->comps_in_scan < info->num_components;
    size_t whole_image = 0, rows = 0;
    for (int i = 0; i < info->num_components; i++) {
        const jpeg_component_info *component = &info->comp_info[i];
        size_t h = (size_t)component->h_samp_factor, v = (size_t)component->v_samp_factor;
        size_t blocks_wide = ((size_t)component->width_in_blocks + h - 1) / h * h;
        size_t blocks_high = ((size_t)component->height_in_blocks + v - 1) / v * v;
        if (multi_scan) whole_image += blocks_wide * blocks_high * DCTSIZE2 * sizeof(JCOEF);
        // The main buffer holds (M + 2) row groups of v * scaled-block rows (M >= 1), twice
        // over with its context pointers: counted as 6 row groups.
        size_t scaled = (size_t)component->DCT_scaled_size;
        rows += 6 * v * scaled * blocks_wide * scaled;
        // The upsampler's rows for this component at the output width.
        rows += (size_t)info->max_v_samp_factor * 2 * (size_t)info->output_width;
    }
    // The merged upsampler's spare row and colour conversion at the output width.
    rows += 2 * (size_t)info->output_width * (size_t)info->out_color_components;
    // Huffman and quantization tables, the range-limit and colour tables, pool headers.
    size_t fixed = 512 << 10;
    *coefficients = whole_image;
    *buffers = rows + fixed;
    return 0;
}

int jpeg_shim_decode(jpeg_shim_decoder *decoder, int scale_denominator, unsigned char *output, size_t size) {
    if (!decoder->header_read) return -1;
    if (setjmp(decoder->jump)) return -1;
    shim_configure(decoder, scale_denominator);
    jpeg_start_decompress(&decoder->info);
    size_t row_bytes = (size_t)decoder->info.output_width * (size_t)decoder->info.output_components;
    if (row_bytes * decoder->info.output_height > size) {
        strcpy(decoder->message, "output buffer is smaller than the image");
        return -1;
    }
    while (decoder->info.output_scanline < decoder->info.output_height) {
        JSAMPROW row = output + row_bytes * decoder->info.output_scanline;
        jpeg_read_scanlines(&decoder->info, &row, 1);
    }
    jpeg_finish_decompress(&decoder->info);
    return 0;
}

const char *jpeg_shim_message(const jpeg_shim_decoder *decoder) {
    return decoder->message;
}

int jpeg_shim_error_is_size(const jpeg_shim_decoder *decoder) {
    int code = decoder->errors.msg_code;
    return code == JERR_IMAGE_TOO_BIG || code == JERR_NO_BACKING_STORE || code == JERR_OUT_OF_MEMORY;
}

void jpeg_shim_destroy(jpeg_shim_decoder *decoder) {
    if (decoder == NULL) return;
    jpeg_destroy_decompress(&decoder->info);
    free(decoder);
}
