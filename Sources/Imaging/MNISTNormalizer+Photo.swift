/// The photo path of `normalize=auto`: a JPEG of a digit written on paper and photographed.
///
/// A phone photo is not a scan: the light falls off across the page, the paper is tinted and
/// textured, the pen is often blue, and the frame catches specks, the paper's edge and the
/// table. The scan path (one paper level from the border, one global stretch) fails on all of
/// these, so a photo goes through these steps first and only then into the same MNIST framing
/// (bounding box, 20 px box, centre of mass):
///
/// 1. **Paper estimate**, per colour channel: the image is cut into cells of about 1/48 of its
///    shorter side; each cell's brightest sample, closed (max then min filter over 13x13 cells,
///    which removes any stroke narrower than about a quarter of the picture, a marker's too,
///    while keeping the edge of a shadow larger than that) and smoothed, is the paper's colour
///    under the local light.
/// 2. **Ink**: each sample divided by the paper under it (reflectance, so light fall-off and
///    paper tint cancel), and a pixel's ink is how much light its most absorbing channel loses,
///    `1 - min(r/R, g/G, b/B)`. Black, blue and red pens all absorb strongly in some channel;
///    paper, whatever its tint, absorbs in none.
/// 3. **Strokes, not specks**: a threshold halfway between the paper's noise and the typical
///    ink level, then connected components (8-neighbour). Components that touch the picture's
///    edge (the paper's edge, the table, a shadow) are dropped, as are those too small or too
///    far from the largest one to be part of the digit (specks, dust, paper texture). The
///    largest remaining one is the digit's main stroke; others join it when they are at least
///    2 % of its size and within a third of the digit's size of it (a 5's bar, a broken line).
/// 4. **Stroke width**: a ballpoint line is far thinner relative to the digit than MNIST's
///    strokes (about a tenth of the digit's height), and a thin stroke averaged down into a
///    20 px box comes out faint and broken. The strokes are measured (twice area over perimeter)
///    and grown by a maximum filter to that tenth before framing.
extension MNISTNormalizer {
    /// The cell of the paper estimate, as a fraction of the shorter side.
    static let paperCellsPerShorterSide = 48
    /// Reach of the paper estimate's closing, in cells: 6 of 48 bridges a stroke of 1/4 of the
    /// shorter side. (2 left the middle of a 40 px marker stroke on a 280 px picture as paper:
    /// the user-style marker set saved as JPEG read 85.7 %, with 6 it reads 99.7 %.)
    static let paperClosingRadius = 6
    /// MNIST's stroke width as a fraction of the digit's longer side (median over the test set,
    /// measured as twice area over perimeter at a 0.5 threshold).
    static let mnistStrokeWidthRatio: Float = 0.10
    /// A component is part of the digit when its area is at least this share of the largest...
    static let minimumComponentShare = 0.02
    /// ...and it lies within this share of the digit's size from the digit's bounding box.
    static let componentReach = 0.35

    /// Whether a decoded JPEG takes the photo path: dark marks on lighter paper, and not an
    /// MNIST-style picture (light strokes on black go the scan path, as a PNG would).
    ///
    /// A picture whose median is at least 0.4 is a lit page, whatever is on it. Below that the
    /// marks decide: they are the image's minority, so the polarity is the side of the median
    /// with the longer tail (the darkest 0.5 % further below it than the brightest 0.5 % above).
    /// The tails alone cannot decide for a lit page: a pen line can be under 0.1 % of a photo,
    /// and a lighting gradient then makes the two tails equal (a thin 1 on a 12 MP photo with
    /// 60 % fall-off read as a blank scan until this rule). Nor can the scan path's
    /// border-versus-mean rule: a gradient makes the border as often darker than the mean.
    static func isPhotoOfPaper(_ gray: GrayImage) -> Bool {
        guard gray.width >= 16 && gray.height >= 16 else { return false }
        // The histogram straight from the codes: no Float copy of the picture.
        var uses = [Int](repeating: 0, count: 256)
        for code in gray.codes { uses[Int(code)] += 1 }
        var histogram = Histogram()
        for code in 0..<256 where uses[code] > 0 { histogram.add(gray.levels[code], times: uses[code]) }
        let middle = histogram.percentile(0.5)
        if middle >= litPageMedian { return true }
        return middle - histogram.percentile(0.005) > histogram.percentile(0.995) - middle
    }

