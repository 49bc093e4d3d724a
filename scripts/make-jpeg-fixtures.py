#!/usr/bin/env python3
"""Writes the JPEG (and PNG eXIf) fixtures of Tests/ImagingTests/Fixtures/jpeg with Pillow, whose
encoder is libjpeg-turbo's: the decoder is checked against files a real encoder wrote.

    python3 scripts/make-jpeg-fixtures.py Tests/ImagingTests/Fixtures/jpeg

The picture is 24x16, asymmetric so every EXIF orientation turns it differently: white paper,
a black 8x4 block in the top-left corner, a mid-gray 4x8 block at the right edge's bottom.
"""
import io, os, struct, sys
from PIL import Image

INVERSE = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
           5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_90, 7: Image.Transpose.TRANSVERSE,
           8: Image.Transpose.ROTATE_270}


def upright(mode="L"):
    image = Image.new(mode, (24, 16), "white")
    image.paste("black", (0, 0, 8, 4))
    image.paste((128, 128, 128) if mode != "L" else 128, (20, 8, 24, 16))
    return image


def jpeg(image, **options):
    out = io.BytesIO()
    image.save(out, "JPEG", **options)
    return out.getvalue()


def exif_segment(orientation, big_endian):
    """APP1 "Exif" with IFD0 holding only Orientation, in either TIFF byte order."""
    e = ">" if big_endian else "<"
    tiff = (b"MM" if big_endian else b"II") + struct.pack(e + "HI", 42, 8)
    tiff += struct.pack(e + "H", 1) + struct.pack(e + "HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack(e + "I", 0)
    payload = b"Exif\0\0" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def main(out):
    os.makedirs(out, exist_ok=True)
    def write(name, data):
        open(os.path.join(out, name), "wb").write(data)
    picture = upright()
    write("gray-baseline.jpg", jpeg(picture, quality=95))
    color = upright("RGB")
    color.paste((30, 60, 170), (10, 10, 14, 14))  # a blue square: colour must survive
    write("rgb-baseline.jpg", jpeg(color, quality=95, subsampling=0))
    write("rgb-progressive.jpg", jpeg(color, quality=95, subsampling=0, progressive=True))
    write("cmyk-adobe.jpg", jpeg(color.convert("CMYK"), quality=95))
    # Restart markers after every MCU row, so damage to one can be tested.
    write("rgb-restart.jpg", jpeg(Image.new("RGB", (64, 64), (200, 190, 180)), quality=90, restart_marker_rows=1))
    for orientation in range(1, 9):
        stored = picture if orientation == 1 else picture.transpose(INVERSE[orientation])
        exif = Image.Exif()
        exif[0x0112] = orientation
        write(f"orientation-{orientation}.jpg", jpeg(stored, quality=95, exif=exif.tobytes()))
    # Pillow writes little-endian TIFF; a big-endian (Motorola) block, as many cameras write, by hand.
    plain = jpeg(picture.transpose(INVERSE[6]), quality=95)
    write("orientation-6-big-endian.jpg", plain[:2] + exif_segment(6, True) + plain[2:])
    # PNG with an eXIf chunk (PNG 1.5 extension), orientation 8.
    exif = Image.Exif()
    exif[0x0112] = 8
    png = io.BytesIO()
    picture.transpose(INVERSE[8]).save(png, "PNG", exif=exif.tobytes())
    write("orientation-8.png", png.getvalue())


if __name__ == "__main__":
    main(sys.argv[1])
