// Entry point: the two views (draw, train), the tabs between them, and the prediction flow:
// every finished stroke or uploaded file goes to POST /predict?include_input=true and the
// answer fills the digit, the confidence, the ten bars and the 28x28 input preview.

import { request, describe } from './api.js';
import { DrawingPad, paintInput, clearInput } from './draw.js';
import { renderBars, percent } from './charts.js';
import { TrainingView } from './train.js';

const $ = (id) => document.getElementById(id);

const resultCard = document.querySelector('.result-card');
const digitOutput = $('digit');
const confidence = $('confidence');
const modelId = $('model-id');
const bars = $('bars');
const preview = $('input-preview');
const problem = $('predict-error');
const source = $('source');
const announce = $('announce');

/**
 * Requests are numbered so that only the newest answer is shown: strokes can end faster than
 * answers arrive. `data-sent` / `data-shown` on the result card expose the numbers (the
 * browser test waits for them to meet).
 */
let sent = 0;
let shown = 0;

function setState(state) {
  resultCard.dataset.state = state;
  resultCard.dataset.sent = String(sent);
  resultCard.dataset.shown = String(shown);
  resultCard.setAttribute('aria-busy', String(state === 'pending'));
}

function showNothing() {
  digitOutput.textContent = '–';
  confidence.textContent = 'Draw something to start';
  modelId.textContent = '';
  renderBars(bars, null, -1);
  clearInput(preview);
  preview.setAttribute('aria-label', 'The 28 by 28 image the network saw (none yet)');
  problem.hidden = true;
  problem.textContent = '';
  announce.textContent = '';
}

function showPrediction(answer) {
  problem.hidden = true;
  digitOutput.textContent = String(answer.digit);
  confidence.textContent = `${percent(answer.confidence)} confident`;
  modelId.textContent = answer.model ? `Model: ${answer.model}` : '';
  renderBars(bars, answer.probabilities, answer.digit);
  announce.textContent = `The network reads ${answer.digit}, ${percent(answer.confidence)} confident.`;
  if (Array.isArray(answer.input) && answer.input.length === 784) {
    paintInput(preview, answer.input);
    preview.setAttribute('aria-label', `The 28 by 28 image the network saw, read as ${answer.digit}`);
    preview.dataset.painted = 'true';
  }
}

function showProblem(error) {
  digitOutput.textContent = '?';
  confidence.textContent = 'No prediction';
  renderBars(bars, null, -1);
  problem.textContent = describe(error);
  problem.hidden = false;
  announce.textContent = '';
}

/** Sends one image body to /predict and shows the answer if it is still the newest request. */
async function predict(body, contentType) {
  sent += 1;
  const number = sent;
  setState('pending');
  try {
    const answer = await request('POST', '/predict?include_input=true', { body, contentType });
    if (number !== sent) return;
    shown = number;
    showPrediction(answer);
    setState('done');
  } catch (error) {
    if (number !== sent) return;
    shown = number;
    showProblem(error);
    setState('error');
  }
}

const pad = new DrawingPad($('pad'), async (drawing) => {
  source.textContent = '';
  showPhoto(null);
  try {
    const png = await drawing.toPNG();
    await predict(png, 'image/png');
  } catch (error) {
    showProblem(error);
  }
});

$('clear').addEventListener('click', () => {
  pad.clear();
  sent += 1; // an answer still on its way belongs to the old drawing
  shown = sent;
  showNothing();
  setState('idle');
  source.textContent = '';
  showPhoto(null);
});

const photoFigure = $('photo-figure');
const photo = $('photo');

/** Shows the chosen picture (the browser turns it by its EXIF orientation, as the server does). */
function showPhoto(file) {
  if (photo.src) URL.revokeObjectURL(photo.src);
  if (!file || !file.type.startsWith('image/')) {
    photo.removeAttribute('src');
    photoFigure.hidden = true;
    return;
  }
  photo.src = URL.createObjectURL(file);
  photoFigure.hidden = false;
}

/** The upload and camera controls: the file is posted as-is. */
function sendFile(input) {
  return async () => {
    const file = input.files && input.files[0];
    if (!file) return;
    pad.clear();
    showPhoto(file);
    source.textContent = `Uploaded ${file.name} (${file.type || 'type unknown'}, ${file.size.toLocaleString()} bytes)`;
    // The server decodes PNG, JPEG and PGM and recognises an untyped body by its content, so
    // an empty File.type (common for .pgm) is left for it to sniff.
    await predict(file, file.type || undefined);
    input.value = ''; // choosing the same file again fires `change` again
  };
}

const upload = $('upload');
upload.addEventListener('change', sendFile(upload));
const camera = $('camera');
camera.addEventListener('change', sendFile(camera));

// The training view re-reads the drawing with a model that was just activated.
document.addEventListener('model-activated', () => {
  if (!pad.isBlank) pad.onStrokeEnd(pad);
});

// MARK: tabs (WAI-ARIA tabs pattern: arrow keys move between tabs, Tab moves into the panel)

const training = new TrainingView();
const tabs = [...document.querySelectorAll('[role="tab"]')];

function selectTab(tab, { focus = false, updateHash = true } = {}) {
  for (const other of tabs) {
    const selected = other === tab;
    other.setAttribute('aria-selected', String(selected));
    other.tabIndex = selected ? 0 : -1;
    $(other.getAttribute('aria-controls')).hidden = !selected;
  }
  if (focus) tab.focus();
  if (tab.id === 'tab-train') training.show();
  if (updateHash) history.replaceState(null, '', tab.id === 'tab-train' ? '#train' : '#draw');
}

for (const tab of tabs) {
  tab.addEventListener('click', () => selectTab(tab));
  tab.addEventListener('keydown', (event) => {
    const index = tabs.indexOf(tab);
    const target = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 }[event.key];
    if (target === undefined) return;
    event.preventDefault();
    selectTab(tabs[(target + tabs.length) % tabs.length], { focus: true });
  });
}

showNothing();
setState('idle');
selectTab(location.hash === '#train' ? $('tab-train') : $('tab-draw'), { updateHash: false });