    /// The median luminance above which a picture is a lit page of paper.
    static let litPageMedian: Float = 0.4

    /// An upper bound of the bytes the photo path holds per decoded pixel, beyond the photo and
    /// its `GrayImage`: the ink (a `Float`) and component labels (an `Int32`), the flood fill's
    /// stack (an `Int` per pixel at worst), the crop around the digit with its margin (at most
    /// about 1.2 pictures) as `Float`s three times over while its strokes are grown, the crop's
    /// `GrayImage`, and the paper grids (at most a quarter of the pixels per channel, three
    /// grids alive each).
    static let photoBytesPerPixel = 4 + 4 + 8 + 3 * 4 * 6 / 5 + 2 + 3 * 3

    /// Steps 1 to 4: the digit's ink in 0...1 on a black field, cropped around the digit.
    static func photoInk(_ photo: PhotoImage) throws -> GrayImage {
        let width = photo.width, height = photo.height
        let ink = inkFromPaper(photo)

        // Step 3: threshold halfway between the paper's noise and the ink's typical strength.
        let noise = percentile(ink, 0.5)
        var candidates = Histogram()
        for value in ink where value > noise + 0.15 { candidates.add(value) }
        guard candidates.count > 0 else { throw ImageError.unusable("image has no ink") }
        let strong = candidates.percentile(0.9)
        guard strong - noise >= minimumContrast else { throw ImageError.unusable("image has no ink") }
        let threshold = noise + 0.5 * (strong - noise)
        var labels = [Int32](repeating: -1, count: width * height)
        let components = connectedComponents(ink, width: width, height: height, above: threshold, labels: &labels)
        let minimumArea = max(4, width * height / 20_000)
        let sizable = components.filter { $0.area >= minimumArea }
        // Marks on the picture's edge are the paper's edge, the table or a shadow, unless
        // nothing else is there: then a digit cropped close may touch the edge, but only with a
        // stroke's end (a twentieth of its pixels at most), never along it like a table strip.
        let inner = sizable.filter { $0.borderPixels == 0 }
        let pool = inner.isEmpty ? sizable.filter { $0.borderPixels * 20 <= $0.area } : inner
        guard let main = pool.max(by: { $0.area < $1.area }) else { throw ImageError.unusable("image has no ink") }
        var keep = Set([main.label])
        var box = main.box
        var grew = true
        while grew {
            grew = false
            let reach = Int(componentReach * Double(max(box.maxX - box.minX, box.maxY - box.minY) + 1))
            for component in pool where !keep.contains(component.label)
                && Double(component.area) >= minimumComponentShare * Double(main.area)
                && component.box.distance(to: box) <= reach {
                keep.insert(component.label)
                box = box.union(component.box)
                grew = true
            }
        }

        // Step 4: grow thin strokes to MNIST's proportions, inside a crop with room for it.
        var area = 0, perimeter = 0
        for y in box.minY...box.maxY {
            for x in box.minX...box.maxX where keep.contains(labels[y * width + x]) {
                area += 1
                for (nx, ny) in [(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)] {
                    if nx < 0 || ny < 0 || nx >= width || ny >= height || !keep.contains(labels[ny * width + nx]) {
                        perimeter += 1
                    }
                }
            }
        }
        let digitSize = Float(max(box.maxX - box.minX, box.maxY - box.minY) + 1)
        let strokeWidth = 2 * Float(area) / Float(max(perimeter, 1))
        let growth = max(0, Int(((mnistStrokeWidthRatio * digitSize - strokeWidth) / 2).rounded()))
        let margin = growth + 2
        let cropX = box.minX - margin, cropY = box.minY - margin
        let cropWidth = box.maxX - box.minX + 1 + 2 * margin, cropHeight = box.maxY - box.minY + 1 + 2 * margin
        var crop = [Float](repeating: 0, count: cropWidth * cropHeight)
        let gain = 1 / (strong - noise)
        for y in max(0, box.minY - 1)...min(height - 1, box.maxY + 1) {
            for x in max(0, box.minX - 1)...min(width - 1, box.maxX + 1) {
                // A kept pixel, or the anti-aliased rim around one.
                var near = false
                for ny in max(0, y - 1)...min(height - 1, y + 1) where !near {
                    for nx in max(0, x - 1)...min(width - 1, x + 1) where keep.contains(labels[ny * width + nx]) {
                        near = true
                        break
                    }
                }
                guard near else { continue }
                let value = (ink[y * width + x] - noise) * gain
                crop[(y - cropY) * cropWidth + x - cropX] = value < noiseFloor ? 0 : min(value, 1)
            }
        }
        if growth > 0 {
            crop = maximumFilter(crop, width: cropWidth, height: cropHeight, radius: growth)
        }
        return GrayImage(width: cropWidth, height: cropHeight, pixels: crop)
    }

