// libjpeg's header needs FILE and size_t declared before it (jpeglib.h, "USAGE").
#include <stddef.h>
#include <stdio.h>
#include <jpeglib.h>
