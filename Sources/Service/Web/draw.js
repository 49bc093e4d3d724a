// The drawing pad: black ink on white paper, drawn with Pointer Events so mouse, touch and pen
// all work the same way. The server brings the picture to MNIST form (polarity, bounding box,
// 20x20 scale, centre of mass), so the pad only has to give it a clean, thick stroke.

/** Ink width in canvas pixels: about 2.5 MNIST pixels on a 280 px pad (MNIST strokes are 2-3 px of 28). */
const INK_WIDTH = 22;
const INK = '#000000';
const PAPER = '#ffffff';

export class DrawingPad {
  /**
   * @param {HTMLCanvasElement} canvas
   * @param {(pad: DrawingPad) => void} onStrokeEnd called after every finished stroke
   */
  constructor(canvas, onStrokeEnd) {
    this.canvas = canvas;
    this.context = canvas.getContext('2d');
    this.onStrokeEnd = onStrokeEnd;
    this.pointerId = null;
    this.last = null;
    this.isBlank = true;
    this.clear();

    canvas.addEventListener('pointerdown', (event) => this.down(event));
    canvas.addEventListener('pointermove', (event) => this.move(event));
    canvas.addEventListener('pointerup', (event) => this.up(event));
    canvas.addEventListener('pointercancel', (event) => this.up(event));
    // A stray context menu (long press on touch, right click) would interrupt a stroke.
    canvas.addEventListener('contextmenu', (event) => event.preventDefault());
  }

  /** White paper, no ink. */
  clear() {
    const { context, canvas } = this;
    context.fillStyle = PAPER;
    context.fillRect(0, 0, canvas.width, canvas.height);
    this.isBlank = true;
  }

  /** The canvas as a PNG blob (what `/predict` receives). */
  toPNG() {
    return new Promise((resolve, reject) => {
      this.canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('the canvas could not be encoded as PNG'))), 'image/png');
    });
  }

  /** Event position in canvas pixels, whatever size CSS gives the canvas (border excluded). */
  point(event) {
    const { canvas } = this;
    const box = canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - box.left - canvas.clientLeft) * canvas.width) / canvas.clientWidth,
      y: ((event.clientY - box.top - canvas.clientTop) * canvas.height) / canvas.clientHeight,
    };
  }

  down(event) {
    if (this.pointerId !== null || (event.pointerType === 'mouse' && event.button !== 0)) return;
    event.preventDefault();
    this.pointerId = event.pointerId;
    this.canvas.setPointerCapture(event.pointerId);
    this.last = this.point(event);
    this.dot(this.last);
  }

  move(event) {
    if (event.pointerId !== this.pointerId) return;
    event.preventDefault();
    // Coalesced events keep fast strokes smooth: the browser may merge several moves into one event.
    const events = typeof event.getCoalescedEvents === 'function' ? event.getCoalescedEvents() : [];
    for (const sample of events.length ? events : [event]) {
      const next = this.point(sample);
      this.segment(this.last, next);
      this.last = next;
    }
  }

  up(event) {
    if (event.pointerId !== this.pointerId) return;
    if (event.type === 'pointerup') this.segment(this.last, this.point(event));
    this.pointerId = null;
    this.last = null;
    if (this.canvas.hasPointerCapture(event.pointerId)) this.canvas.releasePointerCapture(event.pointerId);
    this.onStrokeEnd(this);
  }

  dot(at) {
    const { context } = this;
    context.fillStyle = INK;
    context.beginPath();
    context.arc(at.x, at.y, INK_WIDTH / 2, 0, Math.PI * 2);
    context.fill();
    this.isBlank = false;
  }

  segment(from, to) {
    const { context } = this;
    context.strokeStyle = INK;
    context.lineWidth = INK_WIDTH;
    context.lineCap = 'round';
    context.lineJoin = 'round';
    context.beginPath();
    context.moveTo(from.x, from.y);
    context.lineTo(to.x, to.y);
    context.stroke();
    this.isBlank = false;
  }
}

/**
 * Paints a 28x28 MNIST-polarity image (0 background, 255 ink) onto `canvas` as the network
 * saw it: light ink on black, scaled up by CSS with `image-rendering: pixelated`.
 */
export function paintInput(canvas, pixels) {
  const context = canvas.getContext('2d');
  const image = context.createImageData(28, 28);
  for (let i = 0; i < 784; i += 1) {
    const value = pixels[i] | 0;
    image.data[i * 4] = value;
    image.data[i * 4 + 1] = value;
    image.data[i * 4 + 2] = value;
    image.data[i * 4 + 3] = 255;
  }
  context.putImageData(image, 0, 0);
}

/** Blanks the input preview (black, like an empty MNIST image). */
export function clearInput(canvas) {
  const context = canvas.getContext('2d');
  context.fillStyle = '#000000';
  context.fillRect(0, 0, canvas.width, canvas.height);
}