    /// Steps 1 and 2: per-pixel ink, `1 - min over channels of sample / paper`.
    static func inkFromPaper(_ photo: PhotoImage) -> [Float] {
        let width = photo.width, height = photo.height, channels = photo.channels
        let cell = max(2, min(width, height) / paperCellsPerShorterSide)
        let gridWidth = (width + cell - 1) / cell, gridHeight = (height + cell - 1) / cell
        var papers: [[Float]] = []
        for channel in 0..<channels {
            var grid = [Float](repeating: 0, count: gridWidth * gridHeight)
            photo.samples.withUnsafeBufferPointer { samples in
                for y in 0..<height {
                    let gy = y / cell
                    for x in 0..<width {
                        let value = Float(samples[(y * width + x) * channels + channel])
                        let index = gy * gridWidth + x / cell
                        if value > grid[index] { grid[index] = value }
                    }
                }
            }
            grid = maximumFilter(grid, width: gridWidth, height: gridHeight, radius: paperClosingRadius)
            grid = minimumFilter(grid, width: gridWidth, height: gridHeight, radius: paperClosingRadius)
            grid = boxBlur(grid, width: gridWidth, height: gridHeight)
            papers.append(grid)
        }
        var ink = [Float](repeating: 0, count: width * height)
        photo.samples.withUnsafeBufferPointer { samples in
            for y in 0..<height {
                // Bilinear between cell centres.
                let fy = max(0, min(Float(gridHeight - 1), (Float(y) + 0.5) / Float(cell) - 0.5))
                let y0 = Int(fy), y1 = min(y0 + 1, gridHeight - 1), wy = fy - Float(y0)
                for x in 0..<width {
                    let fx = max(0, min(Float(gridWidth - 1), (Float(x) + 0.5) / Float(cell) - 0.5))
                    let x0 = Int(fx), x1 = min(x0 + 1, gridWidth - 1), wx = fx - Float(x0)
                    var reflectance: Float = 1
                    for channel in 0..<channels {
                        let grid = papers[channel]
                        let top = grid[y0 * gridWidth + x0] * (1 - wx) + grid[y0 * gridWidth + x1] * wx
                        let bottom = grid[y1 * gridWidth + x0] * (1 - wx) + grid[y1 * gridWidth + x1] * wx
                        let paper = max(top * (1 - wy) + bottom * wy, 1)
                        reflectance = min(reflectance, Float(samples[(y * width + x) * channels + channel]) / paper)
                    }
                    ink[y * width + x] = 1 - reflectance
                }
            }
        }
        return ink
    }

    /// An inclusive pixel rectangle.
    struct PixelBox: Equatable {
        var minX: Int, minY: Int, maxX: Int, maxY: Int

        func union(_ other: PixelBox) -> PixelBox {
            PixelBox(minX: min(minX, other.minX), minY: min(minY, other.minY),
                     maxX: max(maxX, other.maxX), maxY: max(maxY, other.maxY))
        }

        /// The gap between two boxes along the axis where it is larger (0 when they overlap).
        func distance(to other: PixelBox) -> Int {
            let dx = max(0, max(other.minX - maxX, minX - other.maxX))
            let dy = max(0, max(other.minY - maxY, minY - other.maxY))
            return max(dx, dy)
        }
    }

    struct Component {
        let label: Int32
        var area: Int
        var box: PixelBox
        /// How many of its pixels lie on the picture's outermost ring.
        var borderPixels: Int
    }

    /// Labels the 8-connected regions of pixels above `threshold` (flood fill with an explicit
    /// stack, so a picture-sized region cannot overflow the call stack). `labels` gets each
    /// pixel's component index, -1 for background.
    static func connectedComponents(_ values: [Float], width: Int, height: Int, above threshold: Float,
                                    labels: inout [Int32]) -> [Component] {
        var components: [Component] = []
        var stack: [Int] = []
        for start in 0..<(width * height) where labels[start] < 0 && values[start] > threshold {
            let label = Int32(components.count)
            var component = Component(label: label, area: 0,
                                      box: PixelBox(minX: start % width, minY: start / width,
                                                    maxX: start % width, maxY: start / width),
                                      borderPixels: 0)
            labels[start] = label
            stack.append(start)
            while let index = stack.popLast() {
                let x = index % width, y = index / width
                component.area += 1
                component.box = component.box.union(PixelBox(minX: x, minY: y, maxX: x, maxY: y))
                if x == 0 || y == 0 || x == width - 1 || y == height - 1 { component.borderPixels += 1 }
                for ny in max(0, y - 1)...min(height - 1, y + 1) {
                    for nx in max(0, x - 1)...min(width - 1, x + 1) {
                        let neighbour = ny * width + nx
                        if labels[neighbour] < 0 && values[neighbour] > threshold {
                            labels[neighbour] = label
                            stack.append(neighbour)
                        }
                    }
                }
            }
            components.append(component)
        }
        return components
    }

    /// Separable square maximum filter (grey-level dilation) of half-width `radius`.
    static func maximumFilter(_ values: [Float], width: Int, height: Int, radius: Int) -> [Float] {
        rankFilter(values, width: width, height: height, radius: radius, combine: max)
    }

    /// Separable square minimum filter (grey-level erosion) of half-width `radius`.
    static func minimumFilter(_ values: [Float], width: Int, height: Int, radius: Int) -> [Float] {
        rankFilter(values, width: width, height: height, radius: radius, combine: min)
    }

    private static func rankFilter(_ values: [Float], width: Int, height: Int, radius: Int,
                                   combine: (Float, Float) -> Float) -> [Float] {
        var rows = values
        for y in 0..<height {
            for x in 0..<width {
                var result = values[y * width + x]
                for nx in max(0, x - radius)...min(width - 1, x + radius) { result = combine(result, values[y * width + nx]) }
                rows[y * width + x] = result
            }
        }
        var result = rows
        for y in 0..<height {
            for x in 0..<width {
                var value = rows[y * width + x]
                for ny in max(0, y - radius)...min(height - 1, y + radius) { value = combine(value, rows[ny * width + x]) }
                result[y * width + x] = value
            }
        }
        return result
    }

    /// 3x3 mean, edges averaging only what is inside.
    static func boxBlur(_ values: [Float], width: Int, height: Int) -> [Float] {
        var result = values
        for y in 0..<height {
            for x in 0..<width {
                var sum: Float = 0, count: Float = 0
                for ny in max(0, y - 1)...min(height - 1, y + 1) {
                    for nx in max(0, x - 1)...min(width - 1, x + 1) { sum += values[ny * width + nx]; count += 1 }
                }
                result[y * width + x] = sum / count
            }
        }
        return result
    }

    /// The value below which `fraction` of `values` lie (nearest rank, to 1/1023).
    static func percentile(_ values: [Float], _ fraction: Float) -> Float {
        var histogram = Histogram()
        for value in values { histogram.add(value) }
        return histogram.percentile(fraction)
    }

    /// A 1024-bin histogram of 0...1, so percentiles of a picture's worth of values need
    /// neither a sort nor a copy of the values.
    struct Histogram {
        private var bins = [Int](repeating: 0, count: 1024)
        private(set) var count = 0

        mutating func add(_ value: Float, times: Int = 1) {
            bins[min(1023, max(0, Int(value * 1023)))] += times
            count += times
        }

        /// The value below which `fraction` of the values lie (nearest rank); 1 when empty.
        func percentile(_ fraction: Float) -> Float {
            let target = Int(Float(count) * fraction)
            var seen = 0
            for (bin, binCount) in bins.enumerated() {
                seen += binCount
                if seen > target { return Float(bin) / 1023 }
            }
            return 1
        }
    }
}
